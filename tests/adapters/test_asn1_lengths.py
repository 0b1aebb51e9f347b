"""asn1crypto re-encoded, by force, any value whose definite length ends in the byte 0x80 (it took
that byte for BER's indefinite form): with a time-stamp token of 1,920 bytes inside, a signature
CMS took 10-20 s to write. adapters.shared.asn1_lengths corrects the test; the adapters install it."""

from __future__ import annotations

from typing import Callable

from asn1crypto import algos, cms, core, tsp

import adapters  # noqa: F401  (installs the correction, as any use of an adapter does)
from adapters.shared.asn1_lengths import ends_with_indefinite_length


class _Padded(core.Sequence):
    _fields = [("pad", core.OctetString), ("attribute", cms.CMSAttribute)]


def _signing_certificate_attribute() -> bytes:
    """A signing-certificate-v2 attribute as a TSA writes it: the hash algorithm left at its
    default (SHA-256), so DER omits it and parsing it builds a fresh default value."""
    ess = tsp.ESSCertIDv2({"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "cert_hash": b"\x11" * 32})
    der = ess.dump()
    assert len(der) == 2 + 34  # the default hash algorithm is not in the encoding
    attribute = cms.CMSAttribute({"type": "signing_certificate_v2",
                                  "values": [tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2.load(der)]})]})
    return attribute.dump()


def _padded_to_a_length_ending_in_0x80(build: Callable[[bytes], bytes]) -> bytes:
    """``build(pad)``'s encoding with the first padding that makes its length end in 0x80."""
    for size in range(2000):
        der = build(b"\x00" * size)
        if der[1] == 0x82 and der[3] == 0x80:
            return der
    raise AssertionError("no padding gives a length ending in 0x80")


def _padded_attribute() -> bytes:
    attribute = _signing_certificate_attribute()
    return _padded_to_a_length_ending_in_0x80(
        lambda pad: _Padded({"pad": pad, "attribute": cms.CMSAttribute.load(attribute)}).dump())


def test_a_definite_length_ending_in_0x80_is_not_taken_for_an_indefinite_one():
    assert ends_with_indefinite_length(bytes.fromhex("3080"))
    assert not ends_with_indefinite_length(bytes.fromhex("30820780"))
    assert not ends_with_indefinite_length(bytes.fromhex("308180"))
    # An explicit tag's header comes first: the value's own length decides.
    assert not ends_with_indefinite_length(bytes.fromhex("a0820784" "30820780"))
    assert ends_with_indefinite_length(bytes.fromhex("a080" "3080"))
    # A high tag number (base-128 digits) before the length.
    assert not ends_with_indefinite_length(bytes.fromhex("bf8101" "820780"))
    assert ends_with_indefinite_length(bytes.fromhex("bf8101" "80"))


def test_a_value_of_such_a_length_is_written_as_read_without_being_reencoded():
    der = _padded_attribute()
    value = _Padded.load(der)
    value["attribute"]  # read, as a validator reads a token before it is embedded
    assert value.dump() == der
    # Not re-encoded: the attribute's insides were never parsed, so no default value was built.
    assert value["attribute"]["values"].children is None


def _levels(spec: type[core.Asn1Value], count: int) -> list[type[core.Sequence]]:
    specs = []
    for _ in range(count):
        spec = type("_Level", (core.Sequence,), {"_fields": [("inner", spec)]})
        specs.append(spec)
    return specs


def test_such_a_value_under_new_levels_is_written_once_not_once_per_level():
    """A signature CMS as pyHanko builds it: new levels (SignedData, SignerInfo, the unsigned
    attributes) around a token it read, whose insides (the TSA's signed attributes) lie deep."""
    deep = _levels(cms.CMSAttribute, 8)
    padded_spec = type("_PaddedDeep", (core.Sequence,), {"_fields": [("pad", core.OctetString), ("inner", deep[-1])]})
    inner_der = cms.CMSAttribute.load(_signing_certificate_attribute()).dump()
    for spec in deep:
        inner_der = spec({"inner": spec._fields[0][1].load(inner_der)}).dump()
    token_der = _padded_to_a_length_ending_in_0x80(
        lambda pad: padded_spec({"pad": pad, "inner": deep[-1].load(inner_der)}).dump())
    token = padded_spec.load(token_der)
    reading = token["inner"]
    for _ in range(8):
        reading = reading["inner"]
    reading["values"]  # pyHanko reads the token before embedding it
    outer = token
    for spec in _levels(padded_spec, 4):
        outer = spec({"inner": outer})  # built, not read: asn1crypto encodes these afresh
    calls = 0
    original = core.Sequence._set_contents

    def counting(self, force=False):
        nonlocal calls
        calls += 1
        return original(self, force)

    core.Sequence._set_contents = counting
    try:
        assert outer.dump().endswith(token_der)
    finally:
        core.Sequence._set_contents = original
    # The four new levels encode themselves (asn1crypto does each a few times); the token below
    # them is written from its own bytes. Before the correction it was re-encoded by force, and
    # the default value that re-encoding built deep inside made each of the 17 levels above it
    # encode its children twice: thousands of calls.
    assert calls < 100, calls


def test_a_value_really_encoded_with_an_indefinite_length_is_still_written_as_der():
    ber = bytes.fromhex("3080" "020105" "0000")

    class _One(core.Sequence):
        _fields = [("n", core.Integer)]

    assert _One.load(ber).dump() == bytes.fromhex("3003020105")
