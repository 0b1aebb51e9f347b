"""In-memory QCP enrollment storage, personal certificates and request documents.

``InMemoryQcpUnitOfWork`` works on deep copies like the application's in-memory unit of
work, so a use case failing half-way leaves the store untouched; it holds only the
tables the enrollment use cases need (``ports.qcp_enrollment.QcpWork``).
"""

from __future__ import annotations

import copy
import itertools
import threading
from datetime import datetime

from attrs import define

from adapters.memory.one_time_codes import InMemoryOneTimeCodeRepository
from domain.model.errors import EmailTaken, NotFound
from domain.model.jobs import JobSpec
from domain.model.person import Person
from domain.model.pki import IssuedCertificate
from domain.model.qcp_enrollment import CaptureLink, LcpHolding, QcpEnrollment, QcpState
from domain.model.values import Email

__all__ = [
    "InMemoryPersonalCertificates",
    "InMemoryQcpStore",
    "InMemoryQcpUnitOfWork",
    "InMemoryRequestDocumentStore",
]


class InMemoryQcpStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict] = {"qcp_enrollments": {}, "capture_links": {}, "one_time_codes": {},
                                        "persons": {}, "jobs": {}}
        self._jobs = itertools.count(1)

    def next_job_id(self) -> str:
        return f"job-{next(self._jobs):06d}"

    @property
    def jobs(self) -> list[JobSpec]:
        return list(self.tables["jobs"].values())


class _Enrollments:
    def __init__(self, rows: dict[str, QcpEnrollment]) -> None:
        self.rows = rows

    def add(self, enrollment: QcpEnrollment) -> None:
        self.rows[enrollment.id] = enrollment

    def get(self, enrollment_id: str) -> QcpEnrollment:
        try:
            return self.rows[enrollment_id]
        except KeyError:
            raise NotFound("enrollment not found") from None

    def open_for(self, person_id: str, cabinet_id: str) -> QcpEnrollment | None:
        return next((e for e in self.rows.values() if e.person_id == person_id and e.cabinet_id == cabinet_id
                     and not e.state.terminal), None)

    def by_session_ref(self, session_ref: str) -> QcpEnrollment | None:
        return next((e for e in self.rows.values() if any(a.session_ref == session_ref for a in e.attempts)), None)

    def of_person(self, person_id: str) -> list[QcpEnrollment]:
        return sorted((e for e in self.rows.values() if e.person_id == person_id),
                      key=lambda e: e.created_at, reverse=True)

    def in_states(self, states: frozenset[QcpState]) -> list[QcpEnrollment]:
        return sorted((e for e in self.rows.values() if e.state in states), key=lambda e: e.updated_at)


class _CaptureLinks:
    def __init__(self, rows: dict[str, CaptureLink]) -> None:
        self.rows = rows

    def add(self, link: CaptureLink) -> None:
        self.rows[link.token_hash] = link

    def by_token_hash(self, token_hash: str) -> CaptureLink | None:
        return self.rows.get(token_hash)

    def latest_for_session(self, session_ref: str) -> CaptureLink | None:
        mine = [l for l in self.rows.values() if l.session_ref == session_ref]
        return max(reversed(mine), key=lambda l: l.created_at) if mine else None


class _Persons:
    def __init__(self, rows: dict[str, Person]) -> None:
        self.rows = rows

    def add(self, person: Person) -> None:
        if self.by_email(person.email) is not None:
            raise EmailTaken("a person with this email exists")
        self.rows[person.id] = person

    def get(self, person_id: str) -> Person:
        try:
            return self.rows[person_id]
        except KeyError:
            raise NotFound("person not found") from None

    def by_email(self, email: Email) -> Person | None:
        return next((p for p in self.rows.values() if p.email == email), None)


class _Jobs:
    def __init__(self, rows: dict[str, JobSpec], store: InMemoryQcpStore) -> None:
        self.rows = rows
        self.store = store

    def enqueue(self, spec: JobSpec) -> str:
        job_id = self.store.next_job_id()
        self.rows[job_id] = spec
        return job_id


class InMemoryQcpUnitOfWork:
    def __init__(self, store: InMemoryQcpStore) -> None:
        self.store = store

    def __enter__(self) -> InMemoryQcpUnitOfWork:
        self.store.lock.acquire()
        self._start()
        return self

    def _start(self) -> None:
        self._working = copy.deepcopy(self.store.tables)
        t = self._working
        self.qcp_enrollments = _Enrollments(t["qcp_enrollments"])
        self.capture_links = _CaptureLinks(t["capture_links"])
        self.one_time_codes = InMemoryOneTimeCodeRepository(t["one_time_codes"])
        self.persons = _Persons(t["persons"])
        self.jobs = _Jobs(t["jobs"], self.store)

    def __exit__(self, *exc_info: object) -> None:
        self._working = None
        self.store.lock.release()

    def commit(self) -> None:
        self.store.tables = copy.deepcopy(self._working)

    def rollback(self) -> None:
        self._start()


@define
class _Held:
    person_id: str
    cabinet_id: str
    key_id: str
    certificate: IssuedCertificate


class InMemoryPersonalCertificates:
    """Active LCPs as set by the test (``add_lcp``) and the QCPs recorded by issuance."""

    def __init__(self) -> None:
        self.lcps: list[LcpHolding] = []
        self.revoked: set[str] = set()
        self.qcps: list[_Held] = []

    def add_lcp(self, holding: LcpHolding) -> None:
        self.lcps.append(holding)

    def revoke(self, serial: str) -> None:
        self.revoked.add(serial)

    def active_lcp(self, person_id: str, cabinet_id: str, now: datetime) -> LcpHolding | None:
        return next((h for h in reversed(self.lcps) if h.person_id == person_id and h.cabinet_id == cabinet_id
                     and h.certificate_serial not in self.revoked), None)

    def record_qcp(self, *, person_id: str, cabinet_id: str, key_id: str, certificate: IssuedCertificate) -> None:
        self.qcps.append(_Held(person_id, cabinet_id, key_id, certificate))


class InMemoryRequestDocumentStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    def put(self, name: str, data: bytes) -> str:
        ref = f"doc-{next(self._ids):04d}-{name}"
        self.files[ref] = bytes(data)
        return ref

    def get(self, ref: str) -> bytes:
        try:
            return self.files[ref]
        except KeyError:
            raise NotFound("document not found") from None
