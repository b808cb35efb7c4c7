"""Accepted events -> the events sensor's targeted run requests and recorded activations, on
SQLite and PostgreSQL; events are marked handled one tick later, run keys stable across retries."""

from __future__ import annotations

import json
from contextlib import nullcontext

import dagster as dg
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from hub.definitions import build_definitions
from hub.events.app import create_app
from hub.warehouse import Warehouse
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource
from sensors.events import events_sensor
from tests.events_support import (
    ENV,
    application_received,
    beta_activated,
    hubspot_batch,
    hubspot_event,
    hubspot_headers,
    seed_headers,
)

HEALTH = dg.AssetKey(["analytics", "customer_health"])


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    return build_definitions().get_repository_def()


def tick(repository: dg.RepositoryDefinition, warehouse: Warehouse, cursor: str | None,
         instance: dg.DagsterInstance | None = None) -> dg.SensorResult:
    with dg.DagsterInstance.ephemeral() if instance is None else nullcontext(instance) as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository,
            resources={"warehouse": WarehouseResource(url=warehouse.url), "hub_config": HubConfigResource()})
        return events_sensor(context)


def post(client: TestClient, body: bytes, headers: dict[str, str]) -> None:
    assert client.post("/events", content=body, headers=headers).status_code == 202


def test_events_become_targeted_runs_and_activations(repository: dg.RepositoryDefinition,
                                                     warehouse: Warehouse) -> None:
    client = TestClient(create_app(warehouse, environ=ENV))
    for body in (application_received("BETA-1"), application_received("BETA-2"), beta_activated("BETA-1"),
                 json.dumps({"event": "newsletter.opened", "data": {}}).encode()):
        post(client, body, seed_headers(body))
    hubspot = hubspot_batch(hubspot_event(11, "contact.propertyChange", 501))
    post(client, hubspot, hubspot_headers("http://testserver/events", hubspot))

    first = tick(repository, warehouse, None)
    requests = {tuple(k.to_user_string() for k in r.asset_selection if k.path[0] == "raw"): r
                for r in first.run_requests}
    assert set(requests) == {("raw/airtable/applications",), ("raw/hubspot/contacts",)}
    applications = requests[("raw/airtable/applications",)]
    assert HEALTH in applications.asset_selection and dg.AssetKey(["analytics", "customers"]) in applications.asset_selection
    assert not any(k.path[:2] == ["raw", "salesforce"] for k in applications.asset_selection)  # targeted, not nightly
    assert applications.tags["hub/event_objects"] == "BETA-1,BETA-2"
    assert applications.tags["hub/events"] == "2"

    [activation] = warehouse.read("analytics", "beta_activations").to_dict("records")
    assert activation["customer_id"] == "BETA-1" and activation["time_to_first_value_days"] == 3.0
    assert activation["api_key_hint"] == "…3456"  # the key itself is a credential: not stored
    with warehouse.engine.connect() as conn:
        payloads = conn.execute(sa.text(f"SELECT payload FROM {warehouse.qualified('raw', 'events')}")).scalars().all()
    assert not any("ck_live_123456" in p for p in payloads)

    # A tick that died before Dagster stored its cursor is asked again under the same run keys.
    again = tick(repository, warehouse, None)
    assert sorted(r.run_key for r in again.run_requests) == sorted(r.run_key for r in first.run_requests)

    second = tick(repository, warehouse, first.cursor)
    assert not second.run_requests and second.skip_reason is not None
    events = warehouse.table("raw", "events")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.event_type, events.c.handled_at, events.c.run_key)).all()
    assert all(handled is not None for _, handled, _ in rows)
    assert {t: key for t, _, key in rows}["application.received"] == applications.run_key

    # An event arriving now is the next tick's only work.
    body = application_received("BETA-3")
    post(client, body, seed_headers(body))
    third = tick(repository, warehouse, second.cursor)
    assert [r.tags["hub/event_objects"] for r in third.run_requests] == ["BETA-3"]


def test_events_for_a_sync_in_flight_wait_for_it(repository: dg.RepositoryDefinition, warehouse: Warehouse) -> None:
    client = TestClient(create_app(warehouse, environ=ENV))
    for n in range(3):
        body = application_received(f"BETA-{n}")
        post(client, body, seed_headers(body))
    with dg.DagsterInstance.ephemeral() as instance:
        first = tick(repository, warehouse, None, instance)
        [request] = first.run_requests
        run = instance.create_run_for_job(repository.get_job("event_sync"), asset_selection=frozenset(request.asset_selection),
                                          status=dg.DagsterRunStatus.STARTED, tags=request.tags)
        body = application_received("BETA-late")
        post(client, body, seed_headers(body))
        waiting = tick(repository, warehouse, first.cursor, instance)
        assert not waiting.run_requests and "wait" in waiting.skip_reason.skip_message
        instance.report_run_failed(run)  # finished: what arrived meanwhile gets its own run now
        after = tick(repository, warehouse, waiting.cursor, instance)
        assert [r.tags["hub/event_objects"] for r in after.run_requests] == ["BETA-late"]


def test_an_application_event_runs_its_targeted_sync_through_to_health(
        sqlite_warehouse: Warehouse, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sensor's run request, executed against the emulated sources: Airtable applications are
    synced and health rebuilt, while no HubSpot or Salesforce object is read."""
    from hub import synth
    from hub.emulators import start_emulators

    warehouse = sqlite_warehouse
    with start_emulators(synth.generate(15, seed=3), rate_limits=False) as running:
        for name, value in {**running.env(), "HUB_HOME": str(tmp_path), "HUB_WAREHOUSE_URL": warehouse.url,
                            "HUB_USAGE_LOG_DIR": str(tmp_path / "landing")}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HUB_CONFIG", raising=False)
        defs = build_definitions()  # resources read the emulators' variables now
        body = application_received("BETA-123456")
        post(TestClient(create_app(warehouse, environ=ENV)), body, seed_headers(body))
        [request] = tick(defs.get_repository_def(), warehouse, None).run_requests
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("event_sync").execute_in_process(
                instance=instance, asset_selection=list(request.asset_selection), tags=request.tags,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        assert result.success
        assert len(running.hubspot.requests) == 0 and len(running.salesforce.requests) == 0
        assert running.airtable.requests.count(path_contains="Beta") > 0
    assert warehouse.count("raw", "airtable_beta_applications") > 0
    assert warehouse.count("analytics", "customer_health") > 0
    assert warehouse.count("raw", "hubspot_companies") == 0
