"""What every pipeline step returns and declares, and reading helpers the steps share.

Each step is a function of a ``Warehouse`` decorated with :func:`step`, which declares the
tables it **reads** (written by other steps earlier in the run: they become its asset's deps),
its **history** (tables it reads as they were left by an earlier run — its own previous output,
or a ledger it appends to — which are inputs by design, not edges of the graph), and the tables
it **writes**. Every table has exactly one writing step, except the few shared **ledgers** below,
each of whose writers owns its own rows. ``assets/`` derives each asset's deps from these
declarations (``assets.graph``), and ``tests/test_lineage.py`` runs the pipeline, records the
tables each step really touched (``hub.lineage``) and fails when a step uses a table it does not
declare, or when a table has a second writer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import pandas as pd

from hub import lineage
from hub.raw import RAW_OBJECTS
from hub.warehouse import Warehouse

P = ParamSpec("P")
R = TypeVar("R")

# Tables several steps write, each its own rows (by the key named): declared by every writer.
LEDGERS = {
    "raw.quarantine": "quarantine_id, prefixed by the writing step ('staging:', 'usage:', 'airtable:…')",
    "raw.sync_state": "(source, source_object): each raw asset its own object's row",
    "raw.source_fields": "(source, source_object, field): each raw asset its own object's fields",
    "analytics.alerts": "(rule, entity): analytics/alerts is the one asset writing them (the rules' alerts and "
                        "'source_sync_failed' from raw.sync_state); failed-check and failed-run alerts come "
                        "from their sensors, snoozes from `hub alerts snooze`",
    "analytics.alert_deliveries": "(alert_id, channel, notice): analytics/alerts queues them; the delivery "
                                  "sensor retries and records each attempt",
}
# Tables written outside the asset graph: by a person or a service, not a step.
EXTERNAL = {
    "analytics.match_overrides": "people's match decisions (hub review / SQL)",
    "raw.events": "the event receiver (hub serve-events)",
    "analytics.beta_activations": "the events sensor (beta.activated events)",
    "raw.hub_schema_migrations": "Warehouse.migrate",
    "raw.erasure_suppressions": "hub erase (erased identities, salted hashes); every raw sync and the usage ingest read it",
    "analytics.audit_log": "hub erase, the audit run sensors, the retention step: append-only, rows never change",
}


@dataclass(frozen=True)
class Step:
    name: str
    assets: tuple[str, ...]  # the asset keys ("layer/name") this step materializes
    reads: frozenset[str] = field(default_factory=frozenset)
    writes: frozenset[str] = field(default_factory=frozenset)
    history: frozenset[str] = field(default_factory=frozenset)
    # Tables it only deletes old rows from (retention, the documented exception to one writer):
    # the rows' content stays their writer's; these are neither its reads nor its writes.
    prunes: frozenset[str] = field(default_factory=frozenset)


STEPS: dict[str, Step] = {}


def declare(name: str, *, assets: tuple[str, ...], reads: tuple[str, ...] = (), writes: tuple[str, ...] = (),
            history: tuple[str, ...] = (), prunes: tuple[str, ...] = ()) -> Step:
    """Register a step's declaration (``step`` does it for functions; raw syncs call it directly)."""
    declared = Step(name, assets, frozenset(reads), frozenset(writes), frozenset(history), frozenset(prunes))
    STEPS[name] = declared
    return declared


def step(*, assets: tuple[str, ...], reads: tuple[str, ...] = (), writes: tuple[str, ...] = (),
         history: tuple[str, ...] = (), prunes: tuple[str, ...] = ()) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a step function's tables; while it runs, the tables it touches are its own."""
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        declared = declare(fn.__name__, assets=assets, reads=reads, writes=writes, history=history, prunes=prunes)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with lineage.running(declared.name):
                return fn(*args, **kwargs)

        run.step = declared  # type: ignore[attr-defined]
        return run
    return wrap


def writer_of(table: str) -> Step | None:
    """The one step that writes ``table`` (None for external tables and ledgers)."""
    if table in LEDGERS:
        return None
    writers = [s for s in STEPS.values() if table in s.writes]
    if len(writers) > 1:
        raise RuntimeError(f"{table} has {len(writers)} writers ({', '.join(s.name for s in writers)}): one only")
    return writers[0] if writers else None


def asset_of(table: str) -> str | None:
    """The asset key ("layer/...") whose materialization writes ``table``."""
    writer = writer_of(table)
    if writer is None:
        return None
    own = table.replace(".", "/")
    return own if own in writer.assets else writer.assets[0]


def upstream_assets(declared: Step) -> list[str]:
    """The asset keys a step depends on: the writers of what it reads (not its own, not history)."""
    out = {asset_of(t) for t in declared.reads}
    return sorted(a for a in out if a is not None and a not in declared.assets)


SYNC_LEDGERS = ("raw.sync_state", "raw.source_fields", "raw.quarantine")


def sync_step(key: str) -> Step:
    """The declaration of a raw object's sync (``hubspot/companies``): its raw table and its rows
    of the sync ledgers (a failure is recorded in ``raw.sync_state``; the alerts step alerts it)."""
    obj = RAW_OBJECTS[key]
    return STEPS[f"sync_{obj.source}_{obj.source_object}".lower()]


for _obj in RAW_OBJECTS.values():
    declare(f"sync_{_obj.source}_{_obj.source_object}".lower(), assets=(f"raw/{_obj.source}/{_obj.source_object}",),
            reads=("raw.erasure_suppressions",), writes=(f"raw.{_obj.table}", *SYNC_LEDGERS), history=(f"raw.{_obj.table}",))
declare("load_tracking_files", assets=("raw/tracking/files",),
        writes=("raw.tracking_customers", "raw.tracking_onboarding", "raw.tracking_engagement", "raw.tracking_files",
                "raw.quarantine"),
        history=("raw.tracking_customers", "raw.tracking_onboarding", "raw.tracking_engagement",
                 "raw.tracking_files"))


@dataclass
class StepResult:
    rows: int
    metadata: dict[str, Any] = field(default_factory=dict)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)


def crosswalk(warehouse: Warehouse) -> pd.DataFrame:
    """``record_id -> customer_id`` for every source record, from ``customer_sources``."""
    frame = warehouse.read("analytics", "customer_sources", ["source", "source_object", "source_id", "customer_id"])
    frame["record_id"] = frame["source"] + ":" + frame["source_object"] + ":" + frame["source_id"]
    return frame[["record_id", "customer_id"]]


def with_customer(frame: pd.DataFrame, walk: pd.DataFrame, column: str = "company_record_id") -> pd.DataFrame:
    """``frame`` with the ``customer_id`` its ``column`` record belongs to (None when unknown)."""
    return frame.merge(walk.rename(columns={"record_id": column}), on=column, how="left")


def customer_lookup(warehouse: Warehouse) -> dict[str, str]:
    """Every id a source knows a customer by (Application ID, HubSpot company id, Salesforce
    account id, the customer id itself) -> ``customer_id``."""
    companies = warehouse.read("staging", "companies",
                               ["record_id", "application_id", "hubspot_company_id", "salesforce_account_id"])
    companies = companies.merge(crosswalk(warehouse), on="record_id")
    lookup: dict[str, str] = {}
    for column in ("application_id", "hubspot_company_id", "salesforce_account_id"):
        for key, customer in zip(companies[column], companies["customer_id"], strict=True):
            if key and key not in lookup:
                lookup[str(key)] = customer
    for customer in companies["customer_id"].unique():
        lookup.setdefault(customer, customer)
    return lookup
