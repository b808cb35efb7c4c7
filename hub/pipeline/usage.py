"""Steps for usage: land the usage-log files in raw, roll them up per customer and day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub import usage
from hub.pipeline.steps import StepResult, crosswalk, customer_lookup, step, with_customer
from hub.usage_rollup import DayRollups
from hub.usage_store import UsageEventStore
from hub.usage_summary import PRODUCT_MILESTONES, usage_summary
from hub.usage_write import write_usage_daily
from hub.warehouse import Warehouse


@step(assets=("raw/usage/events",), reads=("raw.erasure_suppressions",),
      writes=("raw.usage_files", "raw.usage_file_state", "raw.quarantine", "raw.usage_events"),
      history=("raw.usage_files", "raw.usage_file_state", "raw.usage_events"))
def ingest_usage(warehouse: Warehouse, directory: Path, config: dict[str, Any] | None = None) -> StepResult:
    """Land what is new in the landing directory's usage files (new files, appended lines): events
    as Parquet by day beside the warehouse, the ledger, file states and quarantine in it; lines of
    erased people or customers are held back and counted (``raw.erasure_suppressions``). Events an
    earlier version kept in ``raw.usage_events`` move to the Parquet store on the first run."""
    rules = usage.UsageRules.from_config((config or {}).get("usage"))
    stats = usage.ingest_usage_files(warehouse, usage.list_usage_files(directory), rules)
    ledger = warehouse.read("raw", "usage_files", ["lines_loaded"])
    return StepResult(stats.lines_loaded, {**stats.as_metadata(), "directory": str(directory),
                                           "events_total": int(ledger["lines_loaded"].sum())})


@step(assets=("raw/usage/days",), reads=("raw.usage_files",))
def roll_up_usage_days(warehouse: Warehouse, days: list[str]) -> StepResult:
    """Roll up each of ``days`` from its live event files again, stale or not (a Dagster day
    partition of ``raw/usage/days``, a backfill): per customer id as the log names it, in Parquet
    beside the event store (``hub.usage_rollup``). A day without events loses its roll-up."""
    rollups = DayRollups(UsageEventStore.of(warehouse), usage.live_digests(warehouse), list(PRODUCT_MILESTONES))
    done = rollups.refresh(days, force=True)
    return StepResult(sum(done.rebuilt.values()), {"days_rolled_up": sorted(done.rebuilt),
                                                   "days_without_events": sorted(set(days) - set(done.rebuilt)),
                                                   "events": done.rebuilt})


@step(assets=("analytics/usage_daily", "analytics/customer_usage"),
      reads=("raw.usage_files", "staging.usage_reports", "staging.companies", "analytics.customer_sources"),
      writes=("analytics.usage_daily", "analytics.customer_usage", "raw.quarantine", "raw.usage_daily_days"))
def build_usage_daily(warehouse: Warehouse) -> StepResult:
    """``usage_daily`` from the day roll-ups of the usage events (the reads ``raw.usage_files``
    ledgers; the days whose events changed are rolled up first) and Airtable's reported usage, and the per-customer ``customer_usage`` milestones; events naming an unknown
    customer are quarantined (and come back by themselves once a source knows them)."""
    reports = with_customer(warehouse.read("staging", "usage_reports"), crosswalk(warehouse))
    result = usage.daily_from_store(warehouse, reports, customer_lookup(warehouse), list(PRODUCT_MILESTONES))
    daily, unknown = result.daily, result.unknown
    summary = usage_summary(daily, result.product_events)
    quarantine = warehouse.table("raw", "quarantine")
    with warehouse.transaction() as conn:
        # Only the dates whose rows changed (a late file: its own days), not the whole table.
        written = write_usage_daily(warehouse, conn, daily, usage.DAILY_COLUMNS)
        warehouse.write("analytics", "customer_usage", summary, mode="replace", conn=conn)
        conn.execute(quarantine.delete().where(quarantine.c.source == "usage",
                                               quarantine.c.source_object == "usage_event"))
        warehouse.write("raw", "quarantine", usage.unknown_customer_quarantine(unknown),
                        key=["quarantine_id"], conn=conn)
    return StepResult(len(daily), {
        "events": result.events, "events_unknown_customer": len(unknown),
        "days_rolled_up": result.refreshed.rebuilt, "days_removed": result.refreshed.removed,
        "usage_daily_dates_written": written.dates_written, "usage_daily_rows_written": written.rows_written,
        "usage_daily_dates_removed": written.dates_removed,
        "customers": int(daily["customer_id"].nunique()) if len(daily) else 0,
        "days": int(daily["date"].nunique()) if len(daily) else 0,
        "customers_with_api_key": int(summary["api_key_created_at"].notna().sum()),
    }, daily.tail(5))
