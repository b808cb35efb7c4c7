"""`hub export`: tables to CSV and Parquet in chunks, with progress, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hub.cli import main
from hub.export import analytics_tables, export_table
from hub.warehouse import Warehouse

ROWS = 2_500


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "exports"  # tmp_path also holds the SQLite warehouse


def fill(warehouse: Warehouse) -> None:
    # The first rows have no time to first value: the Parquet column must still be float64.
    warehouse.upsert("analytics", "beta_activations", [
        {"customer_id": f"BETA-{n:05d}", "onboarding_date": "2024-01-15T14:00:00+00:00",
         "activated_at": "2024-01-18T14:00:00+00:00", "time_to_first_value_days": None if n < 1500 else n / 10,
         "api_key_hint": "…3456", "event_seq": n} for n in range(ROWS)], key=["customer_id"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_table_is_exported_whole_in_chunks_with_progress(warehouse: Warehouse, out: Path, fmt: str) -> None:
    fill(warehouse)
    seen: list[tuple[int, int]] = []
    done = export_table(warehouse, "beta_activations", fmt, out, chunk_size=1000,
                        progress=lambda _name, rows, total: seen.append((rows, total)))
    assert (done.rows, done.path.name) == (ROWS, f"beta_activations.{fmt}")
    assert seen == [(1000, ROWS), (2000, ROWS), (2500, ROWS)]
    assert [p.name for p in out.iterdir()] == [done.path.name]  # no partial file left behind
    if fmt == "csv":
        with done.path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["customer_id"] for r in rows] == [f"BETA-{n:05d}" for n in range(ROWS)]
        assert (rows[0]["time_to_first_value_days"], float(rows[-1]["time_to_first_value_days"])) == ("", 249.9)
    else:
        table = pq.read_table(done.path)
        assert table.num_rows == ROWS and str(table.schema.field("time_to_first_value_days").type) == "double"
        assert str(table.schema.field("event_seq").type) == "int64"
        # a timestamp where the warehouse has one; SQLite keeps ISO text
        expected = "timestamp[us, tz=UTC]" if warehouse.is_postgres else "string"
        assert str(table.schema.field("activated_at").type) == expected
        assert table.column("time_to_first_value_days").to_pylist()[-1] == 249.9


def test_hub_export_all_writes_every_analytics_table(warehouse: Warehouse, out: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fill(warehouse)
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    assert main(["export", "--all", "--format", "parquet", "--out", str(out), "--chunk-size", "1000"]) == 0
    tables = analytics_tables(warehouse)
    assert {"customers", "beta_activations", "alerts"} <= set(tables)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in tables)
    printed = capsys.readouterr()
    assert "beta_activations: 2,500 rows" in printed.out
    assert "beta_activations: 2,000 / 2,500 rows (80%)" in printed.err
    assert "customers: 0 rows" in printed.out and "customers" not in printed.err  # small: one line, no progress

    assert main(["export", "raw.events", "--out", str(out)]) == 0
    assert (out / "raw.events.csv").read_text().startswith("seq,sender,event_id,")


def test_hub_export_names_an_unknown_table(warehouse: Warehouse, out: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    with pytest.raises(SystemExit, match="no table 'nope'"):
        main(["export", "nope", "--out", str(out)])
    with pytest.raises(SystemExit, match="unknown table 'secret.x'"):
        main(["export", "secret.x", "--out", str(out)])
    assert not out.exists() or list(out.iterdir()) == []
