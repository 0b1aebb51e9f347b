"""In-memory certificate records, for tests and the demo container."""

from __future__ import annotations

from datetime import datetime

from domain.model.certificates import Certificate
from domain.model.errors import CertificateNotFound, UniqueViolation
from domain.model.pki import CertificatePolicy

__all__ = ["InMemoryCertificateRepository"]


class InMemoryCertificateRepository:
    """Keeps the record objects themselves, so a revocation made on a fetched one is kept,
    as a tracked aggregate would be after commit. ``rows`` lets an in-memory unit of work
    hand in its working-copy table, so a rollback drops the changes."""

    def __init__(self, rows: dict[str, Certificate] | None = None) -> None:
        self._rows: dict[str, Certificate] = {} if rows is None else rows

    def add(self, certificate: Certificate) -> None:
        if certificate.id in self._rows:
            raise UniqueViolation(f"certificate {certificate.id} already stored")
        if self.by_serial(certificate.serial) is not None:
            raise UniqueViolation(f"a certificate with serial {certificate.serial} is already stored")
        self._rows[certificate.id] = certificate

    def get(self, certificate_id: str) -> Certificate:
        try:
            return self._rows[certificate_id]
        except KeyError:
            raise CertificateNotFound(f"certificate {certificate_id} not found") from None

    def by_serial(self, serial: str) -> Certificate | None:
        wanted = serial.lower()
        return next((c for c in self._rows.values() if c.serial.lower() == wanted), None)

    def of_person(self, person_id: str) -> list[Certificate]:
        mine = [c for c in self._rows.values() if c.person_id == person_id]
        # Reversed before the stable sort so the last added wins a tie.
        return sorted(reversed(mine), key=lambda c: (c.issued_at, c.not_before), reverse=True)

    def active_for(self, person_id: str, cabinet_id: str, policy: CertificatePolicy, *,
                   now: datetime) -> Certificate | None:
        return next((c for c in self.of_person(person_id)
                     if c.is_for(person_id=person_id, cabinet_id=cabinet_id, policy=policy) and c.is_active(now)),
                    None)
