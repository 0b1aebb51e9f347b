"""The real adapters, chosen from configuration. Imported only when not running on fakes.

Where the choice is between ways known here (the built-in TSA or a provider's, PDF work in a
process pool or inline) it is a ``providers.Selector`` on a setting; where it is open (mailers,
SMS senders, document stores, key vaults, CAs, identity providers) the setting names a
plug-in found through its entry-point group (``_provider``).
"""

from __future__ import annotations

import functools
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from dependency_injector import containers, providers

from adapters.identity.registry import load_identity_verifier
from adapters.isolation.pool import BoundedProcessPool
from adapters.messaging.registry import SmsProviderUnknown, load_sms_sender
from adapters.pdf.evidence_report import PlainPdfEvidenceRenderer
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.persistence.database import open_database
from adapters.persistence.jobs import PonyJobStore
from adapters.persistence.unit_of_work import PonyUnitOfWork
from adapters.plugins import ProviderUnknown, load_provider
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.totp import PyotpTotp
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.fallback_revocation import FallbackRevocationSource
from adapters.signing.http_revocation import HttpRevocationSource
from adapters.signing.process_pool import ProcessPoolPdfSigning
from adapters.storage.file_locks import FileLocks
from adapters.system.clock import SystemClock
from adapters.system.ids import RandomIds
from adapters.system.throttle import InProcessThrottle
from adapters.timestamping.inprocess import BuiltinTsa
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from entrypoints.composition.ceremony_wiring import make_verifier, pyhanko_signing
from entrypoints.composition.pki_config import ca_settings, load_or_create_secret
from entrypoints.composition.remote_signing_config import remote_signing_routes
from entrypoints.settings import ConfigurationError, Settings
from ports.identity import ENTRY_POINT_GROUP as IDENTITY_GROUP
from ports.identity import IdentityProviderConfig
from ports.messaging import SMS_SENDERS_ENTRY_POINT_GROUP, SmsProviderConfig
from ports.providers import ProviderConfig

if TYPE_CHECKING:
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning


def _database(settings: Settings) -> Iterator[object]:
    db = open_database(settings.resolved_database_url)
    try:
        yield db
    finally:
        db.disconnect()


# For each provider group: the setting that names the provider, the field of plug-in options, and,
# per built-in, which named setting fills which of its options.
_PROVIDER_SETTINGS: dict[str, tuple[str, str, dict[str, dict[str, str]]]] = {
    "seing.mailers": ("mail_backend", "mail_options", {
        "smtp": {"host": "smtp_host", "port": "smtp_port", "security": "smtp_security",
                 "username": "smtp_username", "password": "smtp_password", "sender": "mail_sender"},
        "outbox": {"outbox_dir": "outbox_dir"}}),
    "seing.document_stores": ("document_store", "document_store_options", {
        "filesystem": {"root": "documents_dir"},
        "s3": {"bucket": "s3_bucket", "endpoint_url": "s3_endpoint_url", "region": "s3_region",
               "access_key_id": "s3_access_key_id", "secret_access_key": "s3_secret_access_key",
               "prefix": "s3_prefix", "server_side_encryption": "s3_server_side_encryption",
               "kms_key_id": "s3_kms_key_id", "addressing_style": "s3_addressing_style"}}),
    "seing.key_vaults": ("key_vault", "key_vault_options", {
        "software": {"kek": "kek", "kek_previous": "kek_previous"},
        "pkcs11": {"module": "pkcs11_module", "token_label": "pkcs11_token_label", "pin": "pkcs11_pin"}}),
    "seing.certificate_authorities": ("certificate_authority", "certificate_authority_options", {}),
    "seing.timestamp_authorities": ("timestamp_authority", "timestamp_authority_options", {
        "http": {"url": "tsa_url", "timeout_seconds": "tsa_timeout_seconds"}}),
    "seing.remote_signing_services": ("remote_signing", "remote_signing_options", {}),
}


def selected_providers(settings: Settings) -> dict[str, str]:
    """Which provider of each group the configuration selects (for `seing plugins`)."""
    selected = {group: getattr(settings, spec[0]) for group, spec in _PROVIDER_SETTINGS.items()}
    selected["seing.timestamp_authorities"] = _timestamp_authority_name(settings)
    selected[SMS_SENDERS_ENTRY_POINT_GROUP] = settings.sms_backend
    selected[IDENTITY_GROUP] = settings.identity_provider
    return selected


