"""An authenticated body -> the event rows it carries (one per event; HubSpot batches many).

Seed 000 events carry no id: their id is the digest of the event's canonical JSON, so a replayed
or retried identical event finds that id already taken. HubSpot events carry ``eventId``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from hub.events.auth import Rejected, Sender

# HubSpot subscriptionType prefix -> the hub's object type (raw/hubspot/<type>)
HUBSPOT_OBJECTS = {"company": "companies", "contact": "contacts", "deal": "deals", "ticket": "tickets"}
# Seed 000 events: which data field names the object
SEED_OBJECTS = {"application.received": ("applications", "application_id"),
                "beta.activated": ("customers", "customer_id")}
MAX_EVENTS_PER_REQUEST = 1000
SECRET_FIELDS = ("api_key", "apiKey", "secret", "token", "password")


def event_rows(sender: Sender, body: bytes, *, event_id_header: str | None = None) -> list[dict[str, Any]]:
    """The events of a request, as ``raw.events`` rows without seq and timestamps; ``Rejected``
    (400) when the body is not JSON or an event lacks its type."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(400, "malformed", f"the body is not UTF-8 JSON: {exc}") from None
    items = document if isinstance(document, list) else [document]
    if not items or len(items) > MAX_EVENTS_PER_REQUEST:
        raise Rejected(400, "malformed", f"a request carries 1 to {MAX_EVENTS_PER_REQUEST} events, got {len(items)}")
    if any(not isinstance(item, dict) for item in items):
        raise Rejected(400, "malformed", "each event must be a JSON object")
    if sender.kind == "hubspot":
        return [_hubspot(item, n) for n, item in enumerate(items)]
    rows = [_generic(item, n) for n, item in enumerate(items)]
    if event_id_header and len(rows) == 1:  # the sender's own idempotency key wins over the digest
        rows[0]["event_id"] = event_id_header[:200]
    return rows


def _hubspot(item: dict[str, Any], n: int) -> dict[str, Any]:
    kind = item.get("subscriptionType")
    if not isinstance(kind, str) or item.get("eventId") is None:
        raise Rejected(400, "malformed", f"HubSpot event {n} lacks subscriptionType or eventId")
    object_type = HUBSPOT_OBJECTS.get(kind.split(".", 1)[0])
    return {"event_id": str(item["eventId"]), "event_type": f"hubspot.{kind}", "object_type": object_type,
            "object_id": _text(item.get("objectId")), "occurred_at": _epoch_ms(item.get("occurredAt")),
            "payload": _canonical(item)}


def _generic(item: dict[str, Any], n: int) -> dict[str, Any]:
    kind = item.get("event") or item.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise Rejected(400, "malformed", f"event {n} has no `event` name (e.g. application.received)")
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    object_type, id_field = SEED_OBJECTS.get(kind, (None, None))
    object_id = _text(data.get(id_field)) if id_field else None
    if kind.startswith("salesforce."):  # salesforce.<SObject>.<change>, e.g. from a Flow callout
        object_type = kind.split(".")[1] if kind.count(".") >= 1 else None
        object_id = _text(data.get("id") or data.get("Id"))
    canonical = _canonical(_masked(item))
    given = item.get("id") or item.get("event_id")
    return {"event_id": str(given)[:200] if given else "sha256:" + hashlib.sha256(canonical.encode()).hexdigest(),
            "event_type": kind.strip()[:100], "object_type": object_type, "object_id": object_id,
            "occurred_at": None, "payload": canonical}


def _masked(item: dict[str, Any]) -> dict[str, Any]:
    """The event without its credentials: seed 000's beta.activated carries the customer's API key,
    which the warehouse (read by BI tools) must not hold; its last four characters tell keys apart.
    The id digest is taken after masking, so it is stable whatever the key was."""
    data = item.get("data")
    if not isinstance(data, dict) or not any(k in data for k in SECRET_FIELDS):
        return item
    return {**item, "data": {k: (_hint(v) if k in SECRET_FIELDS else v) for k, v in data.items()}}


def _hint(value: Any) -> str:
    text = str(value or "")
    return f"…{text[-4:]}" if len(text) >= 8 else "…"


def _canonical(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _epoch_ms(value: Any) -> str | None:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None
