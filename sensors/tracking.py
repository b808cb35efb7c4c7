"""New or changed tracking CSVs in HUB_TRACKING_DIR -> the tracking_ingest job."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from assets.tracking import TRACKING_FILES
from hub.tracking.cli import tracking_dir
from hub.tracking.files import csv_files

tracking_ingest = dg.define_asset_job(
    "tracking_ingest", selection=dg.AssetSelection.assets(TRACKING_FILES),
    description="Load new tracking CSV files (seed 001) from HUB_TRACKING_DIR.")


@dg.sensor(job=tracking_ingest, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts tracking_ingest when a CSV file appears or changes in HUB_TRACKING_DIR.")
def tracking_file_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    folder = tracking_dir()
    # A stat per file: the run reads them (and skips contents already loaded, by digest).
    current = {p.name: [p.stat().st_size, p.stat().st_mtime] for p in csv_files(folder)}
    seen = json.loads(context.cursor) if context.cursor else {}
    new = sorted(name for name, state in current.items() if seen.get(name) != state)
    cursor = json.dumps({**seen, **current}, sort_keys=True)
    if not new:
        return dg.SensorResult(cursor=cursor, skip_reason=dg.SkipReason(f"no new tracking files in {folder}"))
    run_key = hashlib.sha1(json.dumps({n: current[n] for n in new}, sort_keys=True).encode()).hexdigest()[:16]
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=run_key, tags={"hub/new_files": str(len(new))})],
                           cursor=cursor)
