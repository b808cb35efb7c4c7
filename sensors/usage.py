"""New or grown usage-log files in HUB_USAGE_LOG_DIR -> the usage_ingest job; the usage days
whose events changed since their roll-up -> the usage_days job, for those day partitions."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from assets.jobs import usage_days, usage_ingest
from assets.usage import USAGE_DAY_PARTITIONS
from hub.config import settings
from hub.usage import UsageRules, list_usage_files, live_digests
from hub.usage_rollup import DayRollups
from hub.usage_store import UsageEventStore
from hub.usage_summary import PRODUCT_MILESTONES
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource


def file_states(directory: Path, quiet_after: float, now: float | None = None) -> dict[str, list]:
    """path -> [size, mtime, quiet] of every usage file: a stat per file, no reading."""
    moment = time.time() if now is None else now
    out = {}
    for path in list_usage_files(directory):
        stat = path.stat()
        out[str(path)] = [stat.st_size, stat.st_mtime, moment - stat.st_mtime >= quiet_after]
    return out


def loaded_states(warehouse: WarehouseResource) -> dict[str, list[float]]:
    """path -> [size, mtime] as the last ingest left each file (one query)."""
    wh = warehouse.get()
    table = wh.table("raw", "usage_file_state")
    with wh.engine.connect() as conn:
        return {r[0]: [r[1], r[2]] for r in conn.execute(sa.select(table.c.path, table.c.size_bytes, table.c.mtime))}


@dg.sensor(job=usage_ingest, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts usage_ingest when a usage-log file appears, grows, or has become quiet "
                       "(a half-written last line is loaded then) in HUB_USAGE_LOG_DIR — not for files the "
                       "warehouse has already read as they are.")
def usage_log_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                     hub_config: HubConfigResource) -> dg.SensorResult | dg.SkipReason:
    directory = settings().usage_log_dir
    rules = UsageRules.from_config(hub_config.get().get("usage"))
    seen: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    current = file_states(directory, rules.stable_seconds)
    loaded = loaded_states(warehouse)
    new = sorted(name for name, state in current.items()
                 if loaded.get(name) != state[:2] and seen.get(name) != state)
    # The cursor keeps every file ever seen (merged), so an old file never comes back as new.
    merged = {**seen, **current}
    if not new:
        return dg.SensorResult(cursor=json.dumps(merged, sort_keys=True),
                               skip_reason=dg.SkipReason(f"no new usage lines in {directory}"))
    run_key = hashlib.sha1(json.dumps({n: current[n] for n in new}, sort_keys=True).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"hub/new_files": str(len(new))})],
        cursor=json.dumps(merged, sort_keys=True),
    )


MAX_DAYS_PER_RUN = 31  # a month at most per run


def day_ranges(days: list[str], keys: list[str], longest: int = MAX_DAYS_PER_RUN) -> list[list[str]]:
    """``days`` (partition keys, any order) as runs of consecutive partitions of ``keys``, each at
    most ``longest`` long."""
    position = {k: n for n, k in enumerate(keys)}
    ranges: list[list[str]] = []
    for day in sorted(days, key=position.__getitem__):
        last = ranges[-1] if ranges else None
        if last and position[day] == position[last[-1]] + 1 and len(last) < longest:
            last.append(day)
        else:
            ranges.append([day])
    return ranges


@dg.sensor(job=usage_days, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Requests usage_days for the UTC days whose usage events changed since they were rolled "
                       "up (a new or late file landed on them, an erasure rewrote them, retention pruned them): "
                       "one run per stretch of consecutive days, only those partitions.")
def usage_days_sensor(context: dg.SensorEvaluationContext,
                      warehouse: WarehouseResource) -> dg.SensorResult | dg.SkipReason:
    wh = warehouse.get()
    rollups = DayRollups(UsageEventStore.of(wh), live_digests(wh), list(PRODUCT_MILESTONES))
    sources = rollups.sources()
    stale = rollups.stale(sources)
    keys = USAGE_DAY_PARTITIONS.get_partition_keys()
    known = set(keys)
    wanted = [d for d in stale if d in known]
    if not wanted:
        outside = len(stale) - len(wanted)
        return dg.SkipReason(
            "every usage day is rolled up" if not outside else
            f"{outside} changed day(s) outside raw/usage/days' partitions (before usage.partitions_start, or "
            "tomorrow UTC): the next usage_daily run rolls them up")
    requests = []
    for days in day_ranges(wanted, keys):
        # The same change never launches twice; a new change to these days launches again.
        state = {d: rollups.signature(sources[d]) if d in sources else "gone" for d in days}
        run_key = hashlib.sha1(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
        tags = {"hub/usage_days": f"{days[0]}..{days[-1]}"}
        if len(days) == 1:
            requests.append(dg.RunRequest(run_key=run_key, partition_key=days[0], tags=tags))
        else:
            requests.append(dg.RunRequest(run_key=run_key, tags={
                **tags, "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1]}))
    return dg.SensorResult(run_requests=requests)
