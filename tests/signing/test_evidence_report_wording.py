"""The evidence PDF speaks French to its reader: events in words, actors by name, no raw codes or ids."""

from __future__ import annotations

import re

from adapters.pdf.evidence_report import _EVENT, PlainPdfEvidenceRenderer
from domain.model.collection import EventKind

PREPARER = "m-7f3c9a2e-1111-4222-8333-944455556666"
SIGNER = "s-0b1c2d3e-aaaa-4bbb-8ccc-dddddddddddd"


def _event(sequence: int, kind: str, actor: str | None, **details: str) -> dict:
    return {"sequence": sequence, "kind": kind, "at": "2026-12-06T04:39:00+00:00", "actor": actor, "ip": None,
            "user_agent": None, "details": details, "previous_hash": "", "hash": f"h{sequence}"}


EVIDENCE = {
    "collection": {"id": "c-1", "title": "Lettre de mission", "status": "completed", "cabinet": "Cabinet Poussart",
                   "preparer": "Jessica Poussart", "preparer_id": PREPARER, "preparer_email": "jessica@poussart.fr",
                   "mode": "sequential", "created_at": None, "sent_at": None, "ended_at": None},
    "signers": [{"id": SIGNER, "name": "Irina Faron", "email": "irina@faron.fr", "kind": "external", "level": 1,
                 "status": "signed", "signed_at": None, "refused_at": None, "refusal_reason": None,
                 "identity_verified_at": None, "certificate": None}],
    "observers": [],
    "documents": [{"id": "d-1", "name": "lettre.pdf", "original_sha256": "aa", "final_sha256": "bb",
                   "versions": [{"kind": "signature", "before": "aa", "after": "bb",
                                 "at": "2026-12-06T04:39:00+00:00", "signer_id": SIGNER}]}],
    "events": [_event(1, "document_added", PREPARER, name="lettre.pdf", sha256="aa"),
               _event(2, "options_updated", PREPARER),
               _event(3, "signer_added", PREPARER, signer_id=SIGNER, name="Irina Faron"),
               _event(4, "signed", SIGNER, signer_id=SIGNER),
               _event(5, "completed", None)],
    "audit_chain": {"valid": True, "broken_at": None, "last_hash": "h5"},
    "generated_at": "2026-12-06T04:40:00+00:00",
}


def _text(pdf: bytes) -> str:
    shown = re.findall(rb"\((.*?)\) '", pdf)
    return "\n".join(s.replace(b"\\(", b"(").replace(b"\\)", b")").decode("cp1252") for s in shown)


def test_every_event_kind_has_french_words():
    assert [kind.value for kind in EventKind if kind.value not in _EVENT] == []


def test_events_are_in_words_and_actors_by_name():
    text = _text(PlainPdfEvidenceRenderer().render(EVIDENCE, json_sha256="0" * 64))
    assert "Document ajouté — par Jessica Poussart (préparateur)" in text
    assert "Options modifiées" in text
    assert "Signature — par Irina Faron (signataire)" in text
    assert "Collecte terminée — par Seing (automatique)" in text
    assert "signataire : Irina Faron" in text
    assert "signature le 6 décembre 2026 à 5 h 39 min 00 s par Irina Faron" in text
    for raw in ("document_added", "options_updated", PREPARER, SIGNER, "signer_id="):
        assert raw not in text
    assert "Piste d’audit" in text and "d'" not in text and "l'" not in text  # typographic apostrophes


def test_a_failed_delivery_reads_in_words():
    evidence = {**EVIDENCE, "events": [*EVIDENCE["events"],
                                       _event(6, "delivery_failed", None, signer_id=SIGNER, name="Irina Faron",
                                              channel="sms", reason="refused", provider_code="21211")]}
    text = _text(PlainPdfEvidenceRenderer().render(evidence, json_sha256="0" * 64))
    assert "Message non remis — par Seing (automatique)" in text
    assert "canal : SMS" in text and "motif : refusé par le prestataire" in text
    assert "code du prestataire : 21211" in text
    assert "delivery_failed" not in text and "refused" not in text
