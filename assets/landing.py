"""The shape every raw asset shares: a source connector synced into its raw table through
``hub.sync``, reported as metadata and checked (no duplicate ids; the count the source reports)."""

from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from hub.config import current_config
from hub.raw import RAW_OBJECTS, RawSync, SourceError, SourceStopped, duplicate_ids
from hub.sync import SyncReport
from hub.warehouse import Warehouse
from resources.warehouse import WarehouseResource

Sync = Callable[[Any, RawSync, dict[str, Any]], SyncReport]
NO_DUPLICATE_IDS = "no_duplicate_ids"
COUNT_MATCHES_SOURCE = "count_matches_source"


def markdown_preview(frame: pd.DataFrame, rows: int = 5, max_width: int = 40) -> dg.MetadataValue:
    """The first rows of a table as markdown, long cells shortened."""
    head = frame.head(rows).astype(object).map(lambda v: (str(v)[: max_width - 1] + "…")
                                               if isinstance(v, str) and len(v) > max_width else v)
    return dg.MetadataValue.md(head.to_markdown(index=False) if len(head) else "_empty_")


def _preview(warehouse: Warehouse, table_name: str) -> dg.MetadataValue:
    table = warehouse.table("raw", table_name)
    shown = [c for c in table.columns if c.name not in ("payload", "_hash")]
    with warehouse.engine.connect() as conn:
        result = conn.execute(sa.select(*shown).where(table.c._deleted.is_(False))
                              .order_by(table.c.source_id).limit(5))
        return markdown_preview(pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def raw_asset(source: str, source_object: str, *, resource_key: str, kinds: set[str], sync: Sync,
              description: str, source_counts: bool = True) -> dg.AssetsDefinition:
    """A raw asset: sync the object from its source into its raw table, page by page, each page
    committed with its cursor. ``source_counts``: the API reports a total to check against."""
    obj = RAW_OBJECTS[f"{source}/{source_object}"]
    key = dg.AssetKey(["raw", source, source_object])
    checks = [dg.AssetCheckSpec(NO_DUPLICATE_IDS, asset=key, description="Every source id lands once.")]
    if source_counts:
        checks.append(dg.AssetCheckSpec(
            COUNT_MATCHES_SOURCE, asset=key,
            description=f"The live rows equal the number of records {source} reports after the sync."))

    @dg.asset(
        key=key,
        group_name="raw",
        kinds=kinds,
        description=description,
        required_resource_keys={resource_key, "warehouse"},
        owners=["team:data"],
        tags={"source": source},
        check_specs=checks,
        # One API allocation per source: a deployment limits the pool so parallel steps of the
        # same source do not overrun it (dagster.yaml concurrency.pools).
        pool=f"{source}_api",
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse_resource: WarehouseResource = context.resources.warehouse
        warehouse = warehouse_resource.get()
        config = current_config()
        raw = RawSync(warehouse, obj, config, full_refresh=False)
        try:
            connector = getattr(context.resources, resource_key).connector(config)
            outcome = sync(connector, raw, config)
        except SourceStopped as exc:
            # Not a crash: committed pages stay and the next run resumes from the cursor.
            raise dg.Failure(description=str(exc), allow_retries=False, metadata={
                **raw.stats.as_metadata(), "cursor": raw.cursor() or ""}) from exc
        except SourceError as exc:
            raise dg.Failure(description=str(exc), metadata=raw.stats.as_metadata()) from exc
        context.log.info(f"{source} {source_object}: {outcome.metadata()}")
        return dg.MaterializeResult(
            metadata={"dagster/row_count": outcome.live_rows, **outcome.metadata(),
                      "table": warehouse.qualified("raw", obj.table), "preview": _preview(warehouse, obj.table)},
            check_results=_check_results(warehouse, obj.key, outcome, source_counts))

    _asset.__name__ = f"raw_{source}_{source_object}".lower()
    return _asset


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
