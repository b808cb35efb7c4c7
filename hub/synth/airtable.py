"""The Airtable base "CredLink Customer Validation": its four tables as API records."""

from __future__ import annotations

import numpy as np

from hub.synth import texts, variants, wire
from hub.synth import vocabulary as vocab
from hub.synth.usage import DailyUsage
from hub.synth.world import CLOSED_LOST, DAY, STAGES, World

VOLUME = ("1-1000", "10k-50k", "50k-100k", "100k+")
CAPABILITY = ("API", "SDK", "Webhook", "Limited")
PRIORITY = ("Critical", "Important", "Nice-to-have", "Exploring")
SOURCE = ("Product Hunt", "Email", "Twitter", "LinkedIn", "Website", "Referral")
INTERACTION_TYPES = ("Email", "Call", "Meeting", "Demo", "Support", "Follow-up")
SENTIMENT = ("Positive", "Neutral", "Negative")
SURVEY_TYPES = ("Onboarding", "Weekly", "PMF", "Exit")
LIKELIHOOD = ("Very Likely", "Likely", "Neutral", "Unlikely", "Very Unlikely")
# Airtable Status for each deal stage; closed-lost splits into Rejected and Churned.
STATUS_BY_STAGE = (
    "New",
    "Reviewing",
    "Reviewing",
    "Accepted",
    "Onboarding",
    "Active",
    "Active",
    "Active",
    "Rejected",
)
_OPEN = {"New", "Reviewing", "Accepted", "Onboarding", "Active"}
# Lead-score-like points the team's Priority Score roughly follows.
_FIT = np.array([10, 10, 10, 10, 6, 2])
_POINTS = {
    "volume": np.array([2, 5, 8, 10]),
    "capability": np.array([5, 5, 3, 0]),
    "priority": np.array([15, 10, 5, 2]),
}


def _record(rec_id: str, created: str, fields: dict) -> dict:
    """Airtable leaves empty values out of ``fields`` entirely."""
    return {
        "id": rec_id,
        "createdTime": created,
        "fields": {
            k: v
            for k, v in fields.items()
            if v is not None and v != "" and v != [] and v is not False
        },
    }


