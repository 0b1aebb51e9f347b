"""The « Demande de certificat » PDF's French: typographic apostrophes, no « cabinet Cabinet … »."""

from __future__ import annotations

from datetime import date, datetime, timezone

from adapters.documents.certificate_request import PdfCertificateRequestDocument
from domain.model.qcp_enrollment import CertificateRequestData
from domain.model.values import Email, Mobile, PersonName

AT = datetime(2026, 12, 6, 4, 39, tzinfo=timezone.utc)


def _data(cabinet_name: str) -> CertificateRequestData:
    return CertificateRequestData(
        enrollment_id="e-1", holder_name=PersonName(given_names="Irina", surname="Faron"), birth_date=date(1990, 3, 1),
        email=Email("irina@faron.fr"), mobile=Mobile("+33624000013"), cabinet_name=cabinet_name, siren="732829320",
        policy_name="QCP-n", policy_oid="0.4.0.194112.1.0", terms_version="1", privacy_version="1", consented_at=AT,
        document_type="id_card", document_number="X1", identity_evidence_ref="ref", identity_validated_at=AT)


def _text(cabinet_name: str) -> str:
    return " ".join(text for _style, text in PdfCertificateRequestDocument().lines(_data(cabinet_name)))


def test_a_cabinet_named_cabinet_is_not_called_cabinet_twice():
    assert "rattaché au Cabinet Poussart, valable" in _text("Cabinet Poussart")
    assert "rattaché au cabinet Faron Conseil, valable" in _text("Faron Conseil")
    assert "cabinet Cabinet" not in _text("Cabinet Poussart")


def test_the_request_uses_typographic_apostrophes_and_french_dates():
    text = _text("Faron Conseil")
    assert "'" not in text
    assert "J’atteste l’exactitude" in text and "1er mars 1990" in text
    assert "06 24 00 00 13" in text
