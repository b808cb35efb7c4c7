"""Salesforce REST records: Account, Contact, Opportunity, Case."""

from __future__ import annotations

import numpy as np

from hub.synth import variants, wire
from hub.synth import vocabulary as vocab
from hub.synth.crm import SALESFORCE, Tickets, edited_at, plan_deals, tie_some
from hub.synth.texts import TICKET_SUBJECTS
from hub.synth.world import CLOSED_WON, DAY, ONBOARDING, STAGES, World

API_VERSION = "v59.0"
# The beta team's Salesforce user ids, fixed whatever the seed (same order as vocabulary.OWNERS).
USER_IDS = tuple(wire.salesforce_ids("005", wire.rng_for(0, "salesforce users"), len(vocab.OWNERS)))
_PRIORITY = ("Low", "Medium", "High")
_OPEN_STATUS = ("New", "Working", "Escalated")
_ORIGIN = ("Email", "Web", "Phone")


class _Records:
    """Records of one sObject in creation order, with ascending ids and audit fields."""

    def __init__(
        self, sobject: str, prefix: str, rng: np.random.Generator, now: int, created: np.ndarray
    ):
        self.sobject, self.rng, self.now = sobject, rng, now
        self.order = np.argsort(created, kind="stable")
        self.created = created[self.order]
        self.ids = wire.salesforce_ids(prefix, rng, len(created))

    def records(
        self, fields: list[dict], batches: np.ndarray, floor: np.ndarray | None = None
    ) -> list[dict]:
        """Wrap ``fields`` (in creation order) with attributes, Id, dates and IsDeleted."""
        rng, now = self.rng, self.now
        earliest = self.created if floor is None else np.maximum(self.created, floor)
        edited = np.maximum(edited_at(rng, self.created, now), np.minimum(earliest, now - 1))
        # Bulk updates give many records the very same SystemModstamp second.
        tied = tie_some(rng, edited, earliest, batches, 0.05)
        system = np.where(
            (tied == edited) & (rng.random(len(edited)) < 0.1),
            np.minimum(tied + rng.integers(1, 3 * DAY, len(edited)), now - 1),
            tied,
        )
        created_s, edited_s, system_s = (wire.sf_datetime(a) for a in (self.created, tied, system))
        out = []
        for i, f in enumerate(fields):
            record = {
                "attributes": {
                    "type": self.sobject,
                    "url": f"/services/data/{API_VERSION}/sobjects/{self.sobject}/{self.ids[i]}",
                },
                "Id": self.ids[i],
            }
            record.update(f)
            record.update(
                {
                    "CreatedDate": created_s[i],
                    "LastModifiedDate": edited_s[i],
                    "SystemModstamp": system_s[i],
                    "IsDeleted": False,
                }
            )
            out.append(record)
        return out


def _account_type(stage: int, churned: bool, u: float) -> str:
    if ONBOARDING <= stage <= CLOSED_WON:
        return "Customer - Direct" if u < 0.85 else "Customer - Channel"
    return "Other" if churned else ("Prospect" if u < 0.9 else "Technology Partner")


