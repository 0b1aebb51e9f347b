"""Which signature levels the wizard offers, row by row and for a signer being added.

The domain decides what a level needs (``allowed_levels``: a mobile for 2 and 3, a qualified
certificate or an identity check for 3); these are the rules the pages follow to offer them,
kept here so the page and any other client of the use cases offer the same choices.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.model.collection import allowed_levels
from domain.model.signer import SignatureLevel, SignerKind
from domain.services.collection_views import SignerChoice, SignerView

__all__ = ["default_level", "levels_offered"]


def default_level(*, has_mobile: bool) -> SignatureLevel:
    """A signer added without a chosen level: advanced when an SMS code can reach them, else simple."""
    return SignatureLevel.ADVANCED if has_mobile else SignatureLevel.SIMPLE


def levels_offered(signers: Iterable[SignerView],
                   choices: Iterable[SignerChoice]) -> dict[str, list[SignatureLevel]]:
    """The levels each signer's dropdown offers, by signer id (level 3 only where it is possible).

    A member's levels are those of their ``SignerChoice``; a mobile given in the wizard for a
    member with none on file opens level 2. The level already chosen is always offered, so a
    row never shows a level it does not list.
    """
    by_member = {c.member_id: list(c.levels) for c in choices}
    offered: dict[str, list[SignatureLevel]] = {}
    for signer in signers:
        if signer.member_id is not None and signer.member_id in by_member:
            levels = by_member[signer.member_id]
            if signer.masked_mobile and SignatureLevel.ADVANCED not in levels:
                levels = allowed_levels(kind=SignerKind.MEMBER, has_mobile=True, has_active_qcp=False)
        else:
            levels = allowed_levels(kind=signer.kind, has_mobile=signer.masked_mobile is not None,
                                    has_active_qcp=False)
        if signer.level not in levels:
            levels = sorted({*levels, signer.level})
        offered[signer.signer_id] = levels
    return offered
