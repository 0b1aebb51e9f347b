"""EU trusted lists (ETSI TS 119 612 XML): which CA certificates are granted as qualified.

Only what verification needs is read: services of type CA/QC whose current status is
granted (or the pre-eIDAS "accredited"/"undersupervision"), with their X.509 certificates.
The list's own XML signature is not checked here: the operator configures a file they
fetched and checked; the report names that file as the source of trust.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["TrustedList", "load_trusted_list"]

CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
_GRANTED = {
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision",
}


class TrustedList:
    def __init__(self, source: str, qualified_ca_certificates: set[bytes]) -> None:
        self.source = source
        self.qualified_ca_certificates = frozenset(qualified_ca_certificates)

    def grants(self, ca_der: bytes) -> bool:
        return ca_der in self.qualified_ca_certificates


def load_trusted_list(path: Path) -> TrustedList:
    root = ET.parse(path).getroot()
    granted: set[bytes] = set()
    for info in root.iterfind(".//{*}ServiceInformation"):
        kind = (info.findtext("{*}ServiceTypeIdentifier") or "").strip()
        status = (info.findtext("{*}ServiceStatus") or "").strip()
        if kind != CA_QC or status not in _GRANTED:
            continue
        for element in info.iterfind(".//{*}X509Certificate"):
            text = "".join((element.text or "").split())
            if text:
                granted.add(base64.b64decode(text))
    scheme = root.findtext(".//{*}SchemeTerritory") or "?"
    return TrustedList(f"{Path(path).name} ({scheme})", granted)
