"""Steps from raw payloads to the unified tables: staging, customers, owners, contacts, deals, applications."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hub import owners as owner_people
from hub import reconcile, staging
from hub.config import settings
from hub.lead_score import lead_scores
from hub.lifecycle import lifecycle_stage
from hub.pipeline.steps import StepResult, crosswalk, step, with_customer
from hub.raw import RAW_OBJECTS, load_payloads
from hub.reconcile import overrides
from hub.reconcile.ids import resolve_merge_log
from hub.timeparse import timestamps
from hub.warehouse import Warehouse, utcnow

STAGING_TABLES = {
    "companies": staging.companies,
    "people": staging.people,
    "deals": staging.deals,
    "activities": staging.activities,
    "surveys": staging.surveys,
    "usage_reports": staging.usage_reports,
    "owners": staging.owners,
}
CUSTOMER_CONTENT = ["name", "domain", "industry", "city", "country", "lifecycle_stage", "owner", "owner_name",
                    "owner_email", "mrr", "arr",
                    "source_count", "sources", "name_source", "domain_source", "industry_source", "owner_source",
                    "city_source", "country_source"]


@step(assets=tuple(f"staging/{name}" for name in STAGING_TABLES),
      reads=tuple(f"raw.{obj.table}" for obj in RAW_OBJECTS.values()),
      writes=(*(f"staging.{name}" for name in STAGING_TABLES), "raw.quarantine"))
def build_staging(warehouse: Warehouse, config: dict[str, Any]) -> dict[str, StepResult]:
    """Every staging table from the live raw payloads, in one transaction."""
    payloads = load_payloads(warehouse)
    frames = {name: build(payloads, config) for name, build in STAGING_TABLES.items()}
    set_aside = {name: _unusable(name, frame) for name, frame in frames.items()}
    frames = {name: frame[~set_aside[name][0]] for name, frame in frames.items()}
    quarantine = pd.concat([q for _, q in set_aside.values()], ignore_index=True)
    q = warehouse.table("raw", "quarantine")
    with warehouse.transaction() as conn:
        for name, frame in frames.items():
            warehouse.write("staging", name, frame, mode="replace", conn=conn)
        # Set-asides are recomputed every run: a record fixed at the source leaves the quarantine.
        conn.execute(q.delete().where(q.c.quarantine_id.like("staging:%")))
        warehouse.write("raw", "quarantine", quarantine, key=["quarantine_id"], conn=conn)
    return {name: StepResult(len(frame), {
        "sources": frame["source"].value_counts().to_dict() if "source" in frame else {},
        "quarantined": int(set_aside[name][0].sum()),
        "missing_values": {c: int(n) for c, n in frame.isna().sum().items() if n}}, frame.head(5))
        for name, frame in frames.items()}


def _unusable(name: str, frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Rows of a staging frame missing a value they cannot do without, and their quarantine rows."""
    bad = pd.Series(False, index=frame.index)
    reasons = pd.Series("", index=frame.index)
    for column, fix in staging.REQUIRED.get(name, []):
        missing = frame[column].isna() & ~bad
        reasons[missing] = f"staging/{name}: no {column}; {fix}"
        bad |= missing
    rows = frame[bad]
    parts = rows["record_id"].str.split(":", n=2, expand=True) if len(rows) else pd.DataFrame(columns=[0, 1, 2])
    return bad, pd.DataFrame({
        "quarantine_id": "staging:" + name + ":" + rows["record_id"], "source": parts[0],
        "source_object": parts[1], "record_key": parts[2], "reason": reasons[bad],
        "payload": rows.astype(str).to_json(orient="records", lines=True).splitlines() if len(rows) else [],
        "quarantined_at": utcnow().isoformat()})


@step(assets=("staging/customers", "analytics/customer_sources"),
      reads=("staging.companies", "staging.people", "staging.deals", "analytics.match_overrides"),
      writes=("staging.customers", "analytics.customer_sources", "analytics.match_review",
              "analytics.customer_merges", "analytics.reconcile_runs"),
      history=("staging.customers", "analytics.customer_sources", "analytics.match_review",
               "analytics.customer_merges"))
