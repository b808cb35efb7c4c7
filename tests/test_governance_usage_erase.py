"""No resurrection through usage logs (issue 15, item 2), on both warehouses: after `hub erase` of a
person and of a customer, a new usage file holding their lines lands none of them — not in the
Parquet event store, not in usage_daily, not in the quarantine — and the ledger counts them as
suppressed, so lines in = loaded + quarantined + suppressed still holds per read and per file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hub.cli import main
from hub.governance.suppression import SuppressionError
from hub.pipeline.usage import build_usage_daily, ingest_usage
from hub.usage import read_usage_events
from hub.usage_rollup import rollup_root
from hub.usage_store import UsageEventStore
from hub.warehouse import Warehouse

SALT = "test-erasure-salt-0123456789abcdef"
ANN = "ann.erased@example.com"
DAY = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m-%d")


def _seed(warehouse: Warehouse) -> None:
    """Three HubSpot companies (customers cus_a, cus_b, cus_c) and Ann, a contact of cus_a."""
    now = dt.datetime.now(dt.UTC).isoformat()
    companies = [{"record_id": f"hubspot:companies:{n}", "source": "hubspot", "source_object": "companies",
                  "source_id": n, "company": f"Company {c}", "hubspot_company_id": n} for n, c in
                 (("101", "A"), ("202", "B"), ("303", "C"))]
    warehouse.write("staging", "companies", companies, key=["record_id"])
    warehouse.write("analytics", "customer_sources", [
        {"source": "hubspot", "source_object": "companies", "source_id": n, "customer_id": f"cus_{c}",
         "match_rule": "seed", "match_score": 1.0} for n, c in (("101", "a"), ("202", "b"), ("303", "c"))],
        key=["source", "source_object", "source_id"])
    warehouse.write("analytics", "customers", [
        {"customer_id": f"cus_{c}", "name": f"Company {c.upper()}", "first_seen_at": now, "updated_at": now}
        for c in "abc"], key=["customer_id"])
    warehouse.write("staging", "people", [{"record_id": "hubspot:contacts:9", "source": "hubspot", "source_id": "9",
                                           "company_record_id": "hubspot:companies:101", "email": ANN,
                                           "name": "Ann Erased"}], key=["record_id"])
    warehouse.write("analytics", "contacts", [{"contact_id": "ct_ann", "customer_id": "cus_a", "email": ANN,
                                               "name": "Ann Erased"}], key=["contact_id"])


def _line(customer: str, user: str | None, hour: int, event: str = "api_call") -> str:
    record = {"timestamp": f"{DAY}T{hour:02d}:00:00Z", "customer_id": customer, "event": event, "status": "ok"}
    if user is not None:
        record["user_id"] = user
    return json.dumps(record)


def _usage_file(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _theirs(hour: int) -> list[str]:
    """Lines of Ann (as written, in capitals, in a line off the fast path, in a bad line) and of cus_c."""
    return [_line("101", ANN, hour), _line("101", " ANN.Erased@Example.com", hour + 1),
            _line("101", ANN, hour + 2, event="Signed — ünïcode"),        # non-ASCII: read line by line
            '{"timestamp": "yesterday", "customer_id": "101", "event": "api_call", "user_id": "' + ANN + '"}',
            _line("303", "u_carol", hour), _line("303", None, hour + 1),
            '{"timestamp": "not a time", "customer_id": "303", "event": "sign"}']


def _others(hour: int) -> list[str]:
    return [_line("101", "u_bob", hour), _line("202", "u_dan", hour), _line("202", "u_dan", hour + 1, "verify"),
            '{"timestamp": "never", "customer_id": "202", "event": "sign"}']


def test_usage_of_erased_people_and_customers_is_suppressed(warehouse: Warehouse, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("HUB_ERASURE_SALT", SALT)
    landing = tmp_path / "landing"
    _seed(warehouse)
    _usage_file(landing / "day1.jsonl", _theirs(1) + _others(1))
    first = ingest_usage(warehouse, landing)
    assert first.metadata["lines_suppressed"] == 0 and first.metadata["lines_loaded"] == 8
    build_usage_daily(warehouse)
    assert set(warehouse.read("analytics", "usage_daily")["customer_id"]) == {"cus_a", "cus_b", "cus_c"}

    rollups = rollup_root(UsageEventStore.of(warehouse).root)
    assert any("303" in pq.read_table(f)["customer_ref"].to_pylist() for f in rollups.glob("*.parquet"))
    assert main(["erase", "--email", ANN, "--yes"]) == 0
    assert main(["erase", "--customer-id", "cus_c", "--yes"]) == 0
    capsys.readouterr()
    # The day roll-ups that counted them went with the erasure (rolled up again below).
    assert not any("303" in pq.read_table(f)["customer_ref"].to_pylist() for f in rollups.glob("*.parquet"))

    # Their lines come again in a new file (and appended to the old one): none lands.
    _usage_file(landing / "day2.jsonl", _theirs(10) + _others(10))
    with (landing / "day1.jsonl").open("a", encoding="utf-8") as grown:
        grown.write("\n".join(_theirs(20)) + "\n")
    second = ingest_usage(warehouse, landing)
    assert second.metadata["lines_suppressed"] == 2 * 7
    assert second.metadata["lines_loaded"] == 3 and second.metadata["lines_quarantined"] == 1
    build_usage_daily(warehouse)

    events = read_usage_events(warehouse)
    assert not events["user_id"].fillna("").str.lower().str.contains("ann.erased").any()
    assert not events["customer_ref"].isin(["303", "cus_c"]).any()
    daily = warehouse.read("analytics", "usage_daily")
    assert "cus_c" not in set(daily["customer_id"])
    assert daily.loc[daily["customer_id"] == "cus_a", "active_users"].max() == 1  # Bob only
    quarantine = warehouse.read("raw", "quarantine")
    assert not quarantine["payload"].str.lower().str.contains("ann.erased").any()
    # Bad lines: Dan's of day 1 and day 2 (Ann's and cus_c's of day 1 went with the erasures).
    assert set(quarantine["record_key"]) == {"day1.jsonl:11", "day2.jsonl:11"}

    # The accounting still adds up, per read, per file and in the view BI reads.
    ledger = warehouse.read("raw", "usage_files")
    assert (ledger["lines_in"] == ledger["lines_loaded"] + ledger["lines_quarantined"]
            + ledger["lines_suppressed"]).all()
    state = warehouse.read("raw", "usage_file_state").set_index("path")
    day1 = state.loc[str(landing / "day1.jsonl")]
    assert (day1["lines_in"], day1["lines_loaded"], day1["lines_quarantined"], day1["lines_suppressed"]) == (
        18, 8, 3, 7)
    accounting = warehouse.read("raw", "usage_file_accounting").set_index("file_name")
    assert accounting.loc["day2.jsonl", "lines_suppressed"] == 7
    row = accounting.loc["day2.jsonl"]
    assert row["lines_in"] == row["lines_loaded"] + row["lines_quarantined"] + row["lines_suppressed"]


def test_usage_ingest_refuses_a_list_it_cannot_check(warehouse: Warehouse, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("HUB_ERASURE_SALT", SALT)
    _seed(warehouse)
    assert main(["erase", "--email", ANN, "--yes"]) == 0
    monkeypatch.delenv("HUB_ERASURE_SALT")
    _usage_file(tmp_path / "landing" / "day1.jsonl", _theirs(1))
    with pytest.raises(SuppressionError, match="HUB_ERASURE_SALT"):
        ingest_usage(warehouse, tmp_path / "landing")
    assert warehouse.count("raw", "usage_files") == 0
