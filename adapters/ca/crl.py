"""Certificate revocation lists of the built-in CA, numbered and republished ahead of expiry."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from cryptography import x509

from adapters.ca.issuance import Issuer
from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca, CaState, write_atomic
from domain.model.pki import CaName, RevocationReason

__all__ = ["REASONS", "CrlPublisher"]

REASONS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


class CrlPublisher:
    def __init__(self, state: CaState, issuer: Issuer, settings: BuiltinCaSettings) -> None:
        self._state = state
        self._issuer = issuer
        self._settings = settings

    def current(self, ca: Ca) -> bytes:
        path = self._state.crl_path(ca.name)
        current = path.read_bytes() if path.exists() else None
        if current is not None:
            next_update = x509.load_der_x509_crl(current).next_update_utc
            # Republish ahead of expiry so relying parties never hold an expired CRL; the root's
            # also when the TSA has rolled over to a certificate that ends after it.
            if (next_update is not None and next_update - self.validity(ca.name) / 2 > self._issuer.now()
                    and (ca.name is not CaName.ROOT or next_update >= self._tsa_end(next_update))):
                return current
        with self._state.exclusive():
            return self.publish(ca)

    def publish_if_missing(self, ca: Ca) -> None:
        """Caller holds the exclusive lock."""
        if not self._state.crl_path(ca.name).exists():
            self.publish(ca)

    def validity(self, issuer: CaName) -> timedelta:
        return self._settings.root_crl_validity if issuer is CaName.ROOT else self._settings.crl_validity

    def next_update(self, issuer: CaName, now: datetime) -> datetime:
        """A week for the issuing CAs; for the root (an ARL: the issuing CAs and the TSA), at least
        ``root_crl_validity`` and up to the current TSA certificate's end. The last document
        timestamp of a file is validated at the current time (EN 319 102-1 §5.6.3: nothing later
        proves its data existed), so offline its TSA certificate's status, this CRL, must still be
        fresh then: the file's proof lasts as long as this CRL, which therefore lasts as long as
        the TSA certificate (archive-timestamp renewal adds a new one before that ends)."""
        if issuer is not CaName.ROOT:
            return now + self._settings.crl_validity
        return self._tsa_end(now + self._settings.root_crl_validity)

    def _tsa_end(self, at_least: datetime) -> datetime:
        entry = self._state.read().get("tsa")
        if entry is None:  # during the first `seing ca init`, before the TSA exists
            return at_least
        return max(at_least, self._state.load_record(entry["serial"]).not_after)

    def publish(self, ca: Ca) -> bytes:
        """Caller holds the exclusive lock."""
        meta_path = self._state.crl_meta_path(ca.name)
        number = json.loads(meta_path.read_text())["number"] + 1 if meta_path.exists() else 1
        now = self._issuer.now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(ca.certificate.subject).last_update(now)
                   .next_update(self.next_update(ca.name, now))
                   .add_extension(x509.CRLNumber(number), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),
                                  critical=False))
        for serial in self._state.revoked_serials(ca.name):
            record = self._state.load_record(serial)
            entry = (x509.RevokedCertificateBuilder().serial_number(int(record.serial, 16))
                     .revocation_date(record.revoked_at))
            if record.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                entry = entry.add_extension(x509.CRLReason(REASONS[record.revocation_reason]), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        crl_der = self._issuer.sign_crl(ca, builder)
        write_atomic(self._state.crl_path(ca.name), crl_der)
        write_atomic(meta_path, json.dumps({"number": number}).encode())
        return crl_der
