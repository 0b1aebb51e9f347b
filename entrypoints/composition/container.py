"""The composition root: one dependency-injector container wiring ports to adapters.

``build_container(settings)`` picks the real adapters from configuration;
``build_container(settings, fakes=True)`` gives the in-memory ones, with the same provider
names, for tests. Use cases are the functions the ``UseCases`` facade lists, each a
``providers.Callable`` with its ports bound by type (``bindings``), so callers write
``container.use_cases.login(email=..., password=...)``; web handlers get the facade itself.
"""

from __future__ import annotations

import functools
from datetime import timedelta

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
from adapters.messaging.outbox import read_outbox
from adapters.pdf.evidence_report import PlainPdfEvidenceRenderer
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from adapters.security.totp import PyotpTotp
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.system.throttle import InProcessThrottle
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.intake import IntakePolicy
from domain.model.pki import KeyType
from domain.model.webhooks import DestinationPolicy
from domain.services import archives, lcp_registration, retention
from domain.services.ceremony import SigningPorts
from domain.services.identity_checks import LcpIdentityCheckPolicy
from domain.services.qcp_enrollment import QcpEnrollmentUseCases
from entrypoints.composition.bindings import PortBindings
from entrypoints.composition.ceremony_wiring import (
    logged_archive_renewal,
    make_job_handler,
    make_verifier,
    pyhanko_signing,
)
from entrypoints.composition.fake_ca import initialised_ca
from entrypoints.composition.pki_config import ca_settings, qcp_settings
from entrypoints.composition.remote_signing_config import remote_signing_routes
from entrypoints.composition.use_cases import IdentitySimulator, UseCases
from entrypoints.composition.webhook_wiring import webhook_deliverer, webhook_dispatcher
from entrypoints.notifications import (
    DEFAULT_TEMPLATES_DIR,
    NotificationRenderer,
    make_notify_failure_handler,
    make_notify_handler,
)
from entrypoints.settings import Settings
from entrypoints.worker import Worker
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.evidence import EvidenceRenderer
from ports.identity import CaptureHost, IdentityVerifier
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.locks import SigningLocks
from ports.one_time_codes import CodeGenerator, CodeHasher
from ports.pdf_inspection import PdfInspector
from ports.pdf_rendering import PdfPageRenderer
from ports.pdf_signing import PdfSigning
from ports.remote_signing import RemoteSigningRoutes
from ports.security import PasswordHasher, Totp
from ports.throttle import AttemptThrottle
from ports.verification import SignatureVerifier
from ports.webhooks import WebhookSender


def _capture_host(verifier: object) -> CaptureHost | None:
    """The identity provider, when it hosts the capture pages itself (the simulator does)."""
    return verifier if isinstance(verifier, CaptureHost) else None


def _identity_simulator(verifier: object, settings: Settings) -> IdentitySimulator | None:
    """The simulator's demo controls: in dev mode, and only when the simulator is the provider."""
    return verifier if settings.dev_mode and hasattr(verifier, "decide_now") else None  # type: ignore[return-value]


