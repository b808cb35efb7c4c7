"""``hub check``: try everything a run needs, one line per item (ok / what is wrong / how to fix).

Each probe makes one cheap, read-only request with a single attempt (no retries: a check should
answer in seconds); alert channels are only connected to, never sent a message.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from hub.config import Settings
from hub.warehouse import Warehouse


@dataclass(frozen=True)
class Finding:
    item: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.item:<22} {self.detail}"


def probe(item: str, attempt: Callable[[], str]) -> Finding:
    """Run one probe: its return value is the ok detail; any exception is the failure, in words."""
    try:
        return Finding(item, True, attempt())
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a traceback
        return Finding(item, False, " ".join(str(exc).split())[:400] or type(exc).__name__)


def check_warehouse(url: str) -> str:
    warehouse = Warehouse(url)
    try:
        with warehouse.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise RuntimeError(f"{warehouse.describe()} did not answer ({type(exc.orig or exc).__name__}: "
                           f"{str(exc.orig or exc).strip().splitlines()[0][:160]}): start the database or "
                           "fix HUB_WAREHOUSE_URL") from None
    applied = warehouse.migrate()
    return f"{warehouse.describe()} ({'schema applied: ' + ', '.join(applied) if applied else 'schema up to date'})"


def quick(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with one attempt and short timeouts per source, for probing."""
    fast = copy.deepcopy(config)
    for source in ("airtable", "hubspot", "salesforce"):
        fast[source].update(max_attempts=1, timeout_seconds=10)
    return fast


