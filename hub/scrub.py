"""Scrubbing what a receiver says before it is stored, logged or put in metadata.

A webhook URL's path is its secret (Slack's ``/services/T…/B…/…``), and receivers echo it: Express
answers ``Cannot POST /services/…``, proxies quote the URL they could not reach. What the hub keeps
of a failure is therefore a status code and an excerpt with the known secrets, any URL, any
absolute path and anything that looks like a credential replaced by a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+", re.IGNORECASE)
# An absolute path not glued to a word ("5/10" and "a/b" stay): the echoed request path.
PATH = re.compile(r"(?<![\w/])/[^\s\"'<>]+")
# key=value, key: value, "Bearer x": the value is what a credential looks like.
LABELLED = re.compile(r"(?i)\b(token|secret|password|passwd|api[_-]?key|signature|authorization|sig|key)"
                      r"(\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"'<>]+)")
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;\"'<>]+")
# Long opaque strings (tokens, keys, hashes): nothing a person needs to read an error.
OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=.]{32,}")
# Markup in an error page says nothing about the error.
TAG = re.compile(r"<[^<>]{0,200}>")
EXCERPT_CHARS = 160


def secret_parts(*values: str | None) -> list[str]:
    """The strings to remove for these secrets: each value, and for a URL its path, query and
    every path segment of six characters or more (also %-decoded), longest first."""
    parts: set[str] = set()
    for value in values:
        if not value:
            continue
        parts.add(value)
        if "://" in value:
            split = urlsplit(value)
            for piece in (split.path, split.query, split.netloc.rpartition("@")[0],
                          *split.path.split("/"), *split.query.split("&")):
                if len(piece) >= 6:
                    parts.update({piece, unquote(piece)})
    return sorted(parts, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` (see ``secret_parts``), markup, URLs, absolute paths, labelled
    credentials and long opaque strings replaced, whitespace collapsed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    text = TAG.sub(" ", text)
    text = URL.sub("[url]", text)
    text = PATH.sub("[path]", text)
    # Bearer first: "Authorization: Bearer x" would otherwise redact the word Bearer and keep x.
    text = BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)
    text = LABELLED.sub(lambda m: m.group(0) if m.group(3).startswith("[") else
                        f"{m.group(1)}{m.group(2)}[redacted]", text)
    text = OPAQUE.sub("[redacted]", text)
    return " ".join(text.split())


def excerpt(text: str, secrets: Iterable[str] = (), limit: int = EXCERPT_CHARS) -> str:
    """A short scrubbed excerpt of a receiver's answer: scrubbed first, then cut (cutting first
    could leave half a secret that no longer matches)."""
    cleaned = scrub(text, secrets)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
