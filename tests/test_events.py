"""The event receiver: each sender's authentication, the replay window and seen-set, the size
limit and malformed bodies, on SQLite and PostgreSQL (Starlette's TestClient, real databases)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from hub.events.app import ReceiverSettings, create_app
from hub.warehouse import Warehouse
from tests.events_support import (
    ENV,
    TOKEN,
    application_received,
    hubspot_batch,
    hubspot_event,
    hubspot_headers,
    seed_headers,
)

URI = "http://testserver/events"


@pytest.fixture
def client(warehouse: Warehouse) -> TestClient:
    return TestClient(create_app(warehouse, ReceiverSettings(max_body_bytes=4096), environ=ENV))


def stored(warehouse: Warehouse) -> list[dict]:
    table = warehouse.table("raw", "events")
    with warehouse.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.seq))]


def test_a_signed_seed_event_is_committed_before_the_202(client: TestClient, warehouse: Warehouse) -> None:
    body = application_received("BETA-123456")
    response = client.post("/events", content=body, headers=seed_headers(body))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    [row] = stored(warehouse)
    assert (row["sender"], row["event_type"], row["object_type"], row["object_id"]) == (
        "signed", "application.received", "applications", "BETA-123456")
    assert json.loads(row["payload"])["data"]["score"] == 38
    assert row["handled_at"] is None


UNAUTHENTICATED = [
    ({}, "unauthenticated"),
    ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, "bad_signature"),
    ({"Authorization": "Bearer not-the-token"}, "bad_token"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
]


def test_unsigned_or_wrongly_signed_requests_are_401_and_store_nothing(
        client: TestClient, warehouse: Warehouse) -> None:
    for headers, error in UNAUTHENTICATED:
        response = client.post("/events", content=application_received("BETA-1"), headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == error and response.json()["detail"]
    assert stored(warehouse) == []


def test_a_signature_over_another_body_is_refused(client: TestClient, warehouse: Warehouse) -> None:
    headers = seed_headers(application_received("BETA-1", score=10))
    response = client.post("/events", content=application_received("BETA-1", score=50), headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_the_bearer_token_is_accepted(client: TestClient, warehouse: Warehouse) -> None:
    body = json.dumps({"event": "salesforce.Account.updated", "id": "evt-1", "data": {"Id": "001A"}}).encode()
    response = client.post("/events/salesforce", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 202, response.text
    [row] = stored(warehouse)
    assert (row["sender"], row["event_id"], row["object_type"], row["object_id"]) == ("token", "evt-1", "Account", "001A")


def test_a_hubspot_v3_batch_is_stored_event_by_event(client: TestClient, warehouse: Warehouse) -> None:
    body = hubspot_batch(hubspot_event(1), hubspot_event(2, "company.creation", 77))
    response = client.post("/events", content=body, headers=hubspot_headers(URI, body))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == ["1", "2"]
    assert [(r["event_type"], r["object_type"], r["object_id"]) for r in stored(warehouse)] == [
        ("hubspot.contact.propertyChange", "contacts", "501"), ("hubspot.company.creation", "companies", "77")]


def test_a_stale_hubspot_request_is_refused_even_when_signed(client: TestClient, warehouse: Warehouse) -> None:
    body = hubspot_batch(hubspot_event(1))
    response = client.post("/events", content=body, headers=hubspot_headers(URI, body, age_seconds=301))
    assert response.status_code == 401 and response.json()["error"] == "stale"
    fresh = client.post("/events", content=body, headers=hubspot_headers(URI, body, age_seconds=200))
    assert fresh.status_code == 202
    assert len(stored(warehouse)) == 1


def test_a_hubspot_signature_for_another_uri_is_refused(client: TestClient) -> None:
    body = hubspot_batch(hubspot_event(1))
    response = client.post("/events", content=body, headers=hubspot_headers("https://elsewhere/events", body))
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_the_public_url_setting_checks_what_the_sender_signed_behind_a_proxy(warehouse: Warehouse) -> None:
    client = TestClient(create_app(warehouse, ReceiverSettings(public_url="https://hub.example.com"), environ=ENV))
    body = hubspot_batch(hubspot_event(9))
    headers = hubspot_headers("https://hub.example.com/events?source=hs", body)
    assert client.post("/events?source=hs", content=body, headers=headers).status_code == 202


def test_a_hubspot_uri_is_checked_with_its_escapes_decoded_as_hubspot_signs_it(client: TestClient) -> None:
    body = hubspot_batch(hubspot_event(12))
    headers = hubspot_headers("http://testserver/events?portal=a:b", body)  # HubSpot decodes %3A
    assert client.post("/events?portal=a%3Ab", content=body, headers=headers).status_code == 202


def test_a_replayed_event_is_answered_duplicate_and_stored_once(client: TestClient, warehouse: Warehouse) -> None:
    body = application_received("BETA-7")
    first = client.post("/events", content=body, headers=seed_headers(body))
    again = client.post("/events", content=body, headers=seed_headers(body))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "duplicate", "accepted": [], "duplicates": first.json()["accepted"]}
    # HubSpot retries an event under the same eventId in a new, freshly signed request
    retry = hubspot_batch({**hubspot_event(5), "attemptNumber": 1})
    client.post("/events", content=hubspot_batch(hubspot_event(5)), headers=hubspot_headers(URI, hubspot_batch(hubspot_event(5))))
    answer = client.post("/events", content=retry, headers=hubspot_headers(URI, retry))
    assert answer.status_code == 200 and answer.json()["duplicates"] == ["5"]
    assert len(stored(warehouse)) == 2


def test_an_oversized_body_is_413_whether_declared_or_streamed(client: TestClient, warehouse: Warehouse) -> None:
    body = json.dumps({"event": "application.received", "data": {"note": "x" * 5000}}).encode()
    declared = client.post("/events", content=body, headers=seed_headers(body))
    assert declared.status_code == 413 and declared.json()["error"] == "too_large"
    streamed = client.post("/events", content=iter([body[:3000], body[3000:]]), headers=seed_headers(body))
    assert streamed.status_code == 413
    assert stored(warehouse) == []


MALFORMED = [b"{not json", b"\xff\xfe", b"[]", b"[1, 2]", b'{"data": {}}', b'[{"eventId": 1}]']


def test_a_malformed_body_is_400_even_when_signed(client: TestClient, warehouse: Warehouse) -> None:
    for body in MALFORMED:
        response = client.post("/events", content=body, headers=seed_headers(body))
        assert response.status_code == 400 and response.json()["error"] == "malformed", body
    hubspot = b'[{"eventId": 1}]'  # no subscriptionType
    response = client.post("/events", content=hubspot, headers=hubspot_headers(URI, hubspot))
    assert response.status_code == 400 and "subscriptionType" in response.json()["detail"]
    bad_length = client.post("/events", content=b"{}", headers={**seed_headers(b"{}"), "Content-Length": "x"})
    assert bad_length.status_code == 400
    assert stored(warehouse) == []


def test_a_sender_without_its_secret_configured_is_refused(warehouse: Warehouse) -> None:
    client = TestClient(create_app(warehouse, environ={}))
    body = application_received("BETA-1")
    response = client.post("/events", content=body, headers=seed_headers(body))
    assert response.status_code == 401 and "HUB_EVENTS_SECRET" in response.json()["detail"]


def test_only_post_is_served(client: TestClient) -> None:
    wrong = client.get("/events")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert client.post("/elsewhere", content=b"{}").json()["error"] == "not_found"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_warehouse_that_does_not_answer_is_503_so_the_sender_retries() -> None:
    down = Warehouse("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    client = TestClient(create_app(down, environ=ENV))
    body = application_received("BETA-1")
    response = client.post("/events", content=body, headers=seed_headers(body))
    assert response.status_code == 503 and response.json()["error"] == "unavailable"
