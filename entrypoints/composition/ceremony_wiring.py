"""Adapters and worker handlers of the signing ceremony, for the container (kept apart so the
container only gains a few provider lines)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.trusted_list import load_trusted_list
from domain.model.jobs import Job
from domain.model.pki import CaName

if TYPE_CHECKING:
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning
    from adapters.signing.pyhanko_validation import PyHankoSignatureVerifier

__all__ = ["make_job_handler", "make_reader_verifier", "make_verifier", "pyhanko_signing"]


def pyhanko_signing(**kwargs: Any) -> PyHankoPdfSigning:
    """The signing adapter, its module imported at the first build rather than with the container.

    pyHanko's signing and validation halves (with aiohttp, for its timestamp client) take about
    a third of a web process's imports: a process restarted under load answers its first pages
    without them, and pays them at its first signature (the signing pool's processes preload them)."""
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    return PyHankoPdfSigning(**kwargs)


def make_verifier(ca: Any, clock: Any, trusted_list_file: str = "",
                  extra_roots: Sequence[bytes] = ()) -> PyHankoSignatureVerifier:
    """Our CA's root, plus ``extra_roots`` (DER) such as the root ``seing demo collection`` wrote.

    The hierarchy must exist (``seing ca init``); building a verifier does not create a CA."""
    from adapters.signing.pyhanko_validation import PyHankoSignatureVerifier  # imported late: see pyhanko_signing

    cas = {c.name: c.der for c in ca.ca_certificates()}
    return PyHankoSignatureVerifier(
        trust_roots=[cas[CaName.ROOT], *extra_roots], clock=clock, revocation_source=CaRevocationSource(ca),
        ca_certificates=list(cas.values()),
        platform_seal_certificates=[ca.platform_seal().certificate.der],
        trusted_list=load_trusted_list(Path(trusted_list_file)) if trusted_list_file else None)


def make_reader_verifier(*, roots: Sequence[bytes], clock: Any, ca_certificates: Sequence[bytes] = (),
                         platform_seals: Sequence[bytes] = (), revocation_source: Any = None,
                         trusted_list: Any = None) -> PyHankoSignatureVerifier:
    """A verifier that only reads: trust anchors given, revocation from the file's DSS and, when
    given, a read-only source (an instance's published CRLs). ``seing verify`` uses it."""
    from adapters.signing.pyhanko_validation import PyHankoSignatureVerifier  # imported late: see pyhanko_signing

    return PyHankoSignatureVerifier(trust_roots=list(roots), clock=clock, revocation_source=revocation_source,
                                    ca_certificates=list(ca_certificates), platform_seal_certificates=list(platform_seals),
                                    trusted_list=trusted_list)


def make_job_handler(use_case: Callable[..., object], *keys: str) -> Callable[[Job], None]:
    """A worker handler calling ``use_case`` with the job payload's ``keys``."""

    def handle(job: Job) -> None:
        payload = job.spec.payload_dict()
        use_case(**{key: payload[key] for key in keys})

    return handle


def logged_archive_renewal(renew: Callable[..., Any]) -> Callable[[], Any]:
    """The worker's daily archive-timestamp renewal, telling the operator what needs them: each
    failure (the owners get an email from the use case) and each file whose new timestamp already
    ends within the margin (the TSA's certificate is near its end) at error level."""

    def run() -> Any:
        report = renew()
        for outcome in report.failed:
            _archive_log.error("archive-timestamp renewal of %s/%s (%s) failed: %s; retried at the next run",
                               outcome.collection_id, outcome.target, outcome.before[:12], outcome.error)
        for outcome in report.renewed:
            if outcome.proof_ends_within_margin:
                _archive_log.error("archive-timestamp renewal of %s/%s: the new timestamp's proof ends %s, within "
                                   "the renewal margin; roll the TSA's certificate over", outcome.collection_id,
                                   outcome.target, outcome.proof_ends.isoformat() if outcome.proof_ends else "?")
        if report.renewed:
            _archive_log.info("archive-timestamp renewal: %d file(s) renewed", len(report.renewed))
        return report

    return run


_archive_log = logging.getLogger("seing.archives")
