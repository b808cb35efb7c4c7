"""Seed 001's tracking CSV files from the landing folder (HUB_TRACKING_DIR)."""

from __future__ import annotations

import dagster as dg

from hub import lineage
from hub.tracking.cli import tracking_dir
from hub.tracking.files import load_folder
from resources.warehouse import WarehouseResource

TRACKING_FILES = dg.AssetKey(["raw", "tracking", "files"])


@dg.asset(key=TRACKING_FILES, group_name="raw", kinds={"python", "sql"}, owners=["team:data"],
          tags={"source": "tracking"},
          description="The early-access team's tracking CSVs (customers, onboarding steps, engagement) from "
                      "HUB_TRACKING_DIR. Every row is loaded or quarantined with its reason; a file's content "
                      "is loaded once.")
def tracking_files(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    with lineage.running("load_tracking_files"):
        reports = load_folder(wh, tracking_dir())
    loaded = [r for r in reports if r.kind not in ("skipped", "unreadable")]
    return dg.MaterializeResult(metadata={
        "files_loaded": len(loaded), "files_skipped": sum(r.kind == "skipped" for r in reports),
        "files_unreadable": sum(r.kind == "unreadable" for r in reports),
        "rows_loaded": sum(r.rows_loaded for r in loaded), "rows_quarantined": sum(r.rows_quarantined for r in loaded),
        "dagster/row_count": wh.count("raw", "tracking_customers")})
