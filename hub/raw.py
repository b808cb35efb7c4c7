"""Landing source records in the raw layer: keyed by source id, idempotent, nothing lost.

Each page of records is written in one transaction together with the sync cursor that covers
it, so a sync that dies mid-way resumes from its last committed page. Unchanged records are not
rewritten (a payload hash decides); records the source no longer has are marked ``_deleted``,
never erased; records we cannot key or lack a field we need are quarantined with the reason;
field names never seen before are recorded (``source_fields``) and reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.governance.suppression import Suppressions
from hub.raw_objects import RAW_OBJECTS, RawObject, Record
from hub.sources.hubspot.objects import hubspot_company_id
from hub.values import escape_record, read_escaped_record, timestamp_text
from hub.values import text as text_value
from hub.warehouse import Warehouse, utcnow

__all__ = ["RAW_OBJECTS", "RawObject", "RawSync", "Record", "SourceError", "SourceHealth", "SourceStopped",
           "SyncStats", "stale_objects",
           "content_digest", "duplicate_ids", "hubspot_company_id", "load_payloads", "payload_hash", "payload_text"]

_CHUNK = 500  # ids per IN (…) list: well under every backend's bind-parameter limit


class SourceError(RuntimeError):
    """A source API refused a request; the message names the source, the object and the fix."""


class SourceStopped(SourceError):
    """The sync stopped on purpose (an API allocation is used up); committed pages are kept and
    the next run resumes from the committed cursor."""


def payload_text(record: Record) -> str:
    """The payload as stored: JSON with sorted keys, so equal records are equal text. NUL bytes and
    lone surrogates are spelled out (``\\u0000``): PostgreSQL's JSONB refuses them as characters."""
    try:
        text = json.dumps(record, sort_keys=True, default=str, allow_nan=False)
    except ValueError:  # NaN or an infinity: null in the stored document (hub.values.escape_record)
        return json.dumps(escape_record(record), sort_keys=True, default=str)
    if "\\u0000" in text or "\\ud" in text:  # rare: redo with the unstorable characters spelled out
        text = json.dumps(escape_record(record), sort_keys=True, default=str)
    return text


def payload_hash(record: Record) -> str:
    return hashlib.sha256(payload_text(record).encode()).hexdigest()


@dataclass
class SyncStats:
    """What one sync of one object did; becomes the asset's metadata."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    suppressed: int = 0  # erased people the source still holds (hub erase): not landed
    pages: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


@dataclass(frozen=True)
class SourceHealth:
    """A raw object's freshness: stale when its last sync failed after its last complete one."""

    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None

    @property
    def failing(self) -> bool:
        return self.last_error is not None

    def stale_hours(self, now: dt.datetime) -> float | None:
        return None if self.last_success_at is None else (now - self.last_success_at).total_seconds() / 3600


def stale_objects(warehouse: Warehouse) -> dict[str, str]:
    """``source/object`` -> "since …" for every raw object whose last sync failed (its data is the
    last good one)."""
    table = warehouse.table("raw", "sync_state")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.source, table.c.source_object, table.c.last_success_at,
                                      table.c.last_error_at).where(table.c.last_error.is_not(None))).all()
    return {f"{r[0]}/{r[1]}": f"data as of {r[2] or 'never'}; failing since {r[3]}" for r in rows}


@dataclass(frozen=True)
class SyncState:
    """What the last syncs of an object left behind."""

    cursor: str | None
    last_full_listing_at: dt.datetime | None  # last complete id listing (full sync or sweep)


