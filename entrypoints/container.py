"""The composition root: one dependency-injector container wiring ports to adapters.

``build_container(settings)`` picks the real adapters from configuration;
``build_container(settings, fakes=True)`` gives the in-memory ones, with the same provider
names, for tests. Use cases are ``providers.Callable`` with their ports bound, so callers
write ``container.use_cases.login(email=..., password=...)``.
"""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Callable

from dependency_injector import containers, providers

from adapters.ca.builtin import BuiltinCertificateAuthority
from adapters.documents.certificate_request import PdfCertificateRequestDocument
from adapters.identity.simulator import SimulatorIdentityVerifier
from adapters.memory.clock import FixedClock
from adapters.memory.documents import InMemoryDocumentStore
from adapters.memory.ids import SequentialIds
from adapters.memory.keyvault import InMemoryKeyVault
from adapters.memory.locks import ThreadLocks
from adapters.memory.messaging import RecordingMailer, RecordingSmsSender
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from adapters.memory.security import PlainPasswordHasher
from adapters.memory.webhooks import RecordingWebhookSender
from adapters.pdf.evidence_report import PlainPdfEvidenceRenderer
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from adapters.security.totp import PyotpTotp
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.system.throttle import InProcessThrottle
from domain.model.intake import IntakePolicy
from domain.model.pki import KeyType
from domain.model.webhooks import DestinationPolicy
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
from domain.services.identity_checks import LcpIdentityCheckPolicy
from domain.services.qcp_enrollment import QcpEnrollmentUseCases
from entrypoints.ceremony_wiring import logged_archive_renewal, make_job_handler, make_verifier
from entrypoints.fake_ca import initialised_ca
from entrypoints.notifications import (
    DEFAULT_TEMPLATES_DIR,
    NotificationRenderer,
    make_notify_failure_handler,
    make_notify_handler,
)
from entrypoints.pki_config import BuiltinTsa, ca_settings, qcp_settings
from entrypoints.remote_signing_config import remote_signing_routes
from entrypoints.settings import Settings
from entrypoints.webhook_wiring import webhook_deliverer, webhook_dispatcher
from entrypoints.worker import Worker


def _bound(function: Callable[..., object], ports: dict[str, providers.Provider]) -> providers.Callable:
    """Bind the ports a use case asks for, by parameter name; callers pass the business inputs."""
    wanted = inspect.signature(function).parameters
    return providers.Callable(function, **{name: port for name, port in ports.items() if name in wanted})


