"""The typed ``UseCases`` facade: what web handlers (pages and API) receive as ``use_cases``.

Each attribute names the domain function it runs (``login = UseCase(accounts.login)``), so a
reader or a type checker goes from a handler's ``use_cases.login(...)`` to ``accounts.login`` in
one step, and gets its return type. The container binds the ports of every function listed here
(by type, see ``bindings``) and the facade calls the bound provider; callers pass only the
business inputs, as keywords.

Handlers never reach adapters: what a page needs beyond use cases (the clock, the page renderer,
the RFC 3161 responder...) is listed at the end as ``Provided(Port)``, typed by its port.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Protocol, TypeVar, overload

from domain.services import (
    accounts,
    api_keys,
    archives,
    cabinets,
    ceremony,
    certificates,
    collection_requests,
    collections,
    download_views,
    lcp_registration,
    officers,
    retention,
    seals,
    verification,
    webhooks,
)
from domain.services import audit as audit_trail
from domain.services.qcp_enrollment import QcpEnrollmentUseCases
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.identity import CaptureHost
from ports.pdf_inspection import PdfInspector
from ports.pdf_rendering import PdfPageRenderer
from ports.timestamping import TimestampResponder

__all__ = ["IdentitySimulator", "OutboxReader", "Provided", "UseCase", "UseCases"]

R = TypeVar("R")
T = TypeVar("T")


class UseCase(Generic[R]):
    """One use case: the domain function, run with its ports bound by the container."""

    def __init__(self, function: Callable[..., R]) -> None:
        self.function = function
        self.name = function.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, facade: None, owner: type) -> UseCase[R]: ...
    @overload
    def __get__(self, facade: UseCases, owner: type) -> Callable[..., R]: ...

    def __get__(self, facade: UseCases | None, owner: type) -> UseCase[R] | Callable[..., R]:
        if facade is None:
            return self
        return getattr(facade.bound, self.name)  # type: ignore[no-any-return]


class Provided(Generic[T]):
    """Something the container builds for the web layer, typed by the port it satisfies;
    ``use_cases.clock()`` gives the Clock. ``optional``: the container may give None (the
    identity provider hosts no capture pages; no simulator outside dev mode)."""

    def __init__(self, kind: type[T], *, optional: bool = False) -> None:
        self.kind = kind
        self.optional = optional
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, facade: None, owner: type) -> Provided[T]: ...
    @overload
    def __get__(self, facade: UseCases, owner: type) -> Callable[[], T]: ...

    def __get__(self, facade: UseCases | None, owner: type) -> Provided[T] | Callable[[], T]:
        if facade is None:
            return self
        return getattr(facade.bound, self.name)  # type: ignore[no-any-return]


class IdentitySimulator(Protocol):
    """The built-in identity simulator's demo controls (dev mode): decide now, and how."""

    def set_outcome(self, session_ref: str, *, approved: bool, reason: str | None = None) -> None: ...

    def decide_now(self, session_ref: str) -> object: ...

    def capture_progress(self, session_ref: str) -> Any: ...


class OutboxReader(Protocol):
    """The dev outbox's messages, newest first (``/dev/outbox``)."""

    def __call__(self, *, limit: int | None = None) -> list[dict[str, Any]]: ...


