from __future__ import annotations

from asn1crypto import cms, core, tsp


class TimeStampResp(core.Sequence):
    """RFC 3161 TimeStampResp; asn1crypto's own makes the token mandatory, but refusals omit it."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]
