"""The one home of customer-hub's configuration.

Environment variables (DESIGN.md's table) say where things are; the ``HUB_CONFIG`` YAML says how
the business works (field mappings, stages, weights, thresholds, alert rules). Secrets are not
read here: resources take them through Dagster ``EnvVar`` so they never reach run config or logs.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hub.alerts import RuleError, rules_from_config
from hub.config_schema import problems

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")

# Public endpoints used when no emulator or proxy URL is configured.
AIRTABLE_API_URL = "https://api.airtable.com"
HUBSPOT_API_URL = "https://api.hubapi.com"

# Variables holding credentials: read only through EnvVar, never printed.
SECRET_VARIABLES = (
    "AIRTABLE_TOKEN",
    "HUBSPOT_TOKEN",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN",
    "SALESFORCE_CLIENT_SECRET",
    "HUB_SMTP_PASSWORD",
    "HUB_ALERT_SLACK_WEBHOOK_URL",
    "HUB_ALERT_WEBHOOK_URL",
    "HUB_ALERT_WEBHOOK_SECRET",
    # the event receiver's senders (hub/events/auth.py)
    "HUB_EVENTS_SECRET",
    "HUBSPOT_APP_SECRET",
    "HUB_EVENTS_TOKEN",
    # keys the hashes of erased identities (hub/governance/suppression.py)
    "HUB_ERASURE_SALT",
)


@dataclass(frozen=True)
class Settings:
    """Where customer-hub keeps and finds things, resolved from the environment."""

    home: Path
    warehouse_url: str
    config_file: Path | None
    usage_log_dir: Path
    timezone: str
    dagster_home: Path
    airtable_api_url: str
    airtable_base_id: str | None
    hubspot_api_url: str
    salesforce_instance_url: str | None
    salesforce_ca_bundle: str | None


def settings(environ: dict[str, str] | None = None) -> Settings:
    """Resolve every DESIGN.md variable with its default (``environ`` defaults to os.environ)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HUB_HOME") or "./.hub").expanduser().resolve()
    config_file = env.get("HUB_CONFIG")
    return Settings(
        home=home,
        warehouse_url=env.get("HUB_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}",
        config_file=Path(config_file).expanduser() if config_file else None,
        usage_log_dir=Path(env.get("HUB_USAGE_LOG_DIR") or home / "landing" / "usage"),
        timezone=env.get("HUB_TIMEZONE") or "UTC",
        dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster"),
        airtable_api_url=env.get("AIRTABLE_API_URL") or AIRTABLE_API_URL,
        airtable_base_id=env.get("AIRTABLE_BASE_ID") or None,
        hubspot_api_url=env.get("HUBSPOT_API_URL") or HUBSPOT_API_URL,
        salesforce_instance_url=env.get("SALESFORCE_INSTANCE_URL") or None,
        salesforce_ca_bundle=env.get("SALESFORCE_CA_BUNDLE") or None,
    )


def erasure_salt(environ: dict[str, str] | None = None) -> bytes | None:
    """The secret that keys the hashes of erased identities (``HUB_ERASURE_SALT``), None when unset.
    Read here, not through EnvVar: ``hub erase`` and raw landing use it outside run config."""
    value = (os.environ if environ is None else environ).get("HUB_ERASURE_SALT")
    return value.encode() if value else None


class ConfigError(ValueError):
    """The HUB_CONFIG file is missing, unreadable or names something that does not exist."""


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``: mappings merge, everything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(path: Path | str | None = None) -> dict[str, Any]:
    """The business configuration: built-in defaults with the ``HUB_CONFIG`` file laid over them."""
    with DEFAULTS_FILE.open(encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    if path is None:
        return config
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"HUB_CONFIG names {path}, which does not exist: fix the path or unset HUB_CONFIG")
    try:
        override = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"HUB_CONFIG file {path} is not valid YAML: {exc}") from None
    if not isinstance(override, dict):
        raise ConfigError(f"HUB_CONFIG file {path} must hold a mapping at the top level")
    config = merge(config, override)
    found = problems(config)
    if found:
        raise ConfigError(f"HUB_CONFIG file {path} has {len(found)} problem{'s' if len(found) > 1 else ''}:\n"
                          + "\n".join(f"  - {p}" for p in found))
    _validate(config, path)
    return config


def _validate(config: dict[str, Any], path: Path) -> None:
    weights = config["health"]["weights"]
    if set(weights) != {"usage", "support", "relationship", "outcomes"}:
        raise ConfigError(
            f"{path}: health.weights must name usage, support, relationship and outcomes, got {sorted(weights)}"
        )
    if any(float(w) < 0 for w in weights.values()) or sum(float(w) for w in weights.values()) <= 0:
        raise ConfigError(f"{path}: health.weights must be non-negative and not all zero")
    try:
        rules_from_config(config["alerts"])
    except RuleError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


@lru_cache(maxsize=8)
def _cached(path: str | None) -> dict[str, Any]:
    return load_config(path)


def current_config() -> dict[str, Any]:
    """The configuration ``HUB_CONFIG`` points at now (cached per path; treat as read-only).
    Assets get it from the ``hub_config`` resource; this is for code outside a run (the CLI)."""
    file = settings().config_file
    return _cached(str(file) if file else None)


def cached_config(path: str | None) -> dict[str, Any]:
    """The validated configuration of ``path`` (None: the built-in defaults), read once per process."""
    return _cached(path)
