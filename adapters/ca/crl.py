"""Certificate revocation lists of the built-in CA, numbered and republished ahead of expiry.

Three kinds of scope: an issuing CA's CRL (its person and seal certificates, a week); the root's
ARL (the issuing CAs only: issuingDistributionPoint onlyContainsCACerts; until the current TSA
certificate's end, see ``next_update``); and one CRL per
TSA certificate (issuingDistributionPoint naming that certificate's own distribution point,
fresh until that certificate ends).

Why a CRL per TSA certificate: a long-term validator checks the *last* document timestamp of a
file at the current time (EN 319 102-1 §5.6.3: nothing later proves its data existed), so the
status of its TSA certificate must be fresh then, for as long as the file is to validate
offline. The earlier timestamps of a renewed file are validated in the past, and pyHanko 0.38
(`ades_past.past_validate`) slides the control time back only to where the latest status of
their TSA certificate stops being fresh, then re-validates the path there, expiry included. Had
the TSA certificates one status in common (the root's CRL), the status the last timestamp needs
fresh would keep the earlier TSA certificate's fresh too, past its end, and the earlier
timestamp would fail as expired. With a CRL of its own, a TSA certificate's status is fresh until
exactly its end: the time slide lands there, where it is still valid.
"""

from __future__ import annotations

import json
from datetime import datetime

from attrs import frozen
from cryptography import x509

from adapters.ca.issuance import Issuer
from adapters.ca.profiles import crl_urls, tsa_crl_name
from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca, CaState, write_atomic
from domain.model.pki import CaName, CertificateKind, IssuedCertificate, RevocationReason

__all__ = ["REASONS", "CrlPublisher", "CrlScope"]

REASONS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


@frozen
class CrlScope:
    """What one CRL covers: the certificates of ``ca``, or the one TSA certificate ``tsa``."""

    ca: Ca
    tsa: IssuedCertificate | None = None

    @property
    def name(self) -> str:
        return tsa_crl_name(self.tsa.serial) if self.tsa is not None else self.ca.name.value


class CrlPublisher:
    def __init__(self, state: CaState, issuer: Issuer, settings: BuiltinCaSettings) -> None:
        self._state = state
        self._issuer = issuer
        self._settings = settings

    def current(self, scope: CrlScope) -> bytes:
        path = self._state.crl_path(scope.name)
        current = path.read_bytes() if path.exists() else None
        if current is not None:
            crl = x509.load_der_x509_crl(current)
            # Republished once half its life is gone, so relying parties never hold an expired one;
            # the root's also when the TSA has rolled over to a certificate that ends after it.
            if (crl.next_update_utc is not None
                    and crl.next_update_utc > self._issuer.now() + (crl.next_update_utc - crl.last_update_utc) / 2
                    and (scope.tsa is not None or scope.ca.name is not CaName.ROOT
                         or crl.next_update_utc >= self._tsa_end(crl.next_update_utc))):
                return current
        with self._state.exclusive():
            return self.publish(scope)

    def publish_if_missing(self, scope: CrlScope) -> None:
        """Caller holds the exclusive lock."""
        if not self._state.crl_path(scope.name).exists():
            self.publish(scope)

    def next_update(self, scope: CrlScope, now: datetime) -> datetime:
        """A week for the issuing CAs; a TSA certificate's CRL until that certificate's end (a
        week once it is that close); the root's ARL at least ``root_crl_validity`` and up to the
        current TSA certificate's end. The ARL too must be fresh when a file's last timestamp is
        validated: pyHanko checks each signature at the current time first, and a stale status
        of an issuing CA is a general chain failure there (CERTIFICATE_CHAIN_GENERAL_FAILURE),
        which it never retries in the past, while a signer's own stale status sends it to
        validation in the past (EN 319 102-1 §5.6.2.4)."""
        if scope.tsa is not None:
            return max(scope.tsa.not_after, now + self._settings.crl_validity)
        if scope.ca.name is CaName.ROOT:
            return self._tsa_end(now + self._settings.root_crl_validity)
        return now + self._settings.crl_validity

    def _tsa_end(self, at_least: datetime) -> datetime:
        entry = self._state.read().get("tsa")
        if entry is None:  # during the first `seing ca init`, before the TSA exists
            return at_least
        return max(at_least, self._state.load_record(entry["serial"]).not_after)

    def publish(self, scope: CrlScope) -> bytes:
        """Caller holds the exclusive lock."""
        ca = scope.ca
        meta_path = self._state.crl_meta_path(scope.name)
        number = json.loads(meta_path.read_text())["number"] + 1 if meta_path.exists() else 1
        now = self._issuer.now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(ca.certificate.subject).last_update(now)
                   .next_update(self.next_update(scope, now))
                   .add_extension(x509.CRLNumber(number), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),
                                  critical=False))
        point = self._distribution_point(scope)
        if point is not None:
            builder = builder.add_extension(point, critical=True)  # RFC 5280 §5.2.5: critical
        for record in self._revoked(scope):
            entry = (x509.RevokedCertificateBuilder().serial_number(int(record.serial, 16))
                     .revocation_date(record.revoked_at))
            if record.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                entry = entry.add_extension(x509.CRLReason(REASONS[record.revocation_reason]), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        crl_der = self._issuer.sign_crl(ca, builder)
        write_atomic(self._state.crl_path(scope.name), crl_der)
        write_atomic(meta_path, json.dumps({"number": number}).encode())
        return crl_der

    def _revoked(self, scope: CrlScope) -> list[IssuedCertificate]:
        if scope.tsa is not None:
            record = self._state.load_record(scope.tsa.serial)
            return [record] if record.revoked_at is not None else []
        records = [self._state.load_record(serial) for serial in self._state.revoked_serials(scope.ca.name)]
        # The root's ARL leaves out the TSA certificates: each is on its own CRL.
        return [r for r in records if r.kind is not CertificateKind.TSA]

    @staticmethod
    def _distribution_point(scope: CrlScope) -> x509.IssuingDistributionPoint | None:
        if scope.tsa is not None:
            # The names of the certificate's own distribution point, as written in it (an older
            # TSA certificate names the root's CRL: this CRL then reaches it only inside files).
            names = crl_urls(x509.load_der_x509_certificate(scope.tsa.der))
            return x509.IssuingDistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url) for url in names] or None, relative_name=None,
                only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
                indirect_crl=False, only_contains_attribute_certs=False)
        if scope.ca.name is CaName.ROOT:
            return x509.IssuingDistributionPoint(
                full_name=None, relative_name=None, only_contains_user_certs=False, only_contains_ca_certs=True,
                only_some_reasons=None, indirect_crl=False, only_contains_attribute_certs=False)
        return None
