"""``generate``: one seeded snapshot of every source, with the true company of every record."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hub.sourcedata import SourceData
from hub.synth import airtable, owners
from hub.synth.crm import plan_tickets
from hub.synth.funnel import build_funnel
from hub.synth.hubspot import build_hubspot
from hub.synth.mess import Mess, add_mess
from hub.synth.salesforce import build_salesforce
from hub.synth.usage import build_usage
from hub.synth.wire import rng_for
from hub.synth.world import World, build_world


def _usage_ids(
    world: World, rng: np.random.Generator, application_id: list, company_id: list, account_id: list
) -> list[str]:
    """The id each live company's usage lines carry: mostly its Application ID, else a CRM id."""
    out = [""] * world.n
    draws = rng.random(world.n).tolist()
    for c in np.flatnonzero(world.active).tolist():
        options = [
            (v, w)
            for v, w in ((application_id[c], 0.8), (company_id[c], 0.1), (account_id[c], 0.1))
            if v
        ]
        u, total = draws[c] * sum(w for _, w in options), 0.0
        out[c] = options[-1][0]
        for value, weight in options:
            total += weight
            if u < total:
                out[c] = value
                break
    return out


def generate(
    n_companies: int = 200,
    seed: int = 7,
    *,
    as_of: dt.date | None = None,
    usage_days: int = 30,
    tidy: bool = False,
    mess: Mess | None = None,
) -> SourceData:
    """Airtable, HubSpot, Salesforce and usage events for ``n_companies`` true companies.

    Deterministic given the arguments; every record time falls before ``as_of`` 00:00 UTC
    (default: today, UTC), so the latest day with data is the day before. Real sources' mess
    (``hub.synth.mess``: emptied fields, odd names, duplicates, orphans, numbers as text, other
    date forms) is added at the shares of ``mess`` (default ``Mess()``); ``tidy=True`` leaves it
    out and gives exactly the generator's mess-free output, for benchmarks.
    """
    if tidy and mess is not None:
        raise ValueError("pass either tidy=True or a Mess, not both")
    if n_companies < 1:
        raise ValueError("n_companies must be at least 1")
    if usage_days < 0:
        raise ValueError("usage_days must not be negative")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    world = build_world(n_companies, rng_for(seed, "world"), as_of)
    apps = airtable.Applications(world, rng_for(seed, "airtable applications"))
    application_id = apps.by_company(world, apps.app_id)
    tickets = plan_tickets(world, rng_for(seed, "tickets"))
    salesforce, sf_truth, account_id = build_salesforce(
        world, rng_for(seed, "salesforce"), application_id, tickets
    )
    hubspot, associations, pipelines, hs_truth, company_id = build_hubspot(
        world, rng_for(seed, "hubspot"), application_id, account_id, tickets
    )
    customer_id = _usage_ids(
        world, rng_for(seed, "usage ids"), application_id, company_id, account_id
    )
    usage_events, daily = build_usage(world, rng_for(seed, "usage"), usage_days, customer_id)
    funnel_events = build_funnel(world, rng_for(seed, "funnel"), usage_days, application_id)

    rng = rng_for(seed, "airtable")
    tables = {
        "Beta Applications": (airtable.beta_applications(world, rng, apps), apps.company),
        "Customer Interactions": airtable.customer_interactions(world, rng, apps),
        "Usage Analytics": airtable.usage_analytics(world, rng, apps, daily),
        "Feedback & Surveys": airtable.feedback_surveys(world, rng, apps),
    }
    truth = [
        ("airtable", table, record["id"], world.key[int(c)])
        for table, (records, companies) in tables.items()
        for record, c in zip(records, companies.tolist(), strict=True)
    ]
    truth += hs_truth + sf_truth
    data = SourceData(
        airtable={table: records for table, (records, _) in tables.items()},
        hubspot=hubspot,
        hubspot_associations=associations,
        hubspot_pipelines=pipelines,
        hubspot_owners=owners.hubspot_owners(world.now),
        salesforce={**salesforce, "User": owners.salesforce_users(world.now)},
        usage_events=usage_events,
        funnel_events=funnel_events,
        truth=pd.DataFrame.from_records(
            truth, columns=["source", "source_object", "source_id", "company_key"]
        ),
    )
    return data if tidy else add_mess(data, mess or Mess(), seed)
