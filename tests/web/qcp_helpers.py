"""Helpers for the QCP enrollment tests (pages, API, browser): an LCP first, codes from the
recorded job queue, the QR link read from the page, images for the capture steps."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

CAPTURE_STEPS = ("document_centre", "document_tilt", "document_portrait", "face_centre", "face_turn",
                 "face_cover_eye")
OFFICER_EMAIL = "agent.enregistrement@seing.test"
OFFICER_PASSWORD = "officer horse battery"


def latest_code(container: Any, channel: str | None = None) -> str:
    """The newest one-time code queued (by email or SMS)."""
    for job in container.adapters.job_store().list(limit=1000):
        if job.spec.kind != "notify":
            continue
        notification = job.spec.as_notification()
        if notification.template == "one_time_code" and (channel is None or notification.channel.value == channel):
            return notification.context_dict()["code"]
    raise AssertionError("no one-time code was queued")


def notifications(container: Any, template: str) -> list[Any]:
    found = []
    for job in container.adapters.job_store().list(limit=1000):
        if job.spec.kind == "notify" and job.spec.as_notification().template == template:
            found.append(job.spec.as_notification())
    return found


def register_lcp(container: Any, person_id: str, cabinet_id: str) -> Any:
    """« S'enregistrer » through the use cases: the LCP the QCP enrollment requires."""
    uc = container.use_cases
    registration = uc.start_lcp_registration(person_id=person_id, cabinet_id=cabinet_id).registration_id
    uc.send_lcp_email_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_email_code(person_id=person_id, registration_id=registration, code=latest_code(container, "email"))
    uc.send_lcp_sms_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_sms_code(person_id=person_id, registration_id=registration, code=latest_code(container, "sms"))
    uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    version = container.settings().lcp_terms_version
    summary = uc.accept_lcp_terms_and_issue(person_id=person_id, registration_id=registration, terms_version=version)
    clock = container.adapters.clock()
    if hasattr(clock, "advance"):  # a test clock: later codes are not sent within the LCP's minute
        clock.advance(timedelta(minutes=2))
    return summary


def appoint_officer(container: Any) -> str:
    return container.use_cases.appoint_officer(email=OFFICER_EMAIL, given_names="Agnès", surname="Contrôle",
                                               password=OFFICER_PASSWORD).person_id


def qr_link(html: str) -> str:
    match = re.search(r'data-qr-url="([^"]+)"', html)
    assert match, "no QR link on the page"
    return match.group(1)


def browser_link(html: str) -> str:
    match = re.search(r'href="([^"]+)" id="continuer-navigateur"', html)
    assert match, "no « Continuez ici dans votre navigateur » link"
    return match.group(1).replace("&amp;", "&")


def enrollment_id_from(location: str) -> str:
    match = re.fullmatch(r"/qcp/([^/?]+)", location)
    assert match, location
    return match.group(1)