class RawSync:
    """One sync of one source object into its raw table."""

    def __init__(self, warehouse: Warehouse, obj: RawObject, config: dict[str, Any], *,
                 full_refresh: bool = True, needs: Callable[[Record], str | None] | None = None) -> None:
        self.warehouse = warehouse
        self.obj = obj
        self.config = config
        self.full_refresh = full_refresh
        self.stats = SyncStats()
        self.table = warehouse.table("raw", obj.table)
        self._needs = needs
        self._seen: dict[str, str] = {}  # id -> payload hash landed by this sync
        self._fields_table = warehouse.table("raw", "source_fields")
        with warehouse.engine.connect() as conn:
            self._fields: set[str] = set(conn.execute(
                sa.select(self._fields_table.c.field_name).where(*self._field_keys())).scalars())
        self._had_fields = bool(self._fields)
        self.new_fields: list[str] = []
        self.unlandable: int | None = None  # after mark_unlisted: listed ids raw cannot hold
        self._suppressions = Suppressions.load(warehouse)  # erased identities (hub.governance)
        self._suppressed: set[str] = set()  # their ids: listed at the source, kept out of raw

    # -- state -------------------------------------------------------------------------------
    def state(self) -> SyncState:
        """The cursor and last complete listing committed by earlier syncs of this object."""
        table = self.warehouse.table("raw", "sync_state")
        with self.warehouse.engine.connect() as conn:
            row = conn.execute(sa.select(table.c.cursor_value, table.c.last_full_sync_at).where(
                table.c.source == self.obj.source, table.c.source_object == self.obj.source_object)).first()
        if row is None:
            return SyncState(None, None)
        return SyncState(row[0], _as_datetime(row[1]))

    def cursor(self) -> str | None:
        """The cursor committed by the last sync of this object, if any."""
        return self.state().cursor

    @property
    def reported_new_fields(self) -> list[str]:
        """Fields first seen in this sync; empty on an object's first sync, where all are new."""
        return sorted(self.new_fields) if self._had_fields else []

    # -- landing -----------------------------------------------------------------------------
    def add_page(self, records: Iterable[Record], *, cursor: str | None = None,
                 deleted: Iterable[str] = ()) -> None:
        """Land one page and, in the same transaction, the deletions it reports and the cursor
        that covers it."""
        now = utcnow().isoformat()
        candidates: dict[str, tuple[Record, str, str]] = {}
        quarantined: list[dict[str, Any]] = []
        for record in records:
            self.stats.fetched += 1
            source_id = self.obj.id_of(record)
            if self._suppressions and self._suppressions.matches(
                    self.obj.source, self.obj.source_object, str(source_id or ""), payload_text(record)):
                self.stats.suppressed += 1  # erased: not landed, not quarantined, reported
                self._suppressed.add(str(source_id))
                continue
            reason = "record has no id" if source_id in (None, "") else self._missing(record)
            if reason:
                quarantined.append(self._quarantine_row(record, reason, now))
                continue
            text = payload_text(record)  # encoded once: hashed and stored
            digest = hashlib.sha256(text.encode()).hexdigest()
            source_id = str(source_id)
            if self._seen.get(source_id) == digest or candidates.get(source_id, (None, "", ""))[2] == digest:
                continue  # the same version twice in one sync (lookback, restarted listing)
            candidates[source_id] = (record, text, digest)
        new_fields = self._new_fields(r for r, _, _ in candidates.values())
        with self.warehouse.transaction() as conn:
            known = self._known(conn, list(candidates))
            rows = [row for sid, (record, text, digest) in candidates.items()
                    if (row := self._row(sid, record, text, digest, known.get(sid), now, quarantined)) is not None]
            self.warehouse.upsert("raw", self.obj.table, rows, key=["source_id"], conn=conn)
            if quarantined:
                self.warehouse.upsert("raw", "quarantine", quarantined, key=["quarantine_id"], conn=conn)
            self._mark(conn, sorted({str(i) for i in deleted} - set(candidates)), now)
            if new_fields:
                self.warehouse.upsert("raw", "source_fields", [
                    {"source": self.obj.source, "source_object": self.obj.source_object, "field_name": name,
                     "first_seen_at": now} for name in new_fields], key=["source", "source_object", "field_name"],
                    conn=conn, update=[])
            if cursor is not None:
                self._write_state(conn, cursor_value=cursor, now=now)
        self._fields.update(new_fields)
        self.new_fields.extend(new_fields)
        self.stats.pages += 1

    def _row(self, source_id: str, record: Record, text: str, digest: str, known: tuple[str, bool] | None,
             now: str, quarantined: list[dict[str, Any]]) -> dict[str, Any] | None:
        self._seen[source_id] = digest
        if known is not None and known == (digest, False):
            self.stats.unchanged += 1
            return None
        try:
            typed = self.obj.typed(record, self.config)
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            quarantined.append(self._quarantine_row(record, f"unreadable field: {exc}", now))
            return None
        if known is None:
            self.stats.inserted += 1
        else:
            self.stats.updated += 1
        return {"source_id": source_id, **typed, "payload": text,
                "source_created_at": timestamp_text(self.obj.created(record)),
                "source_updated_at": timestamp_text(self.obj.updated(record)),
                "_hash": digest, "_synced_at": now, "_deleted": False, "_deleted_at": None}

    def mark_deleted(self, ids: Iterable[str], *, cursor: str | None = None) -> int:
        """Mark records the source reports deleted (archived, IsDeleted), with the cursor that
        covers the report, in one transaction. Unknown ids are ignored."""
        now = utcnow().isoformat()
        with self.warehouse.transaction() as conn:
            count = self._mark(conn, sorted({str(i) for i in ids}), now)
            if cursor is not None:
                self._write_state(conn, cursor_value=cursor, now=now)
        return count

    def mark_unlisted(self, listed: set[str]) -> int:
        """After a complete id listing: every live record not in ``listed`` is gone at the source
        (HubSpot's GDPR deletions leave no trace but this)."""
        now = utcnow().isoformat()
        with self.warehouse.transaction() as conn:
            live = set(conn.execute(sa.select(self.table.c.source_id)
                                    .where(self.table.c._deleted.is_(False))).scalars())
            count = self._mark(conn, sorted(live - listed), now)
            self._write_state(conn, now=now, full=True)
        # Listed at the source but not landed: quarantined records. Counts are compared with it.
        self.unlandable = len(listed - live)
        return count

    def finish(self, *, full_listing: bool | None = None) -> SyncStats:
        """Close the sync: after a full listing, records not seen are marked deleted."""
        if self.full_refresh if full_listing is None else full_listing:
            self.mark_unlisted(set(self._seen) | self._suppressed)
        now = utcnow().isoformat()
        with self.warehouse.transaction() as conn:
            self._write_state(conn, now=now, success=True)
        return self.stats

    def fail(self, error: str) -> SourceHealth:
        """Record that this sync failed: the raw table keeps its last good data, now stale."""
        now = utcnow().isoformat()
        with self.warehouse.transaction() as conn:
            self._write_state(conn, now=now, error=error[:2000])
        return self.health()

    def health(self) -> SourceHealth:
        """When this object last synced completely, and its last error if it failed since."""
        table = self.warehouse.table("raw", "sync_state")
        with self.warehouse.engine.connect() as conn:
            row = conn.execute(sa.select(table.c.last_success_at, table.c.last_error, table.c.last_error_at).where(
                table.c.source == self.obj.source, table.c.source_object == self.obj.source_object)).first()
        if row is None:
            return SourceHealth(None, None, None)
        return SourceHealth(_as_datetime(row[0]), row[1], _as_datetime(row[2]))

    def live_ids(self) -> list[str]:
        with self.warehouse.engine.connect() as conn:
            return list(conn.execute(sa.select(self.table.c.source_id)
                                     .where(self.table.c._deleted.is_(False))).scalars())

    def live_count(self) -> int:
        with self.warehouse.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(self.table)
                                    .where(self.table.c._deleted.is_(False))).scalar_one())

    # -- internals ---------------------------------------------------------------------------
    def _missing(self, record: Record) -> str | None:
        for name in self.obj.needs:
            if record.get(name) in (None, ""):
                return f"record has no {name}"
        return self._needs(record) if self._needs else None

    def _new_fields(self, records: Iterable[Record]) -> list[str]:
        names: set[str] = set()
        for record in records:
            names.update(self.obj.field_names(record))
        return sorted(names - self._fields)

    def _known(self, conn: sa.Connection, ids: list[str]) -> dict[str, tuple[str, bool]]:
        known: dict[str, tuple[str, bool]] = {}
        t = self.table
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(sa.select(t.c.source_id, t.c._hash, t.c._deleted)
                                .where(t.c.source_id.in_(ids[start:start + _CHUNK])))
            known.update({r[0]: (r[1], bool(r[2])) for r in rows})
        return known

    def _mark(self, conn: sa.Connection, ids: list[str], now: str) -> int:
        count = 0
        for start in range(0, len(ids), _CHUNK):
            result = conn.execute(
                self.table.update()
                .where(self.table.c.source_id.in_(ids[start:start + _CHUNK]), self.table.c._deleted.is_(False))
                .values(_deleted=True, _deleted_at=now, _synced_at=now))
            count += result.rowcount
        self.stats.deleted += count
        return count

    def _field_keys(self) -> list[sa.ColumnElement[bool]]:
        t = self._fields_table
        return [t.c.source == self.obj.source, t.c.source_object == self.obj.source_object]

    def _write_state(self, conn: sa.Connection, *, now: str, cursor_value: str | None = None,
                     full: bool = False, success: bool = False, error: str | None = None) -> None:
        row: dict[str, Any] = {"source": self.obj.source, "source_object": self.obj.source_object,
                               "updated_at": now}
        update = ["updated_at"]
        if success:
            row.update(last_success_at=now, last_error=None, last_error_at=None)
            update += ["last_success_at", "last_error", "last_error_at"]
        if error is not None:
            row.update(last_error=error, last_error_at=now)
            update += ["last_error", "last_error_at"]
        if cursor_value is not None:
            row["cursor_value"] = cursor_value
            update.append("cursor_value")
        if full:
            row["last_full_sync_at"] = now
            update.append("last_full_sync_at")
        self.warehouse.upsert("raw", "sync_state", [row], key=["source", "source_object"], conn=conn,
                              update=update)

    def _quarantine_row(self, record: Record, reason: str, now: str) -> dict[str, Any]:
        self.stats.quarantined += 1
        self.stats.quarantine_reasons[reason] = self.stats.quarantine_reasons.get(reason, 0) + 1
        text = payload_text(record)
        return {
            "quarantine_id": hashlib.sha256(f"{self.obj.key}|{reason}|{text}".encode()).hexdigest()[:32],
            "source": self.obj.source,
            "source_object": self.obj.source_object,
            "record_key": text_value(record.get("id") or record.get("Id")) or "?",
            "reason": reason,
            "payload": text,
            "quarantined_at": now,
        }


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def load_payloads(warehouse: Warehouse, keys: Iterable[str] | None = None) -> dict[str, list[Record]]:
    """The live (not deleted) payloads of raw objects, by ``source/object`` key."""
    out: dict[str, list[Record]] = {}
    for key in keys or RAW_OBJECTS:
        table = warehouse.table("raw", RAW_OBJECTS[key].table)
        with warehouse.engine.connect() as conn:
            values = conn.execute(
                sa.select(table.c.payload).where(table.c._deleted.is_(False)).order_by(table.c.source_id)
            ).scalars().all()
        out[key] = [_payload(v) for v in values]
    return out


