"""The « Demande de certificat » as a one-page PDF, written directly (no PDF library).

A request is a page of labelled lines: writing the few PDF objects by hand keeps the
output byte-for-byte deterministic (same data, same digest, which is what the person
accepts and what the SMS code authorises) and needs no dependency. Text uses the standard
Helvetica font in WinAnsiEncoding, which covers French.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.model.qcp_enrollment import CertificateRequestData

__all__ = ["PdfCertificateRequestDocument"]

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
DOCUMENT_TYPES = {"id_card": "Carte nationale d’identité", "passport": "Passeport",
                  "residence_permit": "Titre de séjour"}
NBSP = "\u00a0"


def _day(value: date) -> str:
    return f"{'1er' if value.day == 1 else value.day} {MONTHS[value.month - 1]} {value.year}"


def _moment(value: datetime) -> str:
    local = value.astimezone(PARIS)
    return f"{_day(local.date())} à {local.hour} h {local.minute:02d}"


def _to_cabinet(name: str) -> str:
    """« au cabinet Poussart & Associés », but « au Cabinet Poussart » (never « au cabinet Cabinet Poussart »)."""
    return f"au {name}" if name.lower().startswith("cabinet ") else f"au cabinet {name}"


def _siren(value: str) -> str:
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 9 else value


def _pdf_text(text: str) -> bytes:
    raw = text.replace(NBSP, " ").encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class PdfCertificateRequestDocument:
    def __init__(self, *, platform_name: str = "Seing") -> None:
        self.platform_name = platform_name

    def lines(self, d: CertificateRequestData) -> list[tuple[str, str]]:
        """(style, text) in reading order; style: title, heading, text, small, blank."""
        declaration = (
            f"Je soussigné(e) {d.holder_name.given_names} {d.holder_name.surname.upper()} demande l’émission "
            f"d’un certificat qualifié de signature électronique (politique {d.policy_name}) rattaché "
            f"{_to_cabinet(d.cabinet_name)}, valable {d.validity_years} ans. J’atteste l’exactitude des informations "
            f"ci-dessus, vérifiées sur ma pièce d’identité, et j’accepte les Conditions Générales "
            f"d’Utilisation (version {d.terms_version}) ainsi que la Politique de Protection des Données "
            f"Personnelles (version {d.privacy_version}). Je m’engage à informer {self.platform_name} de tout "
            f"changement de ces informations et à demander la révocation du certificat en cas de compromission.")
        out: list[tuple[str, str]] = [
            ("title", "Demande de certificat qualifié (QCP)"),
            ("small", f"Référence de la demande : {d.enrollment_id}"),
            ("blank", ""),
            ("heading", "Demandeur"),
            ("text", f"Prénoms : {d.holder_name.given_names}"),
            ("text", f"Nom : {d.holder_name.surname.upper()}"),
            ("text", f"Date de naissance : {_day(d.birth_date)}"),
            ("text", f"Adresse e-mail : {d.email}"),
            ("text", f"Téléphone mobile : {d.mobile.national()}"),
            ("blank", ""),
            ("heading", "Cabinet"),
            ("text", f"Dénomination : {d.cabinet_name}"),
            ("text", f"SIREN : {_siren(d.siren)}"),
            ("blank", ""),
            ("heading", "Certificat demandé"),
            ("text", f"Politique de certification : {d.policy_name}"),
            ("text", f"Identifiant de politique (OID) : {d.policy_oid}"),
            ("text", f"Durée de validité : {d.validity_years} ans"),
            ("text", "Usage : signature électronique (non-répudiation)"),
            ("blank", ""),
            ("heading", "Vérification d’identité"),
            ("text", f"Pièce présentée : {DOCUMENT_TYPES.get(d.document_type, d.document_type)} n° {d.document_number}"),
            ("text", f"Identité validée le {_moment(d.identity_validated_at)}"),
            ("small", f"Référence de la preuve : {d.identity_evidence_ref}"),
            ("blank", ""),
            ("heading", "Consentements"),
            ("text", f"Conditions Générales d’Utilisation, version {d.terms_version}"),
            ("text", f"Politique de Protection des Données Personnelles, version {d.privacy_version}"),
            ("text", f"Consentements donnés le {_moment(d.consented_at)}"),
            ("blank", ""),
            ("heading", "Déclaration"),
        ]
        out += [("text", line) for line in textwrap.wrap(declaration, 95)]
        out += [("blank", ""),
                ("text", "Signature du demandeur, par signature électronique avec son certificat LCP"),
                ("small", "et un code à usage unique reçu par SMS.")]
        return out

    def render(self, data: CertificateRequestData) -> bytes:
        styles = {"title": (b"/F2", 16, 28), "heading": (b"/F2", 12, 20), "text": (b"/F1", 10, 14),
                  "small": (b"/F1", 8, 12), "blank": (b"/F1", 10, 6)}
        y = 800
        ops = [b"BT"]
        for style, text in self.lines(data):
            font, size, leading = styles[style]
            y -= leading
            if text:
                ops.append(b"%s %d Tf 1 0 0 1 56 %d Tm (%s) Tj" % (font, size, y, _pdf_text(text)))
        ops.append(b"ET")
        content = b"\n".join(ops)
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            b"<< /Title (%s) /Producer (%s) >>" % (_pdf_text(f"Demande de certificat {data.enrollment_id}"),
                                                  _pdf_text(self.platform_name)),
        ]
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)
