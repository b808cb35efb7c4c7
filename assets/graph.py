"""Asset deps derived from the steps' declared reads (hub.pipeline.steps): an asset depends on
the assets that write the tables its step reads, so the graph in the UI is the data flow."""

from __future__ import annotations

from typing import Any

import dagster as dg

# Every step module, so the registry knows every table's writer before any deps are derived.
import hub.pipeline.alerting
import hub.pipeline.health
import hub.pipeline.kpis
import hub.pipeline.owner_digest
import hub.pipeline.playbooks
import hub.pipeline.retention
import hub.pipeline.unified
import hub.pipeline.usage
import hub.predict.store
import hub.reports.deliver
import hub.reports.store  # noqa: F401
from hub.pipeline.steps import STEPS, Step, upstream_assets


def key(path: str) -> dg.AssetKey:
    """``"analytics/customers"`` -> ``AssetKey(["analytics", "customers"])``."""
    return dg.AssetKey(path.split("/"))


def declared(step_fn: Any) -> Step:
    return step_fn.step if hasattr(step_fn, "step") else STEPS[step_fn]


def deps(step_fn: Any) -> list[dg.AssetKey]:
    """The asset keys writing what ``step_fn`` (a declared step, or its name) reads."""
    return [key(path) for path in upstream_assets(declared(step_fn))]
