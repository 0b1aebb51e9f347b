from domain.model.cabinet import Role
from entrypoints.container import build_container
from entrypoints.settings import Settings


def test_the_worker_delivers_the_invitation_email_queued_by_the_use_case(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, public_url="https://seing.example"), fakes=True)
    uc = container.use_cases
    created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                owner_surname="Poussart", owner_email="jessica@poussart.fr", owner_mobile=None,
                                password="correct horse battery")
    uc.invite_member(cabinet_id=created.cabinet_id, by_person_id=created.person_id, email="irina@cs.expert",
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=frozenset())
    mailer = container.adapters.mailer()
    assert mailer.sent == []  # nothing leaves before the worker runs
    assert container.worker().run_once() == 1
    [email] = mailer.sent
    assert email.to == "irina@cs.expert"
    assert "Cabinet Poussart" in email.text
    assert "https://seing.example/invitation/" in email.text
    assert container.worker().run_once() == 0  # delivered once