def _inverse_cdf(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return (u >= cumulative).sum(axis=1)


class Applications:
    """Beta applications in creation order: one per Airtable company, a few re-applications."""

    def __init__(self, world: World, rng: np.random.Generator):
        main = np.flatnonzero(world.in_airtable)
        again = main[(rng.random(len(main)) < 0.03) & (world.applied[main] > world.now - 300 * DAY)]
        earlier = world.applied[again] - rng.integers(30, 240, len(again)) * DAY
        company = np.concatenate([main, again])
        applied = np.concatenate([world.applied[main], earlier])
        order = np.argsort(applied, kind="stable")
        self.company, self.applied = company[order], applied[order]
        self.latest = np.concatenate([np.ones(len(main), bool), np.zeros(len(again), bool)])[order]
        self.rec = wire.airtable_ids(rng, len(company))
        width = 6 if len(company) <= 900_000 else 7
        numbers = rng.choice(9 * 10 ** (width - 1), size=len(company), replace=False) + 10 ** (
            width - 1
        )
        self.app_id = [f"BETA-{v}" for v in numbers.tolist()]
        stage = world.stage[self.company]
        status = np.array(STATUS_BY_STAGE, dtype=object)[stage]
        status[(stage == CLOSED_LOST) & world.churned[self.company]] = "Churned"
        status[~self.latest] = "Rejected"
        self.status = status.tolist()

    def by_company(self, world: World, values: list) -> list:
        """``values`` of each company's latest application, None for companies not in Airtable."""
        out: list = [None] * world.n
        for c, latest, v in zip(self.company.tolist(), self.latest.tolist(), values, strict=True):
            if latest:
                out[c] = v
        return out


def beta_applications(world: World, rng: np.random.Generator, apps: Applications) -> list[dict]:
    n, c = len(apps.company), apps.company
    person = world.people_start[c] + np.where(~apps.latest & (world.people_count[c] > 1), 1, 0)
    size = np.digitize(world.employees[c], [20, 200])
    volume = _inverse_cdf(
        rng,
        np.array([[0.6, 0.3, 0.07, 0.03], [0.25, 0.45, 0.2, 0.1], [0.05, 0.3, 0.35, 0.3]])[size],
    )
    capability = rng.choice(4, n, p=(0.4, 0.25, 0.15, 0.2))
    # Bigger companies more often call their need critical: hot leads cluster, as in real funnels.
    priority = _inverse_cdf(
        rng,
        np.array([[0.08, 0.3, 0.35, 0.27], [0.15, 0.4, 0.3, 0.15], [0.35, 0.4, 0.15, 0.1]])[size],
    )
    sentences = rng.choice(np.arange(1, 7), n, p=(0.2, 0.25, 0.2, 0.15, 0.12, 0.08))
    industry = world.industry[c]
    pools = [texts.USE_CASE_BY_INDUSTRY[i] + texts.USE_CASE_GENERIC for i in industry.tolist()]
    use_case = texts.paragraphs(rng, pools, sentences)
    challenge = texts.paragraphs(rng, [texts.CHALLENGES] * n, rng.integers(1, 4, n))
    detail = np.minimum(sentences, 5)  # longer use cases score higher, as in the seed's rule
    score = (
        _FIT[industry]
        + _POINTS["volume"][volume]
        + _POINTS["capability"][capability]
        + _POINTS["priority"][priority]
        + detail
        + rng.integers(0, 6, n)
        + rng.normal(0, 3, n)
    )
    score = np.clip(np.round(score), 0, 50).astype(int).tolist()
    name = variants.company_names(
        world, rng, c, p_legal=0.35, p_typo=0.1, p_case=0.1, p_stem_only=0.03
    )
    website = variants.websites(world, rng, c, p_missing=0.15)
    industry_name = variants.industries(rng, world, c, tuple((i,) for i in vocab.INDUSTRIES))
    email = variants.emails(rng, world, person)
    phone = variants.phones(rng, world, person, p_missing=0.25)
    revenue = np.round(np.array([1200, 6000, 15000, 36000])[volume] * rng.lognormal(0, 0.4, n), -2)
    stage_p = np.array([s[2] for s in STAGES])[world.stage[c]]
    probability = np.round(np.clip(stage_p + rng.normal(0, 0.08, n), 0, 1), 2).tolist()
    close = wire.day(apps.applied + rng.integers(60, 150, n) * DAY)
    follow_up = wire.day(world.now + rng.integers(-10, 22, n) * DAY)
    applied_on, created = wire.day(apps.applied), wire.iso_ms(apps.applied)
    source = rng.choice(6, n, p=(0.2, 0.1, 0.12, 0.2, 0.28, 0.1)).tolist()
    notes = texts.pick(rng, texts.NOTES, n)
    draws = rng.random((n, 9)).tolist()
    records = []
    for i, comp in enumerate(c.tolist()):
        u, status, p = draws[i], apps.status[i], int(person[i])
        owner = vocab.OWNERS[
            int(world.owner[comp]) if u[0] < 0.9 else int(u[1] * len(vocab.OWNERS))
        ][0]
        forecast = status in ("Accepted", "Onboarding", "Active", "Churned") or (
            status == "Reviewing" and u[2] < 0.3
        )
        forecast = forecast and u[3] < 0.8
        records.append(
            _record(
                apps.rec[i],
                created[i],
                {
                    "Application ID": apps.app_id[i],
                    "Company": name[i],
                    "Contact Name": f"{world.first_name[p]} {world.last_name[p]}",
                    "Email": email[i],
                    "Job Title": world.title[p] if u[4] < 0.9 else None,
                    "Phone": phone[i],
                    "Website": website[i],
                    "Industry": industry_name[i],
                    "Use Case": use_case[i],
                    "Volume Estimate": VOLUME[volume[i]] if u[5] < 0.95 else None,
                    "Technical Capability": CAPABILITY[capability[i]],
                    "Priority Level": PRIORITY[priority[i]],
                    "Current Challenge": challenge[i] if u[6] < 0.7 else None,
                    "Priority Score": None if status == "New" and u[7] < 0.4 else score[i],
                    "Status": status,
                    "Applied On": applied_on[i],
                    "Source": SOURCE[source[i]],
                    "Assigned To": owner if status != "New" or u[8] < 0.3 else None,
                    "Next Follow-up": follow_up[i] if status in _OPEN and u[8] < 0.7 else None,
                    "Notes": notes[i] if u[2] > 0.6 else None,
                    "Estimated Revenue": float(revenue[i]) if forecast else None,
                    "Deal Probability": probability[i] if forecast else None,
                    "Expected Close Date": close[i] if forecast else None,
                },
            )
        )
    return records


def customer_interactions(
    world: World, rng: np.random.Generator, apps: Applications
) -> tuple[list[dict], np.ndarray]:
    """(records, company of each record)."""
    mean = {
        "New": 0.3,
        "Reviewing": 1.3,
        "Accepted": 2.0,
        "Onboarding": 3.0,
        "Active": 4.0,
        "Rejected": 0.8,
        "Churned": 3.5,
    }
    count = np.minimum(rng.poisson([mean[s] for s in apps.status]), 8)
    app = np.repeat(np.arange(len(apps.company)), count)
    start = apps.applied[app]
    when = start + ((world.now - 1 - start) * rng.random(len(app)) ** 0.7).astype(np.int64)
    # The team answers an application first, usually within a day or two (the lead score's
    # "response time"); later touches spread over the time since.
    first = np.r_[True, app[1:] != app[:-1]] if len(app) else np.zeros(0, bool)
    reply = start[first] + rng.exponential(1.5 * 86400, int(first.sum())).astype(np.int64)
    when[first] = np.minimum(reply, world.now - 1)
    order = np.argsort(when, kind="stable")
    app, when = app[order], when[order]
    company = apps.company[app]
    kind = rng.choice(6, len(app), p=(0.3, 0.2, 0.15, 0.1, 0.15, 0.1))
    minutes = np.array([[0, 0], [10, 45], [30, 60], [30, 60], [10, 60], [5, 20]])[kind]
    duration = (
        (minutes[:, 0] + (minutes[:, 1] - minutes[:, 0]) * rng.random(len(app)))
        .astype(int)
        .tolist()
    )
    engagement = world.engagement[company]
    sentiment = _inverse_cdf(
        rng, np.stack([engagement * 0.7, 0.35 * np.ones(len(app)), (1 - engagement) * 0.5], axis=1)
    )
    ids = wire.airtable_ids(rng, len(app))
    day, created = wire.day(when), wire.iso_ms(np.minimum(when + 3600, world.now - 1))
    next_steps = texts.pick(rng, texts.NEXT_STEPS, len(app))
    draws = rng.random((len(app), 3)).tolist()
    records = []
    for i, a in enumerate(app.tolist()):
        k, u = int(kind[i]), draws[i]
        summaries = texts.INTERACTION_SUMMARIES[INTERACTION_TYPES[k]]
        owner = vocab.OWNERS[int(world.owner[company[i]]) if u[0] < 0.9 else int(u[1] * 6)][0]
        records.append(
            _record(
                ids[i],
                created[i],
                {
                    "Interaction ID": f"INT-{i + 1:06d}",
                    "Application ID": [apps.rec[a]],
                    "Type": INTERACTION_TYPES[k],
                    "Date": day[i],
                    "Duration": duration[i] if k else None,
                    "Summary": summaries[int(u[2] * len(summaries))],
                    "Next Steps": next_steps[i] if u[1] < 0.6 else None,
                    "Owner": owner,
                    "Sentiment": SENTIMENT[sentiment[i]],
                },
            )
        )
    return records, company


def feedback_surveys(
    world: World, rng: np.random.Generator, apps: Applications
) -> tuple[list[dict], np.ndarray]:
    """(records, company of each record): surveys of accepted and live customers."""
    now = world.now
    latest = np.flatnonzero(apps.latest)
    status = [apps.status[i] for i in latest.tolist()]
    count = np.array(
        [
            {"Accepted": 0.3, "Onboarding": 0.7, "Active": 2.5, "Churned": 2.0}.get(s, 0.0)
            for s in status
        ]
    )
    count = np.where(
        count < 1, rng.random(len(latest)) < count, 1 + rng.poisson(np.maximum(count - 1, 0))
    )
    count = np.minimum(count.astype(np.int64), 6)
    app = np.repeat(latest, count)
    first = np.zeros(len(app), bool)
    first[np.cumsum(count)[count > 0] - count[count > 0]] = True
    last = np.zeros(len(app), bool)
    last[np.cumsum(count)[count > 0] - 1] = True
    company = apps.company[app]
    churned = np.array([apps.status[a] == "Churned" for a in app.tolist()], dtype=bool)
    kind = np.where(rng.random(len(app)) < 0.4, 2, 1)
    kind = np.where(first, 0, kind)
    kind = np.where(last & churned & (rng.random(len(app)) < 0.6), 3, kind)
    start = np.where(
        world.activated[company] > 0, world.activated[company], apps.applied[app] + 3 * DAY
    )
    start = np.minimum(start, now - DAY)
    sent = np.where(
        kind == 0,
        start + rng.integers(0, 5 * DAY, len(app)),
        start + ((now - start) * rng.random(len(app))).astype(np.int64),
    )
    sent = np.where(
        kind == 3,
        np.maximum(world.closed[company], start) + rng.integers(0, 3 * DAY, len(app)),
        sent,
    )
    sent = np.minimum(sent, now - rng.integers(3600, 6 * 3600, len(app)))
    responded = sent + rng.integers(2 * 3600, 5 * DAY, len(app))
    answered = (rng.random(len(app)) < np.where(kind == 3, 0.4, 0.6)) & (responded < now)
    engagement = world.engagement[company]
    satisfaction = (
        np.clip(np.round(rng.normal(3 + 7 * engagement, 1.3)), 1, 10).astype(int).tolist()
    )
    pmf = np.round(np.clip(rng.normal(0.15 + 0.55 * engagement, 0.12), 0, 1), 2).tolist()
    likelihood = np.clip(
        ((1 - engagement) * 5 + rng.normal(0, 0.7, len(app))).astype(int), 0, 4
    ).tolist()
    order = np.argsort(sent, kind="stable")
    ids = wire.airtable_ids(rng, len(app))
    sent_day, responded_day, created = wire.day(sent), wire.day(responded), wire.iso_ms(sent)
    features, testimonials = (
        texts.pick(rng, texts.FEATURE_REQUESTS, len(app)),
        texts.pick(rng, texts.TESTIMONIALS, len(app)),
    )
    draws = rng.random((len(app), 3)).tolist()
    records = []
    for n_out, i in enumerate(order.tolist()):
        u, ok, happy = draws[i], bool(answered[i]), satisfaction[i] >= 8
        records.append(
            _record(
                ids[i],
                created[i],
                {
                    "Survey ID": f"SRV-{n_out + 1:06d}",
                    "Customer ID": [apps.rec[int(app[i])]],
                    "Survey Type": SURVEY_TYPES[int(kind[i])],
                    "Date Sent": sent_day[i],
                    "Date Responded": responded_day[i] if ok else None,
                    "PMF Score": pmf[i] if ok and kind[i] == 2 else None,
                    "Satisfaction Score": satisfaction[i] if ok else None,
                    "Likelihood to Pay": LIKELIHOOD[likelihood[i]] if ok else None,
                    "Feature Requests": features[i] if ok and u[0] < 0.5 else None,
                    "Testimonial": testimonials[i] if ok and happy and u[1] < 0.3 else None,
                    "Case Study Willingness": ok and happy and u[2] < 0.35,
                },
            )
        )
    return records, company[order]


def usage_analytics(
    world: World, rng: np.random.Generator, apps: Applications, daily: DailyUsage
) -> tuple[list[dict], np.ndarray]:
    """(records, company): a few recent days per live Airtable customer, typed in a day or more late."""
    rec_of = apps.by_company(world, apps.rec)
    days = daily.api_calls.shape[1]
    storage = np.cumsum(daily.bytes, axis=1) + rng.lognormal(
        np.log(5e7), 1.0, (len(daily.companies), 1)
    ).astype(np.int64)
    rows, cols = [], []
    for r, c in enumerate(daily.companies.tolist()):
        if rec_of[c] is None:
            continue
        last = days - 1 - int(rng.integers(1, 4))
        first_live = (world.activated[c] - daily.first_day) // DAY
        for d in range(max(0, last - int(rng.integers(3, 8)) + 1, first_live), last + 1):
            rows.append(r)
            cols.append(d)
    rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    when = daily.first_day + cols_a * DAY
    ids = wire.airtable_ids(rng, len(rows))
    day, created = (
        wire.day(when),
        wire.iso_ms(when + DAY + rng.integers(6 * 3600, 12 * 3600, len(rows))),
    )
    records = []
    for i, (r, d) in enumerate(zip(rows, cols, strict=True)):
        calls, sign, verify = (int(a[r, d]) for a in (daily.api_calls, daily.sign, daily.verify))
        ops = calls + sign + verify
        records.append(
            _record(
                ids[i],
                created[i],
                {
                    "Customer ID": [rec_of[int(daily.companies[r])]],
                    "Date": day[i],
                    "API Calls": calls,
                    "Sign Operations": sign,
                    "Verify Operations": verify,
                    "Error Rate": round(int(daily.errors[r, d]) / ops, 4) if ops else 0.0,
                    "Active Users": int(daily.active_users[r, d]),
                    "Storage Used": int(storage[r, d]),
                    "Cost": round(float(daily.cost[r, d]), 2),
                },
            )
        )
    return records, daily.companies[rows_a] if len(rows) else np.zeros(0, np.int64)
