"""The logged-in person."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.schemas import LocaleInput, Me
from entrypoints.web.api.security import provide_person_id, set_session_locale
from entrypoints.web.problems import problem_responses


class MeController(Controller):
    path = "/me"
    tags = ["Moi"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=False)}

    @get(operation_id="getMe", summary="Mon profil", sync_to_thread=True, responses=problem_responses(401))
    def read(self, person_id: NamedDependency[str], use_cases: NamedDependency[Any]) -> Me:
        """Return the logged-in person's profile."""
        return Me.from_profile(use_cases.profile(person_id=person_id))

    @put("/locale", operation_id="setMyLocale", summary="Choisir ma langue", status_code=HTTP_204_NO_CONTENT,
         dto=CattrsDTO[LocaleInput], return_dto=None, sync_to_thread=True,
         responses=problem_responses(401, 403, 422))
    def set_locale(self, request: Request[Any, Any, Any], person_id: NamedDependency[str],
                   data: JSONBody[LocaleInput], use_cases: NamedDependency[Any]) -> None:
        """Set the language of pages, emails and API messages (``fr`` or ``en``)."""
        use_cases.set_locale(person_id=person_id, locale=data.locale.value)
        set_session_locale(request, data.locale.value)
