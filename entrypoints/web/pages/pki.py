"""The public PKI repository, as a CA publishes it: no login, machine-readable where the protocols say so.

- ``GET /pki``: the repository page (French HTML; JSON for ``Accept: application/json``): CA
  certificates, CRL, OCSP and TSA addresses, certificate policies, PDS and terms;
- ``GET /pki/ca/<name>.der|.pem``: a CA certificate; ``GET /pki/crl/<name>.crl``: its CRL (DER);
- ``POST /pki/ocsp`` and ``GET /pki/ocsp/<base64>``: the RFC 6960 responder (appendix A);
- ``POST /pki/tsa``: the RFC 3161 time-stamping authority (HTTP transport, RFC 3161 §3.4);
- ``GET /pki/pds`` (French) and ``/pki/pds/en``: the PKI disclosure statement that QCP
  certificates name in their QcPDS statement (EN 319 412-5); ``GET /pki/cgu``: the terms.

OCSP and TSA clients are programs without a browser session: those two paths skip CSRF
(see ``CSRF_EXEMPT_PATHS`` in app.py). A refusal the protocol can express (garbage query)
is answered in the protocol; a wrong media type is a 415; nothing here answers a 500 for
bad input. A CA not initialised yet answers 503 with a French sentence.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ssl
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from litestar import MediaType, Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, RawBody
from litestar.response import Template

from domain.model.errors import CaNotInitialised, CertificateNotFound
from domain.model.pki import CaName, CertificateKind, CertificatePolicy
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_, request_locale, translations
from entrypoints.web.pages.common import render
from ports.ca import CertificateAuthority
from ports.timestamping import (
    ETSI_BEST_PRACTICES_TSA_POLICY,
    TIMESTAMP_QUERY_MEDIA_TYPE,
    TIMESTAMP_REPLY_MEDIA_TYPE,
    TimestampResponder,
)

__all__ = ["PKI_MAX_BODY", "pki_router", "OCSP_REQUEST", "OCSP_RESPONSE"]

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
CRL_MEDIA_TYPE = "application/pkix-crl"
CERT_DER_MEDIA_TYPE = "application/pkix-cert"
PEM_MEDIA_TYPE = "application/x-pem-file"
PKI_MAX_BODY = 64 * 1024  # an OCSP request or a TimeStampReq is a few hundred bytes

WRONG_MEDIA_TYPE = N_("Type de contenu non pris en charge\u00a0: envoyez «\u00a0%(expected)s\u00a0».")

# Names and standards of the policies the built-in CA issues under.
POLICIES = [
    {"name": "LCP", "oid": CertificatePolicy.LCP.oid, "standard": "ETSI EN 319 411-1",
     "label": N_("Certificat de signature avancée d’une personne physique (LCP)")},
    {"name": "QCP-n", "oid": CertificatePolicy.QCP_N.oid, "standard": "ETSI EN 319 411-2",
     "label": N_("Profil de certificat qualifié d’une personne physique (QCP-n)")},
]
CA_LABELS = {
    CaName.ROOT: N_("Autorité racine"),
    CaName.LCP: N_("Autorité émettrice LCP"),
    CaName.QCP: N_("Autorité émettrice QCP-n"),
}


# Helpers ---------------------------------------------------------------------------------


def _container(request: Request) -> Any:
    return request.app.state.container


def _use_cases(request: Request) -> UseCases:
    return _container(request).facade()  # type: ignore[no-any-return]


def _ca(request: Request) -> CertificateAuthority:
    return _use_cases(request).certificate_authority()


def _base_url(request: Request) -> str:
    """Where this server is published (the URLs written in the certificates)."""
    settings = _container(request).settings()
    return (getattr(settings, "pki_publication_url", "") or settings.resolved_public_url).rstrip("/")


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _wrong_media_type(request: Request, expected: str) -> Response:
    text = translations(request_locale(request)).gettext(WRONG_MEDIA_TYPE) % {"expected": expected}
    return Response(content=text, status_code=415, media_type=MediaType.TEXT, headers={"Accept": expected})


def _ca_name(value: str, suffix: str) -> CaName:
    if not value.endswith(suffix):
        raise NotFoundException()
    try:
        return CaName(value[: -len(suffix)])
    except ValueError:
        raise NotFoundException() from None


def _wants_json(request: Request) -> bool:
    best = request.accept.best_match(["text/html", "application/json"], default="text/html")
    return best == "application/json"


def _on_ca_not_initialised(request: Request, exc: CaNotInitialised) -> Response:
    """503 in the form the caller reads: the error page, JSON, or one plain sentence."""
    info = describe(exc)
    text = info.text(translations(request_locale(request)).gettext)
    headers = {"Retry-After": "300", "Cache-Control": "no-store"}
    path = request.url.path
    if path == "/pki" and _wants_json(request):
        return Response(content={"status": 503, "code": info.code, "detail": text}, status_code=503,
                        media_type=MediaType.JSON, headers=headers)
    if path in ("/pki", "/pki/") or path.startswith("/pki/pds") or path == "/pki/cgu":
        response = Template(template_name="error.html", context={"status": 503, "message": info.message},
                            status_code=503, media_type=MediaType.HTML)
        response.headers.update(headers)
        return response
    return Response(content=text, status_code=503, media_type=MediaType.TEXT, headers=headers)


def _certificate_facts(der: bytes) -> dict[str, Any]:
    certificate = x509.load_der_x509_certificate(der)
    return {"subject": certificate.subject.rfc4514_string(),
            "not_before": certificate.not_valid_before_utc, "not_after": certificate.not_valid_after_utc,
            "serial": format(certificate.serial_number, "x"),
            "sha256": hashlib.sha256(der).hexdigest()}


def _repository(request: Request) -> dict[str, Any]:
    ca = _ca(request)
    base = _base_url(request)
    settings = _container(request).settings()
    cas = []
    for entry in ca.ca_certificates():
        facts = _certificate_facts(entry.der)
        policy = entry.policy.oid if entry.policy else None
        cas.append({"name": entry.name.value, "label": CA_LABELS.get(entry.name, entry.name.value),
                    "subject": facts["subject"], "serial": facts["serial"], "policy_oid": policy,
                    "not_before": facts["not_before"], "not_after": facts["not_after"],
                    "sha256": facts["sha256"],
                    "der_url": f"{base}/pki/ca/{entry.name.value}.der",
                    "pem_url": f"{base}/pki/ca/{entry.name.value}.pem",
                    "crl_url": f"{base}/pki/crl/{entry.name.value}.crl"})
    return {
        "ca_certificates": cas,
        "crls": [{"issuer": c["name"], "url": c["crl_url"]} for c in cas],
        "ocsp_url": f"{base}/pki/ocsp",
        "tsa_url": f"{base}/pki/tsa",
        "tsa_policy_oid": ETSI_BEST_PRACTICES_TSA_POLICY,
        "policies": [{k: p[k] for k in ("name", "oid", "standard", "label")} for p in POLICIES],
        "pds": [{"language": "fr", "url": f"{base}/pki/pds"}, {"language": "en", "url": f"{base}/pki/pds/en"}],
        "terms": {"version": settings.lcp_terms_version, "url": f"{base}/pki/cgu"},
    }


def _as_json(repository: dict[str, Any], gettext: Any) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    data = plain(repository)
    for item in data["ca_certificates"] + data["policies"]:
        item["label"] = gettext(item["label"])
    return data


# Repository ------------------------------------------------------------------------------


@get(["/pki", "/pki/"], name="pki_repository", sync_to_thread=True)
def repository(request: Request) -> Response:
    """The repository page; JSON for ``Accept: application/json``."""
    data = _repository(request)
    if _wants_json(request):
        gettext = translations(request_locale(request)).gettext
        return Response(content=_as_json(data, gettext), media_type=MediaType.JSON,
                        headers={"Vary": "Accept", "Cache-Control": "public, max-age=300"})
    response = render(request, "pki/repository.html", pki=data)
    response.headers["Vary"] = "Accept"
    return response


@get("/pki/pds", name="pki_pds_fr", sync_to_thread=False)
def pds_french(request: Request) -> Template:
    return render(request, "pki/pds.html", pds_lang="fr", terms_version=_container(request).settings().lcp_terms_version,
                  base_url=_base_url(request))


@get("/pki/pds/en", name="pki_pds_en", sync_to_thread=False)
def pds_english(request: Request) -> Template:
    return render(request, "pki/pds_en.html", pds_lang="en", terms_version=_container(request).settings().lcp_terms_version,
                  base_url=_base_url(request))


@get("/pki/cgu", name="pki_terms", sync_to_thread=False)
def terms(request: Request) -> Template:
    return render(request, "pki/cgu.html", terms_version=_container(request).settings().lcp_terms_version,
                  base_url=_base_url(request))


# Certificates and CRLs -------------------------------------------------------------------


@get("/pki/ca/{filename:str}", name="pki_ca_certificate", sync_to_thread=True)
def ca_certificate(request: Request, filename: FromPath[str]) -> Response:
    fmt = "pem" if filename.endswith(".pem") else "der"
    name = _ca_name(filename, "." + fmt)
    entry = next((c for c in _ca(request).ca_certificates() if c.name is name), None)
    if entry is None:
        raise NotFoundException()
    headers = {"Content-Disposition": f'attachment; filename="seing-{name.value}.{fmt}"',
               "Cache-Control": "public, max-age=3600"}
    if fmt == "pem":
        return Response(content=ssl.DER_cert_to_PEM_cert(entry.der).encode("ascii"), media_type=PEM_MEDIA_TYPE,
                        headers=headers)
    return Response(content=entry.der, media_type=CERT_DER_MEDIA_TYPE, headers=headers)


@get("/pki/crl/{filename:str}", name="pki_crl", sync_to_thread=True)
def crl(request: Request, filename: FromPath[str]) -> Response:
    if filename.startswith("tsa-"):
        # One TSA certificate's own CRL (tsa-<serial>.crl, the address the certificate names).
        stem, content = filename.removesuffix(".crl"), _tsa_crl(request, filename)
    else:
        name = _ca_name(filename, ".crl")
        stem, content = name.value, _ca(request).crl(name)
    # Short cache: a revocation must reach relying parties fast (the CRL is republished at once).
    return Response(content=content, media_type=CRL_MEDIA_TYPE,
                    headers={"Cache-Control": "public, max-age=60",
                             "Content-Disposition": f'inline; filename="{stem}.crl"'})


def _tsa_crl(request: Request, filename: str) -> bytes:
    serial = filename.removeprefix("tsa-").removesuffix(".crl")
    if not filename.endswith(".crl") or not serial or any(c not in "0123456789abcdef" for c in serial):
        raise NotFoundException()
    ca = _ca(request)
    try:
        if ca.certificate(serial).kind is not CertificateKind.TSA:
            raise NotFoundException()
    except CertificateNotFound:
        raise NotFoundException() from None
    return ca.crl_for(serial)


# OCSP (RFC 6960) -------------------------------------------------------------------------


def _ocsp_malformed() -> bytes:
    return asn1_ocsp.OCSPResponse({"response_status": "malformed_request"}).dump()


def _ocsp_answer(request: Request, der: bytes) -> Response:
    ca = _ca(request)
    ca.ca_certificates()  # raises CaNotInitialised (503) rather than a bare tryLater
    return Response(content=ca.ocsp_response(der), media_type=OCSP_RESPONSE,
                    headers={"Cache-Control": "no-cache"})


@post("/pki/ocsp", name="pki_ocsp_post", sync_to_thread=True, status_code=200)
def ocsp_post(request: Request, body: RawBody) -> Response:
    if _media_type(request) != OCSP_REQUEST:
        return _wrong_media_type(request, OCSP_REQUEST)
    return _ocsp_answer(request, body)


@get("/pki/ocsp/{encoded:path}", name="pki_ocsp_get", sync_to_thread=True)
def ocsp_get(request: Request, encoded: FromPath[str]) -> Response:
    """RFC 6960 appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}."""
    # The router drops a trailing slash, which is a legitimate last base64 character: read the raw path.
    raw = request.scope.get("raw_path") or b""
    prefix = b"/pki/ocsp/"
    text = urllib.parse.unquote(raw[len(prefix):].decode("ascii", "replace") if raw.startswith(prefix)
                                else encoded.lstrip("/"))
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:  # some clients use the URL-safe alphabet
            der = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            der = b""
    if not der:
        return Response(content=_ocsp_malformed(), media_type=OCSP_RESPONSE)
    return _ocsp_answer(request, der)


# Time-stamping (RFC 3161) ----------------------------------------------------------------

def _tsa_responder(request: Request) -> TimestampResponder:
    """The platform's own in-process TSA, a provider of the composition root on the CA's TSA
    credential (its key stays in the vault). It answers here even when the platform itself stamps
    through a remote TSA, which this endpoint must not relay to."""
    return _use_cases(request).timestamp_responder()


@post("/pki/tsa", name="pki_tsa", sync_to_thread=True, status_code=200)
def tsa(request: Request, body: RawBody) -> Response:
    if _media_type(request) != TIMESTAMP_QUERY_MEDIA_TYPE:
        return _wrong_media_type(request, TIMESTAMP_QUERY_MEDIA_TYPE)
    # RFC 3161 answers refusals (garbage, unknown algorithm…) inside the reply, with HTTP 200.
    return Response(content=_tsa_responder(request).respond(body), media_type=TIMESTAMP_REPLY_MEDIA_TYPE,
                    headers={"Cache-Control": "no-store"})


pki_router = Router(
    path="/",
    route_handlers=[repository, pds_french, pds_english, terms, ca_certificate, crl, ocsp_post, ocsp_get, tsa],
    exception_handlers={CaNotInitialised: _on_ca_not_initialised},
    request_max_body_size=PKI_MAX_BODY,
    include_in_schema=False,
)
