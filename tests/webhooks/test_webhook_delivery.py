"""Webhooks end to end: subscription, fan-out, signed delivery to a real HTTP receiver on loopback,
retries with backoff for 24 hours, secret rotation, « Renvoyer », and the refusals against SSRF."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from dependency_injector import providers

from adapters.memory.webhooks import RecordingWebhookSender
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from domain.model.errors import InvalidWebhookUrl, NotOwner, WebhookDestinationRefused
from domain.model.jobs import JobStatus
from domain.model.webhooks import DeliveryStatus, WebhookEvent, WebhookUrl, event_job
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.webhooks import WebhookSenderContract
from ports.webhooks import WebhookTransportError
from tests.webhooks.receiver import LoopbackReceiver

HOST = "hooks.cabinet-poussart.test"  # resolves only through the test's resolver


class Resolver:
    """What DNS says, changed by the test (a name that later points to 127.0.0.1)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return list(self.table.get(host, []))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the sender port's contract, on httpx against the loopback receiver, and on the fake ------------


class TestHttpxSender(WebhookSenderContract):
    @pytest.fixture(autouse=True)
    def _receiver(self):
        from datetime import datetime, timezone

        self.receiver = LoopbackReceiver(now=lambda: datetime.now(timezone.utc)).start()
        yield
        self.receiver.stop()

    def make_sender(self):
        return HttpxWebhookSender(resolver=Resolver({HOST: ["127.0.0.1"]}), timeout=5)

    def serve(self, statuses):
        self.receiver.script = list(statuses)
        return WebhookUrl(f"http://{HOST}:{self.receiver.port}/seing?cabinet=1")

    def received(self):
        return [(r.headers, r.body) for r in self.receiver.received]

    def unreachable(self):
        return WebhookUrl(f"http://{HOST}:{closed_port()}/seing")

    def test_the_host_header_names_the_host_not_the_address(self):
        sender, url = self.make_sender(), self.serve([200])
        assert sender.post(url, address="127.0.0.1", headers={}, body=b"{}") == 200
        [received] = self.receiver.received
        assert received.headers["Host"] == f"{HOST}:{self.receiver.port}" and received.path == "/seing?cabinet=1"


class TestRecordingSender(WebhookSenderContract):
    def make_sender(self):
        self.sender = getattr(self, "sender", None) or RecordingWebhookSender({HOST: ["192.0.2.10"]})
        return self.sender

    def serve(self, statuses):
        self.make_sender().script = list(statuses)
        return WebhookUrl(f"https://{HOST}/seing")

    def received(self):
        return [(s.headers, s.body) for s in self.sender.sent]

    def unreachable(self):
        self.make_sender().script = [ConnectionRefusedError("refused")]
        return WebhookUrl(f"https://{HOST}/seing")


# -- the whole path, through the container and the worker ---------------------------------------------


class World:
    def __init__(self, tmp_path, *, allow_private: bool) -> None:
        self.container = build_container(Settings(data_dir=tmp_path,
                                                  webhooks_allow_private=allow_private), fakes=True)
        self.clock = self.container.adapters.clock()
        self.resolver = Resolver({HOST: ["127.0.0.1"]})
        self.container.adapters.webhook_sender.override(
            providers.Object(HttpxWebhookSender(resolver=self.resolver, timeout=5)))
        self.uc = self.container.use_cases
        self.worker = self.container.worker()
        self.jobs = self.container.adapters.job_store()
        self.receiver = LoopbackReceiver(now=self.clock.now).start()
        created = self.uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                         owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                         owner_mobile=None, password="correct horse battery")
        self.cabinet_id, self.owner = created.cabinet_id, created.person_id

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.receiver.port}/seing"

    def subscribe(self, url: str | None = None, events=("collection.completed", "signer.signed")):
        created = self.uc.create_webhook_endpoint(cabinet_id=self.cabinet_id, by_person_id=self.owner,
                                                  url=url or self.url, events=list(events))
        self.receiver.secret = created.secret
        return created

    def emit(self, event=WebhookEvent.COLLECTION_COMPLETED, **data) -> str:
        with self.container.adapters.uow() as tx:
            job_id = tx.jobs.enqueue(event_job(event, cabinet_id=self.cabinet_id, occurred_at=self.clock.now(),
                                               collection_id="col-1", **data))
            tx.commit()
        return job_id

    def run_due(self) -> None:
        """Run the worker until nothing is due now."""
        while self.worker.run_once():
            pass

    def log(self, endpoint_id: str):
        return self.uc.list_webhook_deliveries(cabinet_id=self.cabinet_id, by_person_id=self.owner,
                                               endpoint_id=endpoint_id)

    def delivery_jobs(self):
        return [j for j in self.jobs.list(limit=1000) if j.spec.kind == "webhook_delivery"]


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path, allow_private=True)
    yield w
    w.receiver.stop()


