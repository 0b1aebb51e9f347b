"""Session storage shared by the providers whose capture pages are Seing's own.

Sessions live in memory or, given a directory, as one folder per session: ``session.json``
(the record: subject, captures' digests, decision) and one file per captured image. Images
are the only personal data that must go once the decision is made; the record keeps the
SHA-256 of each.

A photo arrives as bytes or as the file the web edge spooled (``ports.identity.CaptureImage``):
it is read as a stream in chunks of at most 1 MiB, hashed and written to a temporary file in the
session's folder as it is read, then renamed into place, so the web process never holds a whole
photo (the in-memory store, for tests and tools, keeps the bytes).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

from attrs import define, field

from domain.model.errors import (
    IdentityAlreadyDecided,
    IdentityCallbackRefused,
    IdentityCaptureRefused,
    IdentitySessionClosed,
    IdentitySessionNotFound,
)
from domain.model.identity import (
    CaptureStep,
    CheckMode,
    Decision,
    DocumentType,
    ExtractedIdentity,
    IdentityCheckResult,
    IdentityCheckStatus,
    IdentitySession,
    IdentitySubject,
    ImageDigest,
)
from domain.model.values import Email, PersonName
from ports.clock import Clock
from ports.identity import (
    MAX_CAPTURE_IMAGE_BYTES,
    CaptureImage,
    CaptureProgress,
    capture_image_size,
    open_capture_image,
)

MAX_IMAGE_BYTES = MAX_CAPTURE_IMAGE_BYTES
CHUNK = 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@define
class SessionRecord:
    session_ref: str
    subject: IdentitySubject
    mode: CheckMode
    status: IdentityCheckStatus
    created_at: datetime
    submitted_at: datetime | None = None
    captures: dict[str, tuple[str, str]] = field(factory=dict)  # step -> (content type, sha256)
    result: IdentityCheckResult | None = None
    images_deleted_at: datetime | None = None
    decided_by: str | None = None
    forced_outcome: dict | None = None  # simulator: the decision it was told to make


class SessionStore:
    """Records and images, in memory (``root`` None) or under ``root``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._records: dict[str, SessionRecord] = {}
        self._images: dict[tuple[str, str], bytes] = {}
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)

    def new_ref(self) -> str:
        # The reference appears in the capture URL: it must be unguessable.
        return secrets.token_urlsafe(24)

    def put(self, record: SessionRecord) -> None:
        with self._lock:
            if self.root is None:
                self._records[record.session_ref] = record
                return
            folder = self._folder(record.session_ref)
            folder.mkdir(exist_ok=True)
            tmp = folder / "session.json.tmp"
            tmp.write_text(json.dumps(_record_to_json(record), sort_keys=True), encoding="utf-8")
            tmp.replace(folder / "session.json")

    def get(self, session_ref: str) -> SessionRecord:
        with self._lock:
            if self.root is None:
                record = self._records.get(session_ref)
            else:
                path = self._folder(session_ref) / "session.json"
                record = _record_from_json(json.loads(path.read_text("utf-8"))) if path.exists() else None
            if record is None:
                raise IdentitySessionNotFound("unknown identity-check session")
            return record

    def all(self) -> list[SessionRecord]:
        with self._lock:
            if self.root is None:
                return list(self._records.values())
            return [self.get(p.name) for p in sorted(self.root.iterdir()) if (p / "session.json").exists()]

    def put_image(self, session_ref: str, step: CaptureStep, image: CaptureImage) -> str:
        """Keep the photo of ``step`` (a retake replaces it), read as a stream; its SHA-256."""
        digest = hashlib.sha256()
        if self.root is None:
            data = bytearray()
            with open_capture_image(image) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    data.extend(chunk)
            with self._lock:
                self._images[(session_ref, step.value)] = bytes(data)
            return digest.hexdigest()
        folder = self._folder(session_ref)
        folder.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".part-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out, open_capture_image(image) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            with self._lock:
                os.replace(temporary, folder / f"{step.value}.img")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return digest.hexdigest()

    def image(self, session_ref: str, step: CaptureStep) -> bytes | None:
        with self._lock:
            if self.root is None:
                return self._images.get((session_ref, step.value))
            path = self._folder(session_ref) / f"{step.value}.img"
            return path.read_bytes() if path.exists() else None

    def delete_images(self, session_ref: str) -> None:
        with self._lock:
            if self.root is None:
                for key in [k for k in self._images if k[0] == session_ref]:
                    del self._images[key]
                return
            for path in self._folder(session_ref).glob("*.img"):
                path.unlink()

    def _folder(self, session_ref: str) -> Path:
        assert self.root is not None
        if not session_ref or "/" in session_ref or "\\" in session_ref or session_ref.startswith("."):
            raise IdentitySessionNotFound("unknown identity-check session")
        return self.root / session_ref

    def destroy(self) -> None:
        """Tests: forget everything."""
        with self._lock:
            self._records.clear()
            self._images.clear()
            if self.root is not None and self.root.exists():
                shutil.rmtree(self.root)


