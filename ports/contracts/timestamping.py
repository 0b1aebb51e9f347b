"""Contract suites for ``TimestampAuthority`` and ``TimestampResponder``.

Subclass once per adapter and implement the hooks. Tokens are parsed with asn1crypto
(a pure ASN.1 parser, no cryptography): checking signatures is left to independent
verifiers in the adapters' own tests (``openssl ts -verify``, pyHanko).
"""

from __future__ import annotations

import hashlib

from asn1crypto import cms, core, tsp

from domain.model.errors import TimestampUnavailable
from ports.timestamping import TimestampAuthority, TimestampResponder


class _TimeStampResp(core.Sequence):
    # asn1crypto declares timeStampToken mandatory, but RFC 3161 leaves it out of refusals.
    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def _tst_info(token: bytes) -> tsp.TSTInfo:
    info = cms.ContentInfo.load(token)
    assert info["content_type"].native == "signed_data"
    encap = info["content"]["encap_content_info"]
    assert encap["content_type"].native == "tst_info"
    return encap["content"].parsed


def _certificates(token: bytes) -> list:
    return [c.chosen for c in cms.ContentInfo.load(token)["content"]["certificates"]]


class TimestampAuthorityContract:
    def make_adapter(self) -> TimestampAuthority:
        raise NotImplementedError

    def make_unavailable_adapter(self) -> TimestampAuthority:
        """An adapter whose TSA cannot answer (unreachable server, failing key…)."""
        raise NotImplementedError

    def test_adapter_is_a_timestamp_authority(self) -> None:
        assert isinstance(self.make_adapter(), TimestampAuthority)

    def test_token_stamps_the_given_digest_for_each_algorithm(self) -> None:
        tsa = self.make_adapter()
        for algorithm in ("sha256", "sha384", "sha512"):
            digest = hashlib.new(algorithm, b"lettre de mission").digest()
            info = _tst_info(tsa.timestamp(digest, algorithm))
            assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == algorithm
            assert info["message_imprint"]["hashed_message"].native == digest

    def test_nonce_is_echoed(self) -> None:
        token = self.make_adapter().timestamp(hashlib.sha256(b"x").digest(), "sha256", nonce=123456789)
        assert _tst_info(token)["nonce"].native == 123456789

    def test_each_token_has_its_own_serial_number(self) -> None:
        tsa = self.make_adapter()
        digest = hashlib.sha256(b"same").digest()
        serials = {_tst_info(tsa.timestamp(digest, "sha256"))["serial_number"].native for _ in range(3)}
        assert len(serials) == 3

    def test_token_carries_a_time_and_the_tsa_certificate(self) -> None:
        token = self.make_adapter().timestamp(hashlib.sha256(b"x").digest(), "sha256")
        info = _tst_info(token)
        assert info["gen_time"].native.tzinfo is not None
        eku_holders = [
            c for c in _certificates(token) if c.extended_key_usage_value is not None and "time_stamping" in c.extended_key_usage_value.native
        ]
        assert len(eku_holders) == 1
        signer_id = cms.ContentInfo.load(token)["content"]["signer_infos"][0]["sid"].chosen
        assert signer_id["serial_number"].native == eku_holders[0].serial_number

    def test_digest_of_the_wrong_length_is_refused(self) -> None:
        try:
            self.make_adapter().timestamp(b"\x01" * 20, "sha256")
        except TimestampUnavailable:
            return
        raise AssertionError("a 20-byte sha256 digest was stamped")

    def test_unknown_hash_algorithm_is_refused(self) -> None:
        try:
            self.make_adapter().timestamp(hashlib.md5(b"x").digest(), "md5")
        except TimestampUnavailable:
            return
        raise AssertionError("an md5 digest was stamped")

    def test_unavailable_tsa_raises_timestamp_unavailable(self) -> None:
        try:
            self.make_unavailable_adapter().timestamp(hashlib.sha256(b"x").digest(), "sha256")
        except TimestampUnavailable:
            return
        raise AssertionError("no error although the TSA cannot answer")


class TimestampResponderContract:
    def make_responder(self) -> TimestampResponder:
        raise NotImplementedError

    def policy_oid(self) -> str:
        """The policy the responder stamps under."""
        raise NotImplementedError

    @staticmethod
    def _query(digest: bytes, **extra: object) -> bytes:
        return tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
                **extra,
            }
        ).dump()

    def test_valid_query_is_granted_with_nonce_and_policy(self) -> None:
        digest = hashlib.sha256(b"doc").digest()
        reply = _TimeStampResp.load(self.make_responder().respond(self._query(digest, nonce=42, cert_req=True)))
        assert reply["status"]["status"].native == "granted"
        token = reply["time_stamp_token"].dump()
        info = _tst_info(token)
        assert info["nonce"].native == 42
        assert info["policy"].dotted == self.policy_oid()
        assert info["message_imprint"]["hashed_message"].native == digest
        assert _certificates(token)

    def test_certificates_are_left_out_when_not_requested(self) -> None:
        reply = _TimeStampResp.load(self.make_responder().respond(self._query(hashlib.sha256(b"d").digest())))
        assert reply["status"]["status"].native == "granted"
        assert not reply["time_stamp_token"]["content"]["certificates"].native

    def test_garbage_is_rejected_as_bad_data_format(self) -> None:
        reply = _TimeStampResp.load(self.make_responder().respond(b"not a timestamp query"))
        assert reply["status"]["status"].native == "rejection"
        assert "bad_data_format" in reply["status"]["fail_info"].native
        assert not reply["time_stamp_token"].native

    def test_other_policy_is_rejected(self) -> None:
        query = self._query(hashlib.sha256(b"d").digest(), req_policy="1.2.3.4.5")
        reply = _TimeStampResp.load(self.make_responder().respond(query))
        assert reply["status"]["status"].native == "rejection"
        assert "unaccepted_policy" in reply["status"]["fail_info"].native
