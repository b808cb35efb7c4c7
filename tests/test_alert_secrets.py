"""Secrets never stored: receivers that answer errors echoing the request path (as Express does)
are sent alerts from a real alert run, with secrets planted in the webhook URLs, the signing
secret and the SMTP password; no warehouse table and nothing in the run's event log holds them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
from alert_receivers import HttpCapture

from hub.scrub import excerpt, secret_parts
from hub.warehouse import LAYERS, Warehouse

SLACK_PATH = "/services/T0HUB/B0HUB/plantedSlackPathSecret"
HOOK_PATH = "/hooks/plantedHookPathSecret?token=plantedQueryToken"
PLANTED = ["plantedSlackPathSecret", "plantedHookPathSecret", "plantedQueryToken", "plantedSigningSecret",
           "plantedSmtpPassword"]


def _seed(warehouse: Warehouse) -> None:
    """One customer whose health is 30/100: it raises alerts on every channel."""
    now = pd.Timestamp.now(tz="UTC")
    warehouse.replace("analytics", "customers", pd.DataFrame([
        {"customer_id": "cus_1", "name": "Acme Media", "owner": "12345", "lifecycle_stage": "customer",
         "source_count": 1, "first_seen_at": now.isoformat(), "updated_at": now.isoformat()}]))
    warehouse.replace("analytics", "customer_health", pd.DataFrame([
        {"customer_id": "cus_1", "as_of": now.strftime("%Y-%m-%d"), "health_score": 30.0,
         "health_band": "at_risk", "coverage": 1.0, "drivers": "usage 0/100"}]))


def _everything_stored(warehouse: Warehouse) -> str:
    """Every row of every table of the warehouse, as text."""
    inspector = sa.inspect(warehouse.engine)
    schemas = list(LAYERS) if warehouse.is_postgres else [None]
    texts = []
    with warehouse.engine.connect() as conn:
        for schema in schemas:
            for name in inspector.get_table_names(schema=schema):
                table = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
                texts += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
    return "\n".join(texts)


def test_a_receiver_echoing_the_secret_path_leaves_no_secret_anywhere(
        warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with HttpCapture(echo_errors=True) as http:
        for name, value in {
            "HUB_HOME": str(tmp_path), "HUB_WAREHOUSE_URL": warehouse.url,
            "HUB_ALERT_SLACK_WEBHOOK_URL": http.url(SLACK_PATH), "HUB_ALERT_WEBHOOK_URL": http.url(HOOK_PATH),
            "HUB_ALERT_WEBHOOK_SECRET": "plantedSigningSecret", "HUB_SMTP_HOST": "127.0.0.1",
            "HUB_SMTP_PORT": "1", "HUB_SMTP_USER": "hub", "HUB_SMTP_PASSWORD": "plantedSmtpPassword",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HUB_CONFIG", raising=False)
        _seed(warehouse)
        from hub.definitions import build_definitions

        defs = build_definitions()
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("alert_evaluation").execute_in_process(instance=instance)
            assert result.success
            events = "\n".join(repr(record) for record in instance.all_logs(result.run_id))
    # The receivers did echo the secret path: the test would catch a leak.
    assert any("plantedSlackPathSecret" in path for path in http.refused)
    stored = _everything_stored(warehouse)
    errors = warehouse.read("analytics", "alert_deliveries")["last_error"].dropna().tolist()
    assert any("answered 404" in e and "Cannot POST" in e for e in errors), errors
    for secret in PLANTED:
        assert secret not in stored, f"{secret} stored in the warehouse"
        assert secret not in events, f"{secret} in the run's event log"


def test_scrubbing_keeps_the_status_and_says_what_was_removed() -> None:
    url = "https://hooks.example.com/services/T0/B0/s3cr3tP4thValue?sig=abc123"
    said = excerpt("<pre>Cannot POST /services/T0/B0/s3cr3tP4thValue</pre> retry https://x.example/a?b=c "
                   "Authorization: Bearer eyJhbGciOi token=deadbeef " + "a1" * 20, secret_parts(url))
    assert "Cannot POST [secret]" in said and "[url]" in said and "Authorization: [redacted]" in said
    for leaked in ("s3cr3tP4thValue", "x.example", "eyJhbGciOi", "deadbeef", "a1a1a1"):
        assert leaked not in said
    assert excerpt("receiver down: 5/10 workers busy") == "receiver down: 5/10 workers busy"
