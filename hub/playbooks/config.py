"""Playbooks as HUB_CONFIG declares them (``playbooks:``, seed 004's shape: trigger → actions).

    playbooks:
      mode: dry_run            # dry_run: record what each action would do and touch nothing; live: act
      reps: [ana@example.com, "Ben Ortiz"]   # the round-robin pool of assign_owner
      managers: {ana@example.com: lead@example.com}
      default_manager: lead@example.com
      rules:
        health_degradation:
          trigger: {alert: [churn_risk_band, health_below_60]}
          actions:
            - notify: owner
            - create_task: {subject: "Intervention plan: ${name}", due_in_days: 2, priority: HIGH}
            - escalate: {after_days: 7, to: manager}

A playbook fires once per alert its trigger names (the alert rules already decide *when*: one
alert per cause, cooldowns, coverage); each action then runs once for that alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MODES = ("dry_run", "live")
NOTIFY_TARGETS = ("owner", "manager", "team")
TASK_PRIORITIES = ("LOW", "MEDIUM", "HIGH")
KINDS = ("notify", "create_task", "assign_owner", "escalate", "email_contact")


class PlaybookError(ValueError):
    """A playbook in HUB_CONFIG cannot run; the message says what to fix."""


@dataclass(frozen=True)
class Action:
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Playbook:
    name: str
    rules: tuple[str, ...]  # the alert rules that trigger it
    actions: tuple[Action, ...]
    description: str = ""


def _action(raw: Any, where: str) -> Action:
    if isinstance(raw, str):
        raw = {raw: {}}
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise PlaybookError(f"{where}: an action is one of {list(KINDS)} with its options, e.g. "
                            "'- create_task: {subject: ...}', got " + repr(raw))
    kind, options = next(iter(raw.items()))
    if kind not in KINDS:
        raise PlaybookError(f"{where}: action {kind!r} unknown; use one of {list(KINDS)}")
    if kind in ("notify", "escalate") and isinstance(options, str):
        options = {"to": options}
    if kind == "assign_owner" and isinstance(options, str):
        options = {"strategy": options}
    options = dict(options or {})
    if kind == "notify" and options.get("to", "owner") not in NOTIFY_TARGETS:
        raise PlaybookError(f"{where}: notify goes to one of {list(NOTIFY_TARGETS)}, got {options.get('to')!r}")
    if kind == "escalate":
        if options.get("to", "manager") not in NOTIFY_TARGETS:
            raise PlaybookError(f"{where}: escalate goes to one of {list(NOTIFY_TARGETS)}")
        if not isinstance(options.get("after_days"), int | float) or options["after_days"] < 0:
            raise PlaybookError(f"{where}: escalate needs after_days (days the alert stays open first)")
    if kind == "create_task":
        if not options.get("subject"):
            raise PlaybookError(f"{where}: create_task needs a subject (a ${{placeholder}} template)")
        priority = str(options.get("priority", "MEDIUM")).upper()
        if priority not in TASK_PRIORITIES:
            raise PlaybookError(f"{where}: create_task priority is one of {list(TASK_PRIORITIES)}")
        options["priority"] = priority
    if kind == "assign_owner" and options.get("strategy", "round_robin") != "round_robin":
        raise PlaybookError(f"{where}: assign_owner knows strategy round_robin only")
    if kind == "email_contact" and not options.get("template"):
        raise PlaybookError(f"{where}: email_contact needs a template (a name under playbooks.customer_email.templates)")
    return Action(kind, options)


def playbooks_from_config(settings: Mapping[str, Any], known_rules: set[str] | None = None) -> list[Playbook]:
    """The enabled playbooks of ``HUB_CONFIG`` ``playbooks.rules``, checked."""
    mode = settings.get("mode", "dry_run")
    if mode not in MODES:
        raise PlaybookError(f"playbooks.mode is one of {list(MODES)}, got {mode!r}")
    out = []
    for name, raw in (settings.get("rules") or {}).items():
        if not raw or not raw.get("enabled", True):
            continue
        where = f"playbook {name!r}"
        trigger = raw.get("trigger") or {}
        rules = trigger.get("alert") if isinstance(trigger, Mapping) else None
        rules = [rules] if isinstance(rules, str) else list(rules or [])
        if not rules:
            raise PlaybookError(f"{where}: trigger needs alert: <rule name> (or a list of them)")
        if known_rules is not None:
            unknown = sorted(set(rules) - known_rules)
            if unknown:
                raise PlaybookError(f"{where}: trigger names alert rules that are not defined or enabled: {unknown}")
        actions = raw.get("actions") or []
        if not actions:
            raise PlaybookError(f"{where}: a playbook needs at least one action")
        out.append(Playbook(str(name), tuple(str(r) for r in rules),
                            tuple(_action(a, f"{where} action {i + 1}") for i, a in enumerate(actions)),
                            str(raw.get("description") or "")))
    templates = (settings.get("customer_email") or {}).get("templates") or {}
    for playbook in out:
        for action in playbook.actions:
            if action.kind == "email_contact" and action.options["template"] not in templates:
                raise PlaybookError(f"playbook {playbook.name!r}: email template {action.options['template']!r} is "
                                    "not under playbooks.customer_email.templates")
    return out
