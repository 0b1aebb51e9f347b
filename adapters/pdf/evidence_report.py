"""The evidence file as a plain, readable PDF in French (Helvetica, WinAnsi), written directly.

No layout engine is needed for lists of facts; writing the few PDF objects ourselves keeps the
output small, deterministic and easy for any validator to parse before the seal is added.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from ports.evidence import EVIDENCE_JSON_DIGEST_KEY

__all__ = ["PlainPdfEvidenceRenderer"]

_PARIS = ZoneInfo("Europe/Paris")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
_STATUS = {"completed": "terminée (signée par tous)", "refused": "refusée", "expired": "expirée",
           "cancelled": "annulée", "in_progress": "en cours", "draft": "brouillon"}
_SIGNER_STATUS = {"signed": "a signé", "refused": "a refusé", "pending": "pas encore invité", "invited": "invité",
                  "opened": "a ouvert l’invitation"}
_LEVEL = {1: "niveau 1 : simple", 2: "niveau 2 : avancée", 3: "niveau 3 : avancée basée sur un certificat qualifié"}
# Every kind the trail records, in words: a reader must never meet a code such as ``document_added``.
_EVENT = {
    "created": "Collecte créée", "info_updated": "Titre ou message modifié", "options_updated": "Options modifiées",
    "document_added": "Document ajouté", "document_removed": "Document retiré", "signer_added": "Signataire ajouté",
    "signer_removed": "Signataire retiré", "signer_level_changed": "Niveau de signature modifié",
    "signers_reordered": "Ordre des signataires modifié", "order_changed": "Ordre des signataires modifié",
    "observer_added": "Destinataire en copie ajouté", "observer_removed": "Destinataire en copie retiré",
    "sent": "Collecte envoyée", "invited": "Invitation envoyée", "turn_postponed": "Tour de signature reporté",
    "opened": "Invitation ouverte", "reminded": "Relance", "signed": "Signature", "refused": "Refus de signer",
    "signer_replaced": "Signataire remplacé", "completed": "Collecte terminée", "expired": "Collecte expirée",
    "cancelled": "Collecte annulée", "code_sent": "Code envoyé", "code_checked": "Code vérifié",
    "code_failed": "Code refusé", "downloaded": "Téléchargement", "document_signed": "Document signé",
    "document_timestamped": "Horodatage du document (B-LTA)", "fields_created": "Champs de signature créés",
    "signature_pending": "Signature en attente d’horodatage", "identity_checked": "Vérification d’identité",
    "evidence_sealed": "Dossier de preuve scellé", "documents_purged": "Documents supprimés (durée de conservation)",
    "archive_renewed": "Horodatage d’archive renouvelé",
    "archive_renewal_failed": "Échec du renouvellement d’horodatage",
    "delivery_failed": "Message non remis",
    "sealing_started": "Scellement demandé", "document_sealed": "Document scellé (cachet du cabinet)",
    "draft_discarded": "Brouillon supprimé",
    "consent_requested": "Autorisation demandée au prestataire de signature qualifiée",
    "consent_given": "Signature autorisée chez le prestataire de signature qualifiée",
    "consent_declined": "Autorisation refusée chez le prestataire de signature qualifiée",
    "signature_page_added": "Page de signatures ajoutée",
}
# The details' keys, in words; values naming a signer by id are replaced by the signer's name.
_DETAIL = {"name": "nom", "old_name": "ancien nom", "sha256": "empreinte SHA-256", "level": "niveau",
           "reason": "motif", "automatic": "automatique", "channel": "canal", "signer_id": "signataire",
           "document_id": "document", "count": "nombre", "order": "ordre", "mode": "mode", "title": "titre",
           "deadline": "date limite", "destination": "destinataire", "approved": "accepté", "provider": "prestataire",
           "provider_code": "code du prestataire", "before": "avant", "after": "après",
           "certificate_serial": "certificat n°", "profile": "profil", "via": "par", "pdf_sha256": "PDF",
           "json_sha256": "JSON", "uploaded_sha256": "fichier reçu, avant l’ajout de la page de signatures"}
_YES_NO = {"yes": "oui", "no": "non", "True": "oui", "False": "non"}
# A failed delivery's reason code, in words (a refusal's ``reason`` is the signer's own text: kept as is).
_DELIVERY_REASON = {"refused": "refusé par le prestataire", "undelivered": "non remis malgré plusieurs essais"}
_CHANNEL = {"sms": "SMS", "email": "e-mail"}
_WIDTH, _HEIGHT, _MARGIN, _LEADING, _SIZE = 595, 842, 50, 13, 9


def _when(value: str | None) -> str:
    if not value:
        return "—"
    at = datetime.fromisoformat(value).astimezone(_PARIS)
    return f"{at.day} {_MONTHS[at.month - 1]} {at.year} à {at.hour} h {at.minute:02d} min {at.second:02d} s"


def _escape(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class PlainPdfEvidenceRenderer:
    def render(self, evidence: Mapping[str, Any], *, json_sha256: str) -> bytes:
        lines = _sealing_lines(evidence, json_sha256) if "sealing" in evidence else _lines(evidence, json_sha256)
        return _pdf(lines, json_sha256)


def _actors(e: Mapping[str, Any]) -> dict[str, str]:
    """Who an actor id is, in words: the trail records ids, the reader wants names."""
    c = e["collection"]
    names = {s["id"]: f"{s['name']} (signataire)" for s in e["signers"] if s.get("id")}
    if c.get("preparer_id"):
        names[c["preparer_id"]] = f"{c['preparer']} (préparateur)"
    return names


def _actor(actor: str | None, names: Mapping[str, str]) -> str:
    if not actor:
        return "Seing (automatique)"
    return names.get(actor, "un membre du cabinet")


def _details(details: Mapping[str, Any], names: Mapping[str, str]) -> str:
    parts = []
    for key, value in sorted(details.items()):
        if key == "timeline_index":
            continue
        text = str(value)
        if key == "signer_id":
            text = names.get(text, "un signataire retiré").removesuffix(" (signataire)")
        elif key == "channel":
            text = _CHANNEL.get(text, text)
        elif key == "reason" and "channel" in details:
            text = _DELIVERY_REASON.get(text, text)
        parts.append(f"{_DETAIL.get(key, key.replace('_', ' '))} : {_YES_NO.get(text, text)}")
    return " ; ".join(parts)


def wrapped(text: str, width: int) -> list[str]:
    """``textwrap.wrap(text, width)``, without its regular expressions for a line that already fits
    and has nothing for it to change: nearly every line of a report (a fifth of a completion's
    rendering went into them)."""
    if text and len(text) <= width and text.isprintable() and not text.endswith(" ") and not text.isspace():
        return [text]
    return textwrap.wrap(text, width)


def _lines(e: Mapping[str, Any], json_sha256: str) -> list[tuple[str, bool]]:
    c = e["collection"]
    names = _actors(e)
    out: list[tuple[str, bool]] = [("Dossier de preuve", True), ("", False)]

    def add(text: str, bold: bool = False) -> None:
        for line in wrapped(text, 100) or [""]:
            out.append((line, bold))

    add(f"Collecte : « {c['title']} » ({c['id']})", True)
    add(f"Cabinet : {c['cabinet']} — préparée par {c['preparer']} <{c['preparer_email']}>")
    add(f"État : {_STATUS.get(c['status'], c['status'])} ; invitations "
        f"{'séquentielles' if c['mode'] == 'sequential' else 'en parallèle'}")
    add(f"Créée le {_when(c['created_at'])} ; envoyée le {_when(c['sent_at'])} ; fin le {_when(c['ended_at'])}")
    add(f"Dossier établi le {_when(e['generated_at'])} (heure de Paris)")
    add(f"Empreinte SHA-256 du fichier JSON jumeau : {json_sha256}")
    add("")
    add("Signataires", True)
    for s in e["signers"]:
        add(f"• {s['name']} <{s['email']}> — {_LEVEL.get(s['level'], s['level'])} — état : {_SIGNER_STATUS.get(s['status'], s['status'])}")
        if s["signed_at"]:
            add(f"   signé le {_when(s['signed_at'])}")
        if s["refused_at"]:
            add(f"   refus le {_when(s['refused_at'])} : {s['refusal_reason'] or '(sans motif)'}")
        cert = s["certificate"]
        if cert:
            policy = "cachet de la plateforme" if cert["policy"] == "platform-seal" else cert["policy"]
            add(f"   certificat n° {cert['serial']} ; politique {policy} ; émetteur {cert['issuer']}"
                f"{' ; à usage unique' if cert['one_time'] else ''}")
            add(f"   titulaire : {cert['subject']}")
    if e["observers"]:
        add("")
        add("Destinataires en copie", True)
        for o in e["observers"]:
            add(f"• {o['name']} <{o['email']}>")
    add("")
    add("Documents (empreintes SHA-256 avant et après chaque modification)", True)
    for d in e["documents"]:
        add(f"• {d['name']} — original {d['original_sha256']}")
        for v in d["versions"]:
            kind = {"fields": "champs", "signature": "signature", "timestamp": "horodatage"}.get(v["kind"], v["kind"])
            by = names.get(v["signer_id"], "un signataire").removesuffix(" (signataire)") if v["signer_id"] else ""
            add(f"   {kind} le {_when(v['at'])}{' par ' + by if by else ''}")
            add(f"     avant {v['before']}")
            add(f"     après {v['after']}")
        add(f"   version finale {d['final_sha256']}")
    add("")
    chain = e["audit_chain"]
    add("Piste d’audit (chaînée par empreintes)", True)
    add("Chaîne intègre." if chain["valid"] else f"Chaîne rompue à l’événement n° {chain['broken_at']} !")
    for ev in e["events"]:
        details = _details(ev["details"], names)
        kind = _EVENT.get(ev["kind"], "Autre événement")
        add(f"{ev['sequence']}. {_when(ev['at'])} — {kind} — par {_actor(ev['actor'], names)}"
            f"{' — IP ' + ev['ip'] if ev['ip'] else ''}")
        if ev["user_agent"]:
            add(f"   navigateur : {ev['user_agent']}")
        if details:
            add(f"   {details}")
        add(f"   empreinte {ev['hash']}")
    return out


_PROFILE = {"advanced": "avancé (LCP)", "qualified": "profil qualifié (QCP-l, QcType eseal)"}


def _sealing_lines(e: Mapping[str, Any], json_sha256: str) -> list[tuple[str, bool]]:
    """The evidence of a « Sceller un document »: who sealed what, with which certificate, and the trail."""
    s = e["sealing"]
    names = {s["member_id"]: f"{s['sealed_by']} (membre du cabinet)"}
    out: list[tuple[str, bool]] = [("Dossier de preuve — scellement", True), ("", False)]

    def add(text: str, bold: bool = False) -> None:
        for line in wrapped(text, 100) or [""]:
            out.append((line, bold))

    add(f"Cachet de {s['cabinet']} ({s['id']})", True)
    add(f"Apposé par {s['sealed_by']} le {_when(s['sealed_at'])} (heure de Paris)"
        f"{' au moyen d’une clé d’API' if str(s['via']).startswith('api_key') else ''}")
    cert = s["certificate"]
    add(f"Certificat de cachet n° {cert['serial']} ; {_PROFILE.get(s['profile'], s['profile'])} ; "
        f"politique {cert['policy']}")
    add(f"Titulaire : {cert['subject']}")
    add(f"Dossier établi le {_when(e['generated_at'])} (heure de Paris)")
    add(f"Empreinte SHA-256 du fichier JSON jumeau : {json_sha256}")
    add("")
    add("Documents scellés (empreintes SHA-256 avant et après)", True)
    for d in e["documents"]:
        add(f"• {d['name']}")
        add(f"     avant {d['original_sha256']}")
        add(f"     après {d['final_sha256']}")
    add("")
    chain = e["audit_chain"]
    add("Piste d’audit (chaînée par empreintes)", True)
    add("Chaîne intègre." if chain["valid"] else f"Chaîne rompue à l’événement n° {chain['broken_at']} !")
    for ev in e["events"]:
        details = _details({k: v for k, v in ev["details"].items() if k != "document_id"}, names)
        add(f"{ev['sequence']}. {_when(ev['at'])} — {_EVENT.get(ev['kind'], 'Autre événement')} — par "
            f"{_actor(ev['actor'], names)}{' — IP ' + ev['ip'] if ev['ip'] else ''}")
        if ev["user_agent"]:
            add(f"   navigateur : {ev['user_agent']}")
        if details:
            add(f"   {details}")
        add(f"   empreinte {ev['hash']}")
    return out


def _pdf(lines: list[tuple[str, bool]], json_sha256: str) -> bytes:
    per_page = (_HEIGHT - 2 * _MARGIN) // _LEADING
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    objects: list[bytes] = [b"", b"",  # 1 catalog, 2 pages: filled below
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"]
    kids = []
    for number, page in enumerate(pages, start=1):
        stream = [b"BT", b"%d TL" % _LEADING, b"%d %d Td" % (_MARGIN, _HEIGHT - _MARGIN)]
        for text, bold in page:
            stream.append(b"/%s %d Tf (%s) '" % (b"F2" if bold else b"F1", _SIZE + (2 if bold else 0), _escape(text)))
        stream.append(b"ET")
        stream.append(b"BT /F1 8 Tf %d 25 Td (%s) Tj ET" % (_WIDTH - 110, _escape(f"Page {number}/{len(pages)}")))
        content = b"\n".join(stream)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        content_id = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R "
                       b"/F2 4 0 R >> >> /Contents %d 0 R >>" % (_WIDTH, _HEIGHT, content_id))
        kids.append(len(objects))
    # The JSON twin's digest, machine-readable, in the revision the seal covers: `seing verify`
    # checks an evidence JSON against it (EVIDENCE_JSON_DIGEST_KEY).
    objects.append(b"<< /Title (Dossier de preuve) /%s (%s) >>" % (EVIDENCE_JSON_DIGEST_KEY.encode(),
                                                                   _escape(json_sha256)))
    info_id = len(objects)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R /Lang (fr-FR) >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (index, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, info_id, xref)
    return bytes(out)
