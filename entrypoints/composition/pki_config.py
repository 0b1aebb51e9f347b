"""Settings → the built-in CA's own settings, and the secrets the composition root loads."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

from adapters.ca.builtin import BuiltinCaSettings
from domain.model.pki import KeyType
from domain.services.qcp_enrollment import OfficerValidation, QcpSettings
from entrypoints.settings import Settings


def ca_settings(settings: Settings) -> BuiltinCaSettings:
    return BuiltinCaSettings(
        organization=settings.ca_organization,
        siren=settings.ca_siren or None,
        ca_key_type=KeyType(settings.ca_key_type),
        lcp_validity=timedelta(days=settings.lcp_validity_days),
        qcp_validity=timedelta(days=settings.qcp_validity_days),
        one_time_validity=timedelta(minutes=settings.one_time_validity_minutes),
        qc_pds_url=settings.qc_pds_url or None,
        publication_url=settings.pki_publication_url or None,
        qcp_requires_compliant_urls=not settings.dev_mode,
    )


def load_or_create_secret(configured: str, path: Path) -> str:
    """A configured secret, or one kept in a 0600 file created on first start."""
    if configured:
        return configured
    if path.exists():
        return path.read_text("ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def qcp_settings(settings: Settings) -> QcpSettings:
    return QcpSettings(
        public_url=settings.resolved_public_url,
        terms_version=settings.lcp_terms_version,
        privacy_version=settings.privacy_version,
        officer_validation=OfficerValidation(settings.qcp_officer_validation),
        image_retention=timedelta(hours=settings.identity_image_retention_hours),
        key_type=KeyType(settings.key_type),
        certificate_validity=timedelta(days=settings.qcp_validity_days),
        validity_years=max(1, settings.qcp_validity_days // 365),
    )


def publication_warnings(settings: Settings) -> list[str]:
    """The start-up warnings about the CA's public addresses (empty when they are compliant)."""
    from domain.model.pki import publication_problems

    public_url = settings.resolved_public_url
    problems = publication_problems(public_url=public_url, qc_pds_url=settings.qc_pds_url or f"{public_url}/pki/pds",
                                    publication_url=(settings.pki_publication_url or public_url).rstrip("/"))
    if not problems:
        return []
    consequence = ("dev mode: QCP-n certificates are still issued, but would not comply" if settings.dev_mode
                   else "QCP-n certificates will be refused until this is fixed")
    return [f"WARNING: {p.rule}; now {p.url} ({consequence})" for p in problems]
