"""``seing verify FILE``: a pure reader of signed PDFs and evidence files.

It never creates a file, a key or a directory, and works from any directory. Trust comes from
``--root`` certificates, the configured EU trusted list (``SEING_TRUSTED_LIST_FILE``) and, when
run inside an instance (its data directory holds an initialised CA), that instance's published
root and CRLs, read from disk; the report says which. French by default, English with
``--lang en`` (the UI's catalogue). Exit codes: 0 valid, 1 invalid, 2 cannot check.

A signature from an authority the verifier does not know (one the client's file carried before
it was sent for signature) is reported « valide, émise par une autorité que Seing ne connaît
pas » when it is intact: it does not change the exit code, which is about the signatures Seing
can vouch for (0 when they are all valid). A file whose only signatures are such answers 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

from attrs import frozen

from domain.model.errors import NotVerifiable
from domain.model.verification import EvidenceJsonCheck, SignatureCheck, Verdict, VerificationReport, verdict_of
from entrypoints.settings import Settings
from entrypoints.web.i18n import N_, translations

__all__ = ["EXIT_CODES", "add_verify_parser", "cmd_verify"]

EXIT_CODES = {Verdict.VALID: 0, Verdict.INVALID: 1, Verdict.UNDETERMINED: 2}

_VERDICTS = {
    Verdict.VALID: N_("VALIDE"),
    Verdict.INVALID: N_("NON VALIDE"),
    Verdict.UNDETERMINED: N_("IMPOSSIBLE À VÉRIFIER"),
}
_YES = {True: N_("oui"), False: N_("non")}
FOREIGN_VALID = N_("valide, émise par une autorité que Seing ne connaît pas")
_NO_TRUST = N_(
    "Aucune source de confiance : ni --root, ni liste de confiance configurée, ni instance Seing dans ce "
    "répertoire. Indiquez la racine de l’autorité avec --root FICHIER (PEM ou DER)."
)


@frozen
class TrustSource:
    kind: str  # "root", "trusted_list", "local_instance"
    source: str


def add_verify_parser(sub: Any, handler: Callable[..., int]) -> None:
    verify = sub.add_parser(
        "verify", help="check a signed PDF, a sealed evidence PDF or an evidence JSON (exit 0 valid, 1 invalid, "
                       "2 cannot check); creates nothing")
    verify.add_argument("file")
    verify.add_argument("--json", action="store_true", help="the report as JSON")
    verify.add_argument("--root", action="append", default=[],
                        help="a trusted root certificate (PEM or DER); repeatable")
    verify.add_argument("--evidence-pdf", help="for an evidence JSON: the sealed evidence PDF "
                                               "(default: the .pdf of the same name beside it)")
    verify.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the report (default fr)")
    verify.set_defaults(handler=handler)


def _der(data: bytes) -> bytes:
    if b"-----BEGIN" in data:
        import base64

        body = b"".join(line for line in data.splitlines() if line and not line.startswith(b"-----"))
        return base64.b64decode(body)
    return data


def _verifier(settings: Settings, roots: list[str]) -> tuple[Any, list[TrustSource]]:
    """The read-only verifier and the trust sources it found. Reads files only."""
    from adapters.ca.published import read_published_hierarchy
    from adapters.signing.trusted_list import load_trusted_list
    from adapters.system.clock import SystemClock
    from entrypoints.composition.ceremony_wiring import make_reader_verifier

    sources: list[TrustSource] = []
    anchors: list[bytes] = []
    for root in roots:
        try:
            anchors.append(_der(Path(root).read_bytes()))
        except OSError as error:
            raise NotVerifiable(f"cannot read the root certificate {root}: {error.strerror}") from None
        sources.append(TrustSource("root", str(root)))
    trusted_list = None
    if settings.trusted_list_file:
        try:
            trusted_list = load_trusted_list(Path(settings.trusted_list_file))
        except Exception as error:  # noqa: BLE001 - a list we cannot read vouches for nobody
            raise NotVerifiable(f"cannot read the trusted list {settings.trusted_list_file}: {error}") from None
        anchors += sorted(trusted_list.qualified_ca_certificates)
        sources.append(TrustSource("trusted_list", trusted_list.source))
    hierarchy = read_published_hierarchy(settings.pki_dir)
    ca_certificates: list[bytes] = []
    seals: list[bytes] = []
    if hierarchy is not None:
        anchors.append(hierarchy.root)
        ca_certificates = list(hierarchy.ca_certificates.values())
        seals = [hierarchy.platform_seal] if hierarchy.platform_seal else []
        sources.append(TrustSource("local_instance", str(hierarchy.directory)))
    # The proof the file alone carries is judged at the real date: nothing else makes sense here.
    verifier = make_reader_verifier(roots=list(dict.fromkeys(anchors)), clock=SystemClock(), ca_certificates=ca_certificates,
                                    platform_seals=seals, revocation_source=hierarchy, trusted_list=trusted_list)
    return verifier, sources


def _sealed_pdf_for(json_path: Path, given: str | None) -> Path:
    return Path(given) if given else json_path.with_suffix(".pdf")


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from domain.services.verification import verify_evidence_json, verify_pdf

    gettext = translations(args.lang).gettext
    path = Path(args.file)
    result: dict[str, Any] = {"file": str(path)}
    sources: list[TrustSource] = []
    try:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise NotVerifiable(f"cannot read {path}: {error.strerror}") from None
        verifier, sources = _verifier(settings, list(args.root))
        result["trust"] = [{"kind": s.kind, "source": s.source} for s in sources]
        if content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            sealed_path = _sealed_pdf_for(path, args.evidence_pdf)
            try:
                json.loads(content)
                sealed = sealed_path.read_bytes()
            except ValueError:
                raise NotVerifiable("neither a PDF nor a JSON document") from None
            except OSError:
                raise NotVerifiable(f"the sealed evidence PDF {sealed_path} cannot be read: give it with "
                                    "--evidence-pdf", missing_pdf=str(sealed_path)) from None
            check = verify_evidence_json(verifier=verifier, json_content=content, sealed_pdf=sealed)
            verdict = check.verdict
            result.update(kind="evidence_json", sealed_pdf=str(sealed_path), evidence=check.as_dict())
            lines = _evidence_lines(check, path, sealed_path, gettext)
        else:
            report = verify_pdf(verifier=verifier, content=content)
            verdict = verdict_of(report)
            result.update(kind="pdf", report=report.as_dict())
            lines = _pdf_lines(report, path, gettext)
    except Exception as error:  # noqa: BLE001 - whatever stops the check, the answer is "cannot check"
        detail = error.detail if isinstance(error, NotVerifiable) else f"{type(error).__name__}: {error}"
        code = error.code if isinstance(error, NotVerifiable) else "verification.failed"
        verdict = Verdict.UNDETERMINED
        result.update(error={"code": code, "detail": detail})
        lines = [gettext("Fichier : %(file)s") % {"file": path},
                 gettext("Vérification impossible : %(reason)s") % {"reason": detail}]
    result.update(verdict=verdict.value, exit_code=EXIT_CODES[verdict])
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return EXIT_CODES[verdict]
    for line in lines:
        print(line)
    for line in _trust_lines(sources, gettext, verdict):
        print(line)
    print(gettext("Résultat : %(verdict)s") % {"verdict": gettext(_VERDICTS[verdict])})
    return EXIT_CODES[verdict]


def _trust_lines(sources: list[TrustSource], gettext: Callable[[str], str], verdict: Verdict) -> list[str]:
    labels = {
        "root": N_("racine donnée par --root (%(source)s)"),
        "trusted_list": N_("liste de confiance configurée (%(source)s)"),
        "local_instance": N_("autorité de l’instance Seing locale (%(source)s)"),
    }
    if not sources:
        return [gettext(_NO_TRUST)] if verdict is not Verdict.INVALID else []
    described = " ; ".join(gettext(labels[s.kind]) % {"source": s.source} for s in sources)
    return [gettext("Confiance : %(sources)s") % {"sources": described}]


def _pdf_lines(report: VerificationReport, path: Path, gettext: Callable[[str], str]) -> list[str]:
    yes = {k: gettext(v) for k, v in _YES.items()}
    lines = [gettext("Fichier : %(file)s (SHA-256 %(sha256)s)") % {"file": path, "sha256": report.file_sha256}]
    if report.trusted_list:
        lines.append(gettext("Liste de confiance : %(source)s") % {"source": report.trusted_list})
    for number, check in enumerate(report.signatures, start=1):
        lines += _signature_lines(number, check, gettext, yes)
    lines.append(gettext("Document entier couvert : %(yes)s") % {"yes": yes[report.whole_document_covered]})
    return lines


def _signature_lines(number: int, check: SignatureCheck, gettext: Callable[[str], str],
                     yes: dict[bool, str]) -> list[str]:
    if check.kind == "document_timestamp":
        kind = gettext("Horodatage du document")
    else:
        kind = gettext("Cachet") if check.seal_of else gettext("Signature")
    # A seal is an organisation's, not a person's: « Cachet de … », and no person's level.
    who = (gettext("Cachet de %(organization)s") % {"organization": check.seal_of} if check.seal_of
           else gettext("Signataire : %(name)s") % {"name": check.signer_name})
    lines = [gettext("%(kind)s n° %(number)s — champ %(field)s") % {"kind": kind, "number": number,
                                                                     "field": check.field_name},
             "  " + who,
             "  " + gettext("Date (horodatage) : %(when)s") % {
                 "when": check.signing_time.isoformat() if check.signing_time else gettext("inconnue")}]
    if check.kind == "signature" and check.seal_of:
        lines.append("  " + gettext("Cachet électronique ; PAdES %(pades)s") % {"pades": check.pades_level})
    elif check.kind == "signature":
        lines.append("  " + gettext("Niveau : %(level)s ; PAdES %(pades)s") % {
            "level": check.level if check.level is not None else gettext("indéterminé"), "pades": check.pades_level})
    if check.kind == "signature":
        if check.proven_level:
            lines.append("  " + gettext("Preuve par le fichier seul (hors ligne) : PAdES %(level)s, établie au %(when)s")
                         % {"level": check.proven_level,
                            "when": check.proven_at.isoformat() if check.proven_at else gettext("inconnue")})
        else:
            lines.append("  " + gettext("Preuve par le fichier seul (hors ligne) : aucune"))
        lines.append("  " + gettext("Qualifiée : %(yes)s") % {"yes": yes[check.qualified]}
                     + (f" ({check.trust_source})" if check.trust_source else ""))
    if check.valid_unknown_authority:
        state = gettext(FOREIGN_VALID)
    else:
        state = gettext("valide") if check.ok else gettext("non valide")
    lines.append("  " + gettext("État : %(state)s") % {"state": state})
    lines.append("  " + gettext("Intègre : %(intact)s ; certificat de confiance : %(trusted)s ; "
                                "état du certificat : %(status)s") % {
        "intact": yes[check.intact and check.valid], "trusted": yes[check.trusted], "status": check.certificate_status})
    lines.append("  " + gettext("Couverture : %(coverage)s ; modifications ensuite : %(after)s") % {
        "coverage": check.coverage, "after": check.modifications_after})
    return lines


def _evidence_lines(check: EvidenceJsonCheck, path: Path, sealed_path: Path,
                    gettext: Callable[[str], str]) -> list[str]:
    yes = {k: gettext(v) for k, v in _YES.items()}
    lines = [gettext("Dossier de preuve JSON : %(file)s (SHA-256 %(sha256)s)") % {"file": path,
                                                                                  "sha256": check.json_sha256},
             gettext("Empreinte liée par le scellement de %(pdf)s : %(bound)s") % {
                 "pdf": sealed_path, "bound": check.bound_sha256 or gettext("aucune")},
             gettext("Le JSON correspond au dossier scellé : %(yes)s") % {"yes": yes[check.matches]}]
    if check.bound_sha256 is not None and not check.matches:
        lines.append(gettext("Le fichier JSON a été modifié depuis le scellement du dossier de preuve."))
    return lines + _pdf_lines(check.sealed_pdf, sealed_path, gettext)
