"""A cabinet, a CA, real PAdES signing and the ceremony use cases, driven like a signer would."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from dependency_injector import providers

from adapters.memory.persistence import InMemoryUnitOfWork
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.certificates import Certificate
from domain.model.collection import InvitationMode
from domain.model.pki import CaName, CertificatePolicy, CertificateSubject, KeyType
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus

PASSWORD = "correct horse battery"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install poppler-utils libnss3-tools)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class Ceremony:
    """One container on fakes (in-memory unit of work, outbox of jobs) with the real CA and signing."""

    def __init__(self, data_dir: Path, public_url: str = "http://127.0.0.1:9", *, real_signing: bool = True,
                 **settings: object) -> None:
        self.settings = Settings(data_dir=data_dir, public_url=public_url, **settings)  # type: ignore[arg-type]
        self.container = build_container(self.settings, fakes=True)
        self.uc = self.container.use_cases
        self.clock = self.container.adapters.clock()
        # Real time, a little in the past: outside validators (pdfsig) check validity against it,
        # and tests move the clock forward (resend throttle, expiry) by minutes.
        self.clock.set(datetime.now(UTC) - timedelta(minutes=30))
        self.ca = self.container.adapters.ca()
        self.ca.init_hierarchy()
        self.vault = self.container.adapters.vault()
        if real_signing:
            tsa = BuiltinTsa(self.vault, self.ca, self.clock)
            self.container.adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(vault=self.vault, timestamp_authority=tsa,
                                                  revocation_source=CaRevocationSource(self.ca), clock=self.clock)))
        self.store = self.container.adapters.store()
        self.uow = lambda: InMemoryUnitOfWork(self.store, clock=self.clock)
        created = self.uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                         owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                         owner_mobile="06 24 00 00 13", password=PASSWORD)
        self.cabinet_id, self.owner = created.cabinet_id, created.person_id

    # -- set-up -----------------------------------------------------------------------------

    def give_certificate(self, person_id: str, policy: CertificatePolicy) -> Certificate:
        """Issue and record a member's certificate for the cabinet, as registration would."""
        with self.uow() as tx:
            person = tx.persons.get(person_id)
        key = self.vault.generate(KeyType.EC_P256)
        subject = CertificateSubject(name=person.name, email=person.email, person_id=f"P-{person_id}"[:64],
                                     organization="Cabinet Poussart", siren="732829320")
        issued = self.ca.issue(subject, key.public_key_der, policy)
        with self.uow() as tx:
            record = Certificate(id=f"cert-{issued.serial[:8]}", person_id=person_id, cabinet_id=self.cabinet_id,
                                 policy=policy, serial=issued.serial, issuer=issued.issuer.value,
                                 subject=issued.subject, not_before=issued.not_before, not_after=issued.not_after,
                                 key_id=key.id, der=issued.der, issued_at=self.clock.now())
            tx.certificates.add(record)
            tx.commit()
        return record

    def collection(self, signers: list[dict], *, mode: InvitationMode = InvitationMode.SEQUENTIAL,
                   documents: int = 1, observers: int = 0, deadline: timedelta | None = None,
                   contents: list[bytes] | None = None, message: str = "Merci de signer.") -> str:
        """``contents``: the PDFs to send (default: ``documents`` hand-written letters)."""
        cid = self.uc.create_collection_draft(cabinet_id=self.cabinet_id, by_person_id=self.owner,
                                              title="Lettre de mission 2026", message=message)
        self.uc.update_collection_options(collection_id=cid, by_person_id=self.owner, mode=mode,
                                          deadline=self.clock.now() + deadline if deadline else None)
        if contents is None:
            contents = [corpus.minimal_pdf(pages=2, text=f"Lettre {n + 1}") for n in range(documents)]
        for n, content in enumerate(contents):
            self.uc.add_collection_document(collection_id=cid, by_person_id=self.owner, name=f"lettre-{n + 1}.pdf",
                                            content=content)
        for spec in signers:
            self.uc.add_signer(collection_id=cid, by_person_id=self.owner, **spec)
        for n in range(observers):
            self.uc.add_observer(collection_id=cid, by_person_id=self.owner, given_names="Olivier",
                                 surname="Copie" + "abcdefghij"[n], email=f"copie{n}@exemple.fr")
        self.uc.send_collection(collection_id=cid, by_person_id=self.owner)
        return cid

    # -- reading what happened -------------------------------------------------------------------

    def jobs(self, kind: str | None = None):
        jobs = list(reversed(self.container.adapters.job_store().list(limit=100000)))
        return [j for j in jobs if kind is None or j.spec.kind == kind]

    def notifications(self, template: str | None = None):
        found = [j.spec.as_notification() for j in self.jobs("notify")]
        return [n for n in found if template is None or n.template == template]

    def token_of(self, email: str) -> str:
        invites = [n for n in self.notifications() if n.to == email and "token" in n.context_dict()
                   and n.template in ("collection_invitation", "collection_reminder")]
        return invites[-1].context_dict()["token"]

    def latest_code(self) -> str:
        return self.notifications("signing_code")[-1].context_dict()["code"]

    def get(self, cid: str):
        return self.store.tables["collections"][cid]

    def trail(self, cid: str):
        return list(self.store.tables["audit"].get(cid, []))

    def document_bytes(self, cid: str) -> list[bytes]:
        return [self.container.adapters.document_store().read(d.latest.sha256) for d in self.get(cid).documents]

    def run_jobs(self, kind: str) -> int:
        """Run the pending jobs of one kind as the worker would (through the container's handlers)."""
        handlers = self.container.job_handlers()
        store = self.container.adapters.job_store()
        count = 0
        for job in self.jobs(kind):
            if job.status.value == "pending":
                handlers[kind](job)
                store.complete(job.id, now=self.clock.now())
                count += 1
        return count

    # -- a signer's steps -----------------------------------------------------------------------

    def sign_as(self, email: str, *, identity_check: bool = False):
        token = self.token_of(email)
        self.uc.open_ceremony(token=token)
        if identity_check:  # the simulated identity check, as the capture pages drive it
            from domain.model.identity import CheckMode

            verifier = self.container.adapters.identity_verifier()
            session = self.uc.start_identity_check(token=token)
            for step in CheckMode.DOCUMENT_AND_FACE.steps:
                verifier.submit_capture(session.session_ref, step, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
            verifier.finish_capture(session.session_ref)
            verifier.decide_now(session.session_ref)
            assert self.uc.identity_check_outcome(token=token) == "approved"
        self.uc.request_signing_code(token=token)
        return self.uc.sign(token=token, code=self.latest_code())

    def root_der(self) -> bytes:
        return {c.name: c.der for c in self.ca.ca_certificates()}[CaName.ROOT]


def three_signers(ceremony: Ceremony) -> list[dict]:
    """Level 1 external, level 2 the owner (her LCP), level 3 an external after an identity check."""
    ceremony.give_certificate(ceremony.owner, CertificatePolicy.LCP)
    return [
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
             email="claire@exemple.fr"),
        dict(kind=SignerKind.MYSELF, level=SignatureLevel.ADVANCED),
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Marc",
             surname="Durand", email="marc@exemple.fr", mobile="06 12 34 56 78"),
    ]


