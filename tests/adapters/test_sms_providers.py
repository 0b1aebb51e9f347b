"""The Brevo and Twilio SMS adapters against stubs of their APIs on loopback.

The stubs (``sms_provider_stubs``) refuse what the providers' documentation says they
refuse; these tests also read the raw requests to check authentication, encoding of
accents and numbers byte for byte.
"""

import base64
import json
from urllib.parse import parse_qs

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.messaging import RecordingMailer
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from adapters.messaging.brevo import BrevoSmsSender
from adapters.messaging.twilio import TwilioSmsSender
from domain.model.jobs import JobSpec, JobStatus, Notification
from domain.model.values import Mobile
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer, make_notify_handler
from entrypoints.worker import Worker
from ports.contracts.messaging import SmsSenderContract
from ports.messaging import DeliveryError, OutgoingSms, PermanentDeliveryError
from tests.adapters.sms_provider_stubs import BrevoStub, TwilioStub, closed_port_url

BREVO_KEY = "xkeysib-0123456789abcdef-Seing"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "f00dcafe" * 4
MESSAGING_SERVICE = "MG" + "fedcba9876543210" * 2

# ê, ç, ’ and the non-breaking space are outside GSM-7: they need a Unicode SMS.
FRENCH_CODE = "Seing\u00a0: votre code est 482 913 — ne le communiquez à personne, même à l’expert-comptable."
PLAIN_CODE = "Seing : votre code de vérification est 482913. Valable 10 min."


@pytest.fixture
def brevo():
    stub = BrevoStub(BREVO_KEY).start()
    yield stub
    stub.stop()


@pytest.fixture
def twilio():
    stub = TwilioStub(TWILIO_SID, TWILIO_TOKEN).start()
    yield stub
    stub.stop()


def brevo_sender(stub, *, key=BREVO_KEY, timeout=5.0):
    return BrevoSmsSender(key, "Seing", base_url=stub.url, timeout=timeout)


def twilio_sender(stub, *, token=TWILIO_TOKEN, sender="Seing", timeout=5.0):
    return TwilioSmsSender(TWILIO_SID, token, sender, base_url=stub.url, timeout=timeout)


# The contract every SmsSender passes ----------------------------------------------------


class TestBrevoSmsSenderContract(SmsSenderContract):
    @pytest.fixture(autouse=True)
    def _stub(self, brevo):
        self.stub = brevo

    def make_adapter(self):
        return brevo_sender(self.stub)

    def delivered(self, adapter):
        return list(self.stub.accepted)

    def make_unreachable_adapter(self):
        return BrevoSmsSender(BREVO_KEY, "Seing", base_url=closed_port_url(), timeout=2)


class TestTwilioSmsSenderContract(SmsSenderContract):
    @pytest.fixture(autouse=True)
    def _stub(self, twilio):
        self.stub = twilio

    def make_adapter(self):
        return twilio_sender(self.stub)

    def delivered(self, adapter):
        return list(self.stub.accepted)

    def make_unreachable_adapter(self):
        return TwilioSmsSender(TWILIO_SID, TWILIO_TOKEN, "Seing", base_url=closed_port_url(), timeout=2)


# Brevo: the request as documented ------------------------------------------------------


def test_brevo_gets_a_transactional_json_request_with_the_key_header_and_utf8_accents(brevo):
    brevo_sender(brevo).send(OutgoingSms(to="+33612345678", text=FRENCH_CODE))

    [request] = brevo.requests
    assert (request.method, request.path) == ("POST", "/v3/transactionalSMS/send")
    assert request.headers["api-key"] == BREVO_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert "authorization" not in request.headers
    assert json.loads(request.body.decode("utf-8")) == {
        "sender": "Seing", "recipient": "+33612345678", "content": FRENCH_CODE, "type": "transactional",
        "unicodeEnabled": True}
    # The accents travel as UTF-8 bytes, not as \u escapes.
    assert "à personne, même à l’expert".encode("utf-8") in request.body
    assert b"\\u" not in request.body


def test_brevo_sends_a_gsm_7_text_without_unicode_so_it_fits_160_characters(brevo):
    brevo_sender(brevo).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    [request] = brevo.requests
    assert json.loads(request.body)["unicodeEnabled"] is False
    assert brevo.accepted == [OutgoingSms(to="+33612345678", text=PLAIN_CODE)]


