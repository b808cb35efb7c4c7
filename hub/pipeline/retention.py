"""The retention step: prune every layer past the days ``retention:`` keeps (hub.governance.retention)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hub.governance.retention import prune, pruned_tables
from hub.pipeline.steps import StepResult, step
from hub.warehouse import Warehouse, utcnow


@step(assets=("analytics/retention_runs",), writes=("analytics.retention_runs",), prunes=pruned_tables())
def apply_retention(warehouse: Warehouse, config: dict[str, Any], home: Path) -> StepResult:
    """Delete rows (and report files, and days of the usage event store) older than their layer's
    retention; one row per target in ``analytics.retention_runs`` with what it removed."""
    ran_at = utcnow().isoformat()
    pruned = prune(warehouse, config["retention"], home)
    frame = pd.DataFrame([{"ran_at": ran_at, "target": p.target, "policy": p.policy, "keep_days": p.keep_days,
                           "cutoff": p.cutoff.isoformat(), "removed": p.removed} for p in pruned],
                         columns=["ran_at", "target", "policy", "keep_days", "cutoff", "removed"])
    warehouse.write("analytics", "retention_runs", frame, mode="append")
    removed = {p.target: p.removed for p in pruned if p.removed}
    details = {f"removed {p.target} {k}": v for p in pruned for k, v in p.detail.items()}
    return StepResult(int(frame["removed"].sum()) if len(frame) else 0,
                      {"removed_total": int(frame["removed"].sum()) if len(frame) else 0,
                       "targets": len(frame), **{f"removed {k}": v for k, v in removed.items()}, **details},
                      frame[frame["removed"] > 0].head(10))
