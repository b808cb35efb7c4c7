"""New events in raw.events -> targeted runs: the raw asset of the object that changed, and the
assets between it and customer health (not a nightly-sized run); ``beta.activated`` is recorded.

Events are marked handled one tick late: a tick's cursor lists the events it turned into run
requests, and the next tick, which can only start once Dagster has stored that cursor with the
runs, marks them. A tick that dies leaves them unhandled and the next one asks again under the
same run keys (Dagster drops a repeated key). Reading by "not handled" rather than "seq above a
cursor" also catches an event whose lower seq committed after a higher one (PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

import dagster as dg

from assets.customers import CUSTOMERS
from assets.jobs import PARTITIONED
from hub.events.activation import record_activations
from hub.events.store import mark_handled, unhandled
from hub.events.targets import raw_keys_for
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

event_sync = dg.define_asset_job(
    "event_sync",
    # Every unpartitioned asset (the day-, week- and month-partitioned ones cannot share a job with them).
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*PARTITIONED),
    description="Runs the events sensor asks for: one object type's raw asset and what lies between "
                "it and the customers table health scores (each run is a subset; this job is never run whole).",
)


def targeted_selection(repository_def: dg.RepositoryDefinition, raw: list[dg.AssetKey]) -> list[dg.AssetKey]:
    """The raw assets, and every asset on a path from them to customer health and the customers
    table it scores (a multi-asset whole)."""
    seeds = dg.AssetSelection.assets(*raw)
    selection = (seeds | (seeds.downstream() & dg.AssetSelection.assets(CUSTOMERS).upstream()))
    keys = selection.required_multi_asset_neighbors().resolve(repository_def.asset_graph)
    return sorted(keys, key=lambda k: k.to_user_string())


IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]


def busy_raw_keys(instance: dg.DagsterInstance) -> set[dg.AssetKey]:
    """Raw assets an event_sync run queued or running will sync: their new events wait for it, then
    one run takes them all (a burst of events is not a pile of runs of the same sync)."""
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=event_sync.name, statuses=IN_FLIGHT), limit=100)
    return {key for run in runs for key in (run.asset_selection or ()) if key.path[0] == "raw"}


def plan(events: list[dict[str, Any]]) -> tuple[dict[tuple[dg.AssetKey, ...], list[dict[str, Any]]],
                                                  list[dict[str, Any]], list[dict[str, Any]]]:
    """Events grouped by the raw assets they call for; activations; events needing nothing."""
    groups: dict[tuple[dg.AssetKey, ...], list[dict[str, Any]]] = defaultdict(list)
    activations, ignored = [], []
    for event in events:
        if event["event_type"] == "beta.activated":
            activations.append(event)
            continue
        keys = raw_keys_for(event["event_type"], event["object_type"])
        (groups[tuple(keys)].append(event) if keys else ignored.append(event))
    return groups, activations, ignored


@dg.sensor(job=event_sync, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Turns events received by `hub serve-events` into targeted runs: application.received "
                       "and CRM change events sync that object type and re-score health; beta.activated "
                       "is recorded in beta_activations.")
def events_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                  hub_config: HubConfigResource) -> dg.SensorResult:
    wh = warehouse.get()
    pending = {int(seq): key for seq, key in json.loads(context.cursor or "{}").items()}
    mark_handled(wh, pending)  # the previous tick's requests are stored with its cursor by now
    events = unhandled(wh, int(hub_config.get()["events"]["batch_size"]))
    if not events:
        return dg.SensorResult(cursor="{}", skip_reason=dg.SkipReason("no new events in raw.events"))
    groups, activations, ignored = plan(events)
    requests, claimed = [], {}
    busy = busy_raw_keys(context.instance) if groups else set()
    for raw, group in groups.items():
        if busy & set(raw):
            context.log.info(f"{len(group)} events wait for the event_sync run already syncing "
                             + ", ".join(k.to_user_string() for k in raw))
            continue  # left unhandled: the next tick after that run asks for them
        seqs = sorted(e["seq"] for e in group)
        run_key = "events-" + hashlib.sha1(json.dumps(seqs).encode()).hexdigest()[:16]
        objects = sorted({e["object_id"] for e in group if e["object_id"]})
        requests.append(dg.RunRequest(
            run_key=run_key, asset_selection=targeted_selection(context.repository_def, list(raw)),
            tags={"hub/events": str(len(group)), "hub/event_types": ",".join(sorted({e["event_type"] for e in group}))[:200],
                  "hub/event_objects": ",".join(objects)[:200]}))
        claimed.update(dict.fromkeys(seqs, run_key))
    record_activations(wh, activations)  # idempotent: a repeated tick writes the same rows
    claimed.update(dict.fromkeys((e["seq"] for e in [*activations, *ignored]), None))
    if ignored:
        context.log.info(f"{len(ignored)} events need no run: " + ", ".join(sorted({e['event_type'] for e in ignored})))
    cursor = json.dumps({str(k): v for k, v in claimed.items()})
    if not requests:
        return dg.SensorResult(cursor=cursor, skip_reason=dg.SkipReason("new events wait for a run in flight"
                                                                        if groups else "no event needs a run"))
    return dg.SensorResult(run_requests=requests, cursor=cursor)