def reconcile_customers(warehouse: Warehouse, config: dict[str, Any]) -> tuple[StepResult, StepResult]:
    """Resolve companies into customers with ids stable across runs (its own last output is its
    history: the crosswalk, merge log, review decisions and first-seen times); write the
    reconciled ``staging.customers``, ``customer_sources``, the review queue, the merge log and
    the run's figures, in one transaction. Health reads ``staging.customers``; ``analytics.customers``
    is built from it after health (``build_customers``)."""
    settings = config["reconcile"]
    guard = int(settings["max_cluster_size"])
    companies = warehouse.read("staging", "companies")
    records = reconcile.records_for_matching(companies, warehouse.read("staging", "people"))
    previous_review = warehouse.read("analytics", "match_review")
    must, cannot = overrides.combine(
        overrides.normalise_overrides(warehouse.read("analytics", "match_overrides"), "match_overrides"),
        overrides.read_overrides_file(_overrides_path(settings.get("overrides_file"))),
        overrides.decided_reviews(previous_review))
    resolution = reconcile.resolve(records, max_cluster_size=guard, must_link=must, cannot_link=cannot)
    clusters = resolution.clusters

    previous = warehouse.read("staging", "customers", ["customer_id", "first_seen_at"]).set_index("customer_id")
    merge_log = warehouse.read("analytics", "customer_merges")
    walk, merges = reconcile.assign_customer_ids(
        clusters, crosswalk(warehouse), first_seen=previous["first_seen_at"],
        retired=set(merge_log["old_customer_id"]))
    priority = list(config["source_priority"])
    customers = reconcile.survive(companies, walk, priority, settings.get("field_priority") or None)

    deals = with_customer(warehouse.read("staging", "deals"), walk)
    mrr = reconcile.mrr_by_customer(deals, priority, float(settings.get("contract_term_months") or 12))
    # NULL when unknown (no won deal with an amount), 0 only for a known zero.
    customers["mrr"] = customers["customer_id"].map(mrr).astype("float64")
    customers["arr"] = (customers["mrr"] * 12).round(2)

    now = utcnow()
    customers["first_seen_at"] = timestamps(customers["first_seen_at"]).fillna(now)
    customers = customers.set_index("customer_id")
    known = customers.index.intersection(previous.index)
    # A merged customer is as old as the oldest id it absorbed.
    absorbed = merges.merge(previous["first_seen_at"].rename("seen").reset_index()
                            .rename(columns={"customer_id": "old_customer_id"}), on="old_customer_id")
    earliest = pd.concat([previous.loc[known, "first_seen_at"],
                          absorbed.set_index("customer_id")["seen"]]).pipe(timestamps)
    earliest = earliest.groupby(level=0).min()
    customers.loc[earliest.index, "first_seen_at"] = pd.concat(
        [customers.loc[earliest.index, "first_seen_at"], earliest], axis=1).min(axis=1)
    customers["first_seen_at"] = customers["first_seen_at"].map(lambda t: t.isoformat())
    customers = customers.reset_index()

    sources = clusters.merge(walk, on="record_id").merge(
        companies[["record_id", "source", "source_object", "source_id"]], on="record_id")
    review = overrides.review_queue(resolution.review, records, previous_review, now.isoformat(),
                                    float(settings.get("review_min_score", 0.6)))
    log = resolve_merge_log(merge_log, merges)
    stamped = merge_log.set_index("old_customer_id")["merged_at"] if len(merge_log) else pd.Series(dtype=object)
    log["merged_at"] = log["old_customer_id"].map(stamped).astype(object).fillna(now.isoformat())
    largest = int(sources.groupby("customer_id").size().max()) if len(sources) else 0
    pending = int((review["status"] == "pending").sum())
    run = pd.DataFrame([{"ran_at": now.isoformat(), "customers": len(customers), "source_records": len(sources),
                         "largest_cluster": largest, "max_cluster_size": guard, "merged_ids": len(merges),
                         "review_pending": pending, "skipped_keys": resolution.skipped_keys}])
    with warehouse.transaction() as conn:
        warehouse.write("staging", "customers", customers, mode="replace", conn=conn)
        warehouse.write("analytics", "customer_sources", sources, mode="replace", conn=conn)
        warehouse.write("analytics", "match_review", review, mode="replace", conn=conn)
        warehouse.write("analytics", "customer_merges", log, mode="replace", conn=conn)
        warehouse.write("analytics", "reconcile_runs", run, key=["ran_at"], conn=conn)

    metadata = {
        "customers": len(customers), "source_records": len(sources),
        "multi_source_customers": int((customers["source_count"] > 1).sum()),
        "new_customers": int(len(customers) - len(known)),
        "merged_ids": len(merges), "largest_cluster": largest, "max_cluster_size": guard,
        "review_pending": pending, "must_link": len(must), "cannot_link": len(cannot),
        "keys_over_guard": resolution.skipped_keys,
        "match_rules": sources["match_rule"].value_counts().to_dict(),
    }
    return (StepResult(len(customers), metadata, customers[["customer_id", "name", "domain", "sources", "mrr"]].head(5)),
            StepResult(len(sources), {"match_rules": metadata["match_rules"]},
                       sources[["source", "source_object", "source_id", "customer_id", "match_rule"]].head(5)))


