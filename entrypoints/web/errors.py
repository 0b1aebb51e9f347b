"""One place that turns refusals into an HTTP status and a French sentence.

Both the HTML pages (message next to the field) and the JSON API (problem details) read
this module. Messages are French source strings marked with ``N_``: they are gettext
msgids, translated when shown (``ErrorInfo.text(gettext)``), never here.

Lookup walks the error's class hierarchy, so a new ``DomainError`` subclass always gets
the status and message of its nearest known parent (``InvalidValue`` → 422,
``NotFound`` → 404, ``PermissionDenied`` → 403, ``InvalidCredentials`` → 401, anything
else → 409). ``tests/api/test_error_catalogue.py`` still insists that every code has a
sentence of its own, so a new code cannot be forgotten.

cattrs structuring errors (bad input shape) are turned into the same kind of field
messages by :func:`describe_structuring_error`.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import field as attr_field
from attrs import frozen
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from domain.model import errors as e

__all__ = [
    "ErrorInfo",
    "FieldError",
    "N_",
    "NOT_AN_OBJECT",
    "describe",
    "describe_structuring_error",
    "message_for_code",
    "status_for",
]

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel extracts by default
    """Mark a string for extraction; it is translated when shown."""
    return message


def _untranslated(message: str) -> str:
    return message


# Status by class: the first class of the error's MRO found here wins.
_STATUS_BY_CLASS: dict[type[e.DomainError], int] = {
    e.InvalidValue: 422,
    e.NotFound: 404,
    e.PermissionDenied: 403,
    e.InvalidCredentials: 401,
    e.TooManyAttempts: 429,
    e.SecondFactorRequired: 401,
    e.InvalidSecondFactor: 422,
    e.WrongCurrentPassword: 422,
    # A dead link is gone for good: asking again will not help.
    e.InvitationUnusable: 410,
    e.ResetTokenUnusable: 410,
    e.CodeRefused: 422,
    e.CodeNotRequested: 409,
    e.CodeAlreadyUsed: 409,
    e.CodePayloadMismatch: 409,
    e.CodeExpired: 410,
    e.CodeDead: 410,
    e.CodeResendRefused: 429,
    e.IdentityCaptureRefused: 422,
    e.PrerequisitesNotConfirmed: 422,
    e.ConsentMissing: 422,
    e.CaptureLinkUnusable: 410,
    e.QcpEnrollmentExpired: 410,
    # Collections: what the person typed is refused (422) or the collection's state forbids it (409).
    e.InvalidCollectionInfo: 422,
    e.DeadlineNotInFuture: 422,
    e.DeadlineTooFar: 422,
    e.InvalidReminderPolicy: 422,
    e.TooManyItems: 422,
    e.InvalidOrder: 422,
    e.FieldOutOfPage: 422,
    e.MobileRequired: 422,
    e.LevelNotAllowed: 422,
    # « Relancer » again within the hour: Retry-After says when.
    e.ReminderTooSoon: 429,
    e.InvitationLinkUnusable: 410,
    e.DocumentRefused: 422,
    e.DocumentTooLarge: 413,
    # Not the person's doing: damaged storage, a CA never initialised.
    e.DocumentCorrupted: 500,
    e.DocumentStoreUnavailable: 503,
    e.CaNotInitialised: 503,
    e.QcpPublicationInsecure: 503,
    e.InvalidPdf: 422,
    # No trusted time, or the vault failed: nothing was signed, trying again later may work.
    e.TimestampUnavailable: 503,
    e.SigningFailed: 503,
    # The QTSP (remote signing) refused: the code (422), a lapsed authorisation (410: ask a new code),
    # no credential for this signer (409); anything else is the provider's failure (503).
    e.RemoteSigningRefused: 503,
    e.RemoteCodeRejected: 422,
    e.RemoteCodeSpent: 409,
    e.RemoteCodeAlreadyUsed: 409,
    e.RemoteConsentUnsupported: 409,
    e.RemoteConsentUnusable: 410,
    e.RemoteConsentDeclined: 409,
    e.RemoteConsentOutdated: 409,
    e.RemoteAuthorizationExpired: 410,
    e.RemoteCredentialMissing: 409,
    e.ArchiveRenewalRejected: 503,
    e.DownloadLinkUnusable: 410,
    e.NotVerifiable: 422,
    # Another request under a key already used: not a retry, the client must pick a new key.
    e.IdempotencyKeyReused: 422,
    e.IdempotentRequestInProgress: 409,
    e.DomainError: 409,
}

# Short title per family, for problem details (RFC 9457 "title": same for every
# occurrence of the type).
_TITLE_BY_STATUS: dict[int, str] = {
    400: N_("Requête invalide"),
    401: N_("Authentification requise"),
    403: N_("Action non autorisée"),
    404: N_("Introuvable"),
    405: N_("Méthode non autorisée"),
    409: N_("Action impossible"),
    410: N_("Lien expiré"),
    413: N_("Requête trop volumineuse"),
    415: N_("Format non pris en charge"),
    422: N_("Saisie invalide"),
    429: N_("Trop de requêtes"),
    500: N_("Erreur interne"),
    503: N_("Service indisponible"),
}

# French typography: a non-breaking space before « : » and inside guillemets.
_MESSAGES: dict[str, str] = {
    "domain.error": N_("Cette opération n’est pas possible."),
    "value.invalid": N_("Cette valeur n’est pas valide."),
    "siren.invalid": N_("Le numéro SIREN est invalide\u00a0: vérifiez les 9\u00a0chiffres."),
    "email.invalid": N_("L’adresse e-mail est invalide\u00a0: vérifiez qu’elle a la forme nom@domaine.fr."),
    "mobile.invalid": N_(
        "Le numéro de mobile est invalide\u00a0: saisissez un mobile français (06 ou 07 suivi de 8\u00a0chiffres) "
        "ou un numéro international commençant par +."
    ),
    "name.invalid": N_("Ce nom est invalide\u00a0: il est obligatoire et ne contient ni chiffres ni symboles."),
    # No placeholder: pages show ``message`` through their ``tr`` filter as it is. A test
    # keeps the figure equal to domain.model.values.MIN_PASSWORD_LENGTH.
    "password.weak": N_("Le mot de passe doit contenir au moins 10\u00a0caractères."),
    "not_found": N_("Cet élément n’existe pas ou ne vous est pas accessible."),
    "permission.denied": N_("Vous n’avez pas le droit de faire cela."),
    "member.not_owner": N_("Seul l’expert-comptable titulaire du cabinet peut faire cela."),
    "member.missing_delegation": N_("Vous n’avez pas la délégation nécessaire dans ce cabinet."),
    "member.duplicate": N_("Cette personne est déjà membre du cabinet ou déjà invitée."),
    "cabinet.siren_taken": N_("Un cabinet est déjà enregistré avec ce numéro SIREN."),
    "member.last_owner": N_("Le cabinet doit garder au moins un expert-comptable titulaire."),
    "invitation.unusable": N_(
        "Ce lien d’invitation n’est plus valable\u00a0: il a expiré, a déjà servi ou a été révoqué."
    ),
    "account.email_taken": N_("Un compte existe déjà avec cette adresse e-mail."),
    "auth.invalid_credentials": N_(
        "Adresse e-mail ou mot de passe incorrect. Après 5\u00a0erreurs, le compte est bloqué pendant 15\u00a0minutes."
    ),
    "auth.throttled": N_("Trop de tentatives depuis votre poste ou pour cette adresse\u00a0: patientez quelques "
                         "minutes avant de réessayer."),
    "auth.second_factor_required": N_("Saisissez le code de votre application d’authentification."),
    "auth.invalid_second_factor": N_("Ce code n’est pas valide\u00a0: saisissez le code à 6\u00a0chiffres affiché "
                                     "par votre application, ou un code de secours."),
    "auth.second_factor_state": N_("La double authentification n’est pas dans l’état attendu pour cette action."),
    "auth.reset_token_unusable": N_(
        "Ce lien de réinitialisation n’est plus valable\u00a0: demandez-en un nouveau."
    ),
    "auth.wrong_current_password": N_("Le mot de passe actuel est incorrect."),
    # One-time codes: no placeholder in the sentence; remaining tries and the wait are
    # given to API clients as problem extension members (``params``).
    "otp.refused": N_("Ce code n’est pas accepté."),
    "otp.not_requested": N_("Aucun code n’a été envoyé\u00a0: demandez d’abord un code."),
    "otp.invalid": N_("Ce code est incorrect\u00a0: vérifiez-le et réessayez."),
    "otp.expired": N_("Ce code a expiré\u00a0: demandez-en un nouveau."),
    "otp.dead": N_("Ce code n’est plus valable (trop d’essais ou code remplacé)\u00a0: demandez-en un nouveau."),
    "otp.already_used": N_("Ce code a déjà servi\u00a0: demandez-en un nouveau."),
    "otp.payload_mismatch": N_(
        "Les documents ont changé depuis l’envoi du code\u00a0: relisez-les et demandez un nouveau code."
    ),
    "otp.resend_refused": N_("Un nouveau code ne peut pas encore être envoyé\u00a0: patientez un peu."),
    "otp.resend_too_soon": N_("Un code vient d’être envoyé\u00a0: patientez un instant avant d’en redemander un."),
    "otp.resend_limit": N_("Trop de codes ont été demandés\u00a0: réessayez plus tard."),
    "storage.conflict": N_("Ces données viennent d’être modifiées par ailleurs\u00a0: rechargez et réessayez."),
    "storage.unique_violation": N_("Cet élément existe déjà."),
    # Identity verification
    "identity.error": N_("La vérification d’identité n’a pas pu se faire."),
    "identity.session_not_found": N_("Cette vérification d’identité n’existe pas ou n’est plus disponible."),
    "identity.session_closed": N_("Cette capture est terminée\u00a0: vous pouvez fermer cette page."),
    "identity.capture_refused": N_(
        "Cette photo n’a pas pu être prise en compte\u00a0: reprenez-la (image JPEG, PNG ou WebP de 10\u00a0Mo au plus)."
    ),
    "identity.already_decided": N_("Cette vérification d’identité a déjà été décidée."),
    "identity.callback_refused": N_("Ce message du prestataire de vérification d’identité a été refusé."),
    "identity.provider_unavailable": N_(
        "Le service de vérification d’identité ne répond pas\u00a0: réessayez dans quelques minutes."
    ),
    "identity.provider_unknown": N_("Le service de vérification d’identité configuré n’est pas installé."),
    # QCP enrollment
    "qcp.error": N_("Cette étape de la demande de certificat qualifié n’est pas possible."),
    "qcp.transition_refused": N_(
        "Cette étape n’est pas possible à ce stade de votre demande\u00a0: reprenez là où vous en étiez."
    ),
    "qcp.no_active_lcp": N_(
        "Un certificat LCP actif dans ce cabinet est nécessaire pour souscrire à un certificat qualifié."
    ),
    "qcp.lcp_data_mismatch": N_(
        "Vos prénom, nom, e-mail et mobile doivent être ceux de votre certificat LCP\u00a0: "
        "ils ont changé depuis."
    ),
    "qcp.already_open": N_("Une demande de certificat qualifié est déjà en cours pour ce cabinet\u00a0: reprenez-la."),
    "qcp.already_certified": N_("Vous détenez déjà un certificat qualifié actif pour ce cabinet."),
    "qcp.prerequisites_not_confirmed": N_("Cochez les deux cases pour commencer."),
    "qcp.consent_missing": N_("Les deux consentements sont nécessaires pour vérifier votre identité."),
    "qcp.identity_attempts_exhausted": N_(
        "Le nombre maximal de vérifications d’identité pour cette demande est atteint."
    ),
    "qcp.identity_session_mismatch": N_("Ce résultat concerne une autre vérification d’identité."),
    "qcp.expired": N_("Cette demande de certificat a expiré\u00a0: commencez-en une nouvelle."),
    "qcp.not_due": N_("Cette demande de certificat n’a pas encore expiré."),
    "qcp.request_document_changed": N_(
        "La demande de certificat a changé depuis son affichage\u00a0: relisez-la avant de l’accepter."
    ),
    "qcp.officer_validation_missing": N_("La demande attend la validation de l’opérateur d’enregistrement."),
    "qcp.capture_link_unusable": N_(
        "Ce lien a expiré ou a déjà servi\u00a0: scannez le nouveau QR code affiché sur votre ordinateur."
    ),
    # Keys and certificates
    "key.not_found": N_("Cette clé est introuvable."),
    "certificate.not_found": N_("Ce certificat est introuvable."),
    "certificate.not_holder": N_("Seul le titulaire du certificat (ou un administrateur) peut le révoquer."),
    "certificate.revoked": N_("Ce certificat est révoqué\u00a0: il ne peut plus servir ni être révoqué à nouveau."),
    "certificate.expired": N_("Ce certificat a expiré\u00a0: il ne peut plus servir ni être révoqué."),
    "ca.not_initialised": N_(
        "L’autorité de certification n’est pas encore initialisée\u00a0: un administrateur doit lancer "
        "« seing ca init »."
    ),
    "ca.qcp_publication_insecure": N_(
        "Les certificats qualifiés (QCP-n) ne sont pas émis pour le moment\u00a0: les adresses publiques de "
        "l’autorité de certification ne sont pas encore conformes. Prévenez l’administrateur de la plateforme."
    ),
    # Collections (collectes)
    "collection.refused": N_("Cette action n’est pas possible sur cette collecte."),
    "collection.not_editable": N_(
        "Cette collecte est déjà envoyée\u00a0: documents, signataires et options ne se modifient plus."
    ),
    "collection.not_in_progress": N_("Cette collecte n’est pas en cours."),
    "collection.ended": N_("Cette collecte est terminée."),
    "collection.invalid_info": N_(
        "Indiquez un titre (obligatoire) et un message raisonnablement courts pour cette collecte."
    ),
    "collection.deadline_past": N_("La date limite doit être dans le futur."),
    "collection.deadline_too_far": N_("La date limite est trop lointaine\u00a0: choisissez une date plus proche."),
    "collection.invalid_reminders": N_("Ces relances automatiques ne sont pas valides\u00a0: vérifiez leur fréquence."),
    "collection.no_signer": N_("Ajoutez au moins un signataire."),
    "collection.no_document": N_("Ajoutez au moins un document."),
    "collection.too_many": N_(
        "Cette collecte compte trop de signataires, de destinataires en copie ou de documents\u00a0: retirez-en."
    ),
    "collection.duplicate_signer": N_("Cette personne figure déjà parmi les signataires."),
    "collection.duplicate_observer": N_("Cette personne est déjà destinataire en copie de la collecte."),
    "collection.signer_without_sign_delegation": N_(
        "Ce membre du cabinet n’a pas la délégation «\u00a0signer\u00a0»\u00a0: "
        "l’expert-comptable doit la lui accorder."
    ),
    "collection.mobile_required": N_("Un numéro de mobile est obligatoire à partir du niveau 2."),
    "collection.level_not_allowed": N_("Le niveau 3 exige un certificat qualifié (QCP) actif pour ce membre."),
    "collection.order_locked": N_("Un signataire qui a déjà signé ne peut pas changer de place."),
    "collection.invalid_order": N_("Le nouvel ordre doit citer chaque signataire une fois et une seule."),
    "collection.signer_state": N_("Ce signataire n’est pas dans un état qui permet cette action."),
    "collection.field_out_of_page": N_(
        "Placez le champ de signature sur une page du document, en entier et à une taille lisible."
    ),
    "collection.reminder_too_soon": N_(
        "Une relance vient d’être envoyée\u00a0: la suivante est possible une heure après."
    ),
    "collection.first_reminder_too_soon": N_(
        "L’invitation vient d’être envoyée\u00a0: la première relance est possible une heure après."
    ),
    "collection.cancel_reason_required": N_(
        "Indiquez le motif de l’annulation\u00a0: il est transmis aux signataires."
    ),
    "collection.link_unusable": N_(
        "Ce lien de signature n’est plus valable\u00a0: il a été remplacé ou a expiré, ou la collecte est terminée."
    ),
    # Documents
    "document.refused": N_("Ce fichier n’est pas accepté."),
    "document.not_pdf": N_("Ce fichier n’est pas un PDF. Seuls les documents PDF peuvent être signés."),
    "document.too_large": N_(
        # No placeholder (pages show the message as it is): the wizard writes the limit beside the file input.
        "Ce fichier dépasse la taille maximale autorisée."
    ),
    "document.encrypted": N_(
        "Ce PDF est protégé par un mot de passe ou chiffré. Enregistrez-le sans protection puis déposez-le de nouveau."
    ),
    "document.broken": N_(
        "Ce PDF est endommagé ou incomplet et ne peut pas être lu. Exportez-le de nouveau puis réessayez."
    ),
    "document.empty": N_("Ce fichier est vide ou ne contient aucune page."),
    "document.locked": N_(
        "Ce PDF est certifié ou verrouillé par une signature qui interdit d’y ajouter d’autres signatures. "
        "Demandez à son auteur une version non certifiée, puis déposez-la."
    ),
    "document.unsignable": N_(
        "Ce PDF peut être lu, mais Seing ne parvient pas à le préparer pour la signature. Ouvrez-le puis "
        "«\u00a0Imprimer\u00a0» vers «\u00a0Enregistrer au format PDF\u00a0» (ou exportez-le de nouveau depuis "
        "le logiciel qui l’a "
        "produit), puis déposez la nouvelle version."
    ),
    "document.too_complex": N_(
        "Ce PDF demande trop de mémoire ou de temps pour être lu (contenu compressé démesuré, structure "
        "anormale). Ouvrez-le puis «\u00a0Imprimer\u00a0» vers «\u00a0Enregistrer au format PDF\u00a0», et "
        "déposez la nouvelle version."
    ),
    "document.active_content": N_(
        "Ce PDF contient du contenu actif (JavaScript ou lancement d’application) qui pourrait modifier ce qui "
        "s’affiche après la signature. Ouvrez-le puis «\u00a0Imprimer\u00a0» vers «\u00a0Enregistrer au format "
        "PDF\u00a0», et déposez la nouvelle version."
    ),
    "document.corrupted": N_(
        "Ce document stocké est endommagé\u00a0: il ne correspond plus à son empreinte. Prévenez un administrateur."
    ),
    "document.store_unavailable": N_(
        "Le stockage des documents ne répond pas\u00a0: réessayez dans quelques minutes."
    ),
    # LCP registration (« S’enregistrer »)
    "lcp_registration.refused": N_("Cet enregistrement n’est pas possible."),
    "lcp_registration.not_found": N_("Cet enregistrement est introuvable."),
    "lcp_registration.wrong_step": N_(
        "Cette étape de l’enregistrement n’est pas la bonne\u00a0: reprenez où vous en étiez."
    ),
    "lcp_registration.closed": N_("Cet enregistrement est terminé\u00a0: commencez-en un nouveau si besoin."),
    "lcp_registration.in_progress": N_("Un enregistrement est déjà en cours pour ce cabinet\u00a0: reprenez-le."),
    "lcp_registration.already_certified": N_("Vous avez déjà un certificat LCP actif pour ce cabinet."),
    "lcp_registration.mobile_required": N_(
        "Un numéro de mobile est nécessaire pour vous enregistrer\u00a0: ajoutez-le à votre profil."
    ),
    "lcp_registration.identity_changed": N_(
        "Votre e-mail ou votre mobile a changé depuis sa vérification\u00a0: recommencez l’enregistrement."
    ),
    "lcp_registration.terms_outdated": N_(
        "Les conditions ont changé depuis votre lecture\u00a0: relisez la nouvelle version puis acceptez-la."
    ),
    "lcp_registration.identity_check_required": N_(
        "Votre pièce d’identité doit d’abord être vérifiée\u00a0: terminez la vérification d’identité avant d’accepter "
        "les conditions."
    ),
    # Signing PDFs and trusted time.
    "pdf.invalid": N_("Ce fichier ne peut pas être signé."),
    "pdf.not_pdf": N_("Ce fichier n’est pas un PDF\u00a0: seuls les documents PDF peuvent être signés."),
    "pdf.encrypted": N_(
        "Ce PDF est protégé par un mot de passe\u00a0: retirez la protection, puis déposez-le à nouveau."
    ),
    "pdf.broken": N_(
        "Ce PDF est incomplet ou endommagé\u00a0: enregistrez-le à nouveau depuis le logiciel qui l’a produit."
    ),
    "pdf.too_complex": N_("Ce PDF demande trop de mémoire ou de temps pour être préparé à la signature."),
    "pdf.locked": N_(
        "Ce PDF est certifié ou verrouillé par une signature qui interdit d’y ajouter d’autres signatures."
    ),
    "pdf.unsignable": N_(
        "Ce PDF ne peut pas être préparé pour la signature\u00a0: enregistrez-le de nouveau au format PDF "
        "puis déposez-le à nouveau."
    ),
    "timestamp.unavailable": N_(
        "Le service d’horodatage ne répond pas\u00a0: rien n’a été signé, réessayez dans quelques minutes."
    ),
    "archive.renewal_rejected": N_(
        "Le renouvellement de l’horodatage d’archive n’a pas été conservé\u00a0: le fichier est inchangé, "
        "il sera réessayé."
    ),
    "signing.failed": N_("La signature n’a pas pu être produite\u00a0: rien n’a été signé, réessayez plus tard."),
    "remote_signing.refused": N_(
        "Le prestataire de signature à distance n’a pas signé : rien n’a été signé, demandez un nouveau code."
    ),
    "remote_signing.code_rejected": N_(
        "Le prestataire de signature qualifiée a refusé ce code : rien n’a été signé, demandez un nouveau code."
    ),
    "remote_signing.code_spent": N_(
        "Un autre signataire a signé ces documents pendant votre signature : votre code a déjà servi pour "
        "la version précédente et ne peut pas servir deux fois. Rien n’a été signé : demandez un nouveau code "
        "pour signer la version à jour."
    ),
    "remote_signing.code_already_used": N_(
        "Le dernier code envoyé par votre prestataire de signature qualifiée a déjà servi, "
        "pour une signature qui n’a pas abouti : un code ne sert qu’une fois. "
        "Rien n’a été signé : demandez un nouveau code."
    ),
    "remote_signing.consent_unsupported": N_(
        "Le prestataire de signature qualifiée du cabinet demande que vous autorisiez la signature sur sa propre page, "
        "sans code : rien n’a été envoyé ni signé. Utilisez le bouton « Autoriser chez mon prestataire »."
    ),
    "remote_signing.consent_unusable": N_(
        "Ce retour de votre prestataire de signature qualifiée ne correspond à aucune autorisation en cours : "
        "elle a déjà servi ou a expiré. Rien n’a été signé : autorisez de nouveau la signature."
    ),
    "remote_signing.consent_declined": N_(
        "Vous n’avez pas autorisé la signature chez votre prestataire de signature qualifiée : rien n’a été "
        "signé. Vous pouvez l’autoriser de nouveau ou refuser de signer."
    ),
    "remote_signing.consent_outdated": N_(
        "Un autre signataire a signé ces documents pendant que vous étiez chez votre prestataire : votre "
        "autorisation portait sur la version précédente. Rien n’a été signé : autorisez de nouveau la signature "
        "de la version à jour."
    ),
    "remote_signing.authorization_expired": N_(
        "L’autorisation de signature a expiré chez le prestataire avant la signature : rien n’a été signé, "
        "demandez un nouveau code."
    ),
    "remote_signing.hash_mismatch": N_(
        "Le prestataire de signature qualifiée a refusé de signer ces documents : rien n’a été signé, "
        "demandez un nouveau code."
    ),
    "remote_signing.credential_missing": N_(
        "Le prestataire de signature qualifiée du cabinet ne détient aucun certificat à votre nom : "
        "contactez le cabinet."
    ),
    "remote_signing.unavailable": N_(
        "Le prestataire de signature qualifiée ne répond pas : rien n’a été signé, réessayez dans quelques "
        "minutes."
    ),
    "signing.certificate_rejected": N_(
        "Ce certificat ne peut pas servir à signer\u00a0: il est révoqué, expiré ou non reconnu."
    ),
    "ceremony.refused": N_("Cette signature n’est pas possible pour le moment."),
    "ceremony.identity_check_required": N_(
        "Vérifiez d’abord votre identité\u00a0: le niveau 3 l’exige avant l’envoi du code."
    ),
    "ceremony.being_finalised": N_(
        "Votre signature est en cours de finalisation\u00a0: vous serez prévenu dès qu’elle sera terminée."
    ),
    "ceremony.certificate_missing": N_(
        "Aucun certificat valide ne permet de signer à ce niveau\u00a0: demandez à changer de niveau."
    ),
    "ceremony.document_version_conflict": N_(
        "Plusieurs signatures arrivent en même temps\u00a0: réessayez dans un instant."
    ),
    "ceremony.document_not_prepared": N_("Les documents sont en cours de préparation\u00a0: réessayez dans un instant."),
    "download.link_unusable": N_(
        "Ce lien de téléchargement n’est plus valable\u00a0: il a expiré ou les documents ont été supprimés."
    ),
    "evidence.not_ready": N_("Le dossier de preuve n’est pas encore disponible."),
    "verification.not_verifiable": N_("Ce fichier ne peut pas être vérifié\u00a0: ce n’est pas un PDF signé lisible."),
    "api_key.not_found": N_("Cette clé d’API n’existe pas dans ce cabinet."),
    "api_key.rejected": N_(
        "Clé d’API refusée\u00a0: elle est inconnue, mal recopiée ou révoquée. Vérifiez l’en-tête "
        "Authorization\u00a0: Bearer <clé>."
    ),
    "api_key.scope_missing": N_(
        "Cette clé d’API n’a pas le droit de faire cela\u00a0: ses portées ne couvrent pas cette opération "
        "(la portée qui manque est indiquée dans «\u00a0params\u00a0»)."
    ),
    "api_key.not_accepted": N_(
        "Cette opération est personnelle\u00a0: elle demande une connexion, pas une clé d’API."
    ),
    "api_key.name_invalid": N_("Donnez à la clé un nom de 1 à 80\u00a0caractères."),
    "api_key.scopes_missing": N_("Choisissez au moins une portée pour la clé."),
    "api_key.already_revoked": N_("Cette clé d’API est déjà révoquée."),
    # the cabinet's electronic seal
    "seal.delegation_missing": N_(
        "Sceller au nom du cabinet demande la délégation «\u00a0Sceller\u00a0»\u00a0: demandez-la à "
        "l’expert-comptable titulaire du cabinet."
    ),
    "seal.no_certificate": N_(
        "Le cabinet n’a pas de certificat de cachet valide\u00a0: demandez-en un depuis «\u00a0Cachet du "
        "cabinet\u00a0», l’expert-comptable titulaire l’approuve."
    ),
    "seal.no_document": N_("Choisissez au moins un fichier PDF à sceller."),
    "seal.too_many_documents": N_("Vous pouvez sceller au plus vingt documents à la fois."),
    "seal_request.already_open": N_(
        "Une demande de certificat de cachet attend déjà la décision de l’expert-comptable titulaire."
    ),
    "seal_request.state": N_("Cette demande de certificat de cachet a déjà été traitée."),
    "seal_request.not_found": N_("Cette demande de certificat de cachet n’existe pas."),
    "sealing.not_found": N_("Ce scellement n’existe pas."),
    "idempotency.key_invalid": N_(
        "L’en-tête Idempotency-Key doit contenir de 1 à 255\u00a0caractères ASCII visibles."
    ),
    "idempotency.key_reused": N_(
        "Cette clé d’idempotence (Idempotency-Key) a déjà servi pour une autre requête\u00a0: "
        "choisissez une nouvelle clé pour chaque nouvelle opération."
    ),
    "idempotency.in_progress": N_(
        "La première requête envoyée avec cette clé d’idempotence est encore en cours\u00a0: réessayez dans un instant."
    ),
    "webhook.url_invalid": N_(
        "Adresse invalide\u00a0: indiquez une URL complète en https (par exemple https://exemple.fr/seing), "
        "sans identifiant ni mot de passe."
    ),
    "webhook.event_unknown": N_("Cet événement n’existe pas\u00a0: choisissez parmi les événements proposés."),
    "webhook.events_missing": N_("Choisissez au moins un événement."),
    "webhook.destination_refused": N_(
        "Cette adresse est refusée\u00a0: elle ne mène pas à un serveur public sur Internet "
        "(adresse locale, privée ou réservée, ou nom introuvable)."
    ),
    "webhook.endpoint_not_found": N_("Ce webhook n’existe pas ou a été supprimé."),
    "webhook.delivery_not_found": N_("Cet envoi n’existe pas."),
    "webhook.too_many_endpoints": N_("Ce cabinet a déjà le nombre maximal de webhooks (20)\u00a0: supprimez-en un."),
}

# Where a message depends on the field the value was refused for.
_FIELD_MESSAGES: dict[str, str] = {
    "given_names": N_("Indiquez un prénom valide\u00a0: sans chiffres ni symboles, 100\u00a0caractères au plus."),
    "surname": N_("Indiquez un nom valide\u00a0: sans chiffres ni symboles, 100\u00a0caractères au plus."),
    "cabinet_name": N_("Indiquez le nom du cabinet (200\u00a0caractères au plus)."),
    "locale": N_("Cette langue n’est pas proposée\u00a0: choisissez « fr » ou « en »."),
    "stamp": N_("Le cachet visible se place sur la première ou la dernière page, dans l’un de ses coins."),
}

# Errors that are about one input even though they are not InvalidValue.
_FIELD_BY_CODE: dict[str, str] = {
    "member.duplicate": "email",
    "account.email_taken": "email",
    "cabinet.siren_taken": "siren",
    "auth.invalid_second_factor": "code",
    "auth.wrong_current_password": "current_password",
    "otp.refused": "code",
    "otp.invalid": "code",
    "collection.mobile_required": "mobile",
}


@frozen
class ErrorInfo:
    """What the edges need to show a refusal: status, stable code, French msgid, field."""

    status: int
    message: str  # French msgid; may hold %(name)s placeholders filled from params
    field: str | None = None
    code: str = "domain.error"
    params: Mapping[str, object] = attr_field(factory=dict)

    @property
    def title(self) -> str:
        """Short French msgid for the status (problem details' ``title``)."""
        return title_for_status(self.status)

    def text(self, gettext: Gettext = _untranslated) -> str:
        """The message translated by ``gettext`` and its placeholders filled."""
        translated = gettext(self.message)
        try:
            return translated % dict(self.params) if "%(" in translated else translated
        except (KeyError, ValueError, TypeError):
            # A translation with a bad placeholder must not turn a refusal into a 500.
            return translated


def title_for_status(status: int) -> str:
    return _TITLE_BY_STATUS.get(status) or (_TITLE_BY_STATUS[500] if status >= 500 else _TITLE_BY_STATUS[400])


def status_for(error_class: type[e.DomainError]) -> int:
    for cls in error_class.__mro__:
        if cls in _STATUS_BY_CLASS:
            return _STATUS_BY_CLASS[cls]
    return 409


def message_for_code(code: str) -> str | None:
    """The French msgid registered for exactly this code (None when there is none)."""
    return _MESSAGES.get(code)


def _message_for_class(error_class: type[e.DomainError]) -> tuple[str, str]:
    for cls in error_class.__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in _MESSAGES:
            return code, _MESSAGES[code]
    return "domain.error", _MESSAGES["domain.error"]


def describe(error: e.DomainError) -> ErrorInfo:
    """Status, code, French msgid and field of a domain error (class hierarchy fallback)."""
    error_class = type(error)
    code = getattr(error, "code", e.DomainError.code)
    _known_code, message = _message_for_class(error_class)
    params = getattr(error, "params", None) or {}
    # An edge may name the input an error is about (``field=...`` in params); else the usual one.
    field = getattr(error, "field", None) or params.get("field") or _FIELD_BY_CODE.get(code)
    if isinstance(error, e.InvalidValue) and field in _FIELD_MESSAGES and code in ("value.invalid", "name.invalid"):
        message = _FIELD_MESSAGES[field]
    params = {k: v for k, v in params.items() if k != "field"}
    return ErrorInfo(status=status_for(error_class), message=message, field=field, code=code, params=params)


# Refusals made by the web edge itself (no domain error behind them): same catalogue, so
# the pages and the API word them alike.
_EDGE: dict[str, tuple[int, str]] = {
    "auth.required": (401, N_(
        "Vous devez être connecté\u00a0: identifiez-vous avec votre e-mail et votre mot de passe."
    )),
    "auth.no_pending_login": (409, N_(
        "Aucune connexion n’attend de second facteur\u00a0: identifiez-vous d’abord avec votre e-mail "
        "et votre mot de passe."
    )),
    "auth.session_ended": (401, N_(
        "Votre mot de passe a été changé depuis votre connexion\u00a0: cette session est fermée, reconnectez-vous."
    )),
    "auth.too_many_attempts": (401, N_("Trop de codes erronés\u00a0: recommencez la connexion depuis le début.")),
    "csrf.failed": (403, N_(
        "Jeton anti-falsification (CSRF) absent ou invalide\u00a0: lisez-le avec GET /api/v1/csrf et renvoyez-le "
        "dans l’en-tête X-CSRFToken."
    )),
    "http.forbidden": (403, N_("Vous n’avez pas le droit de faire cela.")),
    "http.not_found": (404, N_("Cette adresse ne correspond à aucune ressource.")),
    "http.method_not_allowed": (405, N_("Cette méthode HTTP n’est pas acceptée à cette adresse.")),
    "http.payload_too_large": (413, N_("Le corps de la requête est trop volumineux.")),
    "http.unsupported_media_type": (415, N_(
        "Envoyez le corps de la requête en JSON (Content-Type\u00a0: application/json)."
    )),
    "http.too_many_requests": (429, N_("Trop de requêtes\u00a0: patientez un instant avant de réessayer.")),
    "http.error": (400, N_("La requête n’a pas pu être traitée.")),
    "request.malformed_json": (400, N_("Le corps de la requête n’est pas un JSON valide.")),
    "request.invalid": (422, N_("Certaines valeurs envoyées ne conviennent pas\u00a0: voyez le détail par champ.")),
    "request.invalid_parameter": (400, N_("Un paramètre de l’adresse ou de la requête est invalide.")),
    "internal": (500, N_("Une erreur interne est survenue. Elle a été enregistrée\u00a0; réessayez plus tard.")),
}


def edge_error(code: str, *, status: int | None = None, field: str | None = None) -> ErrorInfo:
    """An ``ErrorInfo`` for a refusal of the web edge (``auth.required``, ``csrf.failed``…)."""
    default_status, message = _EDGE.get(code, _EDGE["http.error"])
    return ErrorInfo(status=status or default_status, message=message, field=field, code=code)


def edge_codes() -> frozenset[str]:
    return frozenset(_EDGE)


# Input shape (cattrs) ------------------------------------------------------------------


@frozen
class FieldError:
    """One refused input: ``field`` is a path such as ``email`` or ``delegations[1]``."""

    field: str
    message: str  # French msgid
    params: Mapping[str, object] = attr_field(factory=dict)

    def text(self, gettext: Gettext = _untranslated) -> str:
        translated = gettext(self.message)
        try:
            return translated % dict(self.params) if "%(" in translated else translated
        except (KeyError, ValueError, TypeError):
            return translated


_MISSING = N_("Ce champ est obligatoire.")
_UNEXPECTED = N_("Ce champ n’est pas attendu.")
_WRONG_TYPE = N_("Valeur du mauvais type\u00a0: %(expected)s attendu.")
_NOT_A_CHOICE = N_("Valeur inconnue\u00a0: choisissez parmi %(choices)s.")
NOT_AN_OBJECT = N_("Un objet JSON est attendu.")
_INVALID = N_("Cette valeur n’est pas valide.")

_TYPE_NAMES: dict[type, str] = {
    str: N_("un texte"),
    int: N_("un nombre entier"),
    float: N_("un nombre"),
    bool: N_("un booléen (true ou false)"),
    list: N_("une liste"),
    tuple: N_("une liste"),
    set: N_("une liste"),
    frozenset: N_("une liste"),
    dict: N_("un objet"),
}


def _type_name(expected: Any) -> str:
    options = [arg for arg in typing.get_args(expected) if arg is not type(None)]
    if options and typing.get_origin(expected) in (typing.Union, types.UnionType):
        expected = options[0]  # ``str | None``: the value, when given, must be a str
    origin = typing.get_origin(expected) or expected
    if isinstance(origin, type):
        for cls in origin.__mro__:
            if cls in _TYPE_NAMES:
                return _TYPE_NAMES[cls]
    return N_("une autre valeur")


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else str(name)


def _leaf(exc: BaseException, path: str, expected: Any) -> Iterable[FieldError]:
    if isinstance(exc, ForbiddenExtraKeysError):
        for extra in sorted(exc.extra_fields):
            yield FieldError(_join(path, extra), _UNEXPECTED)
        return
    if isinstance(exc, KeyError):
        yield FieldError(path, _MISSING)
        return
    if isinstance(exc, e.DomainError):
        info = describe(exc)
        yield FieldError(path or (info.field or ""), info.message, info.params)
        return
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        choices = ", ".join(f"« {member.value} »" for member in expected)
        yield FieldError(path, _NOT_A_CHOICE, {"choices": choices})
        return
    if isinstance(exc, (TypeError, ValueError, AttributeError)) and expected is not None:
        if getattr(expected, "__attrs_attrs__", None) is not None or _is_dataclass(expected):
            yield FieldError(path, NOT_AN_OBJECT)
            return
        yield FieldError(path, _WRONG_TYPE, {"expected": _type_name(expected)})
        return
    yield FieldError(path, _INVALID)


def _is_dataclass(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "__dataclass_fields__")


def _walk(exc: BaseException, path: str, expected: Any) -> Iterable[FieldError]:
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _walk(sub, _join(path, note.name), note.type)
        for sub in without:
            yield from _walk(sub, path, expected)
    elif isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _walk(sub, _join(path, note.index), note.type)
        for sub in without:
            yield from _walk(sub, path, expected)
    elif isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            yield from _walk(sub, path, expected)
    else:
        yield from _leaf(exc, path, expected)


def describe_structuring_error(exc: BaseException, root_type: Any = None) -> list[FieldError]:
    """Field messages for what a cattrs converter refused (missing, unexpected, wrong type…).

    This is the readable counterpart of ``cattrs.transform_error``: same walk over the
    exception group, but French msgids and the field path kept apart for the UI.
    """
    found = list(_walk(exc, "", root_type))
    return found or [FieldError("", _INVALID)]