def test_a_delivery_that_fails_is_retried_with_backoff_and_succeeds_signed(world):
    endpoint = world.subscribe().endpoint
    world.receiver.script = [503, 500]
    event_id = world.emit()
    world.run_due()
    [delivery] = world.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.PENDING and [a.status_code for a in delivery.attempts] == [503]
    assert delivery.next_attempt_at == world.clock.now() + timedelta(seconds=30)

    world.clock.advance(timedelta(seconds=29))
    world.run_due()
    assert len(world.receiver.received) == 1  # not due yet
    world.clock.advance(timedelta(seconds=1))
    world.run_due()
    world.clock.advance(timedelta(minutes=1))
    world.run_due()

    [delivery] = world.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempts] == [200, 500, 503]  # newest first
    assert [r.verified for r in world.receiver.received] == [True, True, True]
    last = world.receiver.received[-1]
    body = json.loads(last.body)
    assert body["id"] == event_id and body["type"] == "collection.completed"
    assert body["cabinet_id"] == world.cabinet_id and body["data"] == {"collection_id": "col-1"}
    assert last.headers["Seing-Event"] == "collection.completed" and last.headers["Seing-Event-Id"] == event_id
    assert last.headers["Host"] == f"{HOST}:{world.receiver.port}"  # connected to the resolved address
    assert [j.status for j in world.delivery_jobs()] == [JobStatus.DONE]


def test_a_signature_older_than_five_minutes_is_refused_by_the_receiver(world):
    endpoint = world.subscribe().endpoint
    world.emit()
    real_now = world.receiver.now
    world.receiver.now = lambda: real_now() + timedelta(minutes=5, seconds=1)  # the receiver's clock is ahead
    world.run_due()
    assert [r.verified for r in world.receiver.received] == [False]
    assert world.log(endpoint.endpoint_id)[0].attempts[0].status_code == 401


def test_a_delivery_never_accepted_is_failed_after_24_hours(world):
    endpoint = world.subscribe().endpoint
    world.receiver.script = [500] * 100
    world.emit()
    start = world.clock.now()
    world.run_due()
    while (job := world.delivery_jobs()[0]).status is JobStatus.PENDING:
        world.clock.set(max(job.run_at, world.clock.now()))
        world.run_due()
    [delivery] = world.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.FAILED and delivery.next_attempt_at is None
    times = [a.at for a in reversed(delivery.attempts)]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert gaps[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(gaps) == timedelta(hours=1)
    assert timedelta(hours=23) <= times[-1] - start <= timedelta(hours=24)
    assert len(world.receiver.received) == len(times)
    assert world.delivery_jobs()[0].status is JobStatus.FAILED


def test_redelivery_from_the_log_sends_the_same_event_again(world):
    endpoint = world.subscribe().endpoint
    world.receiver.script = [500] * 100
    world.emit()
    world.run_due()
    world.clock.advance(timedelta(days=2))
    while world.worker.run_once() or any(j.status is JobStatus.PENDING and j.run_at <= world.clock.now()
                                         for j in world.delivery_jobs()):
        world.clock.advance(timedelta(hours=1))
    assert world.log(endpoint.endpoint_id)[0].status is DeliveryStatus.FAILED
    world.receiver.script = []
    failed = world.log(endpoint.endpoint_id)[0]
    again = world.uc.redeliver_webhook(cabinet_id=world.cabinet_id, by_person_id=world.owner,
                                       endpoint_id=endpoint.endpoint_id, delivery_id=failed.delivery_id)
    assert again.status is DeliveryStatus.PENDING
    world.run_due()
    [delivery] = world.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts[0].status_code == 200
    first, last = world.receiver.received[0], world.receiver.received[-1]
    assert first.body == last.body and last.verified  # same event, newly signed


def test_a_rotated_secret_and_the_previous_one_both_verify_for_a_day(world):
    created = world.subscribe()
    old = created.secret
    new = world.uc.rotate_webhook_secret(cabinet_id=world.cabinet_id, by_person_id=world.owner,
                                         endpoint_id=created.endpoint.endpoint_id)
    assert new != old and new.startswith("whsec_")
    world.emit()
    world.run_due()
    header = world.receiver.received[-1].headers["Seing-Signature"]
    assert header.count("v1=") == 2 and world.receiver.received[-1].verified  # the receiver still holds the old one
    world.receiver.secret = new
    world.clock.advance(timedelta(hours=25))
    world.emit(WebhookEvent.SIGNER_SIGNED, signer_id="s-1")
    world.run_due()
    header = world.receiver.received[-1].headers["Seing-Signature"]
    assert header.count("v1=") == 1 and world.receiver.received[-1].verified


def test_only_subscribed_events_are_delivered_and_a_replayed_event_job_delivers_once(world):
    endpoint = world.subscribe(events=["signer.signed"]).endpoint
    world.emit(WebhookEvent.COLLECTION_CANCELLED)
    event_id = world.emit(WebhookEvent.SIGNER_SIGNED, signer_id="s-1")
    world.run_due()
    world.uc.dispatch_webhook_event(event_id=event_id, payload=world.jobs.get(event_id).spec.payload_dict())
    world.run_due()
    assert [json.loads(r.body)["type"] for r in world.receiver.received] == ["signer.signed"]
    assert json.loads(world.receiver.received[0].body)["data"] == {"collection_id": "col-1", "signer_id": "s-1"}
    assert len(world.log(endpoint.endpoint_id)) == 1


def test_a_deleted_endpoint_gets_nothing_more(world):
    endpoint = world.subscribe().endpoint
    world.receiver.script = [500]
    world.emit()
    world.run_due()
    world.uc.delete_webhook_endpoint(cabinet_id=world.cabinet_id, by_person_id=world.owner,
                                     endpoint_id=endpoint.endpoint_id)
    world.clock.advance(timedelta(minutes=1))
    world.run_due()
    assert len(world.receiver.received) == 1
    assert [j.status for j in world.delivery_jobs()] == [JobStatus.DONE]
    assert world.uc.list_webhook_endpoints(cabinet_id=world.cabinet_id, by_person_id=world.owner) == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(world):
    endpoint = world.subscribe().endpoint
    world.receiver.script = [302]
    world.emit()
    world.run_due()
    [delivery] = world.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.PENDING and delivery.attempts[0].status_code == 302
    assert len(world.receiver.received) == 1


def test_only_an_owner_manages_webhooks(world):
    from domain.model.cabinet import Role

    world.uc.invite_member(cabinet_id=world.cabinet_id, by_person_id=world.owner, email="irina@cs.expert",
                           given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=frozenset())
    invitation = [j for j in world.jobs.list(limit=100) if j.spec.kind == "notify"][0].spec.as_notification()
    collaborator = world.uc.accept_invitation(token=invitation.context_dict()["token"],
                                              password="correct horse battery", mobile=None)
    with pytest.raises(NotOwner):
        world.uc.create_webhook_endpoint(cabinet_id=world.cabinet_id, by_person_id=collaborator, url=world.url,
                                         events=["collection.completed"])


# -- server-side request forgery ----------------------------------------------------------------------


@pytest.fixture
def guarded(tmp_path):
    w = World(tmp_path, allow_private=False)
    yield w
    w.receiver.stop()


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://[::1]/hook", "https://10.1.2.3/hook", "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/", "https://100.100.100.200/",
    "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://172.16.0.1/",
])
def test_private_loopback_link_local_and_metadata_addresses_are_refused_at_subscription(guarded, url):
    with pytest.raises(WebhookDestinationRefused):
        guarded.subscribe(url)