def check_airtable(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    tables = config["airtable"]["tables"]
    for name in tables.values():
        next(iter(connector.pages(name)), None)
    return f"base {resource.base_id}: {len(tables)} tables readable ({', '.join(tables.values())})"


def check_hubspot(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    return f"{resource.api_url}: {connector.total('companies')} companies"


def check_salesforce(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    return f"{resource.instance_url}: {connector.count('Account')} accounts"


def check_channel(channel: Any) -> str:
    """Connect to the channel's server without sending (a test message would reach real people)."""
    name = getattr(channel, "name", type(channel).__name__)
    problem = getattr(channel, "problem", None)
    if problem:
        raise RuntimeError(problem)
    url = getattr(channel, "url", None)
    if url:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        shown = f"{parts.scheme}://{host}:{port}/…"  # the path of a webhook URL is its secret
    else:
        host, port = getattr(channel, "host", None), getattr(channel, "port", None)
        shown = f"{host}:{port}"
    if not host or not port:
        raise RuntimeError(f"{name}: no server to connect to")
    with socket.create_connection((host, int(port)), timeout=5):
        pass
    return f"{shown} accepts connections (no message sent)"


def check_usage_dir(settings: Settings) -> str:
    directory = Path(settings.usage_log_dir)
    if not directory.exists():
        return f"{directory} does not exist yet (created on first use; set HUB_USAGE_LOG_DIR to move it)"
    if not directory.is_dir():
        raise RuntimeError(f"{directory} is not a directory: fix HUB_USAGE_LOG_DIR")
    count = sum(1 for _ in directory.rglob("*"))
    return f"{directory} ({count} entries)"


# What live playbooks write in HubSpot, and the private-app scope each write needs (HubSpot's
# tasks API asks for the contacts scopes; custom properties for the companies schema scope).
HUBSPOT_SCOPES = {"create_task": "crm.objects.contacts.write", "assign_owner": "crm.objects.companies.write",
                  "write_back": "crm.objects.companies.write"}
HUBSPOT_SCHEMA_SCOPE = "crm.schemas.companies.write"


def playbooks_live(config: dict[str, Any]) -> bool:
    return (config.get("playbooks") or {}).get("mode") == "live"


def _write_back(config: dict[str, Any]) -> dict[str, Any]:
    settings = (config.get("playbooks") or {}).get("write_back") or {}
    return settings if settings.get("enabled", True) else {}


def planned_writes(config: dict[str, Any]) -> set[str]:
    """The CRM writes live playbooks may make: the actions of the enabled playbooks that write
    (create_task, assign_owner) and write_back when it is on."""
    from hub.playbooks.config import playbooks_from_config

    kinds = {a.kind for p in playbooks_from_config(config.get("playbooks") or {}) for a in p.actions}
    return (kinds & {"create_task", "assign_owner"}) | ({"write_back"} if _write_back(config) else set())


def check_hubspot_writes(resource: Any, config: dict[str, Any]) -> str:
    """Live playbooks can write what they plan to: the token's scopes, read without writing."""
    writes = planned_writes(config)
    if not writes:
        return "the enabled playbooks write nothing in HubSpot"
    connector = resource.connector(quick(config))
    scopes = connector.token_scopes()
    if scopes is None:
        return ("the token's scopes cannot be read (not a private-app token): writes unchecked, the first "
                "live run's actions will tell (analytics.actions)")
    needed: dict[str, list[str]] = {}
    for kind in sorted(writes):
        needed.setdefault(HUBSPOT_SCOPES[kind], []).append(kind)
    properties = list((_write_back(config).get("hubspot_properties") or {}).values())
    missing = [name for name in properties if not connector.has_property("companies", name)]
    if missing:
        needed[HUBSPOT_SCHEMA_SCOPE] = [f"creating the properties {', '.join(missing)}"]
    lacking = [f"{scope} (for {', '.join(why)})" for scope, why in needed.items() if scope not in scopes]
    if lacking:
        raise RuntimeError(f"the private app lacks {'; '.join(lacking)}: add them in HubSpot under Settings > "
                           "Integrations > Private Apps > the app > Scopes (or set playbooks.mode: dry_run)")
    shown = f"; properties to create on the first run: {', '.join(missing)}" if missing else \
        (f"; properties present: {', '.join(properties)}" if properties else "")
    return f"write scopes granted: {', '.join(sorted(needed))}{shown}"


# Airtable field types a rep's name can be written to as text (assign_owner writes the name).
AIRTABLE_TEXT_TYPES = ("singleLineText", "multilineText", "richText", "singleSelect")


def check_airtable_writes(resource: Any, config: dict[str, Any]) -> str:
    """Live playbooks can write what they plan to in Airtable (assign_owner on the applications
    table's "Assigned To"): the token's scopes when Airtable lists them, and the field, from the
    base schema (nothing written)."""
    if "assign_owner" not in planned_writes(config):
        return "the enabled playbooks write nothing in Airtable"
    table_name = str(config["airtable"]["tables"]["applications"])
    field = str(config["airtable"]["fields"]["applications"].get("assigned_to") or "Assigned To")
    connector = resource.connector(quick(config))
    problems: list[str] = []
    scopes = connector.token_scopes()
    if scopes is not None and "data.records:write" not in scopes:
        problems.append("the token lacks data.records:write (for assign_owner): add the scope to the token at "
                        "airtable.com/create/tokens")
    schema = connector.table_schema(table_name)
    kind = None
    if schema is not None:
        kind = next((f.get("type") for f in schema.get("fields") or [] if f.get("name") == field), None)
        if kind is None:
            problems.append(f"table {table_name!r} has no field {field!r} (for assign_owner): create it as single "
                            "line text, or name the field in airtable.fields.applications.assigned_to in HUB_CONFIG")
        elif kind not in AIRTABLE_TEXT_TYPES:
            problems.append(f"field {field!r} of {table_name!r} is of type {kind}: assign_owner writes the rep's name "
                            "as text; make it single line text or a single select")
    if problems:
        raise RuntimeError("; ".join(problems) + " (or set playbooks.mode: dry_run)")
    scope_note = "data.records:write granted" if scopes is not None else \
        "the token's scopes are not listed (a personal access token): data.records:write unchecked"
    if schema is None:
        return f"{scope_note}; field {field!r} unchecked (the token may not read the base schema: schema.bases:read)"
    option_note = " (a single select: each rep's name must be one of its options)" if kind == "singleSelect" else ""
    return f"{scope_note}; {table_name} has the field {field!r} ({kind}){option_note}"


def check_salesforce_writes(resource: Any, config: dict[str, Any]) -> str:
    """Live playbooks can write what they plan to: this user's rights on Task and Account and the
    hub's custom fields, from the objects' describe (nothing written)."""
    from hub.playbooks.execute import SALESFORCE_ACTION_ID

    writes = planned_writes(config)
    wanted: dict[str, dict[str, str]] = {}
    if "create_task" in writes:
        wanted["Task"] = {SALESFORCE_ACTION_ID: "create_task"}
    if "assign_owner" in writes:
        wanted.setdefault("Account", {})["OwnerId"] = "assign_owner"
    for name in (_write_back(config).get("salesforce_fields") or {}).values():
        wanted.setdefault("Account", {})[name] = "write_back"
    if not wanted:
        return "the enabled playbooks write nothing in Salesforce"
    connector = resource.connector(quick(config))
    problems: list[str] = []
    for sobject, fields in wanted.items():
        described = connector.describe_object(sobject)
        right = "createable" if sobject == "Task" else "updateable"
        if not described.get(right):
            problems.append(f"{sobject} is not {right} for this user (for {', '.join(sorted(set(fields.values())))})")
            continue
        known = {f["name"]: f for f in described.get("fields") or []}
        absent = [name for name in fields if name not in known]
        locked = [name for name in fields if name in known and not known[name].get(right)]
        if absent:
            problems.append(f"{sobject} has no field {', '.join(absent)}: create {'them' if len(absent) > 1 else 'it'} "
                            "in Setup (docs/playbooks.md)")
        if locked:
            problems.append(f"{sobject} field {', '.join(locked)} not {right} for this user: grant edit access "
                            "in the field-level security")
        action = known.get(SALESFORCE_ACTION_ID) if sobject == "Task" else None
        if action is not None and not action.get("externalId"):
            problems.append(f"Task.{SALESFORCE_ACTION_ID} is not an External ID field (a retried create_task "
                            "could make a second Task): tick External ID on it in Setup")
    if problems:
        raise RuntimeError("; ".join(problems) + " (or set playbooks.mode: dry_run)")
    shown = {"Task": f"Task createable with {SALESFORCE_ACTION_ID} (External ID)",
             "Account": f"Account updateable ({', '.join(sorted(wanted.get('Account', {})))})"}
    return "; ".join(shown[sobject] for sobject in wanted)
