"""HubSpot CRM v3 objects (companies, contacts, deals, tickets), associations and the deal pipeline."""

from __future__ import annotations

import numpy as np

from hub.synth import variants, wire
from hub.synth import vocabulary as vocab
from hub.synth.crm import HUBSPOT, Tickets, edited_at, plan_deals, tie_some
from hub.synth.texts import TICKET_DETAILS, TICKET_SUBJECTS
from hub.synth.world import DAY, STAGES, World

_LIFECYCLE = (
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "opportunity",
    "opportunity",
    "opportunity",
    "customer",
    "other",
)
_PRIORITY = ("LOW", "MEDIUM", "HIGH")


def pipelines(now: int) -> list[dict]:
    """``GET /crm/v3/pipelines/deals``: one pipeline with the seed's nine stages in order."""
    created, updated = wire.iso_ms(np.array([now - 400 * DAY, now - 30 * DAY]))
    stages = [
        {
            "id": sid,
            "label": label,
            "displayOrder": i,
            "metadata": {"probability": str(p), "isClosed": "true" if closed else "false"},
            "archived": False,
            "createdAt": created,
            "updatedAt": updated,
        }
        for i, (sid, label, p, closed) in enumerate(STAGES)
    ]
    return [
        {
            "id": "default",
            "label": "Beta Pipeline",
            "displayOrder": 0,
            "archived": False,
            "createdAt": created,
            "updatedAt": updated,
            "stages": stages,
        }
    ]


class _Objects:
    """Builds objects of one type in creation order with ascending ids."""

    def __init__(self, rng: np.random.Generator, now: int, created: np.ndarray, id_start: int):
        self.order = np.argsort(created, kind="stable")
        self.created = created[self.order]
        self.ids = wire.numeric_ids(rng, len(created), id_start)
        self.created_ms = rng.integers(0, 1000, len(created))
        self.rng, self.now = rng, now

    def edited(
        self, batches: np.ndarray, floor: np.ndarray | None = None
    ) -> tuple[list[str], list[str]]:
        """(epoch-ms strings, ISO strings) of last edits; a few share a bulk-update millisecond."""
        earliest = self.created if floor is None else np.maximum(self.created, floor)
        edited = np.maximum(
            edited_at(self.rng, self.created, self.now), np.minimum(earliest, self.now - 1)
        )
        tied = tie_some(self.rng, edited, earliest, batches, 0.02)
        millis = np.where(tied != edited, 0, self.rng.integers(0, 1000, len(edited)))
        millis = np.where(tied == self.created, np.maximum(millis, self.created_ms), millis)
        return wire.epoch_ms(tied, millis), wire.iso_ms(tied, millis)

    def objects(self, properties: list[dict], updated: list[str]) -> list[dict]:
        createdate = wire.iso_ms(self.created, self.created_ms)
        out = []
        for i, props in enumerate(properties):
            props["createdate"] = createdate[i]
            props["hs_object_id"] = self.ids[i]
            out.append(
                {
                    "id": self.ids[i],
                    "properties": props,
                    "createdAt": createdate[i],
                    "updatedAt": updated[i],
                    "archived": False,
                }
            )
        return out


def _s(value) -> str | None:
    """HubSpot sends every property as a string, or null when empty."""
    return None if value is None else str(value)


