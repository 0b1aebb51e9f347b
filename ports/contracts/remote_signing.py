"""Contract every RemoteSigningService must pass. Subclass once per adapter and provide the hooks.

``make_adapter`` returns the service and the e-mail address of a signer it holds a credential
for; ``verify_signature`` is a hook because ports may not import a cryptography library.
"""

from __future__ import annotations

import hashlib

from domain.model.errors import RemoteCredentialMissing, RemoteHashMismatch
from ports.remote_signing import ConsentingRemoteSigningService, DigestSigner, RemoteSigningService


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


class ConsentingRemoteSigningContract:
    """For providers that authorise through the signer's consent on their page (oauth2code).

    ``make_consenting_adapter`` returns the service and a signer's e-mail; ``consent`` plays the
    signer's browser: given the consent URL, it returns the URL the provider redirected to (with
    ``state`` and ``code``); ``verify_signature`` as in ``RemoteSigningServiceContract``."""

    redirect_uri = "http://127.0.0.1:9/signature/contrat/consentement"

    def make_consenting_adapter(self) -> tuple[ConsentingRemoteSigningService, RemoteSigningService, str]:
        """The same adapter seen through both ports, and the signer's e-mail."""
        raise NotImplementedError

    def consent(self, url: str) -> dict[str, str]:
        """The query of the redirect back (``code``, ``state``) after the signer consented at ``url``."""
        raise NotImplementedError

    def verify_signature(self, certificate_der: bytes, signature: bytes, digest: bytes,
                         hash_algorithm: str) -> bool:
        raise NotImplementedError

    def _token(self, digests: list[bytes], state: str) -> tuple[ConsentingRemoteSigningService, object, str]:
        import base64
        import secrets

        consenting, service, email = self.make_consenting_adapter()
        assert isinstance(consenting, ConsentingRemoteSigningService)
        credential = service.credential_for(email)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        back = self.consent(consenting.consent_url(credential, digests, "sha256", redirect_uri=self.redirect_uri,
                                                   state=state, code_challenge=challenge))
        assert back.get("state") == state, "the provider gives our state back"
        token = consenting.exchange_consent(back["code"], redirect_uri=self.redirect_uri, code_verifier=verifier)
        return consenting, credential, token

    def test_the_consented_digests_are_signed_by_the_certificates_key(self) -> None:
        digests = [hashlib.sha256(b"lettre de mission").digest(), hashlib.sha256(b"bilan").digest()]
        consenting, credential, token = self._token(digests, "etat-1")
        values = consenting.sign_digests_consented(credential, token, digests, "sha256")  # type: ignore[arg-type]
        assert len(values) == 2
        for digest, value in zip(digests, values, strict=True):
            assert self.verify_signature(credential.certificate, value, digest, "sha256")  # type: ignore[attr-defined]

    def test_a_digest_the_consent_does_not_name_is_refused(self) -> None:
        consenting, credential, token = self._token([hashlib.sha256(b"approuve").digest()], "etat-2")
        try:
            consenting.sign_digests_consented(credential, token, [hashlib.sha256(b"autre").digest()],  # type: ignore[arg-type]
                                              "sha256")
        except RemoteHashMismatch:
            return
        raise AssertionError("a digest signed without the signer's consent")
