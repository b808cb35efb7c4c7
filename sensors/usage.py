"""New usage-log files in HUB_USAGE_LOG_DIR -> the usage_ingest job."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.jobs import usage_ingest
from hub.config import settings
from hub.usage import list_usage_files


def file_states(directory: Path) -> dict[str, list[float]]:
    """name -> [size, mtime] of every usage file: a stat per file, no reading."""
    out = {}
    for path in list_usage_files(directory):
        stat = path.stat()
        out[str(path.relative_to(directory))] = [stat.st_size, stat.st_mtime]
    return out


@dg.sensor(job=usage_ingest, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts usage_ingest when a usage-log file appears or changes in HUB_USAGE_LOG_DIR.")
def usage_log_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    directory = settings().usage_log_dir
    seen: dict[str, list[float]] = json.loads(context.cursor) if context.cursor else {}
    current = file_states(directory)
    new = sorted(name for name, state in current.items() if seen.get(name) != state)
    if not new:
        return dg.SkipReason(f"no new usage files in {directory}")
    # The cursor keeps every file ever seen (merged), so an old file never comes back as new.
    merged = {**seen, **{name: current[name] for name in new}}
    run_key = hashlib.sha1(json.dumps({n: current[n] for n in new}, sort_keys=True).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"hub/new_files": str(len(new))})],
        cursor=json.dumps(merged, sort_keys=True),
    )
