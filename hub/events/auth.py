"""Who sent a request: each sender's signature checked over the raw body, before any parsing.

Three ways in, picked by the headers present:

- HubSpot v3: ``X-HubSpot-Signature-v3`` = base64(HMAC-SHA256(HUBSPOT_APP_SECRET,
  method + URI + body + timestamp)) with ``X-HubSpot-Request-Timestamp`` in milliseconds, refused
  outside the time window (the timestamp is signed, so a replay cannot refresh it).
- Seed style (seed 000 webhooks): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``
  with HUB_EVENTS_SECRET.
- Anything else (a Salesforce Flow callout, a script): ``Authorization: Bearer HUB_EVENTS_TOKEN``.

Secrets come from the environment only (hub.config.SECRET_VARIABLES) and are never logged.
Every comparison is constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

SEED_SECRET = "HUB_EVENTS_SECRET"
HUBSPOT_SECRET = "HUBSPOT_APP_SECRET"
TOKEN = "HUB_EVENTS_TOKEN"


class Rejected(Exception):
    """A request refused: ``status`` and a sentence for the JSON body."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


@dataclass(frozen=True)
class Sender:
    """How a request authenticated: ``kind`` is hubspot, signed (seed style) or token."""

    kind: str
    signed_at_ms: int | None = None


def authenticate(method: str, uri: str, body: bytes, headers: Mapping[str, str], *,
                 max_age_seconds: float, now_ms: int, environ: Mapping[str, str] | None = None) -> Sender:
    """The sender of a request whose raw body is ``body``, or ``Rejected`` (401) saying why.

    ``uri`` is the URL the sender called (HubSpot signs it whole, scheme and host included).
    ``headers`` must look names up case-insensitively (Starlette's Headers do)."""
    env = os.environ if environ is None else environ
    if "x-hubspot-signature-v3" in headers:
        return _hubspot_v3(method, uri, body, headers, env, max_age_seconds, now_ms)
    if "x-hub-signature-256" in headers:
        return _seed_signature(body, headers["x-hub-signature-256"], env)
    authorization = headers.get("authorization", "")
    if authorization:
        return _bearer(authorization, env)
    raise Rejected(401, "unauthenticated", "no X-HubSpot-Signature-v3, X-Hub-Signature-256 or "
                   "Authorization: Bearer header: every event must be signed or carry the shared token")


def _secret(env: Mapping[str, str], name: str) -> bytes:
    value = env.get(name)
    if not value:
        # The operator's mistake, not the sender's: still a 401 (nothing is accepted unchecked).
        raise Rejected(401, "sender_not_configured",
                       f"this receiver has no {name} set, so it accepts no events signed that way")
    return value.encode()


def _hubspot_v3(method: str, uri: str, body: bytes, headers: Mapping[str, str], env: Mapping[str, str],
                max_age_seconds: float, now_ms: int) -> Sender:
    stamp = headers.get("x-hubspot-request-timestamp", "")
    if not stamp.isdigit():
        raise Rejected(401, "bad_timestamp", "X-HubSpot-Request-Timestamp must be milliseconds since the epoch")
    signed_at = int(stamp)
    if abs(now_ms - signed_at) > max_age_seconds * 1000:
        raise Rejected(401, "stale", f"X-HubSpot-Request-Timestamp is {abs(now_ms - signed_at) / 1000:.0f} s "
                       f"from this receiver's clock; at most {max_age_seconds:.0f} s is accepted")
    secret, given = _secret(env, HUBSPOT_SECRET), headers["x-hubspot-signature-v3"].encode()
    # HubSpot's documentation signs the URI with some %-escapes decoded; the URI as received is
    # tried too. Both comparisons always run: the time taken does not tell which one matched.
    matches = [hmac.compare_digest(hubspot_v3_signature(secret, method, u, body, stamp).encode(), given)
               for u in (uri, hubspot_uri(uri))]
    if not any(matches):
        raise Rejected(401, "bad_signature", "X-HubSpot-Signature-v3 does not match the body, URI and timestamp")
    return Sender("hubspot", signed_at)


def _seed_signature(body: bytes, header: str, env: Mapping[str, str]) -> Sender:
    expected = "sha256=" + hmac.new(_secret(env, SEED_SECRET), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode()):
        raise Rejected(401, "bad_signature", "X-Hub-Signature-256 does not match the body "
                       "(expected sha256=<hex HMAC-SHA256 of the raw body>)")
    return Sender("signed")


def _bearer(authorization: str, env: Mapping[str, str]) -> Sender:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Rejected(401, "unauthenticated", "Authorization must be `Bearer <token>`")
    if not hmac.compare_digest(_secret(env, TOKEN), token.strip().encode()):
        raise Rejected(401, "bad_token", "the bearer token is not this receiver's HUB_EVENTS_TOKEN")
    return Sender("token")


# Characters HubSpot's v3 documentation decodes in the request URI before signing.
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
            "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def hubspot_uri(uri: str) -> str:
    """The URI as HubSpot v3 signs it: those %-escapes decoded (either case of hex digits)."""
    for escaped, char in _DECODED.items():
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    return uri


# -- signing, for senders, tests and the benchmark ----------------------------------------------

def hubspot_v3_signature(secret: bytes, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature of a request (its documented algorithm)."""
    message = method.upper().encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


def seed_signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