def build_salesforce(
    world: World, rng: np.random.Generator, application_id: list[str | None], tickets: Tickets
):
    """(records by sObject, truth rows, Account Id per company)."""
    now = world.now
    batches = now - rng.integers(3600, 30 * DAY, max(1, world.n // 150))
    main = np.flatnonzero(world.in_salesforce)
    dup = main[rng.random(len(main)) < 0.015]
    rows = np.concatenate([main, dup])
    is_dup = np.concatenate([np.zeros(len(main), bool), np.ones(len(dup), bool)])
    start = np.maximum(
        world.applied[rows] + rng.integers(-60 * DAY, 30 * DAY, len(rows)), now - 3 * 365 * DAY
    )
    created = np.minimum(start, now - rng.integers(60, 3600, len(rows)))
    created = np.where(
        is_dup, created + ((now - 1 - created) * rng.random(len(rows))).astype(np.int64), created
    )
    recs = _Records("Account", "001", rng, now, created)
    rows, is_dup = rows[recs.order], is_dup[recs.order]
    name = variants.company_names(world, rng, rows, p_legal=0.7, p_typo=0.08, p_case=0.05)
    website = variants.websites(world, rng, rows, p_missing=0.25)
    industry = variants.industries(rng, world, rows, vocab.SALESFORCE_INDUSTRIES)
    city = variants.cities(rng, world, rows)
    country = variants.countries(rng, world, rows, p_short=0.5)
    phone = variants.phones(rng, world, world.people_start[rows], p_missing=0.3)
    revenue = (
        world.employees[rows] * rng.uniform(80_000, 250_000, len(rows)) // 10_000 * 10_000
    ).tolist()
    draws = rng.random((len(rows), 5)).tolist()
    account_id: list[str | None] = [None] * world.n
    opened = np.zeros(world.n, dtype=np.int64)
    fields = []
    for i, c in enumerate(rows.tolist()):
        u, dup_row = draws[i], bool(is_dup[i])
        if not dup_row:
            account_id[c], opened[c] = recs.ids[i], recs.created[i]
        fields.append(
            {
                "Name": name[i],
                "Website": website[i],
                "Industry": industry[i] if u[0] < 0.85 else None,
                "BillingCity": city[i],
                "BillingCountry": country[i],
                "Phone": phone[i],
                "Type": _account_type(int(world.stage[c]), bool(world.churned[c]), u[1]),
                "AnnualRevenue": float(revenue[i]) if u[2] < 0.5 else None,
                "OwnerId": USER_IDS[int(world.owner[c]) if u[3] < 0.9 else 0],
                "Application_ID__c": application_id[c] if not dup_row and u[4] < 0.3 else None,
            }
        )
    accounts = recs.records(fields, batches)
    truth = [
        ("salesforce", "Account", recs.ids[i], world.key[c]) for i, c in enumerate(rows.tolist())
    ]

    people = variants.pick_people(rng, world, main, p_primary=0.8, p_other=0.55)
    owner = world.person_company[people]
    created = np.minimum(
        opened[owner] + rng.integers(0, 30 * DAY, len(people)),
        now - rng.integers(60, 3600, len(people)),
    )
    recs = _Records("Contact", "003", rng, now, created)
    people, owner = people[recs.order], owner[recs.order]
    email = variants.emails(rng, world, people)
    phone = variants.phones(rng, world, people, p_missing=0.35)
    draws = rng.random((len(people), 2)).tolist()
    contacts_of: dict[int, list[str]] = {}
    fields = []
    for i, p in enumerate(people.tolist()):
        c = int(owner[i])
        contacts_of.setdefault(c, []).append(recs.ids[i])
        fields.append(
            {
                "AccountId": account_id[c]
                if draws[i][0] < 0.97
                else None,  # a few private contacts
                "FirstName": world.first_name[p],
                "LastName": world.last_name[p],
                "Email": email[i],
                "Title": world.title[p] if draws[i][1] < 0.85 else None,
                "Phone": phone[i],
            }
        )
    contacts = recs.records(fields, batches)
    truth += [
        ("salesforce", "Contact", recs.ids[i], world.key[c]) for i, c in enumerate(owner.tolist())
    ]

    plan = plan_deals(world, rng, main, opened[main])
    recs = _Records("Opportunity", "006", rng, now, plan.created)
    o = recs.order
    stage = plan.stage[o]
    is_closed = np.array([s[3] for s in STAGES])[stage]
    close_day = wire.day(plan.close[o])
    fields = []
    for i, d in enumerate(o.tolist()):
        c, s = int(plan.company[d]), int(stage[i])
        amount = plan.amount[d]
        fields.append(
            {
                "AccountId": account_id[c],
                "Name": f"{world.name[c]} - {plan.kind[d]}",
                "StageName": STAGES[s][1],
                "Amount": None if np.isnan(amount) else float(amount),
                "Probability": round(STAGES[s][2] * 100, 1),
                "CloseDate": close_day[i],
                "IsClosed": bool(is_closed[i]),
                "IsWon": s == CLOSED_WON,
                "Type": "Existing Business" if plan.kind[d] == "Expansion" else "New Business",
            }
        )
    opportunities = recs.records(fields, batches, floor=np.where(is_closed, plan.close[o], -1))
    truth += [
        ("salesforce", "Opportunity", recs.ids[i], world.key[int(plan.company[d])])
        for i, d in enumerate(o.tolist())
    ]

    mine = np.flatnonzero(tickets.helpdesk == SALESFORCE)
    recs = _Records("Case", "500", rng, now, tickets.created[mine])
    mine = mine[recs.order]
    closed = tickets.closed[mine]
    closed_s = wire.sf_datetime(np.maximum(closed, 0))
    draws = rng.random((len(mine), 4)).tolist()
    fields = []
    for i, t in enumerate(mine.tolist()):
        c, u = int(tickets.company[t]), draws[i]
        candidates = contacts_of.get(c, [])
        fields.append(
            {
                "AccountId": account_id[c],
                "ContactId": candidates[int(u[0] * len(candidates))]
                if candidates and u[1] < 0.8
                else None,
                "Subject": TICKET_SUBJECTS[int(u[2] * len(TICKET_SUBJECTS))],
                "Status": "Closed" if closed[i] >= 0 else _OPEN_STATUS[int(u[3] * 3)],
                "Priority": _PRIORITY[int(tickets.priority[t])],
                "Origin": _ORIGIN[int(u[3] * 7) % 3],
                "IsClosed": bool(closed[i] >= 0),
                "ClosedDate": closed_s[i] if closed[i] >= 0 else None,
            }
        )
    cases = recs.records(fields, batches, floor=closed)
    truth += [
        ("salesforce", "Case", recs.ids[i], world.key[int(tickets.company[t])])
        for i, t in enumerate(mine.tolist())
    ]
    records = {
        "Account": accounts,
        "Contact": contacts,
        "Opportunity": opportunities,
        "Case": cases,
    }
    return records, truth, account_id
