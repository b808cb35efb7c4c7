"""The raw assets in Dagster: each reports what its sync did and what it cost, runs its checks,
and stops cleanly (a failure that says why, pages kept) when an API allocation is used up."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from test_sync_airtable import applications
from test_sync_hubspot import companies, contacts
from test_sync_salesforce import accounts

from assets.airtable import airtable_assets
from assets.hubspot import hubspot_assets
from assets.salesforce import salesforce_assets
from hub.config import load_config
from hub.emulators import start_emulators
from hub.pipeline.alerting import evaluate_alerts
from hub.sourcedata import SourceData
from hub.warehouse import Warehouse

SYNC_METADATA = {"mode", "fetched", "inserted", "updated", "unchanged", "deleted", "quarantined", "requests",
                 "retries", "elapsed_seconds", "new_fields", "dagster/row_count", "preview"}


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    data = SourceData(
        airtable={"Beta Applications": applications(120)},
        hubspot={"companies": companies(30), "contacts": contacts(40)},
        hubspot_associations={("contacts", "companies"): [(str(50_000 + i), str(1000 + i % 30)) for i in range(40)]},
        salesforce={"Account": accounts(30)},
    )
    with start_emulators(data, rate_limits=False) as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HUB_HOME", str(tmp_path))
        monkeypatch.setenv("HUB_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
        yield running


def _materialize(selection: list[dg.AssetsDefinition]) -> dg.ExecuteInProcessResult:
    from hub.definitions import build_resources

    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize(selection, resources=build_resources(), instance=instance, raise_on_error=False)


def test_raw_assets_report_their_sync_and_pass_their_checks(sources, tmp_path: Path) -> None:
    selection = [airtable_assets[0], hubspot_assets[1], salesforce_assets[0]]
    result = _materialize(selection)
    assert result.success
    materializations = [e.materialization for e in result.get_asset_materialization_events()]
    metadata = {"/".join(m.asset_key.path): m.metadata for m in materializations}
    assert set(metadata) == {"raw/airtable/applications", "raw/hubspot/contacts", "raw/salesforce/Account"}
    for key, values in metadata.items():
        assert SYNC_METADATA <= set(values), (key, SYNC_METADATA - set(values))
    assert metadata["raw/hubspot/contacts"]["source_total"].value == 40
    assert metadata["raw/airtable/applications"]["inserted"].value == 120
    checks = {(c.asset_key.path[1], c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("airtable", "no_duplicate_ids"): True, ("hubspot", "no_duplicate_ids"): True,
                      ("hubspot", "count_matches_source"): True, ("salesforce", "no_duplicate_ids"): True,
                      ("salesforce", "count_matches_source"): True,
                      **{(source, check): True for source in ("airtable", "hubspot", "salesforce")
                         for check in ("sync_succeeded", "fresh")}}
    assert Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}").count("raw", "hubspot_contacts") == 40


def test_a_used_up_allocation_is_a_red_check_with_the_reason_and_keeps_progress(sources, tmp_path: Path) -> None:
    """The sync stops (REQUEST_LIMIT_EXCEEDED); the step does not fail, so the night goes on with the
    table's last good data: the asset shows the failure as its sync_succeeded check and metadata."""
    sources.salesforce.faults.add("status", status=403, match="/query/")  # REQUEST_LIMIT_EXCEEDED
    result = _materialize([salesforce_assets[0]])
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["sync_succeeded"].passed is False
    assert "REQUEST_LIMIT_EXCEEDED" in checks["sync_succeeded"].metadata["error"].value
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["source_status"].value == "failed"
    # The failure is recorded for the alerts step, the one writer of alerts, which raises it.
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    assert warehouse.read("analytics", "alerts").empty
    evaluate_alerts(warehouse, load_config(), [])
    alerts = warehouse.read("analytics", "alerts")
    assert alerts[["rule", "entity_id", "status"]].values.tolist() == [["source_sync_failed", "salesforce/Account",
                                                                         "open"]]
    assert "REQUEST_LIMIT_EXCEEDED" in alerts.loc[0, "message"]
