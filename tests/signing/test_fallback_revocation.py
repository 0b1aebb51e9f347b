from __future__ import annotations

import pytest

from adapters.signing.fallback_revocation import FallbackRevocationSource, NoRevocationData
from ports.pdf_signing import RevocationData, RevocationSource


class _Knows:
    def __init__(self, known: dict[bytes, RevocationData]) -> None:
        self.known = known
        self.asked: list[bytes] = []

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        self.asked.append(certificate)
        return self.known.get(certificate, RevocationData())


class _Unreachable:
    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        raise OSError("no route to the responder")


def test_our_ca_answers_first_and_the_network_only_for_other_cas():
    ours = _Knows({b"our-cert": RevocationData(ocsp_responses=[b"ocsp-ours"])})
    network = _Knows({b"foreign-cert": RevocationData(crls=[b"crl-foreign"])})
    source = FallbackRevocationSource(ours, network)
    assert isinstance(source, RevocationSource)
    assert source.revocation_data(b"our-cert", b"issuer").ocsp_responses == (b"ocsp-ours",)
    assert network.asked == []
    assert source.revocation_data(b"foreign-cert", b"issuer").crls == (b"crl-foreign",)


def test_nothing_known_anywhere_is_empty_and_a_failure_everywhere_is_said():
    assert FallbackRevocationSource(_Knows({})).revocation_data(b"c", b"i") == RevocationData()
    with pytest.raises(NoRevocationData, match="no route to the responder"):
        FallbackRevocationSource(_Knows({}), _Unreachable()).revocation_data(b"c", b"i")
