"""Fields created at sending, evidence after a cancellation, and the ceremony's notifications."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from domain.model.collection import InvitationMode
from domain.model.jobs import Channel
from domain.model.signer import SignatureLevel, SignerKind
from tests.ceremony.harness import Ceremony


@pytest.fixture
def world(tmp_path):
    return Ceremony(tmp_path)


def _signers(n: int) -> list[dict]:
    return [dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Signataire",
                 surname="Numero" + "abcdefghij"[k], email=f"s{k}@exemple.fr") for k in range(n)]


def _fields(pdf: bytes) -> dict[str, bool]:
    """Signature field names, each with whether it holds a signature."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/FT") == "/Sig":
            found[str(field["/T"])] = "/V" in field
    return found


def test_sending_creates_every_signers_field_and_signatures_fill_them(world):
    cid = world.collection(_signers(3), mode=InvitationMode.PARALLEL, documents=2)
    collection = world.get(cid)
    names = {"Signature_" + s.id for s in collection.signers}
    for document in collection.documents:
        assert document.prepared is not None and document.versions[0].kind == "fields"
        prepared = world.container.adapters.document_store().read(document.prepared.sha256)
        assert _fields(prepared) == {name: False for name in names}
    world.sign_as("s1@exemple.fr")
    for pdf in world.document_bytes(cid):
        fields = _fields(pdf)
        assert set(fields) == names  # no field added by the signature
        assert [n for n, signed in fields.items() if signed] == ["Signature_" + collection.signers[1].id]


def test_a_cancelled_collection_gets_its_evidence_from_the_periodic_round(world):
    cid = world.collection(_signers(2))
    world.sign_as("s0@exemple.fr")
    world.uc.cancel_collection(collection_id=cid, by_person_id=world.owner, reason="Dossier réglé autrement")
    assert world.uc.seal_pending_evidence() == 1
    assert world.get(cid).evidence is not None
    assert world.uc.seal_pending_evidence() == 0


def test_signing_codes_and_download_links_render_in_french(world):
    cid = world.collection(_signers(2), mode=InvitationMode.PARALLEL)
    world.sign_as("s0@exemple.fr")
    world.sign_as("s1@exemple.fr")
    world.run_jobs("finalise_collection")
    renderer = world.container.renderer()
    code = world.notifications("signing_code")[-1]
    email = renderer.render(code)
    assert code.context_dict()["code"] in email.subject and "usage unique" in email.text
    assert f"pour signer «\u00a0{world.get(cid).title}\u00a0»" in email.subject  # what the code unlocks
    sms = renderer.render(type(code)(channel=Channel.SMS, to="+33612345678", template="signing_code",
                                     context=code.context_dict()))
    assert code.context_dict()["code"] in sms.text and len(sms.text) <= 160
    completed = [n for n in world.notifications("collection_completed") if "download_token" in n.context_dict()]
    rendered = renderer.render(completed[0])
    assert f"/telechargement/{completed[0].context_dict()['download_token']}" in rendered.text
