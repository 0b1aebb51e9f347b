"""The SignedData our signer assembles from DER is the one pyHanko would have built.

``VaultBackedSigner._package_signature`` writes the CMS from parts encoded once per
certificate; pyHanko's own assembly (asn1crypto objects) is the reference it must match,
field for field, with and without unsigned attributes, for EC and RSA keys.
"""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import cms, x509
from pyhanko.sign import signers
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute

from adapters.shared.der import set_of
from adapters.signing.pyhanko_signing import VaultBackedSigner, signing_certificate_v2_attribute
from domain.model.pki import KeyType


def _signer(pki, key_type: KeyType) -> VaultBackedSigner:
    issued = pki.issue_signer("Chloé", "Dubois", key_type)
    identity = pki.identity(issued)
    cert = x509.Certificate.load(identity.certificate)
    return VaultBackedSigner(vault=pki.vault, key_ref=identity.key_ref, signing_cert=cert,
                             chain=[x509.Certificate.load(d) for d in identity.chain])


def _signed_attrs(signer: VaultBackedSigner, digest: bytes) -> cms.CMSAttributes:
    return cms.CMSAttributes.load(set_of(sorted([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
        cms.CMSAttribute({"type": "message_digest", "values": [digest]}).dump(),
        simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(signer.signing_cert)).dump(),
    ])))


def _unsigned_attrs() -> cms.CMSAttributes:
    token = cms.ContentInfo({"content_type": "data", "content": b"a stand-in for a time-stamp token"})
    return cms.CMSAttributes([cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})])


def _comparable(info: cms.ContentInfo) -> dict:
    native = info.native
    signed_data = native["content"]
    # A SET OF: pyHanko writes its certificates in hash-set order, we in DER order.
    signed_data["certificates"] = sorted(c.dump() for c in info["content"]["certificates"])
    return native


def _not_called(*_args, **_kwargs):
    raise AssertionError("pyHanko's assembly was used")


@pytest.mark.parametrize("key_type", [KeyType.EC_P256, KeyType.RSA_3072])
@pytest.mark.parametrize("with_unsigned", [False, True], ids=["B-B", "with unsigned attributes"])
def test_our_signed_data_is_the_one_pyhanko_builds(pki, key_type, with_unsigned, monkeypatch):
    signer = _signer(pki, key_type)
    reference = signers.Signer._package_signature
    signed_attrs = _signed_attrs(signer, hashlib.sha256(b"the document").digest())
    arguments = dict(digest_algorithm="sha256", cms_version="v1", signed_attrs=signed_attrs,
                     signature=b"\x30\x06\x02\x01\x01\x02\x01\x02",
                     unsigned_attrs=_unsigned_attrs() if with_unsigned else None,
                     encap_content_info={"content_type": "data"})

    with monkeypatch.context() as patched:  # ours, not pyHanko's by a fallback
        patched.setattr(signers.Signer, "_package_signature", _not_called)
        ours = signer._package_signature(**arguments)
    theirs = reference(signer, **arguments)

    assert _comparable(cms.ContentInfo.load(ours.dump())) == _comparable(theirs)
    assert len(ours.dump()) == len(theirs.dump())
    assert len(ours["content"]["certificates"]) == 1 + len(pki.identity(pki.signer).chain)


def test_a_content_type_other_than_data_is_left_to_pyhanko(pki):
    signer = _signer(pki, KeyType.EC_P256)
    signed_attrs = _signed_attrs(signer, hashlib.sha256(b"x").digest())
    encap = {"content_type": "tst_info"}

    ours = signer._package_signature(digest_algorithm="sha256", cms_version="v3", signed_attrs=signed_attrs,
                                     signature=b"\x00" * 8, unsigned_attrs=None, encap_content_info=encap)

    assert ours["content"]["version"].native == "v3"
    assert ours["content"]["encap_content_info"]["content_type"].native == "tst_info"


def test_the_signed_attributes_are_content_type_digest_and_signing_certificate(pki):
    import asyncio

    signer = _signer(pki, KeyType.EC_P256)
    digest = hashlib.sha256(b"the document").digest()

    attrs = asyncio.run(signer.signed_attrs(digest, "sha256", use_pades=True))

    assert attrs.dump() == _signed_attrs(signer, digest).dump()
    assert {a["type"].native: a["values"][0].native for a in attrs}["message_digest"] == digest


@pytest.mark.parametrize("key_type", [KeyType.EC_P256, KeyType.RSA_3072])
def test_our_signing_certificate_attribute_is_the_one_pyhanko_builds(pki, key_type):
    identity = pki.identity(pki.issue_signer("Élise", "Moreau", key_type))
    theirs = simple_cms_attribute("signing_certificate_v2",
                                  as_signing_certificate_v2(x509.Certificate.load(identity.certificate))).dump()

    assert signing_certificate_v2_attribute(identity.certificate) == theirs
