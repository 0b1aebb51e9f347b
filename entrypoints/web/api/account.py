"""The logged-in person."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from domain.model.errors import WrongCurrentPassword
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.schemas import (
    LocaleInput,
    Me,
    PasswordChangeInput,
    PasswordConfirmationInput,
    RecoveryCodes,
    TotpCodeInput,
    TotpSetupOut,
)
from entrypoints.web.api.security import keep_session_after_password_change, provide_person_id, set_session_locale
from entrypoints.web.problems import problem_responses


class AccountController(Controller):
    path = "/me"
    tags = ["Moi"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}

    @get(operation_id="getMe", summary="Mon profil", sync_to_thread=True, responses=problem_responses(401))
    def read(self, person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> Me:
        """Return the logged-in person's profile."""
        return Me.from_profile(use_cases.profile(person_id=person_id))

    @put("/locale", operation_id="setMyLocale", summary="Choisir ma langue", status_code=HTTP_204_NO_CONTENT,
         dto=CattrsDTO[LocaleInput], return_dto=None, sync_to_thread=True,
         responses=problem_responses(401, 403, 422))
    def set_locale(self, request: Request[Any, Any, Any], person_id: NamedDependency[str],
                   data: JSONBody[LocaleInput], use_cases: NamedDependency[UseCases]) -> None:
        """Set the language of pages, emails and API messages (``fr`` or ``en``)."""
        use_cases.set_locale(person_id=person_id, locale=data.locale.value)
        set_session_locale(request, data.locale.value)

    @put("/password", operation_id="changeMyPassword", summary="Changer mon mot de passe",
         status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[PasswordChangeInput], return_dto=None, sync_to_thread=True,
         responses=problem_responses(401, 403, 422))
    def change_password(self, request: Request[Any, Any, Any], person_id: NamedDependency[str],
                        data: JSONBody[PasswordChangeInput], use_cases: NamedDependency[UseCases]) -> None:
        """Change the password, proving the current one (at least 10 characters for the new one).

        This session carries on (under a new cookie); every other session of this person ends
        and answers 401 ``auth.session_ended`` from then on."""
        use_cases.change_password(person_id=person_id, current_password=data.current_password,
                                  new_password=data.new_password)
        keep_session_after_password_change(request, use_cases.credentials_stamp(person_id=person_id))

    @post("/totp", operation_id="startTotpSetup", summary="Commencer l’activation de la double authentification",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 409))
    def start_totp(self, person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> TotpSetupOut:
        """Draw a new TOTP secret; it becomes active once a code from it is confirmed."""
        setup = use_cases.start_totp_setup(person_id=person_id)
        return TotpSetupOut(secret=setup.secret, provisioning_uri=setup.provisioning_uri)

    @post("/totp/confirmation", operation_id="confirmTotp", summary="Activer la double authentification",
          status_code=HTTP_200_OK, dto=CattrsDTO[TotpCodeInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 409, 422))
    def confirm_totp(self, person_id: NamedDependency[str], data: JSONBody[TotpCodeInput],
                     use_cases: NamedDependency[UseCases]) -> RecoveryCodes:
        """Turn the second factor on with a code from the app; answers the recovery codes, once."""
        return RecoveryCodes(codes=list(use_cases.confirm_totp(person_id=person_id, code=data.code)))

    @post("/totp/deactivation", operation_id="disableTotp", summary="Désactiver la double authentification",
          status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[PasswordConfirmationInput], return_dto=None,
          sync_to_thread=True, responses=problem_responses(401, 403, 409, 422))
    def disable_totp(self, person_id: NamedDependency[str], data: JSONBody[PasswordConfirmationInput],
                     use_cases: NamedDependency[UseCases]) -> None:
        """Turn the second factor off, proving the password."""
        try:
            use_cases.disable_totp(person_id=person_id, password=data.password)
        except WrongCurrentPassword as exc:
            # Here the input is named ``password``, not ``current_password``.
            raise WrongCurrentPassword(exc.detail, field="password") from None
