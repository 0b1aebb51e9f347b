"""pyHanko's AdES long-term validation (ETSI EN 319 102-1, `ades_lta_validation`) as the issue
asks for it: offline (nothing fetched), revocation data required for every certificate but the
anchor, the instance's root the only trust anchor.

Run as a program it validates at the wall clock's time, so under libfaketime it validates years
ahead the way a relying party would then: pyHanko reads the wall clock for more than the
validation time it is given (a proof of existence it has no timestamp for is dated "now").

    python -m tests.ceremony.offline_lta ROOT.der FILE.pdf...

prints one JSON object per regular signature: file, field and AdES sub-indication.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

__all__ = ["lta_results", "offline_spec"]


def offline_spec(root_der: bytes, local_knowledge=None) -> SignatureValidationSpec:  # type: ignore[no-untyped-def]
    required = RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    )
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(root_der)]),
        revinfo_policy=CertRevTrustPolicy(required),
    )
    extra = {"local_knowledge": local_knowledge} if local_knowledge is not None else {}
    return SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
        **extra,
    )


def lta_results(pdf: bytes, root_der: bytes, at: datetime | None = None) -> list[tuple[str, str]]:
    """(field name, AdES sub-indication name) for each regular signature, validated at ``at``
    (default: the wall clock's time)."""
    at = at or datetime.now(UTC)
    timing = ValidationTimingInfo(validation_time=at, best_signature_time=at, point_in_time_validation=False)
    spec = PdfSignatureValidationSpec(offline_spec(root_der))
    results = []
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        result = asyncio.run(ades_lta_validation(sig, spec, timing_info=timing))
        results.append((sig.field_name, str(result.ades_subindic)))
    return results


def main(argv: list[str]) -> int:
    root_der = Path(argv[0]).read_bytes()
    for path in argv[1:]:
        for field, indication in lta_results(Path(path).read_bytes(), root_der):
            print(json.dumps({"file": path, "field": field, "indication": indication,
                              "at": datetime.now(UTC).isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
