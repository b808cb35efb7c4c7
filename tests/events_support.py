"""Signed requests for the event receiver's tests and benchmark, as each sender makes them."""

from __future__ import annotations

import json
import time
from typing import Any

from hub.events.auth import hubspot_v3_signature, seed_signature

SEED_SECRET = "seed-secret-for-tests"
HUBSPOT_SECRET = "hubspot-app-secret-for-tests"
TOKEN = "shared-token-for-tests"
ENV = {"HUB_EVENTS_SECRET": SEED_SECRET, "HUBSPOT_APP_SECRET": HUBSPOT_SECRET, "HUB_EVENTS_TOKEN": TOKEN}


def application_received(application_id: str, score: int = 38) -> bytes:
    """Seed 000's webhook, as its example shows it."""
    return json.dumps({"event": "application.received", "data": {
        "application_id": application_id, "company": "Example Corp", "score": score,
        "timestamp": "2024-01-15T10:30:00Z"}}).encode()


def beta_activated(customer_id: str) -> bytes:
    return json.dumps({"event": "beta.activated", "data": {
        "customer_id": customer_id, "api_key": "ck_live_123456", "onboarding_date": "2024-01-15T14:00:00Z",
        "activated_at": "2024-01-18T14:00:00Z"}}).encode()


def seed_headers(body: bytes, secret: str = SEED_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": seed_signature(secret.encode(), body)}


def hubspot_batch(*events: dict[str, Any]) -> bytes:
    return json.dumps(list(events)).encode()


def hubspot_event(event_id: int, kind: str = "contact.propertyChange", object_id: int = 501) -> dict[str, Any]:
    return {"eventId": event_id, "subscriptionId": 7, "portalId": 62515, "appId": 1, "occurredAt": 1700000000000,
            "subscriptionType": kind, "attemptNumber": 0, "objectId": object_id, "propertyName": "email",
            "propertyValue": "a@example.com"}


def hubspot_headers(uri: str, body: bytes, *, age_seconds: float = 0.0, method: str = "POST",
                    secret: str = HUBSPOT_SECRET) -> dict[str, str]:
    stamp = str(int((time.time() - age_seconds) * 1000))
    return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": hubspot_v3_signature(secret.encode(), method, uri, body, stamp)}
