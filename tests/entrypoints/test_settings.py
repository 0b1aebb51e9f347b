from pathlib import Path

import pytest

from entrypoints.settings import ConfigurationError, load_settings


def test_defaults_serve_on_8000_with_sqlite_under_var():
    settings = load_settings({})
    assert settings.port == 8000
    assert settings.data_dir == Path("var").resolve()
    assert settings.resolved_public_url == "http://127.0.0.1:8000"
    assert settings.resolved_database_url == f"sqlite:///{Path('var').resolve() / 'seing.sqlite3'}"


def test_port_and_data_dir_let_two_instances_run_side_by_side(tmp_path):
    one = load_settings({"SEING_PORT": "8001", "SEING_DATA_DIR": str(tmp_path / "a")})
    two = load_settings({"SEING_PORT": "8002", "SEING_DATA_DIR": str(tmp_path / "b")})
    assert (one.resolved_public_url, two.resolved_public_url) == ("http://127.0.0.1:8001", "http://127.0.0.1:8002")
    assert one.resolved_database_url != two.resolved_database_url
    assert one.outbox_dir != two.outbox_dir and one.keys_dir != two.keys_dir


def test_a_toml_file_is_read_and_the_environment_wins_over_it(tmp_path):
    config = tmp_path / "seing.toml"
    config.write_text('[seing]\nport = 9000\nmail_backend = "smtp"\nsmtp_host = "relay.example"\n', "utf-8")
    settings = load_settings({"SEING_CONFIG": str(config), "SEING_SMTP_HOST": "mail.example"})
    assert settings.port == 9000
    assert settings.mail_backend == "smtp"
    assert settings.smtp_host == "mail.example"


@pytest.mark.parametrize("environ,named", [
    ({"SEING_PORT": "eighty"}, "SEING_PORT"),
    ({"SEING_PORT": "70000"}, "SEING_PORT"),
    ({"SEING_DEV_MODE": "maybe"}, "SEING_DEV_MODE"),
    ({"SEING_S3_SERVER_SIDE_ENCRYPTION": "rot13"}, "SEING_S3_SERVER_SIDE_ENCRYPTION"),
])
def test_a_bad_value_stops_the_start_with_the_setting_named(environ, named):
    # Provider names (SEING_MAIL_BACKEND, SEING_KEY_VAULT, ...) are checked against the installed
    # entry points when the container builds them: tests/entrypoints/test_provider_configuration.py.
    with pytest.raises(ConfigurationError) as error:
        load_settings(environ)
    assert named in str(error.value)


def test_an_unknown_setting_in_the_toml_file_is_refused_by_name(tmp_path):
    config = tmp_path / "seing.toml"
    config.write_text("[seing]\nprot = 9000\n", "utf-8")
    with pytest.raises(ConfigurationError) as error:
        load_settings({"SEING_CONFIG": str(config)})
    assert "prot" in str(error.value)


def test_an_unreadable_toml_file_is_refused_with_its_path(tmp_path):
    config = tmp_path / "seing.toml"
    config.write_text("[seing\nport = ", "utf-8")
    with pytest.raises(ConfigurationError) as error:
        load_settings({"SEING_CONFIG": str(config)})
    assert str(config) in str(error.value)


def test_booleans_accept_the_usual_spellings():
    assert load_settings({"SEING_DEV_MODE": "off"}).dev_mode is False
    assert load_settings({"SEING_DEV_MODE": "YES"}).dev_mode is True


@pytest.mark.parametrize("value", ["0", "201"])
def test_the_upload_limit_stays_between_1_and_200_mb(value):
    with pytest.raises(ConfigurationError) as error:
        load_settings({"SEING_MAX_UPLOAD_MB": value})
    assert "SEING_MAX_UPLOAD_MB" in str(error.value)


@pytest.mark.parametrize(("name", "value"), [("SEING_PDF_WORKERS", "33"), ("SEING_PDF_MEMORY_MB", "100"),
                                             ("SEING_PDF_TIMEOUT_SECONDS", "0"), ("SEING_PDF_MAX_PAGES", "0")])
def test_the_pdf_worker_limits_refuse_values_that_disable_them(name, value):
    with pytest.raises(ConfigurationError) as error:
        load_settings({name: value})
    assert name in str(error.value)


def test_the_pdf_worker_limits_are_read_from_the_environment():
    settings = load_settings({"SEING_PDF_WORKERS": "4", "SEING_PDF_MEMORY_MB": "2048", "SEING_PDF_MAX_PAGES": "300"})
    assert (settings.pdf_workers, settings.pdf_memory_mb, settings.pdf_max_pages) == (4, 2048, 300)
