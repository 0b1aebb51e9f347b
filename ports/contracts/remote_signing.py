"""Contract every RemoteSigningService must pass. Subclass once per adapter and provide the hooks.

``make_adapter`` returns the service and the e-mail address of a signer it holds a credential
for; ``verify_signature`` is a hook because ports may not import a cryptography library.
"""

from __future__ import annotations

import hashlib

from domain.model.errors import RemoteCredentialMissing, RemoteHashMismatch
from ports.remote_signing import DigestSigner, RemoteSigningService


class RemoteSigningServiceContract:
    def make_adapter(self) -> tuple[RemoteSigningService, str]:
        raise NotImplementedError

    def verify_signature(self, certificate_der: bytes, signature: bytes, digest: bytes,
                         hash_algorithm: str) -> bool:
        """True when ``signature`` is a valid signature of the prehashed ``digest`` by the
        certificate's key."""
        raise NotImplementedError

    @property
    def service(self) -> RemoteSigningService:
        if getattr(self, "_pair", None) is None:
            self._pair = self.make_adapter()
        return self._pair[0]

    @property
    def email(self) -> str:
        self.service  # noqa: B018 - builds the pair
        return self._pair[1]

    # Behaviour ----------------------------------------------------------------------------

    def test_the_signers_credential_comes_with_its_certificate_and_issuers(self) -> None:
        credential = self.service.credential_for(self.email)
        assert credential.certificate[:1] == b"\x30"  # DER
        assert credential.chain, "the issuers travel with the certificate: our B-LT needs them"

    def test_the_address_is_matched_whatever_its_case(self) -> None:
        assert self.service.credential_for(self.email.upper()) == self.service.credential_for(self.email)

    def test_a_signer_the_provider_does_not_know_has_no_credential(self) -> None:
        try:
            self.service.credential_for("personne.inconnue@example.invalid")
        except RemoteCredentialMissing:
            return
        raise AssertionError("a credential for an unknown signer")

    def test_authorised_digests_are_signed_by_the_certificates_key(self) -> None:
        credential = self.service.credential_for(self.email)
        digests = [hashlib.sha256(b"lettre de mission").digest(), hashlib.sha256(b"bilan").digest()]
        sad = self.service.authorize(credential, digests, "sha256")
        signatures = self.service.sign_digests(credential, sad, digests, "sha256")
        assert len(signatures) == 2
        for digest, signature in zip(digests, signatures, strict=True):
            assert self.verify_signature(credential.certificate, signature, digest, "sha256")

    def test_a_digest_the_authorisation_does_not_name_is_refused(self) -> None:
        credential = self.service.credential_for(self.email)
        sad = self.service.authorize(credential, [hashlib.sha256(b"approuve").digest()], "sha256")
        try:
            self.service.sign_digests(credential, sad, [hashlib.sha256(b"autre").digest()], "sha256")
        except RemoteHashMismatch:
            return
        raise AssertionError("a digest signed without its authorisation")

    def test_the_digest_signer_authorises_and_signs_one_digest(self) -> None:
        credential = self.service.credential_for(self.email)
        signer = self.service.signer(credential, None)
        assert isinstance(signer, DigestSigner)
        digest = hashlib.sha256(b"statuts").digest()
        assert self.verify_signature(credential.certificate, signer.sign_digest(digest, "sha256"), digest, "sha256")
