"""French labels (gettext msgids) for enums shown in the pages."""

from __future__ import annotations

from entrypoints.web.i18n import N_

ROLE_LABELS = {
    "owner": N_("Expert-comptable"),
    "collaborator": N_("Collaborateur"),
}

DELEGATION_LABELS = {
    "sign": N_("Signer"),
    "seal": N_("Sceller"),
    "prepare": N_("Préparer"),
}

DELEGATION_HELP = {
    "sign": N_("signer personnellement des documents"),
    "seal": N_("sceller avec le cachet du cabinet"),
    "prepare": N_("préparer et lancer des collectes"),
}

DELEGATION_ORDER = ("sign", "seal", "prepare")

# « Clés d'API »: what each scope lets a program do, in the order the form offers them.
API_SCOPE_LABELS = {
    "read": N_("Lecture"),
    "prepare": N_("Préparation"),
    "seal": N_("Cachet"),
    "admin": N_("Administration"),
}

API_SCOPE_HELP = {
    "read": N_("consulter les collectes, les membres et les documents signés"),
    "prepare": N_("créer, envoyer, relancer et annuler des collectes"),
    "seal": N_("apposer le cachet du cabinet"),
    "admin": N_("gérer les membres, les invitations et les clés d’API\u00a0; comprend toutes les autres portées"),
}

API_SCOPE_ORDER = ("read", "prepare", "seal", "admin")

CERTIFICATE_STATE_LABELS = {
    "active": N_("Actif"),
    "revoked": N_("Révoqué"),
    "expired": N_("Expiré"),
}

# RFC 5280 reasons a holder may give, in the order the confirmation page offers them.
REVOCATION_REASON_LABELS = {
    "unspecified": N_("Sans motif particulier"),
    "key_compromise": N_("Mon compte ou mon mobile a pu être utilisé par quelqu’un d’autre"),
    "affiliation_changed": N_("Je quitte le cabinet ou mes fonctions changent"),
    "superseded": N_("Les informations du certificat ne sont plus exactes"),
    "cessation_of_operation": N_("Je n’ai plus besoin de ce certificat"),
}

# The steps of « S'enregistrer », as the stepper names them.
REGISTRATION_STEPS = (
    ("verify_email", N_("Adresse e-mail")),
    ("verify_mobile", N_("Mobile")),
    ("confirm_identity", N_("Identité")),
    ("accept_terms", N_("Conditions")),
    ("issue", N_("Certificat")),
)

# The stages of « Souscrire à un certificat qualifié », as its stepper names them, and the
# stage each page of the flow (its ``next_step``) belongs to.
QCP_STEPS = (
    ("access", N_("Accès protégé")),
    ("identity", N_("Vos informations")),
    ("prerequisites", N_("Avant de commencer")),
    ("consent", N_("Consentements")),
    ("document", N_("Pièce d’identité")),
    ("validation", N_("Vérification des informations")),
    ("request", N_("Demande de certificat")),
    ("signature", N_("Signature")),
    ("issue", N_("Certificat")),
)
QCP_STAGE_OF_STEP = {
    "send_email_code": "access",
    "confirm_identity": "identity",
    "confirm_prerequisites": "prerequisites",
    "consent": "consent",
    "start_identity_check": "document",
    "capture": "document",
    "wait_for_result": "document",
    "retry_identity_check": "document",
    "validate_identity": "validation",
    "wait_for_manual_review": "validation",
    "read_request": "request",
    "sign_request": "signature",
    "wait_for_officer": "issue",
    "done": "done",
}
