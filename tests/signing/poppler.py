"""What poppler's pdfsig (NSS underneath) says about each signature, and a check of NSS alone.

poppler 22.12 (Debian 12) misreads a certificate that two signatures of one PDF carry: it hands
NSS each signature's certificates as temporary certificates without copying their DER
(`CERT_NewTempCertificate(..., copyDER=PR_FALSE)`), then frees that DER with the CMS message
while NSS still caches the certificate. The next signature carrying the same certificate is
compared with freed memory, NSS answers SEC_ERROR_REUSED_ISSUER_AND_SERIAL and pdfsig prints
« Unknown issue with Certificate or corrupted data. » for it; the failure drops the stale entry,
so the one after is trusted again (see ARCHITECTURE.md, "pdfsig and a repeated certificate").
`nss_chain_reports` checks each signature's chain with NSS directly (vfychain, one process per
signature, an OCSP answer required for the signer's certificate): the verdict pdfsig would give
without that bug.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

TRUSTED = "Certificate is Trusted."
# What pdfsig 22.12 prints for a signature whose certificate an earlier signature also carried.
REPEATED_CERTIFICATE_SYMPTOM = "Unknown issue with Certificate or corrupted data."


def certificate_verdicts(reports: list[str]) -> list[str]:
    """pdfsig's « Certificate Validation » line of each signature, in the file's order. Document
    timestamps have none: pdfsig 22.12 does not validate them (« Unable to validate this type of
    signature »)."""
    return [m.strip() for report in reports for m in re.findall(r"Certificate Validation: (.*?)$", report, flags=re.M)]


def signature_chains(pdf: bytes) -> list[list[bytes]]:
    """Each signature's certificates as its CMS carries them, the signer's first."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    chains = []
    for signature in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        signer = signature.signer_cert.dump()
        others = [c.chosen.dump() for c in signature.signed_data["certificates"] if c.chosen.dump() != signer]
        chains.append([signer, *others])
    return chains


def nss_chain_reports(
    pdf: bytes, nss_dir: Path, work_dir: Path, vfychain: str, *, require_ocsp: bool = True
) -> list[str]:
    """vfychain's output for each signature's chain: e-mail signer usage (pdfsig's), libpkix and,
    with ``require_ocsp``, the signer's certificate checked by OCSP with an answer required."""
    reports = []
    for number, chain in enumerate(signature_chains(pdf)):
        files = []
        for index, der in enumerate(chain):
            path = work_dir / f"signature{number}-cert{index}.der"
            path.write_bytes(der)
            files.append(str(path))
        revocation = ["-g", "leaf", "-m", "ocsp", "-s", "requireInfo,failIfNoInfo"] if require_ocsp else []
        result = subprocess.run(
            [vfychain, "-d", f"sql:{nss_dir}", "-pp", "-u", "4", *revocation, *files],
            capture_output=True, text=True, timeout=60,
        )
        reports.append(result.stdout + result.stderr)
    return reports