def test_brevo_refusing_the_key_is_a_permanent_failure(brevo):
    with pytest.raises(PermanentDeliveryError, match="401.*unauthorized"):
        brevo_sender(brevo, key="xkeysib-revoked").send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert brevo.accepted == []


def test_brevo_refusing_the_number_is_a_permanent_failure(brevo):
    with pytest.raises(PermanentDeliveryError, match="400.*invalid_parameter Invalid phone number") as refused:
        brevo_sender(brevo).send(OutgoingSms(to="+33 6 12", text=PLAIN_CODE))
    assert refused.value.code == "invalid_parameter"


def test_brevo_out_of_credits_is_a_permanent_failure(brevo):
    brevo.script(402, {"code": "not_enough_credits", "message": "Not enough credits"})
    with pytest.raises(PermanentDeliveryError, match="402.*not_enough_credits"):
        brevo_sender(brevo).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))


@pytest.mark.parametrize("status,body", [
    (429, {"code": "too_many_requests", "message": "Rate limit exceeded"}),
    (500, {"code": "internal_error", "message": "Internal server error"}),
    (503, {"code": "service_unavailable", "message": "Try again later"}),
])
def test_brevo_rate_limiting_and_outages_are_retried_and_the_retry_goes_through(brevo, status, body):
    sender = brevo_sender(brevo)
    brevo.script(status, body)
    with pytest.raises(DeliveryError) as error:
        sender.send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert not isinstance(error.value, PermanentDeliveryError)
    assert str(status) in str(error.value)
    sender.send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert brevo.accepted == [OutgoingSms(to="+33612345678", text=PLAIN_CODE)]


def test_brevo_answering_too_late_is_retried(brevo):
    brevo.delay = 1.0
    with pytest.raises(DeliveryError) as error:
        brevo_sender(brevo, timeout=0.2).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert not isinstance(error.value, PermanentDeliveryError)
    assert "no answer in time" in str(error.value)


def test_brevo_refuses_a_sender_name_it_would_reject():
    with pytest.raises(ValueError, match="11 letters"):
        BrevoSmsSender(BREVO_KEY, "Cabinet Dupré", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="API key"):
        BrevoSmsSender("", "Seing", base_url="http://127.0.0.1:9")


# Twilio: the request as documented -----------------------------------------------------


def test_twilio_gets_a_form_with_basic_auth_and_utf8_percent_encoded_accents(twilio):
    twilio_sender(twilio).send(OutgoingSms(to="+33612345678", text=FRENCH_CODE))

    [request] = twilio.requests
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.body.isascii()  # form encoding: every non-ASCII byte is percent-escaped
    assert "%C3%A0%20personne" in request.body.decode() or "%C3%A0+personne" in request.body.decode()
    assert "%E2%80%99" in request.body.decode()  # ’ in UTF-8
    assert parse_qs(request.body.decode(), encoding="utf-8") == {
        "To": ["+33612345678"], "From": ["Seing"], "Body": [FRENCH_CODE]}


def test_twilio_with_a_messaging_service_sends_its_sid_instead_of_a_from(twilio):
    twilio_sender(twilio, sender=MESSAGING_SERVICE).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    [request] = twilio.requests
    assert parse_qs(request.body.decode(), encoding="utf-8") == {
        "To": ["+33612345678"], "MessagingServiceSid": [MESSAGING_SERVICE], "Body": [PLAIN_CODE]}


def test_twilio_refusing_the_credentials_is_a_permanent_failure(twilio):
    with pytest.raises(PermanentDeliveryError, match="401: 20003 Authenticate"):
        twilio_sender(twilio, token="wrong").send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert twilio.accepted == []


def test_twilio_refusing_the_number_is_a_permanent_failure(twilio):
    with pytest.raises(PermanentDeliveryError, match="400: 21211 Invalid 'To' Phone Number") as refused:
        twilio_sender(twilio).send(OutgoingSms(to="0612345678", text=PLAIN_CODE))
    assert refused.value.code == "21211"  # kept on the collection's trail for the preparer and support


