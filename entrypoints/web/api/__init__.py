"""The JSON API under ``/api/v1``, documented by Litestar's OpenAPI at ``/schema``.

``create_app`` calls :func:`include_api` with its ``AppConfig``: the API router, the
problem-details exception handlers (for ``/api`` paths only) and the OpenAPI config are
added there. Authentication is the pages' server-side session cookie; unsafe methods need
the CSRF token in ``X-CSRFToken`` (read it with ``GET /api/v1/csrf``). Errors are RFC 9457
problem details (``application/problem+json``) with a stable ``code`` and French text.
"""

from __future__ import annotations

from litestar import Router
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from entrypoints.web.api.access import ApiKeyAuthentication, IdempotentPosts
from entrypoints.web.api.account import AccountController
from entrypoints.web.api.api_keys import ApiKeysController
from entrypoints.web.api.auth import CsrfController, PasswordResetController, SessionController
from entrypoints.web.api.cabinets import CabinetsController
from entrypoints.web.api.ceremony import (
    CeremonyController,
    CollectionResultsController,
    DownloadsController,
    VerificationsController,
)
from entrypoints.web.api.collections import CollectionsController, CollectionSendingController, SignerChoicesController
from entrypoints.web.api.invitations import InvitationsController
from entrypoints.web.api.my_signature import LcpRegistrationController, MySignatureController
from entrypoints.web.api.qcp import BackOfficeController, IdentityCapturesController, QcpEnrollmentsController
from entrypoints.web.api.seals import SealsController
from entrypoints.web.api.webhooks import WebhooksController
from entrypoints.web.deps import provide_use_cases
from entrypoints.web.problems import api_exception_handlers, install_problem_handlers

__all__ = ["API_VERSION", "api_router", "include_api", "openapi_config"]

API_VERSION = "1.0.0"
API_MAX_BODY_BYTES = 64 * 1024

_DESCRIPTION = """\
API JSON de Seing, pour les mêmes usages que l’interface web.

**Authentification** : la session serveur de l’interface (cookie `seing_session`), ouverte
par `POST /api/v1/session` (puis `POST /api/v1/session/second-factor` si le compte a la
double authentification).

**CSRF** : la session étant un cookie, toute requête POST, PUT ou DELETE doit porter le
jeton CSRF dans l’en-tête `X-CSRFToken`. Lisez-le avec `GET /api/v1/csrf` (la réponse pose
aussi le cookie `seing_csrf`, à renvoyer avec la requête). Exceptions : les routes
`/signature/{token}/…` et `/downloads/{token}/…`, autorisées par le seul jeton secret du
lien reçu par e-mail (jamais par le cookie), et `POST /verifications`, public et sans effet :
elles n’ont pas besoin de jeton CSRF.

**Clés d’API** : un programme s’authentifie plutôt avec une clé créée par l’expert-comptable
titulaire dans « Clés d’API » (ou `POST /cabinets/{cabinet_id}/api-keys`), envoyée dans l’en-tête
`Authorization: Bearer <clé>`. Sans cookie, pas de jeton CSRF. Une clé agit pour la personne qui
l’a créée, dans son seul cabinet (tout autre cabinet répond 404), selon ses portées : `read`
(consulter), `prepare` (créer, envoyer et gérer les collectes), `seal` (cachet du cabinet),
`admin` (membres, invitations, clés ; comprend les autres). Les opérations personnelles (profil,
certificats, session) refusent les clés.

**Idempotence** : les POST qui créent ou envoient acceptent l’en-tête `Idempotency-Key` (1 à
255 caractères ASCII visibles, conservé 24 heures par clé d’API ou par personne). La même requête
renvoyée avec la même clé reçoit la première réponse (en-tête `Idempotent-Replayed: true`) sans
rien créer ni envoyer de plus ; une autre requête avec la même clé est refusée (422,
`idempotency.key_reused`). La création d’une clé d’API n’est pas rejouable : son secret n’est
jamais conservé.

**Erreurs** : détails de problème RFC 9457 (`application/problem+json`) avec un `code`
stable, un `detail` en français et, pour une saisie refusée, `errors` par champ.
"""

_TAGS = [
    Tag(name="Session", description="Connexion, second facteur, déconnexion, jeton CSRF, mot de passe oublié"),
    Tag(name="Moi", description="La personne connectée : profil, langue, mot de passe, double authentification"),
    Tag(name="Cabinets", description="Mes cabinets, leurs membres, invitations et délégations"),
    Tag(name="Invitations", description="Liens d’invitation reçus par e-mail"),
    Tag(name="Collectes", description="Préparer, envoyer et suivre les collectes de signatures"),
    Tag(name="Signature", description="Ma signature personnelle, l’enregistrement LCP (« S’enregistrer ») et mes certificats"),
    Tag(name="Signataire", description="Les étapes du signataire depuis son lien (sans compte ni jeton CSRF) : "
        "ouvrir, recevoir le code, signer, refuser, vérification d’identité"),
    Tag(name="Téléchargements", description="Liens de téléchargement sécurisés et temporaires : PDF signés "
        "et dossier de preuve"),
    Tag(name="Vérification", description="Vérifier un PDF signé ou un dossier de preuve (public)"),
    Tag(name="Certificat qualifié", description="Souscrire à un certificat qualifié (QCP) : chaque étape du parcours, "
                                                "et la capture d’identité"),
    Tag(name="Opérateur d’enregistrement", description="Vérifications d’identité et validation des demandes QCP"),
    Tag(name="Cachet du cabinet", description="Le certificat de cachet (demandé par un membre, approuvé par "
                                              "l’expert-comptable) et le scellement de documents"),
    Tag(name="Webhooks", description="Les événements du cabinet envoyés à vos serveurs, signés "
                                     "(en-tête Seing-Signature), et le journal des envois"),
]

api_router = Router(
    path="/api/v1",
    route_handlers=[CsrfController, SessionController, PasswordResetController, AccountController,
                    CabinetsController, ApiKeysController, WebhooksController, InvitationsController,
                    MySignatureController, LcpRegistrationController,
                    CollectionsController, CollectionSendingController, SignerChoicesController, QcpEnrollmentsController,
                    IdentityCapturesController, BackOfficeController,
                    CeremonyController, DownloadsController, VerificationsController, CollectionResultsController,
                    SealsController],
    exception_handlers=api_exception_handlers(),
    # The key's principal first (it names who the idempotency records belong to).
    middleware=[ApiKeyAuthentication, IdempotentPosts],
    # JSON bodies here are a few fields: refuse anything bigger early (413 problem).
    request_max_body_size=API_MAX_BODY_BYTES,
)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Seing API",
        version=API_VERSION,
        description=_DESCRIPTION,
        tags=_TAGS,
        path="/schema",
        use_handler_docstrings=True,
        # JSON and YAML only: the HTML viewers load scripts from CDNs, which our CSP refuses.
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        components=Components(security_schemes={
            "cleApi": SecurityScheme(type="http", scheme="bearer",
                                     description="Clé d’API du cabinet : Authorization: Bearer seing.<id>.<secret>"),
        }),
    )


def include_api(app_config: AppConfig) -> AppConfig:
    """Add the API router, its problem handlers and the OpenAPI document to an app config."""
    app_config.route_handlers.append(api_router)
    # The pages register the same provider app-wide; Litestar refuses an equal provider
    # registered again on a router, so the API only adds it when it is missing.
    app_config.dependencies.setdefault("use_cases", Provide(provide_use_cases, sync_to_thread=False))
    install_problem_handlers(app_config)
    app_config.openapi_config = openapi_config()
    return app_config
