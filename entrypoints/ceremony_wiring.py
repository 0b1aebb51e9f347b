"""Adapters and worker handlers of the signing ceremony, for the container (kept apart so the
container only gains a few provider lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.signing.pyhanko_validation import PyHankoSignatureVerifier
from adapters.signing.trusted_list import load_trusted_list
from adapters.timestamping.inprocess import InProcessTimestampAuthority
from domain.model.jobs import Job
from domain.model.pki import CaName

__all__ = ["make_job_handler", "make_signing", "make_timestamp_authority", "make_verifier", "webhook_recorder"]


def make_timestamp_authority(vault: Any, ca: Any, clock: Any) -> InProcessTimestampAuthority:
    ca.init_hierarchy()
    return InProcessTimestampAuthority.from_credential(vault=vault, credential=ca.tsa(), clock=clock)


def make_signing(vault: Any, ca: Any, timestamp_authority: Any) -> PyHankoPdfSigning:
    return PyHankoPdfSigning(vault=vault, timestamp_authority=timestamp_authority,
                             revocation_source=CaRevocationSource(ca))


def make_verifier(ca: Any, trusted_list_file: str = "") -> PyHankoSignatureVerifier:
    ca.init_hierarchy()
    cas = {c.name: c.der for c in ca.ca_certificates()}
    return PyHankoSignatureVerifier(
        trust_roots=[cas[CaName.ROOT]], revocation_source=CaRevocationSource(ca), ca_certificates=list(cas.values()),
        platform_seal_certificates=[ca.platform_seal().certificate.der],
        trusted_list=load_trusted_list(Path(trusted_list_file)) if trusted_list_file else None)


def make_job_handler(use_case: Callable[..., object], *keys: str) -> Callable[[Job], None]:
    """A worker handler calling ``use_case`` with the job payload's ``keys``."""

    def handle(job: Job) -> None:
        payload = job.spec.payload_dict()
        use_case(**{key: payload[key] for key in keys})

    return handle


def webhook_recorder() -> Callable[[Job], None]:
    """Webhook events are durable jobs; delivering them is the integrators' issue. Until then the
    job is simply marked done (it stays listed with its payload)."""

    def handle(job: Job) -> None:
        return None

    return handle