def _timestamp_authority_name(settings: Settings) -> str:
    return settings.timestamp_authority or ("http" if settings.tsa_url else "builtin")


def _provider(group: str, settings: Settings, clock: object, /, *, name: str | None = None, **extra: object) -> object:
    """The provider of ``group`` the configuration names, found through its entry points; a
    configuration that cannot build it stops the start here, naming the setting."""
    name_setting, options_field, builtins = _PROVIDER_SETTINGS[group]
    name = name or getattr(settings, name_setting)
    own = builtins.get(name, {})
    options = {**dict(getattr(settings, options_field)),
               **{option: str(getattr(settings, setting)) for option, setting in own.items()}}
    config = ProviderConfig(clock=clock, data_dir=settings.data_dir.resolve(),  # type: ignore[arg-type]
                            public_url=settings.resolved_public_url, options=options, **extra)  # type: ignore[arg-type]
    try:
        return load_provider(group, name, config)
    except ProviderUnknown as error:
        raise ConfigurationError(f"invalid value for {_env(name_setting)}: {error}") from None
    except ValueError as error:
        where = ", ".join(f"{option} from {_env(setting)}" for option, setting in own.items()) or \
            f"{_env(options_field[:-len('_options')])}_OPTION_<NAME>"
        raise ConfigurationError(f"{_env(name_setting)}={name}: {error} ({where})") from None


def _env(setting: str) -> str:
    return f"SEING_{setting.upper()}"


def _mailer(settings: Settings, clock: object) -> object:
    if settings.mail_backend == "outbox" and not settings.dev_mode:
        # As for SMS: invitations, reminders and codes written to a folder reach no one.
        raise ConfigurationError(
            "SEING_MAIL_BACKEND=outbox only keeps emails on this server, for development; "
            "with SEING_DEV_MODE=false choose a mail server: SEING_MAIL_BACKEND=smtp and SEING_SMTP_HOST")
    return _provider("seing.mailers", settings, clock)


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


def _pdf_pool(settings: Settings) -> Iterator[BoundedProcessPool]:
    pool = BoundedProcessPool(workers=settings.pdf_workers, memory_mb=settings.pdf_memory_mb,
                              cpu_seconds=settings.pdf_timeout_seconds, timeout_seconds=settings.pdf_timeout_seconds,
                              preload=("adapters.pdf.inspection", "adapters.pdf.rendering",
                                       "adapters.signing.pyhanko_signing"))
    try:
        yield pool
    finally:
        pool.close()


def _pdf_isolation(settings: Settings) -> str:
    """PDF work in a pool of limited processes, or (SEING_PDF_WORKERS=0) in this process."""
    return "pool" if settings.pdf_workers else "inline"


def _scratch_dir(settings: Settings) -> Path:
    """Temporary files of the signing path: on the data disk, not in a /tmp that may be RAM."""
    directory = settings.data_dir / "scratch"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _signing_choice(settings: Settings) -> str:
    return "inline" if settings.signing_workers == 0 else "pool"


class _BuiltOnFirstUse:
    """Stands for the object ``build()`` returns, built at the first attribute read (once, whatever
    the threads): the pool's local adapter, so that starting a web process does not import pyHanko."""

    def __init__(self, build: Callable[[], object]) -> None:
        self._build, self._built, self._lock = build, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
        return getattr(self._built, name)


def _signing_pool(settings: Settings, here: Callable[[], PyHankoPdfSigning], scratch_dir: Path) -> Iterator[object]:
    pool = ProcessPoolPdfSigning(factory=functools.partial(signing_in_a_worker, settings),
                                 local=_BuiltOnFirstUse(here),  # type: ignore[arg-type]
                                 workers=settings.signing_workers, scratch_dir=scratch_dir)
    try:
        yield pool
    finally:
        pool.close()


def signing_in_a_worker(settings: Settings) -> PyHankoPdfSigning:
    """The signing adapter of one pool worker, built there from the settings (keys, CA and TSA
    opened by that process); the intake's dry run stays in the caller, so no PDF pool here."""
    adapters = RealAdapters(settings=providers.Object(settings))
    return pyhanko_signing(vault=adapters.vault(), timestamp_authority=adapters.timestamp_authority(),
                             revocation_source=adapters.revocation_source(), clock=adapters.clock(),
                             scratch_dir=_scratch_dir(settings))


