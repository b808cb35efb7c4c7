"""Seed 001's tracking commands over the warehouse: add a customer, update an onboarding step,
record engagement. Records are checked as the CSV loader checks them (hub.tracking.records)."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hub.tracking.records import COUNTS, Refused, customer, engagement, onboarding
from hub.warehouse import Warehouse, utcnow

SOURCE = "hub track"
FIRST_ID = 10001  # ids look like the seed's example, c12345


def add_customer(warehouse: Warehouse, email: str, organization: str, github_username: str, cohort: str,
                 industry: str, team_size: str, now: dt.datetime | None = None) -> str:
    """Track a new customer; return its id (``Refused`` when the email is already tracked)."""
    moment = now or utcnow()
    table = warehouse.table("raw", "tracking_customers")
    for _attempt in range(5):  # two adds at once may pick the same id: the primary key decides
        record = customer({"customer_id": "c0", "email": email, "organization": organization,
                           "github_username": github_username, "cohort": cohort, "industry": industry,
                           "team_size": team_size}, moment)
        with warehouse.engine.connect() as conn:
            owner = conn.execute(sa.select(table.c.customer_id).where(table.c.email == record["email"])).scalar()
            ids = conn.execute(sa.select(table.c.customer_id)).scalars().all()
        if owner is not None:
            raise Refused(f"{record['email']} is already tracked as customer {owner}")
        numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"c(\d+)", i))]
        record["customer_id"] = f"c{max([FIRST_ID - 1, *numbers]) + 1}"
        try:
            with warehouse.transaction() as conn:
                conn.execute(table.insert(), [{**record, "source_file": SOURCE}])
        except sa.exc.IntegrityError:
            continue
        return record["customer_id"]
    raise Refused("could not allocate a customer id: retry")


def update_onboarding(warehouse: Warehouse, customer_id: str, step: str, value: str,
                      now: dt.datetime | None = None) -> dict:
    """Set one onboarding step of a tracked customer; return the stored record."""
    _must_exist(warehouse, customer_id)
    record = onboarding({"customer_id": customer_id, "step": step, "value": value}, now or utcnow())
    warehouse.upsert("raw", "tracking_onboarding", [{**record, "source_file": SOURCE}], key=["customer_id", "step"])
    return record


def record_engagement(warehouse: Warehouse, customer_id: str, counts: list[str],
                      day: dt.date | None = None) -> dict:
    """Add the counts to the customer's figures for ``day`` (today): each call records more activity."""
    _must_exist(warehouse, customer_id)
    if len(counts) != len(COUNTS):
        raise Refused(f"record-engagement takes {len(COUNTS)} counts: {' '.join(COUNTS)}")
    when = day or utcnow().date()
    record = engagement({"customer_id": customer_id, "date": when.isoformat(), **dict(zip(COUNTS, counts, strict=True))},
                        utcnow())
    table = warehouse.table("raw", "tracking_engagement")
    # PostgreSQL's column is a DATE (psycopg 3 would bind text as VARCHAR); SQLite's is ISO text.
    key = (table.c.customer_id == customer_id) & (table.c.day == (when if warehouse.is_postgres else record["day"]))
    with warehouse.transaction() as conn:
        current = conn.execute(sa.select(*[table.c[c] for c in COUNTS]).where(key)).first()
        if current is None:
            conn.execute(table.insert(), [{**record, "source_file": SOURCE}])
        else:  # within the transaction: SQLite holds the write lock, PostgreSQL adds in the UPDATE
            conn.execute(table.update().where(key).values({c: table.c[c] + record[c] for c in COUNTS}))
    return record


def _must_exist(warehouse: Warehouse, customer_id: str) -> None:
    table = warehouse.table("raw", "tracking_customers")
    with warehouse.engine.connect() as conn:
        if conn.execute(sa.select(table.c.customer_id).where(table.c.customer_id == customer_id)).first() is None:
            raise Refused(f"customer {customer_id} is not tracked (hub track add-customer first)")
