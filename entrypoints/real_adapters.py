"""The real adapters, chosen from configuration. Imported only when not running on fakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from dependency_injector import containers, providers

from adapters.ca.builtin import BuiltinCertificateAuthority
from adapters.identity.registry import load_identity_verifier
from adapters.isolation.pool import BoundedProcessPool
from adapters.keyvault.software import open_software_vault
from adapters.messaging.outbox import OutboxMailer
from adapters.messaging.registry import SmsProviderUnknown, load_sms_sender
from adapters.messaging.smtp import SmtpMailer
from adapters.pdf.evidence_report import PlainPdfEvidenceRenderer
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.persistence.database import open_database
from adapters.persistence.jobs import PonyJobStore
from adapters.persistence.unit_of_work import PonyUnitOfWork
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.totp import PyotpTotp
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.storage.file_locks import FileLocks
from adapters.storage.filesystem import FilesystemDocumentStore
from adapters.system.clock import SystemClock
from adapters.system.ids import RandomIds
from adapters.system.throttle import InProcessThrottle
from adapters.timestamping.http_client import HttpTimestampClient
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from entrypoints.ceremony_wiring import make_verifier
from entrypoints.pki_config import BuiltinTsa, ca_settings, load_or_create_secret
from entrypoints.settings import ConfigurationError, Settings
from ports.identity import IdentityProviderConfig
from ports.messaging import SmsProviderConfig


def _database(settings: Settings) -> Iterator[object]:
    db = open_database(settings.resolved_database_url)
    try:
        yield db
    finally:
        db.disconnect()


def _mailer(settings: Settings, clock: object) -> object:
    if settings.mail_backend == "smtp":
        return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                          username=settings.smtp_username or None, password=settings.smtp_password or None,
                          sender=settings.mail_sender)
    return OutboxMailer(settings.outbox_dir, clock=clock)


# The settings each built-in SMS provider takes its options from; a plug-in's come from
# SEING_SMS_OPTION_<NAME> (Settings.sms_options).
_SMS_PROVIDER_SETTINGS = {
    "brevo": {"api_key": "brevo_api_key"},
    "twilio": {"account_sid": "twilio_account_sid", "auth_token": "twilio_auth_token"},
}


def _sms_sender(settings: Settings, clock: object) -> object:
    """The provider SEING_SMS_BACKEND names, found through the ``seing.sms_senders`` entry
    points; a configuration that cannot send stops the start here."""
    backend = settings.sms_backend
    if backend == "outbox" and not settings.dev_mode:
        # Codes written to a folder on the server reach no signer: refuse rather than
        # let every level 2-3 signature and LCP registration wait for an SMS that never comes.
        raise ConfigurationError(
            "SEING_SMS_BACKEND=outbox only keeps text messages on this server, for development; "
            "with SEING_DEV_MODE=false choose a provider: SEING_SMS_BACKEND=brevo or twilio")
    own = _SMS_PROVIDER_SETTINGS.get(backend, {})
    missing = [f"SEING_{name.upper()}" for name in own.values() if not getattr(settings, name)]
    if missing:
        raise ConfigurationError(f"SEING_SMS_BACKEND={backend} needs {' and '.join(missing)}")
    options = {**dict(settings.sms_options), **{option: getattr(settings, name) for option, name in own.items()}}
    config = SmsProviderConfig(clock=clock, sender_name=settings.sms_sender_name,  # type: ignore[arg-type]
                               api_url=settings.sms_api_url, timeout_seconds=settings.sms_timeout_seconds,
                               outbox_dir=settings.outbox_dir, options=options)
    try:
        return load_sms_sender(backend, config)
    except SmsProviderUnknown as error:
        raise ConfigurationError(f"invalid value for SEING_SMS_BACKEND: {error}") from None
    except ValueError as error:
        raise ConfigurationError(f"SEING_SMS_BACKEND={backend}: {error} (see SEING_SMS_SENDER_NAME, "
                                 "SEING_SMS_API_URL and the provider's credentials)") from None


def _pdf_pool(settings: Settings) -> Iterator[BoundedProcessPool | None]:
    if settings.pdf_workers == 0:
        yield None
        return
    pool = BoundedProcessPool(workers=settings.pdf_workers, memory_mb=settings.pdf_memory_mb,
                              cpu_seconds=settings.pdf_timeout_seconds, timeout_seconds=settings.pdf_timeout_seconds,
                              preload=("adapters.pdf.inspection", "adapters.pdf.rendering",
                                       "adapters.signing.pyhanko_signing"))
    try:
        yield pool
    finally:
        pool.close()


def _vault(settings: Settings) -> object:
    if settings.key_vault == "pkcs11":
        # Imported here: python-pkcs11 loads the HSM's module only when configured.
        from adapters.keyvault.pkcs11 import Pkcs11KeyVault

        return Pkcs11KeyVault(settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_pin)
    return open_software_vault(settings.keys_dir, configured_kek=settings.kek or None,
                               key_file=settings.data_dir / "kek", previous_keks=[settings.kek_previous])


def _code_hasher(settings: Settings) -> HmacCodeHasher:
    return HmacCodeHasher.from_secret(load_or_create_secret(settings.otp_key, settings.data_dir / "otp.key"))


def _timestamp_authority(settings: Settings, builtin: BuiltinTsa) -> object:
    if settings.tsa_url:
        return HttpTimestampClient(settings.tsa_url, settings.tsa_timeout_seconds)
    return builtin


def _identity_verifier(settings: Settings, clock: object) -> object:
    return load_identity_verifier(settings.identity_provider, IdentityProviderConfig(
        public_url=settings.resolved_public_url, clock=clock, storage_dir=settings.identity_dir,  # type: ignore[arg-type]
        decision_delay=timedelta(seconds=settings.identity_decision_delay_seconds),
        image_retention=timedelta(hours=settings.identity_image_retention_hours)))


class RealAdapters(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    throttle = providers.Singleton(InProcessThrottle)
    totp = providers.Singleton(PyotpTotp)
    database = providers.Resource(_database, settings=settings)
    uow = providers.Factory(PonyUnitOfWork, db=database, clock=clock)
    job_store = providers.Singleton(PonyJobStore, db=database)
    mailer = providers.Singleton(_mailer, settings=settings, clock=clock)
    sms_sender = providers.Singleton(_sms_sender, settings, clock)
    vault = providers.Singleton(_vault, settings)
    ca = providers.Singleton(BuiltinCertificateAuthority, vault, settings.provided.pki_dir,
                             settings.provided.resolved_public_url, clock=clock,
                             settings=providers.Callable(ca_settings, settings))
    # The built-in TSA answers /pki/tsa always; the platform stamps through it unless a remote one is set.
    timestamp_responder = providers.Singleton(BuiltinTsa, vault, ca, clock)
    timestamp_authority = providers.Singleton(_timestamp_authority, settings, timestamp_responder)
    revocation_source = providers.Singleton(CaRevocationSource, ca)
    pdf_pool = providers.Resource(_pdf_pool, settings)
    pdf_signing = providers.Singleton(PyHankoPdfSigning, vault=vault, timestamp_authority=timestamp_authority,
                                      revocation_source=revocation_source, isolation=pdf_pool)
    identity_verifier = providers.Singleton(_identity_verifier, settings, clock)
    code_generator = providers.Singleton(PyotpCodeGenerator, clock)
    code_hasher = providers.Singleton(_code_hasher, settings)
    document_store = providers.Singleton(FilesystemDocumentStore, settings.provided.documents_dir)
    pdf_inspector = providers.Singleton(PyHankoPdfiumInspector, pdf_pool,
                                        inflate_limit=providers.Callable(lambda s: s.pdf_inflate_limit_mb * 1024 * 1024,
                                                                         settings),
                                        max_pages=settings.provided.pdf_max_pages)
    page_renderer = providers.Singleton(PdfiumPageRenderer, pdf_pool)
    locks = providers.Singleton(FileLocks, providers.Callable(lambda s: s.data_dir / "locks", settings))
    evidence_renderer = providers.Singleton(PlainPdfEvidenceRenderer)
    signature_verifier = providers.Singleton(make_verifier, ca, settings.provided.trusted_list_file)
    webhook_sender = providers.Singleton(HttpxWebhookSender, timeout=settings.provided.webhooks_timeout_seconds)