def _payload(stored: Any) -> Record:
    """A stored payload as staging reads it: spelled-out NULs and surrogates (payload_text) read as
    what the typed columns hold."""
    if isinstance(stored, str):
        return read_escaped_record(json.loads(stored)) if "\\\\u" in stored else json.loads(stored)
    return read_escaped_record(stored)


def content_digest(warehouse: Warehouse, key: str) -> str:
    """One hash over a raw table's content (ids, payload hashes, deletion marks): two syncs that
    landed the same data agree on it whatever their path, timing or backend."""
    table = warehouse.table("raw", RAW_OBJECTS[key].table)
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.source_id, table.c._hash, table.c._deleted)
                            .order_by(table.c.source_id)).all()
    text = "\n".join(f"{r[0]}|{r[1]}|{bool(r[2])}" for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def duplicate_ids(warehouse: Warehouse, key: str) -> list[str]:
    """Source ids held by more than one row of an object's raw table (the key forbids it; the
    check makes the guarantee visible, and catches a table rebuilt without its key)."""
    table = warehouse.table("raw", RAW_OBJECTS[key].table)
    with warehouse.engine.connect() as conn:
        return list(conn.execute(sa.select(table.c.source_id).group_by(table.c.source_id)
                                 .having(sa.func.count() > 1).order_by(table.c.source_id)).scalars())
