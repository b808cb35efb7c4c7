"""``hub.names``' hosts and domains on whole columns of distinct values at once.

``website_hosts`` and ``email_parts`` read the common shape (ASCII, no whitespace, a website
that is a host with maybe a scheme and a path, an address with one host) from the bytes of all
values together; anything else goes through ``hub.names``. In ``registrable_domains`` the
public-suffix walk (from the right, one more label while the tail is a node of some
suffix) runs over all hosts together: a round per label, each an Arrow set look-up of every
host's tail. A host with an empty label, punycode, letters beyond ASCII or a wildcard rule on
its way goes through ``hub.names`` itself, as it would alone. ``tests/test_reconcile_domains_column.py``
holds the two side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from hub.names import (
    _SUFFIX_NODES,
    _SUFFIXES,
    _WILDCARD_PARENTS,
    email_host,
    normalised_email,
    registrable_domain_of_host,
    website_host,
)
from hub.reconcile.text_bytes import Parts, arrow_strings


def registrable_domains(hosts: np.ndarray) -> np.ndarray:
    """Per distinct host (``str``): its registrable domain, or None."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # the same, one host at a time
        return _one_by_one(hosts)
    out = np.full(len(hosts), None, dtype=object)
    if len(hosts) == 0:
        return out
    text = arrow_strings(hosts, pa)
    if text is None:
        return _one_by_one(hosts)
    labels = Parts.of(text, ord("."), pa)
    plain = (np.asarray(pc.fill_null(pc.string_is_ascii(text), False)) & ~labels.has_empty
             & ~np.asarray(pc.match_substring(text, "xn--")) & (labels.count > 0))
    suffixes, nodes, wildcard_parents = _sets(pa)
    suffix = np.zeros(len(hosts), np.int64)  # how many labels the public suffix has
    rows, k = np.flatnonzero(plain), 1
    stop = labels.offsets[1:]
    while len(rows):
        tail = labels.arrow(labels.before_last(rows, labels.count[rows], k), stop[rows])
        wild = np.asarray(pc.is_in(tail, value_set=wildcard_parents))
        plain[rows[wild]] = False  # tldextract's own rules decide those
        suffix[rows[np.asarray(pc.is_in(tail, value_set=suffixes)) & ~wild]] = k
        go_on = np.asarray(pc.is_in(tail, value_set=nodes)) & ~wild & (k < labels.count[rows])
        rows, k = rows[go_on], k + 1
    done = np.flatnonzero(plain & (suffix > 0) & (suffix < labels.count))
    out[done] = labels.text(labels.before_last(done, labels.count[done], suffix[done] + 1), stop[done])
    other = np.flatnonzero(~plain)
    if len(other):
        out[other] = _one_by_one(hosts[other])
    return out


def _one_by_one(hosts: np.ndarray, fn: Callable[[str], Any] = registrable_domain_of_host) -> np.ndarray:
    out = np.empty(len(hosts), dtype=object)
    out[:] = [fn(h) for h in hosts.tolist()]
    return out


# Bytes ``website_host`` and ``email_host`` have rules for (or that are not ASCII text):
# whitespace and control characters, "@", "?", "#", ":" and anything past ASCII.
_ODD = np.zeros(256, bool)
_ODD[:33] = _ODD[127:] = True
_ODD[[ord(c) for c in "@?#:"]] = True


