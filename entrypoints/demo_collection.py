"""``seing demo collection``: one complete collection, start to finish, without a browser.

The demo cabinet, three signers (level 1 external, level 2 the collaborator with her LCP,
level 3 an external signer after the simulated identity check), the real use cases, the
built-in CA, real PAdES signing and the outbox: every invitation link and code is read back
from the outbox files the worker writes, as a person would read their email and SMS.

It runs on the instance itself, with the operator's settings (data folder, database, public URL,
QcPDS URL, CA settings), in the demo cabinet: its certificates are issued by the instance's own
CA, so the instance's OCSP responder and CRLs answer for them and outside validators (pdfsig,
pyHanko) check revocation against the running app. It needs what development defaults give:
the outbox for emails and SMS (read back by the demo) and the identity simulator; and, since a
demo cabinet has no place on a production instance, it refuses to run when dev mode is off.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

from adapters.messaging.outbox import read_outbox
from domain.model.certificates import Certificate, der_to_pem
from domain.model.collection import InvitationMode
from domain.model.pki import CaName, CertificatePolicy, CertificateSubject
from domain.model.signer import SignatureLevel, SignerKind
from domain.model.values import Email
from entrypoints.composition.container import build_container
from entrypoints.demo import COLLABORATOR_EMAIL, OWNER_EMAIL, seed_demo
from entrypoints.settings import Settings

__all__ = ["DemoFailed", "run_demo_collection"]

CLAIRE = "claire.martin@exemple.fr"
MARC = "marc.durand@exemple.fr"


class DemoFailed(Exception):
    """A step of the demo failed; the message says which."""


def _step(name: str, action: Callable[[], object]) -> object:
    try:
        return action()
    except Exception as exc:
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        code = getattr(exc, "code", type(exc).__name__)
        raise DemoFailed(f"{name}: {code}: {detail}") from exc


def run_demo_collection(pdfs: Sequence[Path], out: Path, *, base: Settings | None = None) -> Iterator[str]:
    """Run the demo, writing results to ``out``; yields progress lines; raises DemoFailed."""
    if not pdfs:
        raise DemoFailed("give at least one --pdf")
    contents = []
    for path in pdfs:
        try:
            contents.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            raise DemoFailed(f"cannot read {path}: {exc.strerror}") from exc
    out.mkdir(parents=True, exist_ok=True)
    yield from _run(contents, out, base or Settings())


def _run(contents: list[tuple[str, bytes]], out: Path, base: Settings) -> Iterator[str]:
    from adapters.persistence.migrations import upgrade

    if not base.dev_mode:
        raise DemoFailed("the demo writes a demo cabinet and its certificates into this instance: it runs only "
                         "with SEING_DEV_MODE=true")
    # The instance's own data (database, key vault, CA, documents) and settings, as they are: the
    # jobs the demo queues may be delivered by the running app's worker, so the demo cannot send
    # its messages elsewhere than the instance does; it reads them back from the outbox.
    if base.mail_backend != "outbox" or base.sms_backend != "outbox":
        raise DemoFailed("the demo reads its invitations and codes from the outbox: it needs "
                         "SEING_MAIL_BACKEND=outbox and SEING_SMS_BACKEND=outbox (the development defaults)")
    settings = base
    _step("create the database", lambda: upgrade(settings.resolved_database_url))
    container = build_container(settings)
    container.init_resources()
    try:
        yield from _collection(container, settings, contents, out)
    finally:
        container.shutdown_resources()


def _collection(container, settings: Settings, contents: list[tuple[str, bytes]],  # type: ignore[no-untyped-def]
                out: Path) -> Iterator[str]:
    adapters = container.adapters
    clock = adapters.clock()
    ca = adapters.ca()
    _step("create the CA", ca.init_hierarchy)
    vault = adapters.vault()
    uc = container.use_cases
    worker = container.worker()
    uow = adapters.uow  # calling it opens a unit of work

    def deliver() -> None:
        while worker.run_once():
            pass

    # The instance's outbox may hold messages of earlier demos: only new ones count, each once.
    # A worker of the running app may deliver a job before the demo does: wait for its file.
    seen = {m["id"] for m in read_outbox(settings.outbox_dir)}

    def outbox_text(to: str, pattern: str) -> str:
        deadline = time.monotonic() + 15
        while True:
            deliver()
            for message in reversed(read_outbox(settings.outbox_dir)):  # oldest new message first
                if message["to"] == to and message["id"] not in seen:
                    found = re.search(pattern, message["text"] or "")
                    if found:
                        seen.add(message["id"])
                        return found.group(1)
            if time.monotonic() > deadline:
                raise DemoFailed(f"nothing for {to} in the outbox matching {pattern}")
            time.sleep(0.2)

    for line in seed_demo(container):
        yield line.strip()
    with uow() as tx:
        owner = tx.persons.by_email(Email(OWNER_EMAIL))
        irina = tx.persons.by_email(Email(COLLABORATOR_EMAIL))
        if owner is None or irina is None:
            raise DemoFailed("the demo cabinet is missing")
        cabinet_id = tx.members.of_person(owner.id)[0].cabinet_id
        irina_member = tx.members.find(cabinet_id, irina.id)
        cabinet = tx.cabinets.get(cabinet_id)

    def give_lcp() -> None:
        # What LCP registration ends with: a key in the vault and the certificate recorded.
        key = vault.generate(settings_key_type(settings))
        issued = ca.issue(CertificateSubject(name=irina.name, email=irina.email, person_id=f"P-{irina.id}"[:64],
                                             organization=cabinet.name[:64], siren=cabinet.siren),
                          key.public_key_der, CertificatePolicy.LCP)
        with uow() as tx:
            tx.certificates.add(Certificate(
                id=f"demo-lcp-{issued.serial[:12]}", person_id=irina.id, cabinet_id=cabinet_id,
                policy=CertificatePolicy.LCP, serial=issued.serial, issuer=issued.issuer.value,
                subject=issued.subject, not_before=issued.not_before, not_after=issued.not_after, key_id=key.id,
                der=issued.der, issued_at=clock.now()))
            tx.commit()

    _step("issue the collaborator's LCP certificate", give_lcp)
    cid = str(_step("create the collection", lambda: uc.create_collection_draft(
        cabinet_id=cabinet_id, by_person_id=owner.id, title="Lettre de mission (démonstration)",
        message="Bonjour, merci de signer la lettre de mission.", mode=InvitationMode.SEQUENTIAL)))
    names = []
    for name, content in contents:
        document_id = _step(f"add {name}", lambda name=name, content=content: uc.add_collection_document(
            collection_id=cid, by_person_id=owner.id, name=name, content=content))
        names.append((document_id, name))
    _step("add the level-1 signer", lambda: uc.add_signer(
        collection_id=cid, by_person_id=owner.id, kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE,
        given_names="Claire", surname="Martin", email=CLAIRE))
    _step("add the level-2 signer", lambda: uc.add_signer(
        collection_id=cid, by_person_id=owner.id, kind=SignerKind.MEMBER, level=SignatureLevel.ADVANCED,
        member_id=irina_member.id))
    _step("add the level-3 signer", lambda: uc.add_signer(
        collection_id=cid, by_person_id=owner.id, kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED,
        given_names="Marc", surname="Durand", email=MARC, mobile="06 12 34 56 78"))
    _step("send the collection", lambda: uc.send_collection(collection_id=cid, by_person_id=owner.id))
    yield f"collection {cid} sent with {len(names)} document(s)"

    signers = [(CLAIRE, CLAIRE, False, 1), (COLLABORATOR_EMAIL, "+33711223344", False, 2), (MARC, "+33612345678", True, 3)]
    for email, code_to, identity_check, level in signers:
        token = outbox_text(email, r"/signature/([A-Za-z0-9_\-]+)")
        _step(f"level {level}: open the invitation", lambda token=token: uc.open_ceremony(token=token))
        if identity_check:
            _step("level 3: simulated identity check", lambda token=token: _identity_check(container, token))
            yield "  level 3: identity check approved by the simulator"
        _step(f"level {level}: send the code", lambda token=token: uc.request_signing_code(token=token))
        code = outbox_text(code_to, r"\b(\d{6})\b")
        outcome = _step(f"level {level}: sign", lambda token=token, code=code: uc.sign(token=token, code=code))
        yield f"  level {level} ({email}) signed: {outcome.status}"  # type: ignore[attr-defined]
    # Completion (document timestamps, evidence, links) is a worker job: this demo's worker runs
    # it, or the running app's worker got there first and the demo waits for it to finish.
    deadline = time.monotonic() + 60
    while True:
        deliver()
        with uow() as tx:
            collection = tx.collections.get(cid)
        if collection.finalised_at is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if collection.finalised_at is None or collection.evidence is None:
        raise DemoFailed("the collection was not finalised (document timestamps, evidence)")
    documents = adapters.document_store()
    verify = uc.verify_pdf
    for document in collection.documents:
        content = documents.read(document.latest.sha256)
        report = verify(content=content)
        if not report.all_ok:
            raise DemoFailed(f"{document.name}: the signed PDF does not verify")
        levels = [s.level for s in report.signatures if s.kind == "signature"]
        target = out / (Path(document.name).stem + "-signe.pdf")
        target.write_bytes(content)
        yield f"wrote {target} (signature levels {levels}, whole document covered)"
    evidence_pdf = documents.read(collection.evidence.pdf.sha256)
    if not verify(content=evidence_pdf).signatures[0].ok:
        raise DemoFailed("the evidence file's seal does not verify")
    (out / "dossier-de-preuve.pdf").write_bytes(evidence_pdf)
    (out / "dossier-de-preuve.json").write_bytes(documents.read(collection.evidence.json.sha256))
    root = {c.name: c.der for c in ca.ca_certificates()}[CaName.ROOT]
    (out / "seing-root-ca.pem").write_bytes(der_to_pem(root))
    (out / "seing-root-ca.der").write_bytes(root)
    yield f"wrote {out / 'dossier-de-preuve.pdf'}, {out / 'dossier-de-preuve.json'} and the CA root (seing-root-ca.pem)"
    yield f"check them: seing verify --root {out / 'seing-root-ca.pem'} FILE"


_PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _identity_check(container, token: str) -> None:  # type: ignore[no-untyped-def]
    """What the signer does on the capture pages, done by the demo: every step, then the
    simulator decides at once instead of after its delay."""
    from domain.model.identity import CheckMode

    uc = container.use_cases
    verifier = container.adapters.identity_verifier()
    if not hasattr(verifier, "decide_now"):
        raise DemoFailed("the demo needs the identity simulator (SEING_IDENTITY_PROVIDER=simulator)")
    session = uc.start_identity_check(token=token)
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        verifier.submit_capture(session.session_ref, step, _PNG + step.value.encode(), "image/png")
    verifier.finish_capture(session.session_ref)
    verifier.decide_now(session.session_ref)
    outcome = uc.identity_check_outcome(token=token)
    if outcome != "approved":
        raise DemoFailed(f"the simulated identity check ended {outcome}")


def settings_key_type(settings: Settings):  # type: ignore[no-untyped-def]
    from domain.model.pki import KeyType

    return KeyType(settings.key_type)
