"""Choosing the SMS provider by configuration, and refusing to start when SMS cannot leave."""

import pytest

from adapters.messaging.brevo import BrevoSmsSender
from adapters.messaging.outbox import OutboxSmsSender, read_outbox
from adapters.messaging.twilio import TwilioSmsSender
from entrypoints.composition.container import build_container
from entrypoints.settings import ConfigurationError, Settings, load_settings
from ports.messaging import OutgoingSms
from tests.adapters.sms_provider_stubs import BrevoStub, TwilioStub

TWILIO_SID = "AC" + "0123456789abcdef" * 2


def test_the_outbox_stays_the_default_in_dev_mode(tmp_path):
    settings = load_settings({"SEING_DATA_DIR": str(tmp_path)})
    assert settings.sms_backend == "outbox"
    sender = build_container(settings).adapters.sms_sender()
    assert isinstance(sender, OutboxSmsSender)
    sender.send(OutgoingSms(to="+33612345678", text="Code 482913"))
    assert [m["to"] for m in read_outbox(settings.outbox_dir)] == ["+33612345678"]


def test_outside_dev_mode_the_outbox_refuses_to_start_naming_the_setting(tmp_path):
    settings = load_settings({"SEING_DATA_DIR": str(tmp_path), "SEING_DEV_MODE": "false"})
    with pytest.raises(ConfigurationError) as error:
        build_container(settings)
    assert "SEING_SMS_BACKEND" in str(error.value)
    assert "SEING_DEV_MODE=false" in str(error.value)


def test_outside_dev_mode_the_worker_command_stops_with_the_message(tmp_path, monkeypatch, capsys):
    from entrypoints.cli import main

    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    for name in ("SEING_CONFIG", "SEING_DATABASE_URL", "SEING_SMS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEING_DEV_MODE", "false")

    assert main(["worker", "--once"]) == 2
    assert "SEING_SMS_BACKEND=outbox" in capsys.readouterr().err


@pytest.mark.parametrize("environ,named", [
    ({"SEING_SMS_BACKEND": "brevo"}, "SEING_BREVO_API_KEY"),
    ({"SEING_SMS_BACKEND": "twilio", "SEING_TWILIO_AUTH_TOKEN": "t"}, "SEING_TWILIO_ACCOUNT_SID"),
    ({"SEING_SMS_BACKEND": "twilio", "SEING_TWILIO_ACCOUNT_SID": TWILIO_SID}, "SEING_TWILIO_AUTH_TOKEN"),
    ({"SEING_SMS_BACKEND": "brevo", "SEING_BREVO_API_KEY": "k", "SEING_SMS_SENDER_NAME": "Cabinet Dupré"},
     "SEING_SMS_SENDER_NAME"),
    ({"SEING_SMS_BACKEND": "brevo", "SEING_BREVO_API_KEY": "k", "SEING_SMS_API_URL": "api.brevo.com"},
     "SEING_SMS_API_URL"),
])
def test_a_provider_without_what_it_needs_stops_the_start_naming_the_setting(tmp_path, environ, named):
    settings = load_settings({"SEING_DATA_DIR": str(tmp_path), "SEING_DEV_MODE": "false", **environ})
    with pytest.raises(ConfigurationError) as error:
        build_container(settings)
    assert named in str(error.value)


def test_an_unknown_sms_backend_is_refused_by_name_with_the_installed_ones(tmp_path):
    settings = load_settings({"SEING_DATA_DIR": str(tmp_path), "SEING_SMS_BACKEND": "pigeon"})
    with pytest.raises(ConfigurationError) as error:
        build_container(settings)
    message = str(error.value)
    assert "SEING_SMS_BACKEND" in message and "'pigeon'" in message
    assert all(name in message for name in ("brevo", "outbox", "twilio"))


def test_plug_in_options_come_from_the_environment_and_the_toml_table(tmp_path):
    config = tmp_path / "seing.toml"
    config.write_text('[seing]\nsms_backend = "acme"\n[seing.sms_options]\nregion = "eu"\ntoken = "from-file"\n',
                      "utf-8")
    settings = load_settings({"SEING_CONFIG": str(config), "SEING_SMS_OPTION_TOKEN": "from-env"})
    assert settings.sms_backend == "acme"
    assert dict(settings.sms_options) == {"region": "eu", "token": "from-env"}
    assert hash(settings)  # still usable as a key


def test_plug_in_options_given_as_one_string_are_refused_by_name():
    with pytest.raises(ConfigurationError) as error:
        load_settings({"SEING_SMS_OPTIONS": "token=abc"})
    assert "SEING_SMS_OPTIONS" in str(error.value) and "SEING_SMS_OPTION_<NAME>" in str(error.value)


def test_brevo_chosen_by_configuration_sends_to_the_configured_api(tmp_path):
    stub = BrevoStub("xkeysib-prod").start()
    try:
        settings = load_settings({"SEING_DATA_DIR": str(tmp_path), "SEING_DEV_MODE": "false",
                                  "SEING_SMS_BACKEND": "brevo", "SEING_BREVO_API_KEY": "xkeysib-prod",
                                  "SEING_SMS_SENDER_NAME": "CabDupre", "SEING_SMS_API_URL": stub.url,
                                  "SEING_MAIL_BACKEND": "smtp"})
        sender = build_container(settings).adapters.sms_sender()
        assert isinstance(sender, BrevoSmsSender)
        sender.send(OutgoingSms(to="+33612345678", text="Code 482913"))
    finally:
        stub.stop()
    assert stub.accepted == [OutgoingSms(to="+33612345678", text="Code 482913")]
    assert b'"sender": "CabDupre"' in stub.requests[0].body


def test_twilio_chosen_by_configuration_sends_to_the_configured_api(tmp_path):
    stub = TwilioStub(TWILIO_SID, "secret-token").start()
    try:
        settings = Settings(data_dir=tmp_path, dev_mode=False, sms_backend="twilio", twilio_account_sid=TWILIO_SID,
                            twilio_auth_token="secret-token", sms_sender_name="+33757000000", sms_api_url=stub.url,
                            mail_backend="smtp")
        sender = build_container(settings).adapters.sms_sender()
        assert isinstance(sender, TwilioSmsSender)
        sender.send(OutgoingSms(to="+33612345678", text="Code 482913"))
    finally:
        stub.stop()
    assert stub.accepted == [OutgoingSms(to="+33612345678", text="Code 482913")]
    assert b"From=%2B33757000000" in stub.requests[0].body


def test_outside_dev_mode_the_email_outbox_refuses_to_start_naming_the_setting(tmp_path):
    # SMS goes to a provider, but invitations and codes by email would still only reach a folder.
    settings = Settings(data_dir=tmp_path, dev_mode=False, sms_backend="twilio", twilio_account_sid=TWILIO_SID,
                        twilio_auth_token="secret-token", sms_sender_name="+33757000000")
    with pytest.raises(ConfigurationError) as error:
        build_container(settings)
    assert "SEING_MAIL_BACKEND=outbox" in str(error.value)
    assert "SEING_DEV_MODE=false" in str(error.value)


def test_in_dev_mode_the_email_outbox_is_still_the_default(tmp_path):
    settings = load_settings({"SEING_DATA_DIR": str(tmp_path)})
    assert settings.mail_backend == "outbox"
    assert type(build_container(settings).adapters.mailer()).__name__ == "OutboxMailer"