def website_hosts(websites: np.ndarray) -> np.ndarray:
    """Per distinct website (``str``): ``website_host`` of it."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return _one_by_one(websites, website_host)
    out = np.full(len(websites), None, dtype=object)
    if len(websites) == 0:
        return out
    text = arrow_strings(websites, pa)
    if text is None:
        return _one_by_one(websites, website_host)
    text = pc.ascii_lower(text)
    parts = Parts.of(text, ord("/"), pa)
    data, stop = parts.data, parts.offsets[1:]
    https, http = (np.asarray(pc.starts_with(text, p)) for p in ("https://", "http://"))
    start = parts.offsets[:-1] + np.where(https, 8, np.where(http, 7, 0))
    # the scheme, if any, is the only "://", and nothing after it needs website_host's other rules
    plain = np.asarray(pc.count_substring(text, "://")) == (https | http)
    odd = np.flatnonzero(_ODD[data])
    row = np.searchsorted(parts.offsets, odd, side="right") - 1
    plain[row[odd >= start[row]]] = False
    # the host ends at the first "/" after the scheme
    slashes = parts.separators
    at = np.searchsorted(slashes, start)
    end = np.where(at < len(slashes), slashes[np.minimum(at, max(len(slashes) - 1, 0))] if len(slashes) else stop, stop)
    end = np.minimum(end, stop)
    # an empty host or dots at its ends: website_host's own rules
    plain &= end > start
    edge = np.flatnonzero(plain)
    plain[edge] = (data[start[edge]] != ord(".")) & (data[end[edge] - 1] != ord("."))
    # "www." goes when a dot follows it
    dots = np.flatnonzero(data == ord("."))
    www = np.flatnonzero(plain & (end - start > 4))
    www = www[(data[start[www]] == ord("w")) & (data[start[www] + 1] == ord("w"))
              & (data[start[www] + 2] == ord("w")) & (data[start[www] + 3] == ord("."))]
    if len(dots):
        after = np.searchsorted(dots, start[www] + 4)
        www = www[(after < len(dots)) & (dots[np.minimum(after, len(dots) - 1)] < end[www])]
        start[www] += 4
    done = np.flatnonzero(plain)
    out[done] = parts.text(start[done], end[done])
    other = np.flatnonzero(~plain)
    if len(other):
        out[other] = _one_by_one(websites[other], website_host)
    return out


def email_parts(emails: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct email value (``str``): ``normalised_email``, the ``email_host`` of that, and
    the part before its last "@" (None where the address is None)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        address = _one_by_one(emails, normalised_email)
        return address, *_address_parts(address)
    n = len(emails)
    address, host, local = (np.full(n, None, dtype=object) for _ in range(3))
    if n == 0:
        return address, host, local
    text = arrow_strings(emails, pa)
    if text is None:
        address = _one_by_one(emails, normalised_email)
        return address, *_address_parts(address)
    text = pc.ascii_lower(text)
    parts = Parts.of(text, ord("@"), pa)
    data, start, stop = parts.data, parts.offsets[:-1], parts.offsets[1:]
    has_at = parts.count > 1
    # ASCII without whitespace: strip() leaves it, lower() is ascii_lower; past the last "@"
    # nothing odd, and no dot at either end of the host
    plain = has_at.copy()
    odd = np.flatnonzero(_ODD[data] & (data != ord("@")))
    plain[np.searchsorted(parts.offsets, odd, side="right") - 1] = False
    at = np.flatnonzero(has_at)
    host_start = parts.before_last(at, parts.count[at], 1)
    nonempty = host_start < stop[at]
    dotted = np.zeros(len(at), bool)
    dotted[nonempty] = ((data[host_start[nonempty]] == ord("."))
                        | (data[stop[at][nonempty] - 1] == ord(".")))
    plain[at[dotted]] = False
    done = np.flatnonzero(plain)
    address[done] = parts.text(start[done], stop[done])
    host_of = np.zeros(n, np.int64)
    host_of[at] = host_start
    host[done] = parts.text(host_of[done], stop[done])
    host[done[host_of[done] == stop[done]]] = None
    local[done] = parts.text(start[done], host_of[done] - 1)
    other = np.flatnonzero(has_at & ~plain)
    if len(other):
        address[other] = _one_by_one(emails[other], normalised_email)
        host[other], local[other] = _address_parts(address[other])
    return address, host, local


def _address_parts(address: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    host, local = np.full(len(address), None, dtype=object), np.full(len(address), None, dtype=object)
    for i, a in enumerate(address.tolist()):
        if a is not None:
            host[i], local[i] = email_host(a), a.rpartition("@")[0]
    return host, local


@cache
def _sets(pa: Any) -> tuple[Any, Any, Any]:
    return tuple(pa.array(sorted(s), type=pa.large_string()) for s in (_SUFFIXES, _SUFFIX_NODES, _WILDCARD_PARENTS))
