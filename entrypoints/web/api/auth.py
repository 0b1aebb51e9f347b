"""Session (login, second factor, logout), CSRF token and password reset."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from domain.model.errors import DomainError
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.schemas import (
    CsrfToken,
    LoginInput,
    PasswordResetInput,
    PasswordResetRequestInput,
    SecondFactorInput,
    SessionState,
)
from entrypoints.web.api.security import (
    csrf_names,
    csrf_token,
    end_session,
    pending_second_factor,
    record_failed_second_factor,
    session_person_id,
    start_pending_second_factor,
    start_session,
)
from entrypoints.web.deps import client_address
from entrypoints.web.problems import InputRejected, problem_responses

MAX_SECOND_FACTOR_ATTEMPTS = 5


class CsrfController(Controller):
    path = "/csrf"
    tags = ["Session"]

    @get(operation_id="getCsrfToken", summary="Lire le jeton CSRF", sync_to_thread=False,
         responses=problem_responses())
    def read(self, request: Request[Any, Any, Any]) -> CsrfToken:
        """Return the CSRF token to send in the ``X-CSRFToken`` header of unsafe requests.

        The response also sets the CSRF cookie; send both back (cookie and header) on
        every POST, PUT and DELETE, the login included.
        """
        header_name, cookie_name = csrf_names(request)
        return CsrfToken(token=csrf_token(request), header_name=header_name, cookie_name=cookie_name)


class SessionController(Controller):
    path = "/session"
    tags = ["Session"]

    @get(operation_id="getSession", summary="État de la session", sync_to_thread=True,
         responses=problem_responses())
    def state(self, request: Request[Any, Any, Any], use_cases: NamedDependency[UseCases]) -> SessionState:
        """Tell whether this session is logged in, or waits for its second factor.

        A session opened before the password was changed or reset is over: it answers
        ``authenticated: false``."""
        person_id = session_person_id(request, use_cases)
        return SessionState(authenticated=person_id is not None,
                            second_factor_required=person_id is None and pending_second_factor(request) is not None,
                            person_id=person_id)

    @post(operation_id="createSession", summary="Se connecter", status_code=HTTP_200_OK,
          dto=CattrsDTO[LoginInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 422, 429))
    def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginInput],
              use_cases: NamedDependency[UseCases]) -> SessionState:
        """Log in with email and password; the session cookie is set (with a new id).

        When the account has a second factor, the answer says ``second_factor_required``
        and the session is not logged in until ``POST /api/v1/session/second-factor``.
        Wrong email, wrong password and locked account give the same 401 problem. Too many
        failures from one client answer 429 (``auth.throttled``) with ``Retry-After``, before
        the account itself gets locked.
        """
        result = use_cases.login(email=data.email, password=data.password, client=client_address(request))
        if result.second_factor_required:
            start_pending_second_factor(request, result.person_id,
                                        use_cases.credentials_stamp(person_id=result.person_id))
            return SessionState(authenticated=False, second_factor_required=True)
        start_session(request, use_cases.profile(person_id=result.person_id))
        return SessionState(authenticated=True, second_factor_required=False, person_id=result.person_id)

    @post("/second-factor", operation_id="verifySecondFactor", summary="Valider le second facteur",
          status_code=HTTP_200_OK, dto=CattrsDTO[SecondFactorInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 409, 422))
    def second_factor(self, request: Request[Any, Any, Any], data: JSONBody[SecondFactorInput],
                      use_cases: NamedDependency[UseCases]) -> SessionState:
        """Finish a login with the TOTP code (or a recovery code).

        After five wrong codes the pending login is dropped: start again with
        ``POST /api/v1/session``. A password changed or reset since the login voids it
        (401 ``auth.session_ended``).
        """
        pending = pending_second_factor(request)
        if pending is None:
            raise InputRejected("auth.no_pending_login")
        person_id = str(pending["person_id"])
        if str(pending.get("stamp") or "") != use_cases.credentials_stamp(person_id=person_id):
            # The password changed after it was checked: that half-login is void.
            end_session(request)
            raise InputRejected("auth.session_ended")
        try:
            use_cases.verify_second_factor(person_id=person_id, code=data.code)
        except DomainError:
            if record_failed_second_factor(request, pending, MAX_SECOND_FACTOR_ATTEMPTS):
                raise InputRejected("auth.too_many_attempts") from None
            raise
        start_session(request, use_cases.profile(person_id=person_id))
        return SessionState(authenticated=True, second_factor_required=False, person_id=person_id)

    @delete(operation_id="deleteSession", summary="Se déconnecter", status_code=HTTP_204_NO_CONTENT,
            sync_to_thread=False, responses=problem_responses(403))
    def logout(self, request: Request[Any, Any, Any]) -> None:
        """Log out: the server forgets the session and the cookie is cleared."""
        end_session(request)


class PasswordResetController(Controller):
    path = "/password-reset"
    tags = ["Session"]

    @post(operation_id="requestPasswordReset", summary="Demander un lien de réinitialisation",
          status_code=HTTP_202_ACCEPTED, dto=CattrsDTO[PasswordResetRequestInput], return_dto=None,
          sync_to_thread=True, responses=problem_responses(403, 422, 429))
    def request_reset(self, request: Request[Any, Any, Any], data: JSONBody[PasswordResetRequestInput],
                      use_cases: NamedDependency[UseCases]) -> None:
        """Email a reset link to the account's address.

        The answer is the same whether the address is known or not, so nobody can probe
        which addresses have an account. Too many requests for one address or from one
        client answer 429 (``auth.throttled``) with ``Retry-After``.
        """
        use_cases.request_password_reset(email=data.email, client=client_address(request))

    @post("/{token:str}", operation_id="resetPassword", summary="Choisir un nouveau mot de passe",
          status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[PasswordResetInput], return_dto=None,
          sync_to_thread=True, responses=problem_responses(403, 404, 410, 422))
    def reset(self, token: FromPath[str], data: JSONBody[PasswordResetInput],
              use_cases: NamedDependency[UseCases]) -> None:
        """Set a new password with the token received by email (one use, one hour).

        The person's other reset links stop working, and every session opened before ends
        (they answer 401 ``auth.session_ended``)."""
        use_cases.reset_password(token=token, new_password=data.new_password)
