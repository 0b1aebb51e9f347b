"""Contracts of the webhooks' repositories and of the WebhookSender port (ports/webhooks.py).

``WebhookRepositoryContract``: implement ``make_adapter`` (each call a new unit of work over the
same storage, empty when the test starts). ``WebhookSenderContract``: implement ``make_sender``,
``serve(statuses)`` (a receiver answering these statuses in turn; returns its URL),
``received()`` (what it got: headers, body) and ``unreachable()`` (a URL nothing answers).
Plain asserts, no test framework needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.model.errors import UniqueViolation, WebhookDeliveryNotFound, WebhookEndpointNotFound
from domain.model.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookUrl,
)
from ports.repositories import UnitOfWork
from ports.webhooks import WebhookSender, WebhookTransportError

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)


def _endpoint(endpoint_id: str, cabinet_id: str = "cab-1", at: datetime = T0) -> WebhookEndpoint:
    return WebhookEndpoint.create(id=endpoint_id, cabinet_id=cabinet_id, url=WebhookUrl("https://hooks.example.com/é?x=1"),
                                  events=frozenset({WebhookEvent.COLLECTION_COMPLETED, WebhookEvent.SIGNER_SIGNED}),
                                  secret="whsec_one", now=at, by_person_id="p-1")


def _delivery(delivery_id: str, endpoint: WebhookEndpoint, event_id: str, at: datetime = T0) -> WebhookDelivery:
    return WebhookDelivery.new(id=delivery_id, endpoint=endpoint, event_id=event_id,
                               event=WebhookEvent.COLLECTION_COMPLETED, body='{"é":"ü"}', now=at)


class WebhookRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def test_an_endpoint_is_found_as_stored_with_its_rotation(self) -> None:
        with self.make_adapter() as tx:
            tx.webhook_endpoints.add(_endpoint("e-1"))
            tx.commit()
        with self.make_adapter() as tx:
            tx.webhook_endpoints.get("e-1").rotate_secret("whsec_two", T0 + timedelta(hours=1))
            tx.commit()
        with self.make_adapter() as tx:
            found = tx.webhook_endpoints.get("e-1")
            assert found.url == WebhookUrl("https://hooks.example.com/é?x=1") and found.cabinet_id == "cab-1"
            assert found.events == {WebhookEvent.COLLECTION_COMPLETED, WebhookEvent.SIGNER_SIGNED}
            assert found.valid_secrets(T0 + timedelta(hours=2)) == ("whsec_two", "whsec_one")
            assert found.previous_secret_expires_at == T0 + timedelta(hours=25)
            assert found.created_at == T0 and found.created_by == "p-1"

    def test_unknown_ids_raise_typed_errors(self) -> None:
        with self.make_adapter() as tx:
            for lookup, error in ((tx.webhook_endpoints.get, WebhookEndpointNotFound),
                                  (tx.webhook_deliveries.get, WebhookDeliveryNotFound)):
                try:
                    lookup("nope")
                except error:
                    continue
                raise AssertionError(f"{lookup} found nothing yet raised nothing")

    def test_endpoints_are_listed_per_cabinet_oldest_first(self) -> None:
        with self.make_adapter() as tx:
            tx.webhook_endpoints.add(_endpoint("e-2", at=T0 + timedelta(minutes=1)))
            tx.webhook_endpoints.add(_endpoint("e-1"))
            tx.webhook_endpoints.add(_endpoint("e-3", cabinet_id="cab-2"))
            tx.commit()
        with self.make_adapter() as tx:
            assert [e.id for e in tx.webhook_endpoints.of_cabinet("cab-1")] == ["e-1", "e-2"]
            assert [e.id for e in tx.webhook_endpoints.of_cabinet("cab-9")] == []

    def test_a_delivery_keeps_its_attempts_and_rounds(self) -> None:
        endpoint = _endpoint("e-1")
        with self.make_adapter() as tx:
            tx.webhook_endpoints.add(endpoint)
            tx.webhook_deliveries.add(_delivery("d-1", endpoint, "ev-1"))
            tx.commit()
        with self.make_adapter() as tx:
            delivery = tx.webhook_deliveries.get("d-1")
            retry_at = delivery.record_failure(at=T0 + timedelta(seconds=1), status_code=503, error="HTTP 503")
            delivery.record_failure(at=T0 + timedelta(seconds=40), status_code=None, error="connection refused")
            tx.commit()
        with self.make_adapter() as tx:
            delivery = tx.webhook_deliveries.get("d-1")
            assert retry_at == T0 + timedelta(seconds=31)
            assert [(a.status_code, a.error) for a in delivery.attempts] == [(503, "HTTP 503"),
                                                                             (None, "connection refused")]
            assert delivery.attempts[1].at == T0 + timedelta(seconds=40)
            assert delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at == T0 + timedelta(seconds=100)
            assert delivery.body == '{"é":"ü"}' and delivery.event is WebhookEvent.COLLECTION_COMPLETED
            delivery.record_success(at=T0 + timedelta(minutes=5), status_code=204)
            delivery.redeliver(T0 + timedelta(hours=1))
            tx.commit()
        with self.make_adapter() as tx:
            delivery = tx.webhook_deliveries.get("d-1")
            assert delivery.round == 2 and delivery.round_started_at == T0 + timedelta(hours=1)
            assert delivery.status is DeliveryStatus.PENDING and delivery.delivered_at == T0 + timedelta(minutes=5)

    def test_one_delivery_per_event_and_endpoint(self) -> None:
        endpoint = _endpoint("e-1")
        with self.make_adapter() as tx:
            tx.webhook_endpoints.add(endpoint)
            tx.webhook_deliveries.add(_delivery("d-1", endpoint, "ev-1"))
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.webhook_deliveries.find("e-1", "ev-1").id == "d-1"
            assert tx.webhook_deliveries.find("e-1", "ev-2") is None
        refused = False
        with self.make_adapter() as tx:
            try:  # refused at once or at the commit, depending on the store
                tx.webhook_deliveries.add(_delivery("d-2", endpoint, "ev-1"))
                tx.commit()
            except UniqueViolation:
                refused = True
        assert refused

    def test_the_log_is_newest_first_and_goes_with_its_endpoint(self) -> None:
        one, two = _endpoint("e-1"), _endpoint("e-2")
        with self.make_adapter() as tx:
            tx.webhook_endpoints.add(one)
            tx.webhook_endpoints.add(two)
            for n in range(3):
                tx.webhook_deliveries.add(_delivery(f"d-{n}", one, f"ev-{n}", at=T0 + timedelta(minutes=n)))
            tx.webhook_deliveries.add(_delivery("d-x", two, "ev-0"))
            tx.commit()
        with self.make_adapter() as tx:
            assert [d.id for d in tx.webhook_deliveries.of_endpoint("e-1")] == ["d-2", "d-1", "d-0"]
            assert [d.id for d in tx.webhook_deliveries.of_endpoint("e-1", limit=2)] == ["d-2", "d-1"]
            tx.webhook_endpoints.remove(tx.webhook_endpoints.get("e-1"))
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.webhook_deliveries.of_endpoint("e-1") == []
            assert [e.id for e in tx.webhook_endpoints.of_cabinet("cab-1")] == ["e-2"]
            assert tx.webhook_deliveries.get("d-x").endpoint_id == "e-2"


class WebhookSenderContract:
    def make_sender(self) -> WebhookSender:
        raise NotImplementedError

    def serve(self, statuses: list[int]) -> WebhookUrl:
        raise NotImplementedError

    def received(self) -> list[tuple[dict[str, str], bytes]]:
        raise NotImplementedError

    def unreachable(self) -> WebhookUrl:
        raise NotImplementedError

    def test_an_ip_literal_resolves_to_itself(self) -> None:
        assert self.make_sender().resolve(WebhookUrl("http://127.0.0.1:9/x")) == ["127.0.0.1"]

    def test_a_post_reaches_the_receiver_with_headers_and_body(self) -> None:
        sender, url = self.make_sender(), self.serve([204])
        body = '{"type":"collection.completed","é":1}'.encode()
        status = sender.post(url, address=sender.resolve(url)[0], body=body,
                             headers={"Content-Type": "application/json", "Seing-Signature": "t=1,v1=ab"})
        assert status == 204
        [(headers, got)] = self.received()
        assert got == body
        lowered = {k.lower(): v for k, v in headers.items()}
        assert lowered["seing-signature"] == "t=1,v1=ab" and lowered["content-type"] == "application/json"

    def test_error_statuses_are_answers_not_exceptions(self) -> None:
        sender, url = self.make_sender(), self.serve([500, 302])
        address = sender.resolve(url)[0]
        assert sender.post(url, address=address, headers={}, body=b"{}") == 500
        assert sender.post(url, address=address, headers={}, body=b"{}") == 302  # redirects are not followed

    def test_no_answer_is_a_transport_error(self) -> None:
        sender, url = self.make_sender(), self.unreachable()
        try:
            sender.post(url, address=sender.resolve(url)[0], headers={}, body=b"{}")
        except WebhookTransportError:
            return
        raise AssertionError("a POST nobody answered returned a status")
