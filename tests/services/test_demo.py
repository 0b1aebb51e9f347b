from domain.model.cabinet import Delegation, Role
from entrypoints.demo import COLLABORATOR_EMAIL, DEMO_PASSWORD, OWNER_EMAIL, seed_demo


def test_the_demo_logins_work_and_seeding_twice_changes_nothing(container, uc):
    assert list(seed_demo(container))[0] == "demo data created"
    assert list(seed_demo(container))[0] == "demo data already present"
    owner = uc.login(email=OWNER_EMAIL, password=DEMO_PASSWORD)
    collaborator = uc.login(email=COLLABORATOR_EMAIL, password=DEMO_PASSWORD)
    [cabinet] = uc.my_cabinets(person_id=owner.person_id)
    [membership] = uc.my_cabinets(person_id=collaborator.person_id)
    assert cabinet.role is Role.OWNER
    assert membership.cabinet_id == cabinet.cabinet_id and membership.delegations == {Delegation.SIGN}
