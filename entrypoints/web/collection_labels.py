"""French labels (gettext msgids) of the collections: steps, statuses, levels, timeline events."""

from __future__ import annotations

from domain.model.collection import CollectionStatus, EventKind, InvitationMode, SignerStanding
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from entrypoints.web.i18n import N_

# The wizard, in the guide's order: (path segment, label).
STEPS = (
    ("documents", N_("Documents")),
    ("informations", N_("Informations")),
    ("options", N_("Options")),
    ("signataires", N_("Signataires")),
    ("placement", N_("Placement des signatures")),
    ("recapitulatif", N_("Récapitulatif")),
)

STATUS_LABELS = {
    CollectionStatus.DRAFT: N_("Brouillon"),
    CollectionStatus.IN_PROGRESS: N_("En cours"),
    CollectionStatus.COMPLETED: N_("Terminée"),
    CollectionStatus.REFUSED: N_("Refusée"),
    CollectionStatus.EXPIRED: N_("Expirée"),
    CollectionStatus.CANCELLED: N_("Annulée"),
}

# URL values of the dashboard's status filter.
STATUS_FILTERS = {status.value: status for status in CollectionStatus}

LEVEL_LABELS = {
    SignatureLevel.SIMPLE: N_("Niv 1 : simple"),
    SignatureLevel.ADVANCED: N_("Niv 2 : avancée"),
    SignatureLevel.ADVANCED_QUALIFIED: N_("Niv 3 : avancée basée sur un certificat qualifié"),
}

KIND_LABELS = {
    SignerKind.MYSELF: N_("Moi-même"),
    SignerKind.MEMBER: N_("Membre du cabinet"),
    SignerKind.EXTERNAL: N_("Personne extérieure"),
}

SIGNER_STATUS_LABELS = {
    SignerStatus.PENDING: N_("En attente de son tour"),
    SignerStatus.INVITED: N_("Invité"),
    SignerStatus.OPENED: N_("A ouvert l’invitation"),
    SignerStatus.SIGNED: N_("A signé"),
    SignerStatus.REFUSED: N_("A refusé"),
}

# A signer's row once the collection's outcome is known: not « Invité » after someone refused.
SIGNER_STANDING_LABELS = {
    **{SignerStanding(status.value): label for status, label in SIGNER_STATUS_LABELS.items()},
    SignerStanding.ENDED_BY_REFUSAL: N_("N’a pas signé\u00a0: collecte refusée"),
    SignerStanding.ENDED_BY_EXPIRY: N_("N’a pas signé\u00a0: date limite dépassée"),
    SignerStanding.ENDED_BY_CANCELLATION: N_("N’a pas signé\u00a0: collecte annulée"),
}

MODE_LABELS = {
    InvitationMode.SEQUENTIAL: N_("Invitations séquentielles"),
    InvitationMode.PARALLEL: N_("Invitations en parallèle"),
}

# Timeline sentences; %(name)s is the signer (or document, observer) concerned.
EVENT_LABELS = {
    EventKind.CREATED: N_("Collecte créée"),
    EventKind.INFO_UPDATED: N_("Informations modifiées"),
    EventKind.OPTIONS_UPDATED: N_("Options modifiées"),
    EventKind.DOCUMENT_ADDED: N_("Document ajouté : %(name)s"),
    EventKind.DOCUMENT_REMOVED: N_("Document retiré : %(name)s"),
    EventKind.SIGNATURE_PAGE_ADDED: N_("Page de signatures ajoutée : %(name)s"),
    EventKind.SIGNER_ADDED: N_("Signataire ajouté : %(name)s"),
    EventKind.SIGNER_REMOVED: N_("Signataire retiré : %(name)s"),
    EventKind.SIGNER_LEVEL_CHANGED: N_("Niveau de signature modifié pour %(name)s"),
    EventKind.SIGNERS_REORDERED: N_("Ordre des signataires modifié"),
    EventKind.OBSERVER_ADDED: N_("Destinataire en copie ajouté : %(name)s"),
    EventKind.OBSERVER_REMOVED: N_("Destinataire en copie retiré : %(name)s"),
    EventKind.SENT: N_("Collecte envoyée"),
    EventKind.INVITED: N_("Invitation envoyée à %(name)s"),
    EventKind.TURN_POSTPONED: N_("Tour %(de)s%(name)s reporté"),
    EventKind.OPENED: N_("%(name)s a ouvert l’invitation"),
    EventKind.REMINDED: N_("Relance envoyée à %(name)s"),
    EventKind.SIGNED: N_("%(name)s a signé"),
    EventKind.REFUSED: N_("%(name)s a refusé de signer"),
    EventKind.SIGNER_REPLACED: N_("%(old_name)s remplacé par %(name)s"),
    EventKind.COMPLETED: N_("Collecte terminée : tous les signataires ont signé"),
    EventKind.EXPIRED: N_("Date limite dépassée : collecte expirée"),
    EventKind.CANCELLED: N_("Collecte annulée"),
    EventKind.DELIVERY_FAILED: N_("Message non remis à %(name)s"),
}

# A failed delivery's timeline sentence, by (channel, reason) of the event.
DELIVERY_FAILURE_LABELS = {
    ("sms", "refused"): N_("SMS non remis à %(name)s : numéro refusé par l’opérateur"),
    ("sms", "undelivered"): N_("SMS non remis à %(name)s : l’opérateur est resté injoignable malgré plusieurs essais"),
    ("email", "refused"): N_("E-mail non remis à %(name)s : adresse refusée par le serveur de messagerie"),
    ("email", "undelivered"): N_("E-mail non remis à %(name)s : le serveur de messagerie est resté injoignable "
                                 "malgré plusieurs essais"),
}

# The warning on the row of a signer whose message never arrived, by channel.
DELIVERY_FAILURE_HINTS = {
    "sms": N_("Le dernier SMS n’a pas été remis. Vérifiez le numéro, puis utilisez « Remplacer »."),
    "email": N_("Le dernier e-mail n’a pas été remis. Vérifiez l’adresse, puis utilisez « Remplacer »."),
}

# Where the no-JavaScript placement form puts a box.
POSITION_LABELS = {
    "bas-gauche": N_("En bas à gauche"),
    "bas-droite": N_("En bas à droite"),
    "haut-gauche": N_("En haut à gauche"),
    "haut-droite": N_("En haut à droite"),
}
