"""``Warehouse.write``: one semantics whichever strategy sends the rows. The same frames written
row by row (SQLAlchemy executemany) and in bulk (COPY on PostgreSQL, the driver's executemany on
SQLite) leave the same rows, compared row for row, on both backends: NULLs of every kind, whole
numbers held as floats, numbers and flags sent as text, text with commas, quotes, newlines, NUL
and COPY's own NULL marker, naive and aware timestamps; upserts with a partial-index key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from hub.warehouse import Warehouse

HEALTH = pd.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4"], "as_of": "2026-11-21", "health_score": [80.0, 41.0, 7.0, 55.5],
    "health_band": ["excellent", "at_risk", "critical", "good"], "coverage": [1.0, 0.55, 0.3, "0.25"],
    "usage_score": [99.5, np.nan, 0.0, pd.NA], "active_days_7d": [7.0, np.nan, 0.0, 3.0],
    "drivers": ['usage 0/100: "none", really', "line one\nline two", None, "\\N"],
})
ALERTS = pd.DataFrame({
    "alert_id": ["a1", "a2", "a3"], "rule": ["inactive", "inactive", "health_below_60"],
    "entity_type": "customer", "entity_id": ["c1", "c2", "c1"], "window_key": "2026-11-21",
    "severity": ["high", "medium", "high"], "status": ["open", "resolved", "open"],
    "message": ["no API calls, 14 days", "ok\x00then", "33/100"],
    "first_fired_at": ["2026-11-21T08:00:00", "2026-11-21T09:30:00+01:00", pd.Timestamp("2026-11-21 10:00", tz="UTC")],
    "last_fired_at": ["2026-11-21T08:00:00", "2026-11-21T08:30:00+00:00", "2026-11-21T10:00:00Z"],
    "delivery_status": "pending",
})


def _stored(warehouse: Warehouse, name: str, key: str) -> list[tuple]:
    frame = warehouse.read("analytics", name).sort_values(key).reset_index(drop=True)
    return [tuple(None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row)
            for row in frame.itertuples(index=False)]


def _both(warehouse: Warehouse, name: str, key: str, writes) -> dict[str, list[tuple]]:  # noqa: ANN001
    out = {}
    for strategy in ("rows", "bulk"):
        with warehouse.transaction() as conn:
            conn.execute(warehouse.table("analytics", name).delete())
        for write in writes:
            write(strategy)
        out[strategy] = _stored(warehouse, name, key)
    return out


def test_rows_and_bulk_store_the_same_rows(warehouse: Warehouse) -> None:
    def first(strategy: str) -> None:
        warehouse.write("analytics", "customer_health", HEALTH, mode="replace", strategy=strategy)

    def again(strategy: str) -> None:  # an upsert changes two rows, keeps the rest
        warehouse.write("analytics", "customer_health", HEALTH.assign(health_score=["81", "42.0", 0, 0]).iloc[:2],
                        key=["customer_id"], strategy=strategy)

    result = _both(warehouse, "customer_health", "customer_id", [first, again])
    assert result["rows"] == result["bulk"]
    stored = warehouse.read("analytics", "customer_health").set_index("customer_id")
    assert stored["health_score"].to_dict() == {"c1": 81.0, "c2": 42.0, "c3": 7.0, "c4": 55.5}
    assert stored.loc["c1", "drivers"] == 'usage 0/100: "none", really'
    assert stored.loc["c2", "drivers"] == "line one\nline two" and stored.loc["c4", "drivers"] == "\\N"
    assert pd.isna(stored.loc["c3", "drivers"]) and stored.loc["c4", "coverage"] == 0.25
    assert pd.isna(stored.loc["c2", "usage_score"]) and stored.loc["c1", "active_days_7d"] == 7


def test_partial_key_upserts_agree_and_timestamps_are_utc(warehouse: Warehouse) -> None:
    def open_all(strategy: str) -> None:
        warehouse.write("analytics", "alerts", ALERTS, key=["alert_id"], strategy=strategy)

    def refire(strategy: str) -> None:
        # a1's cause is open: the row is refreshed, not duplicated; a2's is resolved: a8 is new.
        again = ALERTS.iloc[[0, 1]].assign(alert_id=["a9", "a8"], message=["again", "reopened"], status="open",
                                           last_fired_at="2026-11-22T00:00:00")
        warehouse.write("analytics", "alerts", again, key=["rule", "entity_type", "entity_id", "window_key"],
                        key_where="status <> 'resolved'", update=["message", "last_fired_at"], strategy=strategy)

    result = _both(warehouse, "alerts", "alert_id", [open_all, refire])
    assert result["rows"] == result["bulk"]
    stored = warehouse.read("analytics", "alerts").set_index("alert_id")
    assert sorted(stored.index) == ["a1", "a2", "a3", "a8"]
    assert stored.loc["a1", "message"] == "again" and stored.loc["a8", "message"] == "reopened"
    assert stored.loc["a2", "message"].startswith("ok") and "\x00" not in stored.loc["a2", "message"]
    fired = pd.to_datetime(stored["first_fired_at"].astype(str), utc=True, format="ISO8601")
    assert fired.dt.strftime("%H:%M").to_dict() == {"a1": "08:00", "a2": "08:30", "a3": "10:00", "a8": "08:30"}


def test_reads_give_the_same_types_from_read_and_fetch(warehouse: Warehouse) -> None:
    warehouse.write("analytics", "deals", pd.DataFrame({
        "deal_id": ["d1", "d2"], "source": "hubspot", "source_id": ["1", "2"], "is_closed": [True, False],
        "is_won": [True, None]}), mode="replace")
    table = warehouse.table("analytics", "deals")
    fetched = warehouse.fetch(sa.select(table.c.deal_id, table.c.is_closed, table.c.is_won).order_by(table.c.deal_id))
    read = warehouse.read("analytics", "deals", ["deal_id", "is_closed", "is_won"]).sort_values("deal_id")
    assert fetched["is_closed"].tolist() == read["is_closed"].tolist() == [True, False]
    assert fetched["is_won"].tolist()[0] is True and read["is_won"].tolist()[0] is True
    assert pd.isna(fetched["is_won"].iloc[1]) and pd.isna(read["is_won"].iloc[1])


def test_rows_as_dicts_keep_text_storable_column_by_column(warehouse: Warehouse) -> None:
    """Dict rows (how raw pages are written): a column of plain ASCII text is passed through as
    it is, but one NUL or lone surrogate anywhere in a column still makes every value storable."""
    def row(i: int, email: str | None) -> dict:
        return {"source_id": f"r{i}", "email": email, "company_id": "c", "payload": '{"a": 1}', "_hash": "h",
                "_synced_at": "2026-11-21T08:00:00+00:00", "_deleted": i == 2, "_deleted_at": None}

    emails = ["plain@example.com", "nul\x00here@example.com", "lone\ud800@example.com", "zoë@example.com", None]
    for strategy in ("rows", "bulk"):
        with warehouse.transaction() as conn:
            conn.execute(warehouse.table("raw", "hubspot_contacts").delete())
        warehouse.write("raw", "hubspot_contacts", [row(i, e) for i, e in enumerate(emails)], key=["source_id"],
                        strategy=strategy)
        stored = warehouse.read("raw", "hubspot_contacts").set_index("source_id")
        assert stored["email"].tolist()[:4] == ["plain@example.com", "nulhere@example.com", "lone\ufffd@example.com",
                                                "zoë@example.com"], strategy
        assert pd.isna(stored.loc["r4", "email"]), strategy
        assert stored["_deleted"].astype(bool).tolist() == [False, False, True, False, False], strategy
