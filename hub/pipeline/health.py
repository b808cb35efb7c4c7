"""The health step: read the evidence, score every customer, write health, history and stage.

Reads only what a recalculation needs — 14 days of usage, aggregated in the database over an
index; the lifetime usage milestones from ``customer_usage``; the two days of history the
deltas compare with — so it stays fast at 100k customers with months of usage.
Writes ``customer_health`` (replaced), today's ``customer_health_history`` rows (upserted: a
rerun the same day overwrites the day, it never adds one) and, on ``customers``, the columns
health decides (``health_score``, ``health_band``, ``lifecycle_stage``) where they changed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import health
from hub.bulk import bulk_update, bulk_write
from hub.health_components import USAGE_WINDOW_COLUMNS
from hub.lifecycle import lifecycle_stage
from hub.pipeline.steps import StepResult, crosswalk, with_customer
from hub.warehouse import Warehouse

HISTORY_COLUMNS = ["customer_id", "as_of", *health.SCORE_COLUMNS.values(), "health_score", "health_band",
                   "coverage", "delta_7d", "delta_30d", "drivers"]
DECIDED = ["health_score", "health_band", "lifecycle_stage"]


def usage_window_query(warehouse: Warehouse, as_of: pd.Timestamp) -> pd.DataFrame:
    """``hub.health_components.usage_window`` computed by the database (same figures)."""
    t = warehouse.table("analytics", "usage_daily")
    day = [(as_of.normalize() - pd.Timedelta(days=n)).strftime("%Y-%m-%d") for n in (0, 6, 13)]
    recent = t.c.date >= day[1]
    query = (sa.select(
        t.c.customer_id,
        sa.func.sum(sa.case((recent, t.c.api_calls), else_=0.0)).label("api_calls_7d"),
        sa.func.sum(sa.case((recent, 0.0), else_=t.c.api_calls)).label("api_calls_prev_7d"),
        sa.func.count(sa.case((sa.and_(recent, t.c.api_calls > 0), 1))).label("active_days_7d"),
        sa.func.sum(sa.case((recent, t.c.errors), else_=0.0)).label("errors_7d"),
        sa.func.max(sa.case((recent, t.c.active_users))).label("active_users_7d"),
        sa.func.max(sa.case((t.c.api_calls > 0, t.c.date))).label("last_api_call_on"),
    ).where(t.c.date >= day[2], t.c.date <= day[0]).group_by(t.c.customer_id))
    with warehouse.engine.begin() as conn:
        if warehouse.is_postgres:  # one aggregate row per customer: let the hash table stay in memory
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        rows = [tuple(r) for r in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=USAGE_WINDOW_COLUMNS)
    for column in ("api_calls_7d", "api_calls_prev_7d", "errors_7d", "active_users_7d"):
        frame[column] = frame[column].astype(float)
    return frame


def _select(warehouse: Warehouse, layer: str, name: str, columns: list[str],
            where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
    table = warehouse.table(layer, name)
    query = sa.select(*[table.c[c] for c in columns])
    return warehouse.fetch(query if where is None else query.where(where))


def _history(warehouse: Warehouse, as_of: pd.Timestamp, grace: int) -> pd.DataFrame:
    """For each delta, the history of the latest day within its window that has any: the nightly
    run writes every customer each day, so one day is the whole comparison (a day the run
    failed falls back to the day before, up to ``grace`` days)."""
    t = warehouse.table("analytics", "customer_health_history")
    days = []
    with warehouse.engine.connect() as conn:
        for first, last in (health.history_window(as_of, d, grace) for d in (7, 30)):
            day = conn.execute(sa.select(sa.func.max(t.c.as_of)).where(t.c.as_of.between(first, last))).scalar()
            if day is not None:
                days.append(day)
    if not days:
        return pd.DataFrame(columns=["customer_id", "as_of", "health_score"])
    return _select(warehouse, "analytics", "customer_health_history", ["customer_id", "as_of", "health_score"],
                   t.c.as_of.in_(days))


def read_inputs(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp,
                customers: pd.DataFrame | None = None) -> health.HealthInputs:
    walk = crosswalk(warehouse)
    # Activities of the lookback and every open ticket: older ones no longer move a score, and
    # reading all of them would grow the recalculation with the years.
    a = warehouse.table("staging", "activities")
    since = (as_of - pd.Timedelta(days=int(config["health"]["activity_lookback_days"]))).isoformat()
    activities = _select(warehouse, "staging", "activities", ["company_record_id", "kind", "occurred_at", "type",
                                                              "sentiment", "priority", "is_closed", "closed_at"],
                         sa.or_(a.c.occurred_at >= since, a.c.is_closed.is_(False)))
    surveys = _select(warehouse, "staging", "surveys", ["company_record_id", "survey_type", "date_responded",
                                                        "satisfaction_score", "pmf_score", "likelihood_to_pay"])
    summary = warehouse.table("analytics", "customer_usage")
    return health.HealthInputs(
        customers=customers if customers is not None else _select(warehouse, "analytics", "customers",
                                                                  ["customer_id", "lifecycle_stage"]),
        usage_window=usage_window_query(warehouse, as_of),
        usage_summary=_select(warehouse, "analytics", "customer_usage", [c.name for c in summary.columns]),
        activities=with_customer(activities, walk),
        contacts=_select(warehouse, "analytics", "contacts", ["customer_id"]),
        surveys=with_customer(surveys, walk),
        history=_history(warehouse, as_of, int(config["health"]["history_grace_days"])),
    )


def build_health(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    """``customer_health``, today's history rows, and the health-decided columns of ``customers``."""
    customers = _select(warehouse, "analytics", "customers", ["customer_id", *DECIDED])
    deals = _select(warehouse, "analytics", "deals", ["customer_id", "stage"])
    apps = _select(warehouse, "analytics", "applications", ["customer_id", "status"])
    customers["churned"] = _source_churned(customers, deals, apps, config)
    frame = health.customer_health(read_inputs(warehouse, config, as_of, customers), as_of, config)
    scored = frame.set_index("customer_id")
    decided = pd.DataFrame({"customer_id": customers["customer_id"],
                            "health_score": customers["customer_id"].map(scored["health_score"]),
                            "health_band": customers["customer_id"].map(scored["health_band"])})
    decided["lifecycle_stage"] = lifecycle_stage(customers, deals, apps, scored["health_band"], config)
    changed = _changed_rows(customers, decided)
    with warehouse.transaction() as conn:
        conn.execute(warehouse.table("analytics", "customer_health").delete())
        bulk_write(warehouse, "analytics", "customer_health", frame, conn=conn)
        _record_history(warehouse, conn)
        bulk_update(warehouse, "analytics", "customers", changed, "customer_id", conn=conn)
    bands = frame["health_band"].value_counts().to_dict()
    return StepResult(len(frame), {
        "as_of": as_of.strftime("%Y-%m-%d"), "bands": bands,
        "mean_score": round(float(frame["health_score"].mean()), 1) if len(frame) else 0.0,
        "mean_coverage": round(float(frame["coverage"].mean()), 3) if len(frame) else 0.0,
        "customers_without_data": int(len(customers) - len(frame)),
        "customers_updated": len(changed),
        "stages": decided["lifecycle_stage"].value_counts().to_dict(),
        "dropped_10_in_7_days": int((frame["delta_7d"] <= -10).sum()),
    }, frame.sort_values("health_score")[["customer_id", "health_score", "health_band", "drivers"]].head(5))