def _vault(settings: Settings, clock: object) -> object:
    return _provider("seing.key_vaults", settings, clock)


def _document_store(settings: Settings, clock: object) -> object:
    return _provider("seing.document_stores", settings, clock)


def _certificate_authority(settings: Settings, clock: object, vault: object) -> object:
    return _provider("seing.certificate_authorities", settings, clock, vault=vault, settings=ca_settings(settings))


def _code_hasher(settings: Settings) -> HmacCodeHasher:
    return HmacCodeHasher.from_secret(load_or_create_secret(settings.otp_key, settings.data_dir / "otp.key"))


def _remote_timestamp_authority(settings: Settings, clock: object, vault: object, ca: object) -> object:
    return _provider("seing.timestamp_authorities", settings, clock, name=_timestamp_authority_name(settings),
                     vault=vault, ca=ca)


def _timestamp_choice(settings: Settings) -> str:
    return "builtin" if _timestamp_authority_name(settings) == "builtin" else "provider"


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
    vault = providers.Singleton(_vault, settings, clock)
    ca = providers.Singleton(_certificate_authority, settings, clock, vault)
    # The built-in TSA answers /pki/tsa always; the platform stamps through that same instance
    # unless configuration names another provider (SEING_TIMESTAMP_AUTHORITY or SEING_TSA_URL).
    timestamp_responder = providers.Singleton(BuiltinTsa, vault, ca, clock)
    timestamp_authority = providers.Selector(
        providers.Callable(_timestamp_choice, settings),
        builtin=timestamp_responder,
        provider=providers.Singleton(_remote_timestamp_authority, settings, clock, vault, ca))
    # Our CA in-process first; other CAs (signatures already in an uploaded PDF, an outside TSA)
    # over HTTP, so completion gives every signature its validation data wherever it can be had.
    revocation_source = providers.Singleton(FallbackRevocationSource, providers.Singleton(CaRevocationSource, ca),
                                            providers.Singleton(HttpRevocationSource))
    pdf_pool = providers.Selector(providers.Callable(_pdf_isolation, settings),
                                  pool=providers.Resource(_pdf_pool, settings), inline=providers.Object(None))
    scratch_dir = providers.Callable(_scratch_dir, settings)
    pdf_signing_here = providers.Singleton(pyhanko_signing, vault=vault, timestamp_authority=timestamp_authority,
                                           revocation_source=revocation_source, clock=clock, isolation=pdf_pool,
                                           scratch_dir=scratch_dir)
    # SEING_SIGNING_WORKERS=0 signs in the calling process; otherwise a pool of signing processes.
    pdf_signing = providers.Selector(providers.Callable(_signing_choice, settings), inline=pdf_signing_here,
                                     pool=providers.Resource(_signing_pool, settings, pdf_signing_here.provider, scratch_dir))
    identity_verifier = providers.Singleton(_identity_verifier, settings, clock)
    remote_signing = providers.Singleton(remote_signing_routes, settings, clock)
    code_generator = providers.Singleton(PyotpCodeGenerator, clock)
    code_hasher = providers.Singleton(_code_hasher, settings)
    document_store = providers.Singleton(_document_store, settings, clock)
    pdf_inspector = providers.Singleton(PyHankoPdfiumInspector, pdf_pool,
                                        inflate_limit=providers.Callable(lambda s: s.pdf_inflate_limit_mb * 1024 * 1024,
                                                                         settings),
                                        max_pages=settings.provided.pdf_max_pages)
    # Page images of stored documents are rendered from a cached copy on the data disk (by path).
    page_renderer = providers.Singleton(PdfiumPageRenderer, pdf_pool,
                                        cache_dir=providers.Callable(lambda s: _scratch_dir(s) / "pages", settings))
    locks = providers.Singleton(FileLocks, providers.Callable(lambda s: s.data_dir / "locks", settings))
    evidence_renderer = providers.Singleton(PlainPdfEvidenceRenderer)
    signature_verifier = providers.Singleton(make_verifier, ca, clock, settings.provided.trusted_list_file)
    webhook_sender = providers.Singleton(HttpxWebhookSender, timeout=settings.provided.webhooks_timeout_seconds)
