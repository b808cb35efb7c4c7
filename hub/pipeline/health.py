"""The health step: read the evidence, score every customer, write health, history and stage.

Reads only what a recalculation needs — 14 days of usage, aggregated in the database over an
index; the lifetime usage milestones from ``customer_usage``; the two days of history the
deltas compare with — so it stays fast at 100k customers with months of usage.
Writes ``customer_health`` (replaced) and today's ``customer_health_history`` rows (upserted: a
rerun the same day overwrites the day, it never adds one). The customers it scores are
reconciliation's (``staging.customers``); ``analytics.customers`` takes the score, band and the
lifecycle stage they decide after this step (``hub.pipeline.unified.build_customers``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import health
from hub.health_components import USAGE_WINDOW_COLUMNS
from hub.lifecycle import lifecycle_stage
from hub.pipeline.steps import StepResult, crosswalk, step, with_customer
from hub.warehouse import Warehouse

HISTORY_COLUMNS = ["customer_id", "as_of", *health.SCORE_COLUMNS.values(), "health_score", "health_band",
                   "coverage", "delta_7d", "delta_30d", "drivers"]


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
        result = conn.execute(query)
        rows = result.cursor.fetchall()  # the driver's tuples: no per-value result processing
    frame = pd.DataFrame(rows, columns=USAGE_WINDOW_COLUMNS)
    for column in ("api_calls_7d", "api_calls_prev_7d", "errors_7d", "active_users_7d"):
        frame[column] = frame[column].astype(float)
    return frame


def _select(warehouse: Warehouse, layer: str, name: str, columns: list[str],
            where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
    table = warehouse.table(layer, name)
    query = sa.select(*[table.c[c] for c in columns])
    return warehouse.fetch(query if where is None else query.where(where))


def _utc_text(warehouse: Warehouse, column: sa.Column) -> sa.ColumnElement[Any]:
    """A timestamp column read as ISO text in UTC, as SQLite keeps it (health parses either): on
    PostgreSQL the driver's datetime objects cost more than the rest of a 200k-row read."""
    if not warehouse.is_postgres:
        return column
    return sa.func.to_char(sa.func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').label(column.name)


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
    activities = warehouse.fetch(sa.select(
        a.c.company_record_id, a.c.kind, _utc_text(warehouse, a.c.occurred_at), a.c.type, a.c.sentiment,
        a.c.priority, a.c.is_closed, _utc_text(warehouse, a.c.closed_at),
    ).where(sa.or_(a.c.occurred_at >= since, a.c.is_closed.is_(False))))
    surveys = _select(warehouse, "staging", "surveys", ["company_record_id", "survey_type", "date_responded",
                                                        "satisfaction_score", "pmf_score", "likelihood_to_pay"])
    summary = warehouse.table("analytics", "customer_usage")
    return health.HealthInputs(
        customers=customers if customers is not None else _select(warehouse, "staging", "customers",
                                                                  ["customer_id"]).assign(lifecycle_stage=None),
        usage_window=usage_window_query(warehouse, as_of),
        usage_summary=_select(warehouse, "analytics", "customer_usage", [c.name for c in summary.columns]),
        activities=with_customer(activities, walk),
        contacts=_select(warehouse, "analytics", "contacts", ["customer_id"]),
        surveys=with_customer(surveys, walk),
        history=_history(warehouse, as_of, int(config["health"]["history_grace_days"])),
    )


@step(assets=("analytics/customer_health",),
      reads=("staging.customers", "analytics.deals", "analytics.applications", "analytics.usage_daily",
             "analytics.customer_usage", "staging.activities", "staging.surveys", "analytics.contacts",
             "analytics.customer_sources"),
      writes=("analytics.customer_health", "analytics.customer_health_history"),
      history=("analytics.customer_health_history",))
def build_health(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    """``customer_health`` and today's history rows, for reconciliation's customers. The history
    of earlier days is this step's own input (the 7/30-day deltas)."""
    customers = _select(warehouse, "staging", "customers", ["customer_id"])
    deals = _select(warehouse, "analytics", "deals", ["customer_id", "stage"])
    apps = _select(warehouse, "analytics", "applications", ["customer_id", "status"])
    # The stage before health: the band only tells customer from churn_risk, which health treats
    # alike (both expect usage); churned comes from the sources.
    customers["lifecycle_stage"] = lifecycle_stage(customers, deals, apps, pd.Series(dtype=object), config)
    customers["churned"] = _source_churned(customers, deals, apps, config)
    frame = health.customer_health(read_inputs(warehouse, config, as_of, customers), as_of, config)
    with warehouse.transaction() as conn:
        warehouse.write("analytics", "customer_health", frame, mode="replace", conn=conn)
        _record_history(warehouse, conn)
    bands = frame["health_band"].value_counts().to_dict()
    return StepResult(len(frame), {
        "as_of": as_of.strftime("%Y-%m-%d"), "bands": bands,
        "mean_score": round(float(frame["health_score"].mean()), 1) if len(frame) else 0.0,
        "mean_coverage": round(float(frame["coverage"].mean()), 3) if len(frame) else 0.0,
        "customers_without_data": int(len(customers) - len(frame)),
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
    values = [c for c in HISTORY_COLUMNS if c not in ("customer_id", "as_of")]
    # A rerun the same day rewrites only the rows whose values changed: an unchanged row is left
    # as it is, sparing a new row version and its index entries.
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id", "as_of"], set_={c: statement.excluded[c] for c in values},
        where=sa.or_(*[history.c[c].is_distinct_from(statement.excluded[c]) for c in values]))
    conn.execute(statement)