def test_a_name_resolving_to_loopback_is_refused_at_subscription(guarded):
    guarded.resolver.table[HOST] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(WebhookDestinationRefused):
        guarded.subscribe(f"https://{HOST}/hook")
    assert HOST in guarded.resolver.asked


def test_plain_http_is_refused_without_the_operator_setting(guarded):
    guarded.resolver.table[HOST] = ["93.184.216.34"]
    with pytest.raises(InvalidWebhookUrl):
        guarded.subscribe(f"http://{HOST}/hook")


def test_a_name_that_later_resolves_to_loopback_is_refused_at_delivery(guarded):
    guarded.resolver.table[HOST] = ["93.184.216.34"]
    endpoint = guarded.subscribe(f"https://{HOST}:{guarded.receiver.port}/hook").endpoint
    guarded.resolver.table[HOST] = ["127.0.0.1"]  # DNS rebinding
    guarded.emit()
    guarded.run_due()
    [delivery] = guarded.log(endpoint.endpoint_id)
    assert delivery.status is DeliveryStatus.FAILED
    assert "destination refused" in delivery.attempts[0].error and "127.0.0.1" in delivery.attempts[0].error
    assert guarded.receiver.received == []
    assert [j.status for j in guarded.delivery_jobs()] == [JobStatus.FAILED]


# -- https: connected to the checked address, the certificate checked for the host name ----------------


def _tls_receiver(tmp_path, host):
    """The loopback receiver behind TLS with a certificate for ``host`` only (not for 127.0.0.1)."""
    import ssl
    from datetime import datetime, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    receiver = LoopbackReceiver(now=lambda: datetime.now(timezone.utc)).start()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)
    client_context = ssl.create_default_context(cafile=str(cert_file))
    return receiver, client_context


def test_https_delivery_checks_the_certificate_for_the_host_name_not_the_address(tmp_path):
    receiver, trust = _tls_receiver(tmp_path, HOST)
    try:
        sender = HttpxWebhookSender(resolver=Resolver({HOST: ["127.0.0.1"]}), timeout=5, verify=trust)
        url = WebhookUrl(f"https://{HOST}:{receiver.port}/seing")
        assert sender.post(url, address="127.0.0.1", headers={}, body=b"{}") == 200
        assert receiver.received[0].headers["Host"] == f"{HOST}:{receiver.port}"
        other = WebhookUrl(f"https://other.{HOST}:{receiver.port}/seing")  # the certificate does not name it
        with pytest.raises(WebhookTransportError):
            sender.post(other, address="127.0.0.1", headers={}, body=b"{}")
        assert len(receiver.received) == 1
    finally:
        receiver.stop()
