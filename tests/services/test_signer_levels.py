"""The levels the wizard offers each signer, and the level a new signer gets by default."""

from __future__ import annotations

from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services.collection_views import SignerChoice, SignerView
from domain.services.signer_levels import default_level, levels_offered

SIMPLE, ADVANCED, QUALIFIED = SignatureLevel.SIMPLE, SignatureLevel.ADVANCED, SignatureLevel.ADVANCED_QUALIFIED


def signer(signer_id: str, *, kind: SignerKind = SignerKind.EXTERNAL, mobile: str | None = None,
           level: SignatureLevel = SIMPLE, member_id: str | None = None) -> SignerView:
    return SignerView(signer_id=signer_id, kind=kind, position=1, given_names="Irina", surname="Faron",
                      display_name="Irina Faron", email="irina@example.org", masked_mobile=mobile, level=level,
                      status=SignerStatus.PENDING, member_id=member_id, invited_at=None, opened_at=None,
                      signed_at=None, refusal_reason=None)


def member_choice(member_id: str, *levels: SignatureLevel, mobile: str | None = None) -> SignerChoice:
    return SignerChoice(member_id=member_id, display_name="Ines Faron", email="ifaron@cs.expert",
                        masked_mobile=mobile, levels=tuple(levels))


def test_a_new_signer_with_a_mobile_defaults_to_the_advanced_level():
    assert default_level(has_mobile=True) is ADVANCED


def test_a_new_signer_without_a_mobile_defaults_to_the_simple_level():
    assert default_level(has_mobile=False) is SIMPLE


def test_an_external_signer_with_a_mobile_is_offered_all_three_levels():
    offered = levels_offered([signer("s1", mobile="06 ** ** 13")], [])
    assert offered == {"s1": [SIMPLE, ADVANCED, QUALIFIED]}


def test_an_external_signer_without_a_mobile_is_offered_the_simple_level_only():
    assert levels_offered([signer("s1")], []) == {"s1": [SIMPLE]}


def test_a_member_is_offered_the_levels_of_their_choice_in_the_cabinet():
    row = signer("s1", kind=SignerKind.MEMBER, member_id="m1", mobile="06 ** ** 13", level=ADVANCED)
    offered = levels_offered([row], [member_choice("m1", SIMPLE, ADVANCED, QUALIFIED, mobile="06 ** ** 13")])
    assert offered == {"s1": [SIMPLE, ADVANCED, QUALIFIED]}


def test_a_mobile_typed_in_the_wizard_opens_the_advanced_level_to_a_member_without_one_on_file():
    row = signer("s1", kind=SignerKind.MEMBER, member_id="m1", mobile="06 ** ** 13")
    offered = levels_offered([row], [member_choice("m1", SIMPLE)])
    assert offered == {"s1": [SIMPLE, ADVANCED]}


def test_a_member_no_longer_in_the_choices_is_offered_what_their_identity_allows():
    row = signer("s1", kind=SignerKind.MEMBER, member_id="gone", mobile="06 ** ** 13")
    assert levels_offered([row], []) == {"s1": [SIMPLE, ADVANCED]}


def test_the_level_already_chosen_is_always_offered_even_when_no_longer_allowed():
    row = signer("s1", kind=SignerKind.MEMBER, member_id="m1", level=QUALIFIED)
    offered = levels_offered([row], [member_choice("m1", SIMPLE)])
    assert offered == {"s1": [SIMPLE, QUALIFIED]}


def test_each_signer_gets_their_own_row_of_levels():
    offered = levels_offered([signer("s1"), signer("s2", mobile="07 ** ** 01")], [])
    assert offered == {"s1": [SIMPLE], "s2": [SIMPLE, ADVANCED, QUALIFIED]}
