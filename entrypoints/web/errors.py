"""Domain error codes → HTTP status and French message, shared by the pages and the API.

Messages are French source strings (gettext msgids): the pages translate them for the
request's language when rendering, the API may do the same. A code missing here falls
back to the nearest parent class's code, then to a generic 400.
"""

from __future__ import annotations

from typing import Any

from attrs import field as attr_field
from attrs import frozen

from domain.model.errors import DomainError
from entrypoints.web.i18n import N_, translate


@frozen
class ErrorInfo:
    status: int
    message: str  # French msgid, may hold %(name)s placeholders filled from ``params``
    field: str | None = None
    params: dict[str, Any] = attr_field(factory=dict)

    def text(self, locale: str) -> str:
        """The message in ``locale`` with its parameters filled in."""
        try:
            return translate(locale, self.message, **self.params)
        except (KeyError, TypeError, ValueError):
            return translate(locale, self.message)


_BY_CODE: dict[str, tuple[int, str]] = {
    "domain.error": (400, N_("Cette opération n’est pas possible.")),
    "value.invalid": (400, N_("Cette valeur n’est pas valide.")),
    "siren.invalid": (400, N_("Le numéro SIREN n’est pas valide (9 chiffres, clé de contrôle).")),
    "email.invalid": (400, N_("Cette adresse e-mail n’est pas valide.")),
    "mobile.invalid": (400, N_("Ce numéro de mobile n’est pas valide (par exemple 06 12 34 56 78).")),
    "name.invalid": (400, N_("Ce nom n’est pas valide.")),
    "password.weak": (400, N_("Ce mot de passe est trop court\u00a0: choisissez-en un d’au moins %(min_length)s caractères.")),
    "not_found": (404, N_("Cet élément n’existe pas ou n’est plus disponible.")),
    "permission.denied": (403, N_("Vous n’avez pas le droit de faire cela.")),
    "member.not_owner": (403, N_("Seul l’expert-comptable titulaire du cabinet peut faire cela.")),
    "member.missing_delegation": (403, N_("Vous n’avez pas la délégation nécessaire dans ce cabinet.")),
    "member.duplicate": (409, N_("Cette personne est déjà membre du cabinet ou déjà invitée.")),
    "member.last_owner": (409, N_("Le cabinet doit garder au moins un expert-comptable titulaire.")),
    "invitation.unusable": (410, N_("Ce lien d’invitation n’est plus valide\u00a0: il a expiré, a déjà servi ou a été révoqué.")),
    "account.email_taken": (409, N_("Cette adresse e-mail est déjà utilisée.")),
    "auth.invalid_credentials": (
        401,
        N_("Adresse e-mail ou mot de passe incorrect. Après 5 erreurs, le compte est bloqué pendant 15 minutes."),
    ),
    "auth.second_factor_required": (401, N_("Saisissez le code de votre application d’authentification.")),
    "auth.invalid_second_factor": (400, N_("Ce code n’est pas valide.")),
    "auth.second_factor_state": (409, N_("La double authentification est déjà dans cet état.")),
    "auth.reset_token_unusable": (410, N_("Ce lien de réinitialisation n’est plus valide. Demandez-en un nouveau.")),
    "auth.wrong_current_password": (400, N_("Le mot de passe actuel est incorrect.")),
    "cabinet.siren_taken": (409, N_("Un cabinet avec ce numéro SIREN existe déjà.")),
    "otp.refused": (400, N_("Ce code n’est pas valide.")),
    "otp.not_requested": (400, N_("Aucun code n’a été envoyé. Demandez un code.")),
    "otp.invalid": (400, N_("Ce code n’est pas valide. Il vous reste %(remaining_tries)s essai(s).")),
    "otp.expired": (400, N_("Ce code a expiré. Demandez-en un nouveau.")),
    "otp.dead": (400, N_("Ce code n’est plus utilisable. Demandez-en un nouveau.")),
    "otp.already_used": (400, N_("Ce code a déjà été utilisé. Demandez-en un nouveau.")),
    "otp.payload_mismatch": (409, N_("Les documents ont changé depuis l’envoi du code. Demandez un nouveau code.")),
    "otp.resend_refused": (429, N_("Un code vient d’être envoyé. Patientez %(retry_after_seconds)s secondes avant d’en demander un autre.")),
    "otp.resend_limit": (429, N_("Trop de codes ont été demandés. Réessayez plus tard.")),
    "storage.conflict": (409, N_("Quelqu’un a modifié ces informations en même temps que vous. Rechargez la page et réessayez.")),
    "storage.unique_violation": (409, N_("Cet élément existe déjà.")),
}

# Some messages depend on the field the value was refused for.
_BY_FIELD: dict[str, str] = {
    "given_names": N_("Indiquez un prénom valide."),
    "surname": N_("Indiquez un nom valide."),
    "cabinet_name": N_("Indiquez le nom du cabinet (200 caractères au plus)."),
    "locale": N_("Cette langue n’est pas proposée."),
}


def describe(error: DomainError) -> ErrorInfo:
    """Status and French message for a domain error, looking up its class hierarchy."""
    field = getattr(error, "field", None)
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code in _BY_CODE:
            status, message = _BY_CODE[code]
            if code in ("value.invalid", "name.invalid") and field in _BY_FIELD:
                message = _BY_FIELD[field]
            return ErrorInfo(status=status, message=message, field=field, params=_plain(error.params))
    return ErrorInfo(status=400, message=_BY_CODE["domain.error"][1], field=field, params=_plain(error.params))


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float))}