class BoundUseCases(containers.DeclarativeContainer):
    """Every use case of ``UseCases`` (the facade) with its ports bound; added below the class."""

    adapters = providers.DependenciesContainer()
    settings = providers.Dependency(instance_of=Settings)

    # One provider per port type; use cases are bound by the types they declare (``bindings``).
    ports = PortBindings({
        Clock: adapters.clock,
        IdGenerator: adapters.ids,
        PasswordHasher: adapters.password_hasher,
        Totp: adapters.totp,
        AttemptThrottle: adapters.throttle,
        KeyVault: adapters.vault,
        CertificateAuthority: adapters.ca,
        CodeGenerator: adapters.code_generator,
        CodeHasher: adapters.code_hasher,
        DocumentStore: adapters.document_store,
        PdfInspector: adapters.pdf_inspector,
        PdfPageRenderer: adapters.page_renderer,
        PdfSigning: adapters.pdf_signing,
        SigningLocks: adapters.locks,
        EvidenceRenderer: adapters.evidence_renderer,
        SignatureVerifier: adapters.signature_verifier,
        IdentityVerifier: adapters.identity_verifier,
        WebhookSender: adapters.webhook_sender,
        IntakePolicy: providers.Callable(IntakePolicy.megabytes, settings.provided.max_upload_mb),
        KeyType: providers.Callable(KeyType, settings.provided.key_type),
        LcpIdentityCheckPolicy: providers.Callable(LcpIdentityCheckPolicy,
                                                   required=settings.provided.lcp_require_identity_check),
        DestinationPolicy: providers.Callable(DestinationPolicy, allow_private=settings.provided.webhooks_allow_private),
        RemoteSigningRoutes: adapters.remote_signing,
    }, unit_of_work=adapters.uow.provider)
    # The signing ceremony's ports, one object (``sign``, ``request_signing_code``, ``finalise_signature``),
    # itself built by type.
    ports.by_type[SigningPorts] = ports.bind(SigningPorts)

    # Plain settings have no type of their own: given explicitly, to the use cases that take them.
    explicit = {
        lcp_registration.accept_terms_and_issue: {"current_terms_version": settings.provided.lcp_terms_version},
        retention.apply_retention: {"document_retention_days": settings.provided.document_retention_days,
                                    "evidence_retention_days": settings.provided.evidence_retention_days},
        archives.archive_status: {"archive_renewal_margin_days": settings.provided.archive_renewal_margin_days},
        archives.renew_archives: {"archive_renewal_margin_days": settings.provided.archive_renewal_margin_days},
    }

    # QCP enrollment (guide, part 1): one object, one method per screen; its ports given explicitly.
    qcp = providers.Singleton(
        QcpEnrollmentUseCases, uow=adapters.uow.provider, clock=adapters.clock, ids=adapters.ids,
        code_generator=adapters.code_generator, code_hasher=adapters.code_hasher, verifier=adapters.identity_verifier,
        request_renderer=providers.Singleton(PdfCertificateRequestDocument), documents=adapters.document_store,
        pdf_signing=adapters.pdf_signing, vault=adapters.vault, ca=adapters.ca,
        settings=providers.Callable(qcp_settings, settings))

    # What the pages need beside use cases (``UseCases``' ``Provided`` slots).
    clock = adapters.clock
    page_renderer = adapters.page_renderer
    pdf_inspector = adapters.pdf_inspector
    certificate_authority = adapters.ca
    timestamp_responder = adapters.timestamp_responder
    capture_host = providers.Callable(_capture_host, adapters.identity_verifier)
    identity_simulator = providers.Callable(_identity_simulator, adapters.identity_verifier, settings)
    dev_outbox = providers.Callable(functools.partial, read_outbox, settings.provided.outbox_dir)


for _name, _slot in UseCases.use_cases().items():
    setattr(BoundUseCases, _name, BoundUseCases.ports.bind(
        _slot.function, **BoundUseCases.explicit.get(_slot.function, {})))


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
    pdf_signing = providers.Singleton(pyhanko_signing, vault=vault, timestamp_authority=timestamp_authority,
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
    use_cases = providers.Container(BoundUseCases, adapters=adapters, settings=settings)
    # What web handlers receive: the same use cases, typed.
    facade = providers.Singleton(UseCases, use_cases)

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
    # A notification that never reaches a collection's signer is told to the preparer; a
    # registration's code that never arrives, to the registrant (on the code page).
    job_failure_handlers = providers.Dict(
        notify=providers.Factory(make_notify_failure_handler, use_cases.record_delivery_failure.provider,
                                 use_cases.record_registration_delivery_failure.provider,
                                 use_cases.qcp.provided.record_delivery_failure),
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
        from entrypoints.composition.real_adapters import RealAdapters

        adapters = RealAdapters(settings=providers.Object(settings))
        # Built now so that a configuration unable to send (the dev outbox outside dev
        # mode, a provider without credentials) stops every process at start, not at the
        # first code a signer waits for.
        adapters.sms_sender()
        adapters.mailer()
    return Container(settings=providers.Object(settings), adapters=adapters)
