"""The shape every raw asset shares: a source connector synced into its raw table through
``hub.sync``, reported as metadata and checked (no duplicate ids; the count the source reports)."""

from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from hub import lineage
from hub.pipeline.steps import sync_step
from hub.raw import RAW_OBJECTS, RawSync, SourceError, SourceHealth, duplicate_ids
from hub.sources.registry import sync_object
from hub.sync import SyncReport
from hub.warehouse import Warehouse, utcnow
from resources.warehouse import WarehouseResource

NO_DUPLICATE_IDS = "no_duplicate_ids"
SYNC_SUCCEEDED = "sync_succeeded"
FRESH = "fresh"
COUNT_MATCHES_SOURCE = "count_matches_source"


def markdown_preview(frame: pd.DataFrame, rows: int = 5, max_width: int = 40) -> dg.MetadataValue:
    """The first rows of a table as markdown, long cells shortened."""
    head = frame.head(rows).astype(object)
    head = head.where(head.notna(), "")  # a missing value is blank in the UI, not "nan"
    head = head.map(lambda v: (str(v)[: max_width - 1] + "…") if isinstance(v, str) and len(v) > max_width else v)
    return dg.MetadataValue.md(head.to_markdown(index=False) if len(head) else "_empty_")


def _preview(warehouse: Warehouse, table_name: str) -> dg.MetadataValue:
    table = warehouse.table("raw", table_name)
    shown = [c for c in table.columns if c.name not in ("payload", "_hash")]
    with warehouse.engine.connect() as conn:
        result = conn.execute(sa.select(*shown).where(table.c._deleted.is_(False))
                              .order_by(table.c.source_id).limit(5))
        return markdown_preview(pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def raw_asset(source: str, source_object: str, *, kinds: set[str], description: str,
              source_counts: bool = True) -> dg.AssetsDefinition:
    """A raw asset: sync the object from its source into its raw table, page by page, each page
    committed with its cursor. ``source_counts``: the API reports a total to check against."""
    obj = RAW_OBJECTS[f"{source}/{source_object}"]
    declared = sync_step(obj.key)
    key = dg.AssetKey(["raw", source, source_object])
    checks = [dg.AssetCheckSpec(NO_DUPLICATE_IDS, asset=key, description="Every source id lands once."),
              dg.AssetCheckSpec(SYNC_SUCCEEDED, asset=key,
                                description=f"The last sync from {source} succeeded. When it fails the run goes "
                                            "on with this table's last good data (marked stale) and an alert."),
              dg.AssetCheckSpec(FRESH, asset=key,
                                description="The data is from a sync no older than sources.max_staleness_hours.")]
    if source_counts:
        checks.append(dg.AssetCheckSpec(
            COUNT_MATCHES_SOURCE, asset=key,
            description=f"The live rows equal the number of records {source} reports after the sync."))

    @dg.asset(
        key=key,
        group_name="raw",
        kinds=kinds,
        description=description,
        required_resource_keys={source, "warehouse", "hub_config"},
        owners=["team:data"],
        tags={"source": source},
        check_specs=checks,
        # One API allocation per source: a deployment limits the pool so parallel steps of the
        # same source do not overrun it (dagster.yaml concurrency.pools).
        pool=f"{source}_api",
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with lineage.running(declared.name):
            return _sync(context)

    def _sync(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse_resource: WarehouseResource = context.resources.warehouse
        warehouse = warehouse_resource.get()
        config = context.resources.hub_config.get()
        raw = RawSync(warehouse, obj, config, full_refresh=False)
        try:
            connector = getattr(context.resources, source).connector(config)
            outcome = sync_object(connector, raw, config)
        except SourceError as exc:
            # One source down is not all down: the table keeps its last good data (committed pages
            # included), downstream steps run on it, and the failure is a red check and an alert.
            return _stale_result(context, warehouse, raw, exc, source_counts)
        context.log.info(f"{source} {source_object}: {outcome.metadata()}")
        return dg.MaterializeResult(
            metadata={"dagster/row_count": outcome.live_rows, **outcome.metadata(), "source_status": "ok",
                      "table": warehouse.qualified("raw", obj.table), "preview": _preview(warehouse, obj.table)},
            check_results=[*_check_results(warehouse, obj.key, outcome, source_counts),
                           *_health_results(raw.health(), config, None)])

    _asset.__name__ = f"raw_{source}_{source_object}".lower()
    return _asset


def _stale_result(context: dg.AssetExecutionContext, warehouse: Warehouse, raw: RawSync, exc: SourceError,
                  source_counts: bool) -> dg.MaterializeResult:
    config, obj = raw.config, raw.obj
    health = raw.fail(str(exc))
    since = health.last_success_at.isoformat() if health.last_success_at else "never"
    context.log.error(f"{obj.key} sync failed; going on with its last good data (as of {since}): {exc}")
    live = raw.live_count()
    results = [dg.AssetCheckResult(check_name=NO_DUPLICATE_IDS, passed=not duplicate_ids(warehouse, obj.key))]
    if source_counts:
        results.append(dg.AssetCheckResult(check_name=COUNT_MATCHES_SOURCE, passed=False,
                                           severity=dg.AssetCheckSeverity.WARN,
                                           metadata={"live_rows": live, "source_total": -1,
                                                     "why": "the source did not answer"}))
    return dg.MaterializeResult(
        metadata={"dagster/row_count": live, **raw.stats.as_metadata(), "source_status": "failed",
                  "error": str(exc), "data_as_of": since, "table": warehouse.qualified("raw", obj.table)},
        check_results=[*results, *_health_results(health, config, str(exc))])


def _health_results(health: SourceHealth, config: dict[str, Any], error: str | None) -> list[dg.AssetCheckResult]:
    now = utcnow()
    limit = float(config.get("sources", {}).get("max_staleness_hours", 36))
    age = health.stale_hours(now)
    since = health.last_success_at.isoformat() if health.last_success_at else "never"
    fresh = age is not None and age <= limit
    return [
        dg.AssetCheckResult(check_name=SYNC_SUCCEEDED, passed=error is None,
                            metadata={"error": error or "none", "data_as_of": since}),
        dg.AssetCheckResult(check_name=FRESH, passed=fresh, metadata={
            "data_as_of": since, "hours_old": round(age, 1) if age is not None else -1.0,
            "max_staleness_hours": limit, "stale_since": "not stale" if fresh else since}),
    ]


def _check_results(warehouse: Warehouse, key: str, outcome: SyncReport,
                   source_counts: bool) -> list[dg.AssetCheckResult]:
    duplicates = duplicate_ids(warehouse, key)
    results = [dg.AssetCheckResult(check_name=NO_DUPLICATE_IDS, passed=not duplicates,
                                   metadata={"duplicate_ids": len(duplicates),
                                             "examples": ", ".join(duplicates[:5]) or "none"})]
    if source_counts:
        total = outcome.source_total
        results.append(dg.AssetCheckResult(
            check_name=COUNT_MATCHES_SOURCE, passed=outcome.counts_agree,
            # A record created or deleted while the sync ran can open a gap the next run closes.
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"live_rows": outcome.live_rows, "quarantined_at_source": outcome.unlandable,
                      "source_total": -1 if total is None else total}))
    return results
