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
