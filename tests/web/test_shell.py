"""The app shell: French login page, sessions, CSRF, security headers, friendly error pages."""

from __future__ import annotations

from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf, login, post_form


def test_login_page_is_in_french_with_labelled_fields(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fr">' in html
    assert "<h1>Connexion</h1>" in html
    assert '<label for="email">Adresse e-mail' in html and 'id="email"' in html
    assert '<label for="password">Mot de passe' in html and 'id="password"' in html
    assert 'name="_csrf_token"' in html
    assert "Mot de passe oublié\u00a0?" in html


def test_anonymous_visit_leaves_no_session_behind(container, tmp_path):
    # An app of its own: the session store's folder is the app's, fixed when it is built.
    from litestar.testing import TestClient

    from entrypoints.web.app import create_app

    with TestClient(create_app(container), base_url="http://testserver.local") as client:
        client.get("/connexion")
        assert "seing_session" not in client.cookies
    assert not any((tmp_path / "sessions").iterdir())


def test_a_post_without_csrf_token_is_refused_in_french(client, owner):
    client.get("/connexion")
    response = client.post("/connexion", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "le formulaire a expiré" in response.text
    assert "seing_session" not in client.cookies or client.get("/mon-compte", follow_redirects=False).status_code == 303


def test_a_post_with_a_forged_csrf_token_is_refused(client, owner):
    csrf(client)
    response = client.post("/connexion", data={"_csrf_token": "0" * 128, "email": OWNER_EMAIL,
                                               "password": OWNER_PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_login_sets_a_new_http_only_lax_session_cookie(client, owner):
    client.get("/connexion")
    response = login(client)
    assert response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("seing_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # public URL is http in tests
    page = client.get("/ma-signature")
    assert page.status_code == 200
    assert "Jessica Poussart" in page.text


def test_session_id_changes_at_login(client, owner):
    # A session that exists before login (language chosen) must not survive as the logged-in one.
    post_form(client, "/langue", {"locale": "fr", "suivant": "/connexion"})
    before = client.cookies.get("seing_session")
    assert before
    login(client)
    assert client.cookies.get("seing_session") != before


def test_secure_cookies_when_the_public_url_is_https(tmp_path):
    from litestar.testing import TestClient

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    container = build_container(Settings(data_dir=tmp_path, public_url="https://seing.example.fr"), fakes=True)
    with TestClient(create_app(container), base_url="https://seing.example.fr") as client:
        response = client.get("/connexion")
        csrf_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("seing_csrf="))
        assert "Secure" in csrf_cookie
        assert "max-age" in response.headers["strict-transport-security"]


def test_pages_carry_security_headers(client):
    headers = client.get("/connexion").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"


def test_unknown_page_is_a_friendly_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.text
    assert "Traceback" not in response.text


def test_an_unexpected_error_is_a_french_500_without_traceback(container, owner, tmp_path):
    from litestar.testing import TestClient

    from entrypoints.web.app import create_app

    def broken(**_kwargs):
        raise RuntimeError("database on fire")

    with container.use_cases.my_cabinets.override(broken):
        with TestClient(create_app(container), base_url="http://testserver.local") as client:
            login(client)
            response = client.get("/ma-signature")
    assert response.status_code == 500
    assert "Une erreur inattendue" in response.text
    assert "database on fire" not in response.text and "Traceback" not in response.text


def test_pages_behind_login_redirect_to_the_login_form(client):
    response = client.get("/cabinet/membres", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion?suivant=")


def test_static_files_are_served(client):
    response = client.get("/static/css/seing.css")
    assert response.status_code == 200
    assert ".visually-hidden" in response.text


def test_the_csrf_secret_is_made_once_per_data_dir_and_kept_private(tmp_path):
    from entrypoints.settings import Settings
    from entrypoints.web.app import _web_secret

    first = _web_secret(Settings(data_dir=tmp_path), tmp_path)
    assert len(first) >= 40
    assert _web_secret(Settings(data_dir=tmp_path), tmp_path) == first
    assert (tmp_path / "web-secret").stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["web-secret"]
