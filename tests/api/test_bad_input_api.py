"""Whatever a client sends, the answer is a clear 4xx problem in French, never a 500."""

from __future__ import annotations

import logging

import pytest
from dependency_injector import providers

from domain.model.errors import InvalidSiren
from tests.api.conftest import OWNER_EMAIL, PASSWORD, problem_of

JSON = {"content-type": "application/json"}


def test_unknown_keys_are_refused_by_name(api, cabinet):
    body = problem_of(api.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD,
                                                         "admin": True, "role": "owner"}), 422)
    assert body["code"] == "request.invalid"
    assert body["errors"] == [{"field": "admin", "message": "Ce champ n’est pas attendu."},
                              {"field": "role", "message": "Ce champ n’est pas attendu."}]
    # The refusal happened before the use case: no session was opened.
    problem_of(api.get("/api/v1/me"), 401)


def test_wrong_types_are_refused_without_coercion(api, cabinet):
    body = problem_of(api.post("/api/v1/session", json={"email": 5, "password": ["x"]}), 422)
    assert body["errors"] == [
        {"field": "email", "message": "Valeur du mauvais type\u00a0: un texte attendu."},
        {"field": "password", "message": "Valeur du mauvais type\u00a0: un texte attendu."},
    ]


def test_missing_fields_are_named(api):
    body = problem_of(api.post("/api/v1/session", json={}), 422)
    assert sorted(e["field"] for e in body["errors"]) == ["email", "password"]
    assert {e["message"] for e in body["errors"]} == {"Ce champ est obligatoire."}


def test_a_list_of_wrong_types_is_reported_item_by_item(api, cabinet):
    api.login()
    body = problem_of(api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations",
                               json={"email": "a@b.fr", "given_names": "A", "surname": "B",
                                     "delegations": "sign"}), 422)
    assert body["errors"][0]["field"].startswith("delegations")


def test_malformed_json_is_a_400_problem(api):
    body = problem_of(api.post("/api/v1/session", content=b'{"email": "a@b.fr",', headers=JSON), 400)
    assert body["code"] == "request.malformed_json"
    assert body["detail"] == "Le corps de la requête n’est pas un JSON valide."


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"42", b"null", b""])
def test_a_body_that_is_not_an_object_is_refused(api, payload):
    body = problem_of(api.post("/api/v1/session", content=payload, headers=JSON), 422)
    assert body["errors"] == [{"field": "", "message": "Un objet JSON est attendu."}]


def test_invalid_utf8_is_a_400_problem(api):
    problem_of(api.post("/api/v1/session", content=b'{"email": "\xff"}', headers=JSON), 400)


def test_an_oversized_body_is_a_413_problem(api):
    big = b'{"email": "' + b"a" * 70_000 + b'", "password": "x"}'
    body = problem_of(api.post("/api/v1/session", content=big, headers=JSON), 413)
    assert body["code"] == "http.payload_too_large"


def test_an_unknown_api_route_is_a_404_problem(api):
    body = problem_of(api.get("/api/v1/nothing-here"), 404)
    assert body["code"] == "http.not_found"


def test_a_wrong_method_is_a_405_problem(api):
    answer = api.get("/api/v1/password-reset")
    body = problem_of(answer, 405)
    assert body["code"] == "http.method_not_allowed"
    assert "POST" in answer.headers["allow"]


def test_html_paths_keep_their_html_error_pages(raw):
    answer = raw.get("/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


def test_a_domain_error_from_any_use_case_maps_to_its_field_problem(api, cabinet, container):
    api.login()

    def refuse(**_kwargs):
        raise InvalidSiren("the SIREN check digit is wrong")

    with container.use_cases.my_cabinets.override(providers.Callable(refuse)):
        body = problem_of(api.get("/api/v1/cabinets"), 422)
    assert body["code"] == "siren.invalid"
    assert body["detail"] == "Le numéro SIREN est invalide\u00a0: vérifiez les 9\u00a0chiffres."
    assert body["errors"] == [{"field": "siren", "message": body["detail"]}]


def test_an_unexpected_error_is_a_500_problem_without_traceback_and_is_logged(api, cabinet, container, caplog):
    api.login()

    def crash(**_kwargs):
        raise RuntimeError("database on fire at /var/secret/path")

    with caplog.at_level(logging.ERROR, logger="seing.api"):
        with container.use_cases.my_cabinets.override(providers.Callable(crash)):
            answer = api.get("/api/v1/cabinets")
    body = problem_of(answer, 500)
    assert body["code"] == "internal"
    assert "secret" not in answer.text and "RuntimeError" not in answer.text
    assert any("database on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_problems_are_translated_into_the_language_the_session_chose(api, cabinet, monkeypatch):
    from entrypoints.web import i18n

    class Shouting:
        def gettext(self, message):
            return message.upper()

    real = i18n.translations
    monkeypatch.setattr(i18n, "translations", lambda locale: Shouting() if locale == "en" else real(locale))
    api.login()
    assert api.put("/api/v1/me/locale", json={"locale": "en"}).status_code == 204
    body = problem_of(api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations",
                               json={"email": "nope", "given_names": "A", "surname": "B"}), 422)
    assert body["code"] == "email.invalid"
    assert body["detail"].startswith("L’ADRESSE E-MAIL EST INVALIDE")
    assert body["title"] == "SAISIE INVALIDE"


def test_an_optional_field_of_the_wrong_type_is_refused(api):
    body = problem_of(api.post("/api/v1/invitations/some-token/accept", json={"password": 1234567890}), 422)
    assert body["errors"] == [{"field": "password", "message": "Valeur du mauvais type\u00a0: un texte attendu."}]


def test_the_server_log_of_a_crash_does_not_keep_the_secret_token_of_the_path(api, container, caplog):
    def crash(**_kwargs):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="seing.api"):
        with container.use_cases.reset_password.override(providers.Callable(crash)):
            problem_of(api.post("/api/v1/password-reset/s3cret-t0ken", json={"new_password": "long enough pass"}),
                       500)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "/api/v1/password-reset/" in logged
    assert "s3cret-t0ken" not in logged


def test_problems_use_the_english_catalogue_when_the_session_chose_english(api, cabinet):
    api.login()
    assert api.put("/api/v1/me/locale", json={"locale": "en"}).status_code == 204
    body = problem_of(api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations", json={"email": "nope"}), 422)
    assert body["code"] == "request.invalid"
    assert "obligatoire" not in str(body) and "attendu" not in str(body)


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_body_that_is_not_declared_as_json_is_a_415_problem(api, cabinet, media_type):
    answer = api.post("/api/v1/session", content=f'{{"email": "{OWNER_EMAIL}", "password": "{PASSWORD}"}}',
                      headers={"content-type": media_type})
    assert problem_of(answer, 415)["code"] == "http.unsupported_media_type"
    problem_of(api.get("/api/v1/me"), 401)


def test_a_json_body_with_a_charset_is_accepted(api, cabinet):
    answer = api.post("/api/v1/session", content=f'{{"email": "{OWNER_EMAIL}", "password": "{PASSWORD}"}}',
                      headers={"content-type": "application/json; charset=utf-8"})
    assert answer.status_code == 200, answer.text