class UseCases:
    """Every use case, ports bound, and what the pages need beside them."""

    def __init__(self, bound: Any) -> None:
        self.bound = bound  # the container's ``use_cases`` (dependency-injector providers)

    @classmethod
    def use_cases(cls) -> dict[str, UseCase[Any]]:
        return {name: slot for name, slot in vars(cls).items() if isinstance(slot, UseCase)}

    @classmethod
    def provided(cls) -> dict[str, Provided[Any]]:
        return {name: slot for name, slot in vars(cls).items() if isinstance(slot, Provided)}

    # accounts
    login = UseCase(accounts.login)
    verify_second_factor = UseCase(accounts.verify_second_factor)
    start_totp_setup = UseCase(accounts.start_totp_setup)
    confirm_totp = UseCase(accounts.confirm_totp)
    disable_totp = UseCase(accounts.disable_totp)
    change_password = UseCase(accounts.change_password)
    request_password_reset = UseCase(accounts.request_password_reset)
    reset_password = UseCase(accounts.reset_password)
    credentials_stamp = UseCase(accounts.credentials_stamp)
    profile = UseCase(accounts.profile)
    set_locale = UseCase(accounts.set_locale)

    # cabinets
    create_cabinet = UseCase(cabinets.create_cabinet)
    my_cabinets = UseCase(cabinets.my_cabinets)
    list_members = UseCase(cabinets.list_members)
    invite_member = UseCase(cabinets.invite_member)
    revoke_invitation = UseCase(cabinets.revoke_invitation)
    invitation_details = UseCase(cabinets.invitation_details)
    accept_invitation = UseCase(cabinets.accept_invitation)
    grant_delegation = UseCase(cabinets.grant_delegation)
    withdraw_delegation = UseCase(cabinets.withdraw_delegation)

    # LCP registration, "Ma signature personnelle", "Mes certificats"
    start_lcp_registration = UseCase(lcp_registration.start_registration)
    lcp_registration_status = UseCase(lcp_registration.registration_status)
    cancel_lcp_registration = UseCase(lcp_registration.cancel_registration)
    send_lcp_email_code = UseCase(lcp_registration.send_email_code)
    verify_lcp_email_code = UseCase(lcp_registration.verify_email_code)
    send_lcp_sms_code = UseCase(lcp_registration.send_sms_code)
    verify_lcp_sms_code = UseCase(lcp_registration.verify_sms_code)
    confirm_lcp_identity = UseCase(lcp_registration.confirm_identity)
    accept_lcp_terms_and_issue = UseCase(lcp_registration.accept_terms_and_issue)
    start_lcp_identity_check = UseCase(lcp_registration.start_identity_check)
    renew_lcp_capture_link = UseCase(lcp_registration.renew_identity_capture_link)
    open_lcp_capture_link = UseCase(lcp_registration.open_identity_capture_link)
    lcp_identity_check_status = UseCase(lcp_registration.identity_check_status)
    my_signature_overview = UseCase(certificates.my_signature_overview)
    my_certificates = UseCase(certificates.my_certificates)
    certificate_download = UseCase(certificates.certificate_download)
    revoke_certificate = UseCase(certificates.revoke_certificate)
    revoke_certificate_as_administrator = UseCase(certificates.revoke_certificate_as_administrator)

    # collections
    create_collection_draft = UseCase(collections.create_draft)
    update_collection_info = UseCase(collections.update_info)
    update_collection_options = UseCase(collections.update_options)
    check_upload = UseCase(collections.check_upload)
    add_collection_document = UseCase(collections.add_document)
    remove_collection_document = UseCase(collections.remove_document)
    read_collection_original = UseCase(collections.read_original)
    render_collection_page = UseCase(collections.render_original_page)
    signer_choices = UseCase(collections.signer_choices)
    add_signer = UseCase(collections.add_signer)
    remove_signer = UseCase(collections.remove_signer)
    set_signer_level = UseCase(collections.set_level)
    reorder_signers = UseCase(collections.reorder)
    place_signature_field = UseCase(collections.place_field)
    add_observer = UseCase(collections.add_observer)
    remove_observer = UseCase(collections.remove_observer)
    send_collection = UseCase(collections.send)
    create_and_send_collection = UseCase(collection_requests.create_and_send)
    remind_signer_now = UseCase(collections.remind_now)
    replace_signer = UseCase(collections.replace_signer)
    cancel_collection = UseCase(collections.cancel)
    discard_collection_draft = UseCase(collections.discard_draft)
    list_collections = UseCase(collections.list_collections)
    collection_details = UseCase(collections.collection_details)
    collection_timeline = UseCase(collections.collection_timeline)
    run_due_reminders_and_expiry = UseCase(collections.run_due_reminders_and_expiry)
    record_delivery_failure = UseCase(collections.record_delivery_failure)
    record_registration_delivery_failure = UseCase(lcp_registration.record_registration_delivery_failure)

    # audit trail, signing ceremony, evidence, verification, retention
    verify_audit_trails = UseCase(audit_trail.verify_trails)
    open_ceremony = UseCase(ceremony.open_ceremony)
    view_ceremony = UseCase(ceremony.view_ceremony)
    ceremony_status = UseCase(ceremony.ceremony_status)
    read_document_for_signer = UseCase(ceremony.read_document_for_signer)
    render_page_for_signer = UseCase(ceremony.render_page_for_signer)
    record_identity_check = UseCase(ceremony.record_identity_check)
    start_identity_check = UseCase(ceremony.start_identity_check)
    identity_check_outcome = UseCase(ceremony.identity_check_outcome)
    request_signing_code = UseCase(ceremony.request_signing_code)
    sign = UseCase(ceremony.sign)
    start_remote_consent = UseCase(ceremony.start_remote_consent)
    finish_remote_consent = UseCase(ceremony.finish_remote_consent)
    refuse = UseCase(ceremony.refuse)
    finalise_signature = UseCase(ceremony.finalise_signature)
    finalise_collection = UseCase(ceremony.finalise_collection)
    seal_evidence = UseCase(ceremony.seal_evidence)
    seal_pending_evidence = UseCase(ceremony.seal_pending_evidence)
    download_by_link = UseCase(ceremony.download_by_link)
    download_overview = UseCase(download_views.download_overview)
    evidence_for_member = UseCase(ceremony.evidence_for_member)
    signed_document_for_member = UseCase(ceremony.signed_document_for_member)
    verify_pdf = UseCase(verification.verify_pdf)
    apply_retention = UseCase(retention.apply_retention)
    archive_status = UseCase(archives.archive_status)
    renew_archives = UseCase(archives.renew_archives)

    # webhooks (integrators): the owner's endpoints and log, the worker's fan-out and delivery
    create_webhook_endpoint = UseCase(webhooks.create_webhook_endpoint)
    list_webhook_endpoints = UseCase(webhooks.list_webhook_endpoints)
    webhook_endpoint = UseCase(webhooks.webhook_endpoint)
    delete_webhook_endpoint = UseCase(webhooks.delete_webhook_endpoint)
    rotate_webhook_secret = UseCase(webhooks.rotate_webhook_secret)
    list_webhook_deliveries = UseCase(webhooks.list_webhook_deliveries)
    redeliver_webhook = UseCase(webhooks.redeliver_webhook)
    dispatch_webhook_event = UseCase(webhooks.dispatch_webhook_event)
    deliver_webhook = UseCase(webhooks.deliver_webhook)

    # registration officers (platform role: « seing officer create », the back-office guard)
    appoint_officer = UseCase(officers.appoint_officer)
    is_registration_officer = UseCase(officers.is_registration_officer)

    # « Clés d'API » and idempotent POSTs (the API's Bearer authentication and Idempotency-Key)
    create_api_key = UseCase(api_keys.create_api_key)
    list_api_keys = UseCase(api_keys.list_api_keys)
    revoke_api_key = UseCase(api_keys.revoke_api_key)
    authenticate_api_key = UseCase(api_keys.authenticate_api_key)
    collection_cabinet = UseCase(api_keys.collection_cabinet)
    begin_idempotent_request = UseCase(api_keys.begin_idempotent_request)
    finish_idempotent_request = UseCase(api_keys.finish_idempotent_request)
    abandon_idempotent_request = UseCase(api_keys.abandon_idempotent_request)
    purge_idempotency_records = UseCase(api_keys.purge_idempotency_records)

    # the cabinet's electronic seal: certificate requests (owner-approved), « Sceller un document »
    request_seal_certificate = UseCase(seals.request_seal_certificate)
    approve_seal_certificate_request = UseCase(seals.approve_seal_certificate_request)
    reject_seal_certificate_request = UseCase(seals.reject_seal_certificate_request)
    cancel_seal_certificate_request = UseCase(seals.cancel_seal_certificate_request)
    revoke_seal_certificate = UseCase(seals.revoke_seal_certificate)
    seal_overview = UseCase(seals.seal_overview)
    seal_documents = UseCase(seals.seal_documents)
    sealing_for_member = UseCase(seals.sealing_for_member)
    sealed_document_for_member = UseCase(seals.sealed_document_for_member)
    sealing_evidence_for_member = UseCase(seals.sealing_evidence_for_member)

    # QCP enrollment (guide, part 1): one object, one method per screen
    qcp = Provided(QcpEnrollmentUseCases)

    # What pages need beside use cases, typed by port
    clock = Provided(Clock)
    page_renderer = Provided(PdfPageRenderer)
    pdf_inspector = Provided(PdfInspector)
    certificate_authority = Provided(CertificateAuthority)
    timestamp_responder = Provided(TimestampResponder)  # POST /pki/tsa, the platform's own TSA
    capture_host = Provided(CaptureHost, optional=True)  # None: the provider hosts its own capture
    identity_simulator = Provided(IdentitySimulator, optional=True)  # dev mode with the simulator only
    dev_outbox = Provided(OutboxReader)  # what the outbox adapters wrote instead of sending (dev mode)