@step(assets=("analytics/owners",), reads=("staging.owners",), writes=("analytics.owners",))
def build_owners(warehouse: Warehouse, config: dict[str, Any]) -> StepResult:
    """The owners as people (``hub.owners.people``): each source's owner with the person it is."""
    frame = owner_people.people(warehouse.read("staging", "owners"))
    warehouse.write("analytics", "owners", frame, mode="replace")
    return StepResult(len(frame), {
        "owners": len(frame), "people": int(frame["person_id"].nunique()),
        "by_source": frame["source"].value_counts().to_dict(),
        "inactive": int(frame["active"].eq(False).sum()), "without_email": int(frame["person_email"].isna().sum()),
    }, frame[["source", "owner_id", "name", "email", "active"]].head(10))


def _owner_people(customers: pd.DataFrame, owners: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each customer's owner's name and email, by the source that gave the owner and its id; an
    owner no owners table knows keeps NULLs (Airtable's owner is a name already)."""
    owners = owners.drop_duplicates(["source", "owner_id"]).set_index(["source", "owner_id"])
    keys = pd.MultiIndex.from_arrays([customers["owner_source"].astype(object), customers["owner"].astype(object)])
    name = pd.Series(owners["name"].reindex(keys).to_numpy(), index=customers.index, dtype=object)
    email = pd.Series(owners["person_email"].reindex(keys).to_numpy(), index=customers.index, dtype=object)
    airtable = customers["owner_source"].eq("airtable")
    name = name.where(name.notna() | ~airtable, customers["owner"])
    return name.where(name.notna(), None), email.where(email.notna(), None)


@step(assets=("analytics/customers",),
      reads=("staging.customers", "analytics.customer_health", "analytics.deals", "analytics.applications",
             "analytics.owners"),
      writes=("analytics.customers",), history=("analytics.customers",))
def build_customers(warehouse: Warehouse, config: dict[str, Any]) -> StepResult:
    """The customers BI reads: the reconciled rows with today's health score and band, the
    lifecycle stage they decide and their owner's name and email; ``updated_at`` moves only when
    a field changed since the last run (its own last output is its history)."""
    customers = warehouse.read("staging", "customers")
    customers["owner_name"], customers["owner_email"] = _owner_people(customers, warehouse.read("analytics", "owners"))
    health = warehouse.read("analytics", "customer_health", ["customer_id", "health_score", "health_band"])
    health = health.set_index("customer_id")
    deals = warehouse.read("analytics", "deals", ["customer_id", "stage"])
    apps = warehouse.read("analytics", "applications", ["customer_id", "status"])
    customers["health_score"] = customers["customer_id"].map(health["health_score"])
    customers["health_band"] = customers["customer_id"].map(health["health_band"])
    customers["lifecycle_stage"] = lifecycle_stage(customers, deals, apps, health["health_band"], config)

    previous = warehouse.read("analytics", "customers", ["customer_id", *CUSTOMER_CONTENT, "updated_at"])
    previous = previous.set_index("customer_id")
    customers = customers.set_index("customer_id")
    known = customers.index.intersection(previous.index)
    changed = _changed(customers, previous)
    customers["updated_at"] = utcnow().isoformat()
    unchanged = known[~changed.reindex(known, fill_value=True).to_numpy()]
    customers.loc[unchanged, "updated_at"] = previous.loc[unchanged, "updated_at"].astype(str)
    customers = customers.reset_index()
    warehouse.write("analytics", "customers", customers, mode="replace")
    return StepResult(len(customers), {
        "customers": len(customers), "multi_source_customers": int((customers["source_count"] > 1).sum()),
        "new_customers": int(len(customers) - len(known)), "changed_customers": int(changed.sum()),
        "stages": customers["lifecycle_stage"].value_counts().to_dict(),
        "bands": customers["health_band"].value_counts().to_dict(),
        "without_owner_name": int(customers["owner_name"].isna().sum()),
    }, customers[["customer_id", "name", "domain", "owner_name", "lifecycle_stage", "health_band", "mrr"]].head(5))


def _overrides_path(value: str | None) -> Path | None:
    """``reconcile.overrides_file``, relative to the HUB_CONFIG file when not absolute."""
    if not value:
        return None
    path = Path(value).expanduser()
    config_file = settings().config_file
    return path if path.is_absolute() or config_file is None else config_file.parent / path


def _changed(current: pd.DataFrame, previous: pd.DataFrame) -> pd.Series:
    """Per customer: does any reconciled field differ from the last run?"""
    known = current.index.intersection(previous.index)
    if len(known) == 0:
        return pd.Series(dtype=bool)
    a = current.loc[known, CUSTOMER_CONTENT].astype(object).where(current.loc[known, CUSTOMER_CONTENT].notna(), None)
    b = previous.loc[known, CUSTOMER_CONTENT].astype(object).where(previous.loc[known, CUSTOMER_CONTENT].notna(), None)
    diff = pd.Series(False, index=known)
    for column in CUSTOMER_CONTENT:
        left, right = a[column].map(_norm), b[column].map(_norm)
        diff |= left != right
    return diff


def _norm(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "\x00null"  # pandas compares None != None as True; a sentinel compares equal
    if isinstance(value, float | int) and not isinstance(value, bool):
        return round(float(value), 6)
    return str(value)


@step(assets=("analytics/contacts",), reads=("staging.people", "analytics.customer_sources"),
      writes=("analytics.contacts",))
def build_contacts(warehouse: Warehouse, config: dict[str, Any]) -> StepResult:
    people = warehouse.read("staging", "people")
    frame = reconcile.contacts(people, crosswalk(warehouse), list(config["source_priority"]))
    warehouse.write("analytics", "contacts", frame, mode="replace")
    return StepResult(len(frame), {"people_records": len(people),
                                   "without_customer": int(frame["customer_id"].isna().sum())},
                      frame[["contact_id", "customer_id", "email", "name", "sources"]].head(5))


@step(assets=("analytics/deals",), reads=("staging.deals", "analytics.customer_sources"), writes=("analytics.deals",))
def build_deals(warehouse: Warehouse, config: dict[str, Any]) -> StepResult:
    frame = with_customer(warehouse.read("staging", "deals"), crosswalk(warehouse))
    frame["deal_id"] = frame["source"] + "-" + frame["source_id"]
    warehouse.write("analytics", "deals", frame, mode="replace")
    return StepResult(len(frame), {"open": int((~frame["is_closed"].astype(bool)).sum()),
                                   "won": int(frame["is_won"].astype(bool).sum()),
                                   "without_customer": int(frame["customer_id"].isna().sum())},
                      frame[["deal_id", "customer_id", "name", "stage", "amount"]].head(5))


@step(assets=("analytics/applications",),
      reads=("raw.airtable_beta_applications", "staging.activities", "analytics.customer_sources"),
      writes=("analytics.applications", "raw.quarantine"))
def build_applications(warehouse: Warehouse, config: dict[str, Any]) -> StepResult:
    """Airtable applications with the seed's lead score and the customer they belong to."""
    payloads = load_payloads(warehouse, ["airtable/applications"])
    apps = staging.applications(payloads, config)
    interactions = warehouse.read("staging", "activities")
    interactions = interactions[interactions["kind"] == "interaction"]
    scores = lead_scores(apps, interactions, config["lead_score"])
    frame = with_customer(pd.concat([apps, scores], axis=1).rename(columns={"record_id": "company_record_id"}),
                          crosswalk(warehouse))
    missing = frame["application_id"].isna()
    now = utcnow().isoformat()
    quarantine = pd.DataFrame({
        "quarantine_id": "airtable-application:" + frame.loc[missing, "company_record_id"],
        "source": "airtable", "source_object": "applications",
        "record_key": frame.loc[missing, "company_record_id"],
        "reason": "Beta Applications record has no Application ID: fill the field in Airtable "
                  "(or map airtable.fields.applications.application_id in HUB_CONFIG)",
        "payload": frame.loc[missing, "company"].astype(str), "quarantined_at": now})
    frame = frame[~missing]
    repeated = frame["application_id"].duplicated(keep="first")  # the same ID on two records
    kept = frame.drop_duplicates("application_id").set_index("application_id")["company_record_id"]
    duplicates = frame[repeated]
    quarantine = pd.concat([quarantine, pd.DataFrame({
        "quarantine_id": "airtable-application-duplicate:" + duplicates["company_record_id"],
        "source": "airtable", "source_object": "applications", "record_key": duplicates["company_record_id"],
        "reason": "Application ID " + duplicates["application_id"].astype(str) + " is also on "
                  + duplicates["application_id"].map(kept).astype(str)
                  + " (kept): give each Beta Applications record its own Application ID",
        "payload": duplicates["company"].astype(str), "quarantined_at": now})], ignore_index=True)
    frame = frame[~repeated]
    with warehouse.transaction() as conn:
        warehouse.write("analytics", "applications", frame, mode="replace", conn=conn)
        warehouse.write("raw", "quarantine", quarantine, key=["quarantine_id"], conn=conn)
    return StepResult(len(frame), {
        "quarantined_without_application_id": int(missing.sum()),
        "quarantined_duplicate_application_id": int(repeated.sum()),
        "auto_assign": int(frame["auto_assign"].sum()),
        "lead_score_mean": round(float(frame["lead_score"].mean()), 1) if len(frame) else 0.0,
        "above_alert_threshold": int((frame["lead_score"] > config["lead_score"]["alert_above"]).sum()),
    }, frame[["application_id", "company", "status", "lead_score", "customer_id"]].head(5))