class CapturingVerifier:
    """The part of ``IdentityVerifier`` and ``CaptureHost`` common to the simulator and
    the manual-review provider; subclasses decide how a submitted session gets decided."""

    provider_name = "capturing"

    def __init__(self, *, public_url: str, clock: Clock, storage_dir: Path | None = None,
                 image_retention: timedelta = timedelta(0)) -> None:
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.store = SessionStore(storage_dir)
        self.image_retention = image_retention

    # IdentityVerifier -----------------------------------------------------------------

    def start_session(self, subject: IdentitySubject, *, mode: CheckMode = CheckMode.DOCUMENT_AND_FACE) -> IdentitySession:
        ref = self.store.new_ref()
        self.store.put(SessionRecord(session_ref=ref, subject=subject, mode=mode,
                                     status=IdentityCheckStatus.CAPTURING, created_at=self.clock.now()))
        base = f"{self.public_url}/identity/capture/{ref}"
        return IdentitySession(session_ref=ref, phone_url=f"{base}?device=phone",
                               browser_url=f"{base}?device=browser", mode=mode)

    def status(self, session_ref: str) -> IdentityCheckStatus:
        return self._settle(self.store.get(session_ref)).status

    def result(self, session_ref: str) -> IdentityCheckResult | None:
        return self._settle(self.store.get(session_ref)).result

    def handle_callback(self, payload: bytes, headers: object) -> IdentityCheckResult | None:
        """Seing's own pages 'call back' with ``{"session_ref": ...}`` after a capture or a
        review: the answer is simply the session's current result."""
        try:
            ref = json.loads(payload.decode("utf-8"))["session_ref"]
            return self.result(str(ref))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, IdentitySessionNotFound):
            raise IdentityCallbackRefused("unreadable callback") from None

    def cancel(self, session_ref: str) -> None:
        record = self.store.get(session_ref)
        if record.status.decided:
            raise IdentityAlreadyDecided("a decided session cannot be cancelled")
        record.status = IdentityCheckStatus.CANCELLED
        self._drop_images(record)

    def delete_images(self, session_ref: str) -> list[ImageDigest]:
        record = self.store.get(session_ref)
        self._drop_images(record)
        return _digests(record)

    def retained_image(self, session_ref: str, step: CaptureStep) -> tuple[str, bytes] | None:
        """``RetainedImages``: an image kept for its retention after the decision."""
        try:
            record = self.store.get(session_ref)
        except IdentitySessionNotFound:
            return None
        capture = record.captures.get(step.value)
        data = self.store.image(session_ref, step)
        if capture is None or data is None:
            return None
        return capture[0], data

    def purge_images(self) -> int:
        now = self.clock.now()
        purged = 0
        for record in self.store.all():
            self._settle(record)
            if (record.images_deleted_at is None and record.result is not None
                    and now >= record.result.decided_at + self.image_retention):
                self._drop_images(record)
                purged += 1
        return purged

    # CaptureHost ----------------------------------------------------------------------

    def capture_progress(self, session_ref: str) -> CaptureProgress:
        record = self._settle(self.store.get(session_ref))
        return _progress(record)

    def submit_capture(self, session_ref: str, step: CaptureStep, image: CaptureImage,
                       content_type: str) -> CaptureProgress:
        record = self.store.get(session_ref)
        if record.status is not IdentityCheckStatus.CAPTURING:
            raise IdentitySessionClosed("this capture is finished")
        if step not in record.mode.steps:
            raise IdentityCaptureRefused(f"step {step.value} is not part of this check")
        if not 0 < capture_image_size(image) <= MAX_IMAGE_BYTES:
            raise IdentityCaptureRefused("an image is between 1 byte and 10 MB")
        if content_type not in IMAGE_TYPES:
            raise IdentityCaptureRefused("images are JPEG, PNG or WebP")
        sha256 = self.store.put_image(session_ref, step, image)
        record.captures[step.value] = (content_type, sha256)
        self.store.put(record)
        return _progress(record)

    def finish_capture(self, session_ref: str) -> IdentityCheckStatus:
        record = self.store.get(session_ref)
        if record.status is IdentityCheckStatus.SUBMITTED or record.status.decided:
            return self._settle(record).status  # a double tap on the last button
        if record.status is not IdentityCheckStatus.CAPTURING:
            raise IdentitySessionClosed("this capture was cancelled")
        if not _progress(record).complete:
            raise IdentityCaptureRefused("some capture steps are missing")
        record.status = IdentityCheckStatus.SUBMITTED
        record.submitted_at = self.clock.now()
        self.store.put(record)
        return self._settle(record).status

    # For subclasses -------------------------------------------------------------------

    def _settle(self, record: SessionRecord) -> SessionRecord:
        """Give a subclass the chance to decide a submitted session (the simulator's delay)."""
        return record

    def _decide(self, record: SessionRecord, *, approved: bool, extracted: ExtractedIdentity | None,
                reason: str | None, decided_by: str) -> IdentityCheckResult:
        if record.status.decided:
            raise IdentityAlreadyDecided("this session is already decided")
        if record.status is not IdentityCheckStatus.SUBMITTED:
            raise IdentitySessionClosed("only a submitted session can be decided")
        now = self.clock.now()
        evidence = f"{self.provider_name}:{record.session_ref}"
        digests = _digests(record)
        if approved:
            assert extracted is not None
            result = IdentityCheckResult.approve(session_ref=record.session_ref, extracted=extracted,
                                                 decided_at=now, evidence_ref=evidence, image_digests=digests)
        else:
            result = IdentityCheckResult.reject(session_ref=record.session_ref, reason=reason or "rejected",
                                                decided_at=now, evidence_ref=evidence, image_digests=digests)
        record.result = result
        record.decided_by = decided_by
        record.status = IdentityCheckStatus.APPROVED if approved else IdentityCheckStatus.REJECTED
        self.store.put(record)
        if self.image_retention <= timedelta(0):
            self._drop_images(record)
        return result

    def _drop_images(self, record: SessionRecord) -> None:
        self.store.delete_images(record.session_ref)
        if record.images_deleted_at is None:
            record.images_deleted_at = self.clock.now()
        self.store.put(record)