def test_twilio_refusing_an_unreachable_region_is_a_permanent_failure(twilio):
    twilio.script(*TwilioStub.error(400, 21408, "Permission to send an SMS has not been enabled for the region"))
    with pytest.raises(PermanentDeliveryError, match="21408"):
        twilio_sender(twilio).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))


@pytest.mark.parametrize("status,code,message", [
    (429, 20429, "Too Many Requests"),
    (500, 20500, "Internal Server Error"),
    (503, 20503, "Service Unavailable"),
])
def test_twilio_rate_limiting_and_outages_are_retried_and_the_retry_goes_through(twilio, status, code, message):
    sender = twilio_sender(twilio)
    twilio.script(*TwilioStub.error(status, code, message))
    with pytest.raises(DeliveryError) as error:
        sender.send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert not isinstance(error.value, PermanentDeliveryError)
    assert f"{status}: {code}" in str(error.value)
    sender.send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert twilio.accepted == [OutgoingSms(to="+33612345678", text=PLAIN_CODE)]


def test_twilio_answering_too_late_is_retried(twilio):
    twilio.delay = 1.0
    with pytest.raises(DeliveryError) as error:
        twilio_sender(twilio, timeout=0.2).send(OutgoingSms(to="+33612345678", text=PLAIN_CODE))
    assert not isinstance(error.value, PermanentDeliveryError)


@pytest.mark.parametrize("sid,token,sender,named", [
    ("AC123", TWILIO_TOKEN, "Seing", "Account SID"),
    (TWILIO_SID, "", "Seing", "Auth Token"),
    (TWILIO_SID, TWILIO_TOKEN, "Cabinet Dupré", "sender"),
    (TWILIO_SID, TWILIO_TOKEN, "0612345678", "sender"),
])
def test_twilio_refuses_a_configuration_it_could_not_send_with(sid, token, sender, named):
    with pytest.raises(ValueError, match=named):
        TwilioSmsSender(sid, token, sender, base_url="http://127.0.0.1:9")


# Through the worker: retried or failed for good ----------------------------------------


class _Worker:
    def __init__(self, sender):
        self.clock = FixedClock()
        self.store = InMemoryStore()
        self.jobs = InMemoryJobStore(self.store)
        renderer = NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example")
        self.worker = Worker(self.jobs, {"notify": make_notify_handler(renderer, RecordingMailer(), sender)},
                             self.clock)

    def enqueue_code(self, mobile: str) -> str:
        with InMemoryUnitOfWork(self.store, self.clock) as uow:
            job_id = uow.jobs.enqueue(JobSpec.notify(Notification.sms(
                Mobile(mobile), "one_time_code", code="482913", valid_minutes="10", purpose="signing")))
            uow.commit()
        return job_id


@pytest.mark.parametrize("provider", ["brevo", "twilio"])
def test_a_refused_sms_fails_its_job_at_once_with_the_providers_reason(provider, brevo, twilio):
    sender = brevo_sender(brevo, key="revoked") if provider == "brevo" else twilio_sender(twilio, token="revoked")
    world = _Worker(sender)
    job_id = world.enqueue_code("06 12 34 56 78")

    world.worker.run_once()

    job = world.jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.attempts == 1
    assert "401" in job.last_error and "+33612345678" in job.last_error
    assert "482913" not in job.last_error  # the code never lands in the job's error


@pytest.mark.parametrize("provider", ["brevo", "twilio"])
def test_a_provider_outage_leaves_the_job_to_retry_then_it_is_delivered(provider, brevo, twilio):
    stub = brevo if provider == "brevo" else twilio
    sender = brevo_sender(brevo) if provider == "brevo" else twilio_sender(twilio)
    world = _Worker(sender)
    job_id = world.enqueue_code("+33612345678")
    stub.script(503, {"code": "service_unavailable", "message": "Try again later"})

    world.worker.run_once()
    job = world.jobs.get(job_id)
    assert job.status is JobStatus.PENDING and job.attempts == 1 and "503" in job.last_error

    world.clock.advance(job.run_at - world.clock.now())
    world.worker.run_once()
    assert world.jobs.get(job_id).status is JobStatus.DONE
    [sms] = stub.accepted
    assert sms.to == "+33612345678"
    assert "482913" in sms.text and "votre code pour signer" in sms.text
