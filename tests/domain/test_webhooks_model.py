"""The webhook rules of the domain: URLs, public addresses, signatures, rotation, retry schedule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from domain.model.errors import InvalidWebhookUrl, NoWebhookEvents, UnknownWebhookEvent, WebhookDestinationRefused
from domain.model.webhooks import (
    DeliveryStatus,
    DestinationPolicy,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookUrl,
    is_public_address,
    parse_events,
    retry_delay,
    signature_header,
)

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("url", ["ftp://a.fr/x", "https://", "/relative", "https://u:p@a.fr/", "https://a.fr/#x",
                                 "https://a.fr/a b", "https://a.fr:99999/", "", "https://" + "a" * 2000 + ".fr"])
def test_a_webhook_url_is_absolute_http_without_credentials(url):
    with pytest.raises(InvalidWebhookUrl):
        WebhookUrl(url)


def test_a_webhook_url_knows_its_host_and_port():
    url = WebhookUrl(" https://Hooks.Example.com/seing?x=1 ")
    assert (url.host, url.port, str(url)) == ("hooks.example.com", 443, "https://Hooks.Example.com/seing?x=1")
    assert WebhookUrl("http://[::1]:8080/").host == "::1" and WebhookUrl("http://[::1]:8080/").port == 8080


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("::1", False), ("10.0.0.1", False), ("172.31.255.255", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("fe80::1", False), ("fd00:ec2::254", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("::", False), ("224.0.0.1", False), ("255.255.255.255", False),
    ("::ffff:10.0.0.1", False), ("::ffff:93.184.216.34", True), ("64:ff9b::7f00:1", False), ("192.0.2.1", False),
    ("not an address", False), ("fe80::1%eth0", False),
])
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public_address(address) is public


def test_the_policy_refuses_a_name_with_any_private_address_and_allows_all_when_told():
    url = WebhookUrl("https://hooks.example.com/")
    assert DestinationPolicy().choose_address(url, ["93.184.216.34"]) == "93.184.216.34"
    for addresses in (["93.184.216.34", "10.0.0.1"], []):
        with pytest.raises(WebhookDestinationRefused):
            DestinationPolicy().choose_address(url, addresses)
    assert DestinationPolicy(allow_private=True).choose_address(url, ["127.0.0.1"]) == "127.0.0.1"
    with pytest.raises(InvalidWebhookUrl):
        DestinationPolicy().check_url(WebhookUrl("http://hooks.example.com/"))
    DestinationPolicy(allow_private=True).check_url(WebhookUrl("http://127.0.0.1:8000/"))


def test_events_are_parsed_by_name():
    assert parse_events(["collection.sent", " signer.signed"]) == {WebhookEvent.COLLECTION_SENT,
                                                                     WebhookEvent.SIGNER_SIGNED}
    with pytest.raises(UnknownWebhookEvent):
        parse_events(["collection.sent", "collection.exploded"])
    with pytest.raises(NoWebhookEvents):
        parse_events([])


def test_the_signature_header_holds_one_hmac_per_secret_over_timestamp_and_body():
    body = '{"type":"collection.completed"}'.encode()
    header = signature_header(["whsec_new", "whsec_old"], 1_764_320_400, body)
    expected = [hmac.new(s.encode(), b"1764320400." + body, hashlib.sha256).hexdigest()
                for s in ("whsec_new", "whsec_old")]
    assert header == f"t=1764320400,v1={expected[0]},v1={expected[1]}"


def test_after_a_rotation_both_secrets_sign_for_a_day():
    endpoint = WebhookEndpoint.create(id="e", cabinet_id="c", url=WebhookUrl("https://a.fr/"),
                                      events=frozenset({WebhookEvent.COLLECTION_SENT}), secret="old", now=T0,
                                      by_person_id="p")
    endpoint.rotate_secret("new", T0)
    assert endpoint.valid_secrets(T0 + timedelta(hours=23)) == ("new", "old")
    assert endpoint.valid_secrets(T0 + timedelta(hours=24)) == ("new",)


def test_retries_double_from_30_seconds_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 7, 8, 40)] == [
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=32), timedelta(hours=1),
        timedelta(hours=1)]


def test_a_delivery_fails_when_the_next_try_would_pass_24_hours_and_renvoyer_starts_over():
    endpoint = WebhookEndpoint.create(id="e", cabinet_id="c", url=WebhookUrl("https://a.fr/"),
                                      events=frozenset({WebhookEvent.COLLECTION_SENT}), secret="s", now=T0,
                                      by_person_id="p")
    delivery = WebhookDelivery.new(id="d", endpoint=endpoint, event_id="ev", event=WebhookEvent.COLLECTION_SENT,
                                   body="{}", now=T0)
    assert delivery.record_failure(at=T0 + timedelta(hours=23, minutes=59, seconds=45), status_code=500,
                                   error="HTTP 500") is None
    assert delivery.status is DeliveryStatus.FAILED and not delivery.due(1)
    assert delivery.redeliver(T0 + timedelta(days=2)) == 2 and delivery.due(2) and not delivery.due(1)
    assert delivery.record_failure(at=T0 + timedelta(days=2), status_code=None, error="timeout") == \
        T0 + timedelta(days=2, seconds=30)
    assert delivery.record_failure(at=T0 + timedelta(days=2), status_code=None, error="refused",
                                   retryable=False) is None
