"""The asset graph tells the truth (hub.pipeline.steps, hub.lineage):

- every warehouse table has exactly one writing step (shared ledgers and tables written from
  outside the graph are listed, each with who owns which rows);
- each step touches only the tables it declares — a read it does not declare fails here, so the
  declared reads, and the asset deps derived from them, cannot drift from the code;
- every asset's deps are the writers of its step's declared reads, and no step reads a table
  written later in the run unless it declares it as its history.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from assets.graph import deps, key
from hub import lineage, synth
from hub.emulators import start_emulators
from hub.pipeline.steps import EXTERNAL, LEDGERS, STEPS, writer_of
from hub.warehouse import Warehouse


def _tables(warehouse: Warehouse) -> set[str]:
    """Every table of the warehouse as ``layer.name``."""
    import sqlalchemy as sa

    names = set()
    inspector = sa.inspect(warehouse.engine)
    for layer in ("raw", "staging", "analytics"):
        if warehouse.is_postgres:
            names |= {f"{layer}.{t}" for t in inspector.get_table_names(schema=layer)}
    if not warehouse.is_postgres:
        for t in inspector.get_table_names():
            layer = next((p for p in ("raw", "staging") if t.startswith(p + "_")), "analytics")
            names.add(f"{layer}.{t.removeprefix(layer + '_')}" if layer != "analytics" else f"analytics.{t}")
    return names


def test_every_table_has_exactly_one_writer(sqlite_warehouse: Warehouse) -> None:
    import assets.graph  # noqa: F401 - registers every step

    tables = _tables(sqlite_warehouse)
    writers = {t: sorted(s.name for s in STEPS.values() if t in s.writes) for t in tables}
    for table, names in sorted(writers.items()):
        if table in LEDGERS:
            assert names, f"{table} is a ledger nobody writes"
        elif table in EXTERNAL:
            assert not names, f"{table} is written from outside the graph ({EXTERNAL[table]}) but {names} write it"
        else:
            assert len(names) == 1, f"{table} must have one writer, has {names or 'none'}"
            assert writer_of(table).name == names[0]
    # The customers BI reads are written once, after health, from reconciliation's output.
    assert writers["analytics.customers"] == ["build_customers"]
    assert "staging.customers" in STEPS["build_health"].reads
    assert "analytics.customer_health" in STEPS["build_customers"].reads
    assert not any("analytics.customers" in s.writes for s in STEPS.values() if s.name != "build_customers")


def test_asset_deps_are_the_writers_of_declared_reads() -> None:
    from hub.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    for declared in STEPS.values():
        for path in declared.assets:
            node = graph.get(key(path))
            assert set(node.parent_keys) >= set(deps(declared.name)), path


@pytest.fixture(scope="module")
def sources():
    data = synth.generate(40, seed=5)
    with start_emulators(data, rate_limits=False) as running:
        yield data, running


def test_each_step_touches_only_the_tables_it_declares(sources, sqlite_warehouse: Warehouse, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data, running = sources
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", sqlite_warehouse.url)
    synth.write_usage_logs(data, tmp_path / "landing", bad_lines=1, seed=5)
    from hub.definitions import build_definitions

    job = build_definitions().resolve_job_def("nightly_sync")
    with lineage.tracing() as touched, dg.DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance).success
    assert set(touched) >= {"build_staging", "reconcile_customers", "build_health", "build_customers",
                            "build_kpis", "evaluate_alerts", "sync_hubspot_companies"}, sorted(touched)
    for name, tables in touched.items():
        declared = STEPS[name]
        undeclared = tables - declared.reads - declared.writes - declared.history - declared.prunes
        assert not undeclared, f"step {name} touched {sorted(undeclared)} without declaring them"
