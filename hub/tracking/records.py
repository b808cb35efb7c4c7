"""Seed 001's tracking records, checked the same way whether they come from a CSV file or from
``hub track``: a record is either clean or refused with a reason (quarantined, or an error)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hub.names import normalised_email

# Columns of each CSV, as the tracking tool's commands name them (seed 001 "Usage Instructions").
COLUMNS = {
    "customers": ("customer_id", "email", "organization", "github_username", "cohort", "industry", "team_size",
                  "created_at"),
    "onboarding": ("customer_id", "step", "value", "updated_at"),
    "engagement": ("customer_id", "date", "issues_tagged", "prs_generated", "prs_merged", "prs_rejected",
                   "support_requests"),
}
# The header columns that tell a file's kind (file names vary; headers do not).
REQUIRED = {"customers": ("customer_id", "email"), "onboarding": ("customer_id", "step", "value"),
            "engagement": ("customer_id", "date", "issues_tagged")}
COUNTS = COLUMNS["engagement"][2:]
# Seed 001 names github_action_installed; the rest follow its milestones (issues tagged, PRs).
ONBOARDING_STEPS = ("account_created", "github_action_installed", "first_issue_tagged", "first_pr_generated",
                    "first_pr_merged")
NOT_DONE = {"", "false", "no", "0", "n", "pending", "todo", "not started"}
STEP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_COUNT = 1_000_000


class Refused(ValueError):
    """A record that cannot be loaded, with the reason."""


def kind_of(header: list[str]) -> str | None:
    """Which tracking table a CSV header belongs to (None: none of them)."""
    names = {h.strip().lower() for h in header}
    for kind, required in REQUIRED.items():
        if set(required) <= names:
            return kind
    return None


def customer(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    customer_id = _required(row, "customer_id")
    email = normalised_email(_text(row.get("email")))
    if not email or "@" not in email:
        raise Refused(f"email {row.get('email')!r} is not an address")
    size = _text(row.get("team_size"))
    team_size = None
    if size:
        if not size.isdigit() or int(size) > MAX_COUNT:
            raise Refused(f"team_size {size!r} is not a whole number of people")
        team_size = int(size)
    return {"customer_id": customer_id, "email": email, "organization": _text(row.get("organization")),
            "github_username": _text(row.get("github_username")), "cohort": _text(row.get("cohort")),
            "industry": _text(row.get("industry")), "team_size": team_size,
            "created_at": _moment(row.get("created_at"), "created_at") or now.isoformat()}


def onboarding(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    step = _required(row, "step").lower()
    if not STEP_NAME.match(step):
        raise Refused(f"step {step!r} is not a step name (lowercase letters, digits, _)")
    value = _text(row.get("value")) or ""
    return {"customer_id": _required(row, "customer_id"), "step": step, "value": value,
            "done": value.lower() not in NOT_DONE,
            "updated_at": _moment(row.get("updated_at"), "updated_at") or now.isoformat()}


def engagement(row: dict[str, Any], _now: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"customer_id": _required(row, "customer_id")}
    day = _required(row, "date")
    try:
        out["day"] = dt.date.fromisoformat(day[:10]).isoformat()
    except ValueError:
        raise Refused(f"date {day!r} is not YYYY-MM-DD") from None
    for name in COUNTS:
        value = _text(row.get(name)) or "0"
        if not value.isdigit() or int(value) > MAX_COUNT:
            raise Refused(f"{name} {value!r} is not a count (a whole number, 0 to {MAX_COUNT:,})")
        out[name] = int(value)
    return out


CHECKS = {"customers": customer, "onboarding": onboarding, "engagement": engagement}


def _required(row: dict[str, Any], name: str) -> str:
    value = _text(row.get(name))
    if not value:
        raise Refused(f"{name} is empty")
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:500] or None


def _moment(value: Any, name: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{name} {text!r} is not an ISO date or timestamp") from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).isoformat()