def nss_db_for(root_der: bytes, nss_dir: Path) -> Path:
    """The NSS database under ``nss_dir`` that trusts ``root_der`` (made on first use)."""
    certutil = require_tool("certutil")
    # One NSS database per root: a folder shared by tests (a module's, a worker's) must never
    # answer with the trust of an earlier CA when a fixture was rebuilt with a new one.
    nss_dir = nss_dir / hashlib.sha256(root_der).hexdigest()[:16]
    if not (nss_dir / "cert9.db").exists():
        nss_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([certutil, "-N", "--empty-password", "-d", f"sql:{nss_dir}"], check=True)
        (nss_dir / "root.der").write_bytes(root_der)
        subprocess.run([certutil, "-A", "-n", "Seing Root", "-t", "CT,C,C", "-i", str(nss_dir / "root.der"),
                        "-d", f"sql:{nss_dir}"], check=True)
    return nss_dir


def pdfsig_reports(path: Path, root_der: bytes, nss_dir: Path) -> list[str]:
    """pdfsig's text, one block per signature (it exits 0 even when a signature is invalid)."""
    tool = require_tool("pdfsig")
    nss_dir = nss_db_for(root_der, nss_dir)
    result = subprocess.run([tool, "-nssdir", f"sql:{nss_dir}", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]


def pki_server_for(ceremony_ca) -> SimpleNamespace:
    return SimpleNamespace(ca=ceremony_ca)
