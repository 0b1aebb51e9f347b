"""Demo data for ``make run``: one cabinet, its owner and a collaborator. Idempotent."""

from __future__ import annotations

from typing import Iterator

from domain.model.cabinet import Delegation, Role
from domain.model.errors import SirenTaken

DEMO_PASSWORD = "demo-seing-2026"
OWNER_EMAIL = "jessica.poussart@demo.seing.fr"
COLLABORATOR_EMAIL = "irina.faron@demo.seing.fr"


def seed_demo(container) -> Iterator[str]:  # type: ignore[no-untyped-def]
    uc = container.use_cases
    try:
        created = uc.create_cabinet(name="Cabinet Poussart & Associés", siren="732829320",
                                    owner_given_names="Jessica", owner_surname="Poussart", owner_email=OWNER_EMAIL,
                                    owner_mobile="06 24 00 00 13", password=DEMO_PASSWORD)
    except SirenTaken:
        yield "demo data already present"
    else:
        # The collaborator joins through the real invitation flow; the link comes from the queued email.
        uc.invite_member(cabinet_id=created.cabinet_id, by_person_id=created.person_id, email=COLLABORATOR_EMAIL,
                         given_names="Irina", surname="Faron", role=Role.COLLABORATOR,
                         delegations=frozenset({Delegation.SIGN}))
        token = next(job.spec.as_notification().context_dict()["token"]
                     for job in container.adapters.job_store().list(limit=50)
                     if job.spec.kind == "notify" and job.spec.payload_dict().get("ctx.invitee_name") == "Irina Faron")
        uc.accept_invitation(token=token, password=DEMO_PASSWORD, mobile="07 11 22 33 44")
        yield "demo data created"
    yield f"  owner (expert-comptable): {OWNER_EMAIL} / {DEMO_PASSWORD}"
    yield f"  collaborator:             {COLLABORATOR_EMAIL} / {DEMO_PASSWORD}"