def _digests(record: SessionRecord) -> list[ImageDigest]:
    return [ImageDigest(CaptureStep(step), sha) for step, (_ct, sha) in sorted(record.captures.items())]


def _progress(record: SessionRecord) -> CaptureProgress:
    done = tuple(step for step in record.mode.steps if step.value in record.captures)
    return CaptureProgress(session_ref=record.session_ref, mode=record.mode, done=done, status=record.status)


# JSON mapping (file storage) -------------------------------------------------------------


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def extracted_to_json(e: ExtractedIdentity | None) -> dict | None:
    if e is None:
        return None
    return {"given_names": e.name.given_names, "surname": e.name.surname, "birth_date": e.birth_date.isoformat(),
            "document_type": e.document_type.value, "document_number": e.document_number,
            "document_expiry": _d(e.document_expiry)}


def extracted_from_json(d: dict | None) -> ExtractedIdentity | None:
    if d is None:
        return None
    return ExtractedIdentity(name=PersonName(d["given_names"], d["surname"]),
                             birth_date=date.fromisoformat(d["birth_date"]),
                             document_type=DocumentType(d["document_type"]), document_number=d["document_number"],
                             document_expiry=date.fromisoformat(d["document_expiry"]) if d["document_expiry"] else None)


def _record_to_json(r: SessionRecord) -> dict:
    result = None
    if r.result is not None:
        result = {"decision": r.result.decision.value, "decided_at": r.result.decided_at.isoformat(),
                  "evidence_ref": r.result.evidence_ref, "reason": r.result.reason,
                  "extracted": extracted_to_json(r.result.extracted),
                  "image_digests": [[d.step.value, d.sha256] for d in r.result.image_digests]}
    return {
        "session_ref": r.session_ref,
        "subject": {"reference": r.subject.reference, "given_names": r.subject.name.given_names,
                    "surname": r.subject.name.surname, "email": str(r.subject.email),
                    "birth_date": _d(r.subject.birth_date)},
        "mode": r.mode.value, "status": r.status.value, "created_at": r.created_at.isoformat(),
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
        "captures": {k: list(v) for k, v in r.captures.items()},
        "result": result,
        "images_deleted_at": r.images_deleted_at.isoformat() if r.images_deleted_at else None,
        "decided_by": r.decided_by,
        "forced_outcome": r.forced_outcome,
    }


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _record_from_json(d: dict) -> SessionRecord:
    s = d["subject"]
    subject = IdentitySubject(reference=s["reference"], name=PersonName(s["given_names"], s["surname"]),
                              email=Email(s["email"]),
                              birth_date=date.fromisoformat(s["birth_date"]) if s["birth_date"] else None)
    result = None
    if d["result"] is not None:
        r = d["result"]
        result = IdentityCheckResult(
            session_ref=d["session_ref"], decision=Decision(r["decision"]),
            decided_at=datetime.fromisoformat(r["decided_at"]), evidence_ref=r["evidence_ref"],
            extracted=extracted_from_json(r["extracted"]), reason=r["reason"],
            image_digests=tuple(ImageDigest(CaptureStep(step), sha) for step, sha in r["image_digests"]))
    return SessionRecord(session_ref=d["session_ref"], subject=subject, mode=CheckMode(d["mode"]),
                         status=IdentityCheckStatus(d["status"]), created_at=datetime.fromisoformat(d["created_at"]),
                         submitted_at=_dt(d["submitted_at"]),
                         captures={k: (v[0], v[1]) for k, v in d["captures"].items()}, result=result,
                         images_deleted_at=_dt(d["images_deleted_at"]), decided_by=d["decided_by"],
                         forced_outcome=d.get("forced_outcome"))