def _source_churned(customers: pd.DataFrame, deals: pd.DataFrame, apps: pd.DataFrame,
                    config: dict[str, Any]) -> pd.Series:
    """Customers a source calls churned (an application status or deal stage that ``lifecycle``
    maps to ``churned``), even when a won deal keeps their lifecycle stage ``customer``: the deal
    was won before they left, and health must not call them healthy."""
    rules = config.get("lifecycle") or {}
    gone: set[str] = set()
    for frame, column, mapping in ((deals, "stage", rules.get("deal_stages") or {}),
                                   (apps, "status", rules.get("application_statuses") or {})):
        churned = [value for value, stage in mapping.items() if stage == "churned"]
        gone |= set(frame.loc[frame[column].isin(churned), "customer_id"].dropna())
    return customers["customer_id"].isin(gone)


def _changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``after`` whose health-decided columns differ from ``before``."""
    differs = pd.Series(False, index=after.index)
    for column in DECIDED:
        old, new = before[column], after[column]
        differs |= ~((old == new) | (old.isna() & new.isna()))
    return after[differs.to_numpy()]


def _record_history(warehouse: Warehouse, conn: sa.Connection) -> None:
    """Upsert today's ``customer_health`` into the history inside the database: sending the same
    100k rows over the wire a second time cost more than the copy itself."""
    health_table = warehouse.table("analytics", "customer_health")
    history = warehouse.table("analytics", "customer_health_history")
    if warehouse.is_postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # WHERE true: SQLite cannot tell an INSERT … SELECT's ON CONFLICT from a join without it.
    rows = sa.select(*[health_table.c[c] for c in HISTORY_COLUMNS]).where(sa.true())
    statement = insert(history).from_select(HISTORY_COLUMNS, rows)
    statement = statement.on_conflict_do_update(index_elements=["customer_id", "as_of"], set_={
        c: statement.excluded[c] for c in HISTORY_COLUMNS if c not in ("customer_id", "as_of")})
    conn.execute(statement)
