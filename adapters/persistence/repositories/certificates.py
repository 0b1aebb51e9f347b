"""Issued certificates."""

from __future__ import annotations

from datetime import datetime

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.certificates import Certificate
from domain.model.errors import (
    CertificateNotFound,
)
from domain.model.pki import CertificatePolicy

__all__ = ["PonyCertificateRepository"]


class PonyCertificateRepository(PonyRepository):
    kind, entity_name, not_found = "certificate", "CertificateRow", CertificateNotFound
    to_domain, columns = staticmethod(mappers.certificate_from_row), staticmethod(mappers.certificate_columns)

    def add(self, certificate: Certificate) -> None:
        self._add(certificate)

    def get(self, certificate_id: str) -> Certificate:
        return self._get(certificate_id)  # type: ignore[no-any-return]

    def by_serial(self, serial: str) -> Certificate | None:
        wanted = serial.lower()
        return self._first(lambda rows: rows.select(lambda c: c.serial == wanted))  # type: ignore[no-any-return]

    def of_person(self, person_id: str) -> list[Certificate]:
        return self._select(lambda rows: rows.select(lambda c: c.person_id == person_id)
                            .order_by(lambda c: (desc(c.issued_at), desc(c.not_before), desc(c.id))))

    def active_for(self, person_id: str, cabinet_id: str, policy: CertificatePolicy, *,
                   now: datetime) -> Certificate | None:
        oid = policy.value
        candidates = self._select(lambda rows: rows.select(
            lambda c: c.person_id == person_id and c.cabinet_id == cabinet_id and c.policy == oid
            and c.revoked_at is None).order_by(lambda c: (desc(c.issued_at), desc(c.not_before), desc(c.id))))
        # Whether a certificate is active is the domain's rule; the query only narrows.
        return next((c for c in candidates
                     if c.is_for(person_id=person_id, cabinet_id=cabinet_id, policy=policy) and c.is_active(now)),
                    None)
