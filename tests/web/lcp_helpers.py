"""Helpers for the pages, API and live tests of « S'enregistrer »: the codes the fakes queued."""

from __future__ import annotations

from typing import Any


def latest_code(container: Any, channel: str | None = None) -> str:
    """The newest one-time code queued (by email or SMS), read from the recorded job queue."""
    for job in container.adapters.job_store().list(limit=1000):
        if job.spec.kind != "notify":
            continue
        notification = job.spec.as_notification()
        if notification.template == "one_time_code" and (channel is None or notification.channel.value == channel):
            return notification.context_dict()["code"]
    raise AssertionError("no one-time code was queued")


def register_lcp(container: Any, person_id: str, cabinet_id: str) -> Any:
    """Run the whole registration through the use cases; the summary of the issued certificate."""
    uc = container.use_cases
    registration = uc.start_lcp_registration(person_id=person_id, cabinet_id=cabinet_id).registration_id
    uc.send_lcp_email_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_email_code(person_id=person_id, registration_id=registration, code=latest_code(container, "email"))
    uc.send_lcp_sms_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_sms_code(person_id=person_id, registration_id=registration, code=latest_code(container, "sms"))
    uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    version = container.settings().lcp_terms_version
    return uc.accept_lcp_terms_and_issue(person_id=person_id, registration_id=registration, terms_version=version)
