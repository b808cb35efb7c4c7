"""New or grown usage-log files in HUB_USAGE_LOG_DIR -> the usage_ingest job."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from assets.jobs import usage_ingest
from hub.config import settings
from hub.usage import UsageRules, list_usage_files
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
