"""Churn risk per customer and the MRR forecast, each with its measured quality (docs/predictions.md)."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.config import settings
from hub.predict.churn import Evaluation
from hub.predict.store import update_churn_risk, update_revenue_forecast
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

# Keyed by the table BI reads, as the other analytics assets; each also writes its history tables.
CHURN_RISK = key("analytics/churn_risk")
REVENUE_FORECAST = key("analytics/revenue_forecast")
BEATS_BASELINE = "churn_model_beats_health_band"


def _today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").normalize().tz_localize(None)


def beats_baseline_check(evaluations: list[Evaluation]) -> dg.AssetCheckResult:
    """Fails when a trained model ranks churners worse than the health band (PR-AUC, held-out window).
    Without a model the band itself is in use, so there is nothing worse to fail on: it passes and says so."""
    metadata: dict[str, float | str] = {}
    for e in evaluations:
        if e.evaluated:
            metadata[f"pr_auc_{e.horizon_days}d"] = round(e.model.pr_auc, 4)
            metadata[f"baseline_pr_auc_{e.horizon_days}d"] = round(e.baseline.pr_auc, 4)
        else:
            metadata[f"not_evaluated_{e.horizon_days}d"] = e.reason or ""
    worse = [e.horizon_days for e in evaluations if e.evaluated and not e.beats_baseline]
    return dg.AssetCheckResult(check_name=BEATS_BASELINE, passed=not worse, metadata=metadata,
                               description=f"worse than the health band at {worse} days" if worse else None)


def _evaluation_table(evaluations: list[Evaluation]) -> str:
    lines = ["| horizon | score | ROC-AUC | PR-AUC | Brier | top-decile churn | lift |", "|---|---|---|---|---|---|---|"]
    for e in evaluations:
        if not e.evaluated:
            lines.append(f"| {e.horizon_days} d | — | {e.reason} | | | | |")
            continue
        for name, s in (("model", e.model), ("health band", e.baseline)):
            lines.append(f"| {e.horizon_days} d | {name} | {s.roc_auc:.3f} | {s.pr_auc:.3f} | {s.brier:.4f} | "
                         f"{s.top_decile_churn_rate:.1%} | {s.lift_top_decile:.2f} |")
    return "\n".join(lines)


@dg.asset(key=CHURN_RISK, group_name="analytics", deps=deps(update_churn_risk),
          check_specs=[dg.AssetCheckSpec(BEATS_BASELINE, asset=CHURN_RISK,
                                         description="The model does at least as well as the health band on "
                                                     "PR-AUC over the held-out time window.")],
          kinds={"pandas", "scikit-learn", "sql"}, owners=["team:data"],
          description="Churn probability per customer in 30 and 90 days with its top factors in words, learnt "
                      "from the hub's daily snapshots (churn_snapshots) and retrained every run; falls back to the "
                      "health band, saying why, while the history is too short. Evaluation per training in "
                      "churn_model_evaluations. docs/predictions.md.")
def churn_risk(warehouse: WarehouseResource) -> dg.MaterializeResult:
    run = update_churn_risk(warehouse.get(), _today(), settings().home / "reports")
    scores = run.risk.scores
    metadata = {"dagster/row_count": len(scores), "snapshot_rows_today": run.snapshot_rows,
                "method": run.risk.method, "evaluation": dg.MetadataValue.md(_evaluation_table(run.risk.evaluations)),
                "preview": markdown_preview(scores.sort_values("churn_probability", ascending=False)
                                            [["customer_id", "churn_probability", "risk_band", "top_factors"]],
                                            max_width=80)}
    if run.plot:
        metadata["calibration_plot"] = dg.MetadataValue.path(str(run.plot))
    return dg.MaterializeResult(metadata=metadata, check_results=[beats_baseline_check(run.risk.evaluations)])


@dg.asset(key=REVENUE_FORECAST, group_name="analytics", deps=deps(update_revenue_forecast),
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="MRR 1–3 months ahead: current base less the churn model's expected losses plus the "
                      "weighted pipeline by close date, 80 % interval, backtested on recorded history (MAPE). "
                      "Without a churn model it writes no figure, only the reason.")
def revenue_forecast(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    term = float(hub_config.get()["reconcile"].get("contract_term_months") or 12)
    run = update_revenue_forecast(warehouse.get(), _today(), term)
    metadata = {"dagster/row_count": len(run.forecast), "backtest_origins": int(run.backtest["origin"].nunique())
                if len(run.backtest) else 0, "preview": markdown_preview(run.forecast, max_width=80)}
    if run.reason:
        metadata["reason"] = run.reason
    return dg.MaterializeResult(metadata=metadata)
