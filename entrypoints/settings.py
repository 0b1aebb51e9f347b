"""Configuration: SEING_* environment variables over an optional TOML file, into attrs classes.

Bad configuration fails at start with a message naming the setting, never later.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal, Mapping

import attrs
import cattrs
from attrs import define, field


class ConfigurationError(Exception):
    """Raised at start-up; the message names the faulty setting."""


def _positive_port(_instance: object, attribute: attrs.Attribute, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValueError(f"{attribute.name} must be between 1 and 65535")


def _between(low: int, high: int):  # type: ignore[no-untyped-def]
    def check(_instance: object, attribute: attrs.Attribute, value: int) -> None:
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be between {low} and {high}")

    return check


def _option_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        value = value.items()
    if isinstance(value, str) or not all(isinstance(pair, (tuple, list)) and len(pair) == 2
                                         for pair in value):  # type: ignore[union-attr]
        raise ValueError("options must be a table of names and values")
    return tuple(sorted((str(k), str(v)) for k, v in value))  # type: ignore[union-attr]


@define(frozen=True)
class Settings:
    data_dir: Path = field(default=Path("var"), converter=Path)
    host: str = "127.0.0.1"
    port: int = field(default=8000, validator=_positive_port)
    public_url: str = ""  # default: http://{host}:{port}
    database_url: str = ""  # default: SQLite file in data_dir
    dev_mode: bool = True
    # Each swappable port names its provider, an entry point of its group (ports/providers.py);
    # a plug-in's own settings come from SEING_<PORT>_OPTION_<NAME> or the TOML table [seing.<port>_options].
    mail_backend: str = "outbox"  # seing.mailers: outbox (development), smtp or a plug-in
    mail_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    document_store: str = "filesystem"  # seing.document_stores: filesystem (data_dir/documents), s3 or a plug-in
    document_store_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    # S3 document store: empty endpoint means AWS; empty keys mean boto3's chain (environment, instance role)
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    s3_server_side_encryption: Literal["", "AES256", "aws:kms"] = ""
    s3_kms_key_id: str = ""
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # An entry point of the group seing.sms_senders: outbox (dev mode only), brevo, twilio or a plug-in
    sms_backend: str = "outbox"
    sms_sender_name: str = "Seing"  # what the phone shows: letters and digits (11 at most) or a number
    sms_api_url: str = ""  # the provider's API base URL; empty: its public one (tests point it at a stub)
    sms_timeout_seconds: float = 10.0
    brevo_api_key: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    # A plug-in provider's own settings: SEING_SMS_OPTION_<NAME> or the TOML table [seing.sms_options].
    # Kept as sorted (name, value) pairs so that Settings stays hashable; a dict is accepted.
    sms_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    mail_sender: str = "Seing <no-reply@seing.local>"
    smtp_host: str = "localhost"
    smtp_port: int = field(default=587, validator=_positive_port)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    worker_poll_seconds: float = 1.0
    # How long a claimed job stays invisible to other workers: a worker that dies mid-job leaves its
    # job to the others after this. Longer than the longest job, or a slow job runs twice.
    worker_lease_seconds: int = field(default=60, validator=_between(5, 3600))
    # Keys and certificates
    key_vault: str = "software"  # seing.key_vaults: software, pkcs11 or a plug-in
    key_vault_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    certificate_authority: str = "builtin"  # seing.certificate_authorities
    certificate_authority_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    kek: str = ""  # base64 of 32 bytes; empty: a 0600 key file in data_dir, created on first start
    kek_previous: str = ""  # the old KEK while a rotation of SEING_KEK finishes
    pkcs11_module: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token_label: str = "seing"
    pkcs11_pin: str = ""
    key_type: Literal["ec-p256", "ec-p384", "rsa-3072"] = "ec-p256"  # end-entity keys
    ca_key_type: Literal["ec-p256", "ec-p384", "rsa-3072"] = "ec-p384"
    ca_organization: str = "Seing"
    ca_siren: str = ""
    lcp_validity_days: int = 3 * 365
    qcp_validity_days: int = 5 * 365
    one_time_validity_minutes: int = 60
    qc_pds_url: str = ""  # default: {public_url}/pki/pds
    pki_publication_url: str = ""  # base of CRL/OCSP/AIA URLs; default: public_url
    lcp_terms_version: str = "cgu-2026-11"
    # LCP registration: verify the identity document (document only) before issuing
    lcp_require_identity_check: bool = False
    # Webhooks to loopback/private/link-local addresses (and over plain http): tests and labs only
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = 10.0
    otp_key: str = ""  # HMAC key for one-time codes; empty: a 0600 key file in data_dir
    # Trusted time: empty tsa_url means the built-in TSA, in process
    tsa_url: str = ""
    timestamp_authority: str = ""  # seing.timestamp_authorities; empty: http when tsa_url is set, else builtin
    timestamp_authority_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    tsa_timeout_seconds: float = 10.0
    # Remote signing (a QTSP through the CSC API): level 3 with the QTSP's keys, for the cabinets named
    remote_signing: str = ""  # seing.remote_signing_services (csc); empty: level 3 uses our QCP-n CA
    remote_signing_options: tuple[tuple[str, str], ...] = field(default=(), converter=_option_pairs)
    remote_signing_cabinets: str = ""  # SIRENs, comma-separated, or "*" for every cabinet
    # Identity checks and QCP enrollment
    identity_provider: str = "simulator"  # an entry point of the group seing.identity_verifiers
    identity_decision_delay_seconds: int = 180  # simulator only
    identity_image_retention_hours: int = 0  # captured images deleted at the decision
    qcp_officer_validation: Literal["automatic", "manual"] = "automatic"
    privacy_version: str = "ppdp-2026-11"
    # Documents
    max_upload_mb: int = field(default=25, validator=_between(1, 200))
    # Untrusted PDFs are read and rendered in worker processes with these limits (0 workers:
    # in the web process, unbounded; for tools only). The memory is each worker's address space.
    pdf_workers: int = field(default=2, validator=_between(0, 32))
    pdf_memory_mb: int = field(default=1536, validator=_between(256, 65536))
    pdf_timeout_seconds: int = field(default=30, validator=_between(1, 3600))
    # Signatures run in this many worker processes per web or worker process, so that a signature
    # never holds the GIL of a process serving requests (0: in the calling process; tools, tests).
    signing_workers: int = field(default=1, validator=_between(0, 64))
    pdf_inflate_limit_mb: int = field(default=512, validator=_between(1, 65536))  # all Flate streams of a file
    pdf_max_pages: int = field(default=2000, validator=_between(1, 1_000_000))
    # Signing ceremony, evidence, verification
    document_retention_days: int = 30  # signed documents are deleted this long after the end
    evidence_retention_days: int = 3653  # the evidence file is kept 10 years
    # Archive-timestamp renewal: a kept PDF is renewed this long before its last document
    # timestamp's proof ends (TSA chain, algorithms); the time left to retry when the TSA is down.
    archive_renewal_margin_days: int = field(default=365, validator=_between(1, 3650))
    trusted_list_file: str = ""  # an EU trusted list (ETSI TS 119 612 XML); empty: nothing is "qualified"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'seing.sqlite3'}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir.resolve() / "outbox"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir.resolve() / "keys"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir.resolve() / "pki"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir.resolve() / "documents"

    @property
    def identity_dir(self) -> Path:
        return self.data_dir.resolve() / "identity"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir.resolve() / "sessions"


_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook(Path, lambda value, _type: Path(value))
_converter.register_structure_hook_func(lambda type_: type_ == tuple[tuple[str, str], ...],
                                       lambda value, _type: _option_pairs(value))


def _parse_bool(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    return value


_converter.register_structure_hook(bool, lambda value, _type: _checked_bool(value))


def _checked_bool(value: object) -> bool:
    parsed = _parse_bool(value)
    if not isinstance(parsed, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return parsed


attrs.resolve_types(Settings)
_FIELDS = {a.name: a for a in attrs.fields(Settings)}


# SEING_<PORT>_OPTION_<NAME> -> the options field it fills.
OPTION_PREFIXES = {f"SEING_{name[:-len('_options')].upper()}_OPTION_": name for name in _FIELDS
                   if name.endswith("_options")}


def _env_name(name: str) -> str:
    return f"SEING_{name.upper()}"


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Read ``SEING_CONFIG`` (TOML, table [seing]) then ``SEING_*`` variables; the environment wins."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    path = config_file or (Path(environ["SEING_CONFIG"]) if environ.get("SEING_CONFIG") else None)
    if path is not None:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("seing", {})
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigurationError(f"cannot read configuration file {path}: {error}") from None
        unknown = sorted(set(table) - set(_FIELDS))
        if unknown:
            raise ConfigurationError(f"unknown setting {unknown[0]!r} in {path}")
        raw.update(table)
    for key, value in environ.items():
        prefix = next((p for p in OPTION_PREFIXES if key.startswith(p) and len(key) > len(p)), None)
        if prefix is not None:
            options = dict(raw.get(OPTION_PREFIXES[prefix]) or {})  # type: ignore[call-overload]
            options[key[len(prefix):].lower()] = value
            raw[OPTION_PREFIXES[prefix]] = options
        elif key.startswith("SEING_") and key != "SEING_CONFIG":
            name = key[len("SEING_"):].lower()
            if name in _FIELDS:
                raw[name] = value
    values: dict[str, object] = {}
    for name, value in raw.items():
        attribute = _FIELDS[name]
        try:
            values[name] = _converter.structure(value, attribute.type)
        except Exception:
            expected = (f"a TOML table of names and values (or {_env_name(name[:-len('_options')])}_OPTION_<NAME> "
                        "variables)") if name.endswith("_options") else _describe(attribute.type)
            raise ConfigurationError(f"invalid value {value!r} for {_env_name(name)}: expected {expected}") from None
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValueError as error:
        field_name = str(error).split(" ", 1)[0]
        raise ConfigurationError(f"invalid value for {_env_name(field_name)}: {error}") from None
    return attrs.evolve(settings, data_dir=settings.data_dir.resolve())


def _describe(type_: object) -> str:
    args = getattr(type_, "__args__", None)
    if args and getattr(type_, "__origin__", None) is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    return {int: "an integer", float: "a number", bool: "true or false", Path: "a path", str: "text"}.get(
        type_, str(type_))  # type: ignore[call-overload]