class UseCases(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    settings = providers.Dependency(instance_of=Settings)

    _ports = {
        "uow": adapters.uow.provider,
        "clock": adapters.clock,
        "ids": adapters.ids,
        "hasher": adapters.password_hasher,
        "totp": adapters.totp,
        "throttle": adapters.throttle,
        "vault": adapters.vault,
        "ca": adapters.ca,
        "code_generator": adapters.code_generator,
        "code_hasher": adapters.code_hasher,
        "store": adapters.document_store,
        "inspector": adapters.pdf_inspector,
        "policy": providers.Callable(IntakePolicy.megabytes, settings.provided.max_upload_mb),
        "current_terms_version": settings.provided.lcp_terms_version,
        "key_type": providers.Callable(KeyType, settings.provided.key_type),
        "signing": adapters.pdf_signing,
        "locks": adapters.locks,
        "renderer": adapters.evidence_renderer,
        "verifier": adapters.signature_verifier,
        "identity_verifier": adapters.identity_verifier,
        "identity_policy": providers.Callable(LcpIdentityCheckPolicy,
                                              required=settings.provided.lcp_require_identity_check),
        "document_retention_days": settings.provided.document_retention_days,
        "evidence_retention_days": settings.provided.evidence_retention_days,
        "archive_renewal_margin_days": settings.provided.archive_renewal_margin_days,
        "webhook_sender": adapters.webhook_sender,
        "webhook_policy": providers.Callable(DestinationPolicy, allow_private=settings.provided.webhooks_allow_private),
    }
    # The signing ceremony's ports, one object: ``sign``, ``request_signing_code``, ``finalise_signature``.
    _ports["ports"] = providers.Factory(
        ceremony.SigningPorts, uow=adapters.uow.provider, clock=adapters.clock, ids=adapters.ids,
        code_generator=adapters.code_generator, code_hasher=adapters.code_hasher, store=adapters.document_store,
        signing=adapters.pdf_signing, ca=adapters.ca, vault=adapters.vault, key_type=_ports["key_type"],
        locks=adapters.locks, remote_signing=adapters.remote_signing)

    # accounts
    login = _bound(accounts.login, _ports)
    verify_second_factor = _bound(accounts.verify_second_factor, _ports)
    start_totp_setup = _bound(accounts.start_totp_setup, _ports)
    confirm_totp = _bound(accounts.confirm_totp, _ports)
    disable_totp = _bound(accounts.disable_totp, _ports)
    change_password = _bound(accounts.change_password, _ports)
    request_password_reset = _bound(accounts.request_password_reset, _ports)
    reset_password = _bound(accounts.reset_password, _ports)
    credentials_stamp = _bound(accounts.credentials_stamp, _ports)
    profile = _bound(accounts.profile, _ports)
    set_locale = _bound(accounts.set_locale, _ports)

    # cabinets
    create_cabinet = _bound(cabinets.create_cabinet, _ports)
    my_cabinets = _bound(cabinets.my_cabinets, _ports)
    list_members = _bound(cabinets.list_members, _ports)
    invite_member = _bound(cabinets.invite_member, _ports)
    revoke_invitation = _bound(cabinets.revoke_invitation, _ports)
    invitation_details = _bound(cabinets.invitation_details, _ports)
    accept_invitation = _bound(cabinets.accept_invitation, _ports)
    grant_delegation = _bound(cabinets.grant_delegation, _ports)
    withdraw_delegation = _bound(cabinets.withdraw_delegation, _ports)

    # LCP registration, "Ma signature personnelle", "Mes certificats"
    start_lcp_registration = _bound(lcp_registration.start_registration, _ports)
    lcp_registration_status = _bound(lcp_registration.registration_status, _ports)
    cancel_lcp_registration = _bound(lcp_registration.cancel_registration, _ports)
    send_lcp_email_code = _bound(lcp_registration.send_email_code, _ports)
    verify_lcp_email_code = _bound(lcp_registration.verify_email_code, _ports)
    send_lcp_sms_code = _bound(lcp_registration.send_sms_code, _ports)
    verify_lcp_sms_code = _bound(lcp_registration.verify_sms_code, _ports)
    confirm_lcp_identity = _bound(lcp_registration.confirm_identity, _ports)
    accept_lcp_terms_and_issue = _bound(lcp_registration.accept_terms_and_issue, _ports)
    start_lcp_identity_check = _bound(lcp_registration.start_identity_check, _ports)
    renew_lcp_capture_link = _bound(lcp_registration.renew_identity_capture_link, _ports)
    open_lcp_capture_link = _bound(lcp_registration.open_identity_capture_link, _ports)
    lcp_identity_check_status = _bound(lcp_registration.identity_check_status, _ports)
    my_signature_overview = _bound(certificates.my_signature_overview, _ports)
    my_certificates = _bound(certificates.my_certificates, _ports)
    certificate_download = _bound(certificates.certificate_download, _ports)
    revoke_certificate = _bound(certificates.revoke_certificate, _ports)
    revoke_certificate_as_administrator = _bound(certificates.revoke_certificate_as_administrator, _ports)

    # collections
    create_collection_draft = _bound(collections.create_draft, _ports)
    update_collection_info = _bound(collections.update_info, _ports)
    update_collection_options = _bound(collections.update_options, _ports)
    check_upload = _bound(collections.check_upload, _ports)
    add_collection_document = _bound(collections.add_document, _ports)
    remove_collection_document = _bound(collections.remove_document, _ports)
    read_collection_original = _bound(collections.read_original, _ports)
    signer_choices = _bound(collections.signer_choices, _ports)
    add_signer = _bound(collections.add_signer, _ports)
    remove_signer = _bound(collections.remove_signer, _ports)
    set_signer_level = _bound(collections.set_level, _ports)
    reorder_signers = _bound(collections.reorder, _ports)
    place_signature_field = _bound(collections.place_field, _ports)
    add_observer = _bound(collections.add_observer, _ports)
    remove_observer = _bound(collections.remove_observer, _ports)
    send_collection = _bound(collections.send, _ports)
    create_and_send_collection = _bound(collection_requests.create_and_send, _ports)
    remind_signer_now = _bound(collections.remind_now, _ports)
    replace_signer = _bound(collections.replace_signer, _ports)
    cancel_collection = _bound(collections.cancel, _ports)
    list_collections = _bound(collections.list_collections, _ports)
    collection_details = _bound(collections.collection_details, _ports)
    collection_timeline = _bound(collections.collection_timeline, _ports)
    run_due_reminders_and_expiry = _bound(collections.run_due_reminders_and_expiry, _ports)
    record_delivery_failure = _bound(collections.record_delivery_failure, _ports)

    # audit trail, signing ceremony, evidence, verification, retention
    verify_audit_trails = _bound(audit_trail.verify_trails, _ports)
    open_ceremony = _bound(ceremony.open_ceremony, _ports)
    ceremony_status = _bound(ceremony.ceremony_status, _ports)
    read_document_for_signer = _bound(ceremony.read_document_for_signer, _ports)
    record_identity_check = _bound(ceremony.record_identity_check, _ports)
    start_identity_check = _bound(ceremony.start_identity_check, _ports)
    identity_check_outcome = _bound(ceremony.identity_check_outcome, _ports)
    request_signing_code = _bound(ceremony.request_signing_code, _ports)
    sign = _bound(ceremony.sign, _ports)
    refuse = _bound(ceremony.refuse, _ports)
    finalise_signature = _bound(ceremony.finalise_signature, _ports)
    finalise_collection = _bound(ceremony.finalise_collection, _ports)
    seal_evidence = _bound(ceremony.seal_evidence, _ports)
    seal_pending_evidence = _bound(ceremony.seal_pending_evidence, _ports)
    download_by_link = _bound(ceremony.download_by_link, _ports)
    download_overview = _bound(download_views.download_overview, _ports)
    evidence_for_member = _bound(ceremony.evidence_for_member, _ports)
    signed_document_for_member = _bound(ceremony.signed_document_for_member, _ports)
    verify_pdf = _bound(verification.verify_pdf, _ports)
    apply_retention = _bound(retention.apply_retention, _ports)
    archive_status = _bound(archives.archive_status, _ports)
    renew_archives = _bound(archives.renew_archives, _ports)

    # webhooks (integrators): the owner's endpoints and log, the worker's fan-out and delivery
    create_webhook_endpoint = _bound(webhooks.create_webhook_endpoint, _ports)
    list_webhook_endpoints = _bound(webhooks.list_webhook_endpoints, _ports)
    webhook_endpoint = _bound(webhooks.webhook_endpoint, _ports)
    delete_webhook_endpoint = _bound(webhooks.delete_webhook_endpoint, _ports)
    rotate_webhook_secret = _bound(webhooks.rotate_webhook_secret, _ports)
    list_webhook_deliveries = _bound(webhooks.list_webhook_deliveries, _ports)
    redeliver_webhook = _bound(webhooks.redeliver_webhook, _ports)
    dispatch_webhook_event = _bound(webhooks.dispatch_webhook_event, _ports)
    deliver_webhook = _bound(webhooks.deliver_webhook, _ports)

    # registration officers (platform role: « seing officer create », the back-office guard)
    appoint_officer = _bound(officers.appoint_officer, _ports)
    is_registration_officer = _bound(officers.is_registration_officer, _ports)

    # « Clés d'API » and idempotent POSTs (the API's Bearer authentication and Idempotency-Key)
    create_api_key = _bound(api_keys.create_api_key, _ports)
    list_api_keys = _bound(api_keys.list_api_keys, _ports)
    revoke_api_key = _bound(api_keys.revoke_api_key, _ports)
    authenticate_api_key = _bound(api_keys.authenticate_api_key, _ports)
    collection_cabinet = _bound(api_keys.collection_cabinet, _ports)
    begin_idempotent_request = _bound(api_keys.begin_idempotent_request, _ports)
    finish_idempotent_request = _bound(api_keys.finish_idempotent_request, _ports)
    abandon_idempotent_request = _bound(api_keys.abandon_idempotent_request, _ports)
    purge_idempotency_records = _bound(api_keys.purge_idempotency_records, _ports)

    # the cabinet's electronic seal: certificate requests (owner-approved), « Sceller un document »
    request_seal_certificate = _bound(seals.request_seal_certificate, _ports)
    approve_seal_certificate_request = _bound(seals.approve_seal_certificate_request, _ports)
    reject_seal_certificate_request = _bound(seals.reject_seal_certificate_request, _ports)
    cancel_seal_certificate_request = _bound(seals.cancel_seal_certificate_request, _ports)
    revoke_seal_certificate = _bound(seals.revoke_seal_certificate, _ports)
    seal_overview = _bound(seals.seal_overview, _ports)
    seal_documents = _bound(seals.seal_documents, _ports)
    sealing_for_member = _bound(seals.sealing_for_member, _ports)
    sealed_document_for_member = _bound(seals.sealed_document_for_member, _ports)
    sealing_evidence_for_member = _bound(seals.sealing_evidence_for_member, _ports)

    # QCP enrollment (guide, part 1): one object, one method per screen
    qcp = providers.Singleton(
        QcpEnrollmentUseCases, uow=adapters.uow.provider, clock=adapters.clock, ids=adapters.ids,
        code_generator=adapters.code_generator, code_hasher=adapters.code_hasher, verifier=adapters.identity_verifier,
        request_renderer=providers.Singleton(PdfCertificateRequestDocument), documents=adapters.document_store,
        pdf_signing=adapters.pdf_signing, vault=adapters.vault, ca=adapters.ca,
        settings=providers.Callable(qcp_settings, settings))


def _initialised_ca(vault: object, settings: Settings, clock: object) -> BuiltinCertificateAuthority:
    """Tests get a ready hierarchy; in production `seing ca init` creates it once."""
    return initialised_ca(vault, settings.pki_dir, settings.resolved_public_url, clock,  # type: ignore[arg-type]
                          ca_settings(settings))


class FakeAdapters(containers.DeclarativeContainer):
    """In-memory adapters: same provider names as the real ones."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(FixedClock)
    ids = providers.Singleton(SequentialIds)
    password_hasher = providers.Singleton(PlainPasswordHasher)
    throttle = providers.Singleton(InProcessThrottle)
    totp = providers.Singleton(PyotpTotp)
    store = providers.Singleton(InMemoryStore)
    uow = providers.Factory(InMemoryUnitOfWork, store=store, clock=clock)
    job_store = providers.Singleton(InMemoryJobStore, store=store)
    mailer = providers.Singleton(RecordingMailer)
    sms_sender = providers.Singleton(RecordingSmsSender)
    vault = providers.Singleton(InMemoryKeyVault)
    ca = providers.Singleton(_initialised_ca, vault, settings, clock)
    timestamp_responder = providers.Singleton(BuiltinTsa, vault, ca, clock)
    timestamp_authority = timestamp_responder
    revocation_source = providers.Singleton(CaRevocationSource, ca)
    pdf_signing = providers.Singleton(PyHankoPdfSigning, vault=vault, timestamp_authority=timestamp_authority,
                                      revocation_source=revocation_source, clock=clock)
    identity_verifier = providers.Singleton(SimulatorIdentityVerifier, public_url=settings.provided.resolved_public_url,
                                            clock=clock, decision_delay=providers.Object(timedelta(0)))
    code_generator = providers.Singleton(PyotpCodeGenerator, clock)
    code_hasher = providers.Singleton(HmacCodeHasher, {"test": b"seing-test-one-time-code-key-32by"}, "test")
    document_store = providers.Singleton(InMemoryDocumentStore)
    pdf_inspector = providers.Singleton(PyHankoPdfiumInspector)
    page_renderer = providers.Singleton(PdfiumPageRenderer)
    locks = providers.Singleton(ThreadLocks)
    evidence_renderer = providers.Singleton(PlainPdfEvidenceRenderer)
    signature_verifier = providers.Singleton(make_verifier, ca, clock, settings.provided.trusted_list_file)
    webhook_sender = providers.Singleton(RecordingWebhookSender)
    # None unless a test configures one (the CSC tests point it at a loopback server).
    remote_signing = providers.Singleton(remote_signing_routes, settings, clock)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()
    use_cases = providers.Container(UseCases, adapters=adapters, settings=settings)

    renderer = providers.Singleton(NotificationRenderer, DEFAULT_TEMPLATES_DIR,
                                   settings.provided.resolved_public_url)
    job_handlers = providers.Dict(
        notify=providers.Factory(make_notify_handler, renderer, adapters.mailer, adapters.sms_sender),
        finalise_signature=providers.Factory(make_job_handler, use_cases.finalise_signature.provider,
                                             "collection_id", "signer_id"),
        finalise_collection=providers.Factory(make_job_handler, use_cases.finalise_collection.provider,
                                              "collection_id"),
        seal_evidence=providers.Factory(make_job_handler, use_cases.seal_evidence.provider, "collection_id"),
        webhook_event=providers.Factory(webhook_dispatcher, use_cases.dispatch_webhook_event.provider),
        webhook_delivery=providers.Factory(webhook_deliverer, use_cases.deliver_webhook.provider),
    )
    # A notification that never reaches a collection's signer is told to the preparer.
    job_failure_handlers = providers.Dict(
        notify=providers.Factory(make_notify_failure_handler, use_cases.record_delivery_failure.provider),
    )
    worker = providers.Factory(Worker, adapters.job_store, job_handlers, adapters.clock,
                               lease_seconds=settings.provided.worker_lease_seconds,
                               on_failure=job_failure_handlers,
                               periodic=providers.Dict(
                                   collections_due=providers.List(providers.Object(timedelta(minutes=1)),
                                                                  use_cases.run_due_reminders_and_expiry.provider),
                                   identity_results=providers.List(providers.Object(timedelta(seconds=30)),
                                                                   use_cases.qcp.provided.poll_identity_results),
                                   qcp_expiry=providers.List(providers.Object(timedelta(hours=1)),
                                                             use_cases.qcp.provided.expire_enrollments),
                                   identity_images=providers.List(providers.Object(timedelta(hours=1)),
                                                                  use_cases.qcp.provided.purge_identity_images),
                                   evidence_pending=providers.List(providers.Object(timedelta(minutes=5)),
                                                                   use_cases.seal_pending_evidence.provider),
                                   retention=providers.List(providers.Object(timedelta(hours=1)),
                                                            use_cases.apply_retention.provider),
                                   # Daily; a failed renewal stays due, so the next day retries it.
                                   archive_renewal=providers.List(
                                       providers.Object(timedelta(days=1)),
                                       providers.Callable(logged_archive_renewal,
                                                          use_cases.renew_archives.provider)),
                                   idempotency_keys=providers.List(providers.Object(timedelta(hours=1)),
                                                                   use_cases.purge_idempotency_records.provider)))


def build_container(settings: Settings, *, fakes: bool = False) -> Container:
    if fakes:
        adapters = FakeAdapters(settings=providers.Object(settings))
    else:
        from entrypoints.real_adapters import RealAdapters

        adapters = RealAdapters(settings=providers.Object(settings))
        # Built now so that a configuration unable to send (the dev outbox outside dev
        # mode, a provider without credentials) stops every process at start, not at the
        # first code a signer waits for.
        adapters.sms_sender()
        adapters.mailer()
    return Container(settings=providers.Object(settings), adapters=adapters)