def build_hubspot(
    world: World,
    rng: np.random.Generator,
    application_id: list[str | None],
    account_id: list[str | None],
    tickets: Tickets,
):
    """(objects by type, associations, pipelines, truth rows, HubSpot company id per company)."""
    now = world.now
    batches = now - rng.integers(3600, 30 * DAY, max(1, world.n // 200))
    main = np.flatnonzero(world.in_hubspot)
    dup = main[rng.random(len(main)) < 0.02]  # the same company entered twice
    rows = np.concatenate([main, dup])
    is_dup = np.concatenate([np.zeros(len(main), bool), np.ones(len(dup), bool)])
    first = np.maximum(
        world.applied[rows] - rng.integers(0, 45 * DAY, len(rows)), now - 3 * 365 * DAY
    )
    created = np.minimum(first, now - rng.integers(60, 3600, len(rows)))
    created = np.where(
        is_dup, created + ((now - 1 - created) * rng.random(len(rows))).astype(np.int64), created
    )
    objs = _Objects(rng, now, created, 5_100_000_000)
    rows, is_dup = rows[objs.order], is_dup[objs.order]
    modified_ms, modified_iso = objs.edited(batches)
    name = variants.company_names(world, rng, rows, p_legal=0.25, p_typo=0.1)
    website = variants.websites(world, rng, rows, p_missing=0.2)
    industry = variants.industries(rng, world, rows, vocab.HUBSPOT_INDUSTRIES)
    city = variants.cities(rng, world, rows)
    country = variants.countries(rng, world, rows, p_short=0.1)
    draws = rng.random((len(rows), 7)).tolist()
    revenue = (
        world.employees[rows] * rng.uniform(80_000, 250_000, len(rows)) // 10_000 * 10_000
    ).tolist()
    company_id: list[str | None] = [None] * world.n
    opened = np.zeros(world.n, dtype=np.int64)
    props = []
    for i, c in enumerate(rows.tolist()):
        u = draws[i]
        dup_row = bool(is_dup[i])
        if not dup_row:
            company_id[c], opened[c] = objs.ids[i], objs.created[i]
        domain = None
        if website[i] is not None or u[0] < 0.3:
            domain = ("www." if u[0] > 0.9 else "") + world.domain[c]
        props.append(
            {
                "name": name[i],
                "domain": domain,
                "website": None if dup_row and u[1] < 0.5 else website[i],
                "industry": None if u[2] < 0.15 else industry[i],
                "city": city[i],
                "country": country[i],
                "lifecyclestage": _LIFECYCLE[int(world.stage[c])],
                "hubspot_owner_id": vocab.OWNERS[int(world.owner[c])][1] if u[3] < 0.9 else None,
                "annualrevenue": str(int(revenue[i])) if u[4] < 0.55 else None,
                "hs_lastmodifieddate": modified_ms[i],
                "salesforce_account_id": account_id[c] if not dup_row and u[5] < 0.4 else None,
                "application_id": application_id[c] if not dup_row and u[6] < 0.3 else None,
            }
        )
    companies = objs.objects(props, modified_iso)
    truth = [
        ("hubspot", "companies", objs.ids[i], world.key[c]) for i, c in enumerate(rows.tolist())
    ]

    # Contacts: people of HubSpot companies, plus applicants captured by forms with no company.
    people = variants.pick_people(rng, world, main, p_primary=0.85, p_other=0.6)
    loose = np.flatnonzero(world.in_airtable & ~world.in_hubspot)
    loose = world.people_start[loose[rng.random(len(loose)) < 0.15]]
    people = np.concatenate([people, loose])
    owner = world.person_company[people]
    floor = np.where(world.in_hubspot[owner], world.applied[owner] - 30 * DAY, world.applied[owner])
    created = np.minimum(
        np.maximum(floor, now - 3 * 365 * DAY) + rng.integers(0, 30 * DAY, len(people)),
        now - rng.integers(60, 3600, len(people)),
    )
    objs = _Objects(rng, now, created, 1_000_000)
    people, owner = people[objs.order], owner[objs.order]
    modified_ms, modified_iso = objs.edited(batches)
    email = variants.emails(rng, world, people)
    phone = variants.phones(rng, world, people, p_missing=0.4)
    company_name = variants.company_names(world, rng, owner, p_legal=0.2, p_typo=0.05)
    draws = rng.random((len(people), 3)).tolist()
    props, contact_links = [], []
    for i, p in enumerate(people.tolist()):
        c = int(owner[i])
        props.append(
            {
                "email": email[i],
                "firstname": world.first_name[p],
                "lastname": world.last_name[p],
                "jobtitle": world.title[p] if draws[i][0] < 0.8 else None,
                "phone": phone[i],
                "company": company_name[i] if draws[i][1] < 0.7 else None,
                "lastmodifieddate": modified_ms[i],
            }
        )
        if company_id[c] is not None and draws[i][2] < 0.95:
            contact_links.append((objs.ids[i], company_id[c]))
    contacts = objs.objects(props, modified_iso)
    truth += [
        ("hubspot", "contacts", objs.ids[i], world.key[c]) for i, c in enumerate(owner.tolist())
    ]

    deals_plan = plan_deals(world, rng, main, opened[main])
    objs = _Objects(rng, now, deals_plan.created, 9_000_000_000)
    o = objs.order
    closed_at = np.where(
        np.array([STAGES[s][3] for s in deals_plan.stage[o]], dtype=bool), deals_plan.close[o], -1
    )
    modified_ms, modified_iso = objs.edited(batches, floor=closed_at)
    close_iso = wire.iso_ms(deals_plan.close[o])
    owner_draw = rng.random(len(o)).tolist()
    props, deal_links = [], []
    for i, d in enumerate(o.tolist()):
        c = int(deals_plan.company[d])
        amount = deals_plan.amount[d]
        props.append(
            {
                "dealname": f"{world.name[c]} - {deals_plan.kind[d]}",
                "amount": None if np.isnan(amount) else str(int(amount)),
                "dealstage": STAGES[int(deals_plan.stage[d])][0],
                "pipeline": "default",
                "closedate": close_iso[i],
                "hubspot_owner_id": vocab.OWNERS[int(world.owner[c]) if owner_draw[i] < 0.9 else 0][
                    1
                ],
                "hs_lastmodifieddate": modified_ms[i],
            }
        )
        deal_links.append((objs.ids[i], company_id[c]))
    deals = objs.objects(props, modified_iso)
    truth += [
        ("hubspot", "deals", objs.ids[i], world.key[int(deals_plan.company[d])])
        for i, d in enumerate(o.tolist())
    ]

    mine = np.flatnonzero(tickets.helpdesk == HUBSPOT)
    objs = _Objects(rng, now, tickets.created[mine], 2_000_000_000)
    mine = mine[objs.order]
    closed = tickets.closed[mine]
    modified_ms, modified_iso = objs.edited(batches, floor=closed)
    closed_iso = wire.iso_ms(np.maximum(closed, 0))
    draws = rng.random((len(mine), 3)).tolist()
    props, ticket_links = [], []
    for i, t in enumerate(mine.tolist()):
        c = int(tickets.company[t])
        u = draws[i]
        props.append(
            {
                "subject": TICKET_SUBJECTS[int(u[0] * len(TICKET_SUBJECTS))],
                "content": TICKET_DETAILS[int(u[1] * len(TICKET_DETAILS))],
                "hs_pipeline": "0",
                "hs_pipeline_stage": "4" if closed[i] >= 0 else str(1 + int(u[2] * 3)),
                "hs_ticket_priority": _PRIORITY[int(tickets.priority[t])],
                "closed_date": closed_iso[i] if closed[i] >= 0 else None,
                "hs_lastmodifieddate": modified_ms[i],
            }
        )
        ticket_links.append((objs.ids[i], company_id[c]))
    ticket_objects = objs.objects(props, modified_iso)
    truth += [
        ("hubspot", "tickets", objs.ids[i], world.key[int(tickets.company[t])])
        for i, t in enumerate(mine.tolist())
    ]

    objects = {
        "companies": companies,
        "contacts": contacts,
        "deals": deals,
        "tickets": ticket_objects,
    }
    associations = {
        ("contacts", "companies"): contact_links,
        ("deals", "companies"): deal_links,
        ("tickets", "companies"): ticket_links,
    }
    return objects, associations, pipelines(now), truth, company_id
