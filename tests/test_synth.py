"""The synthetic sources look like the real APIs, agree with their truth, and vary like real data."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from collections import Counter

import pandas as pd
import pytest

from hub.sourcedata import AIRTABLE_TABLES, HUBSPOT_OBJECTS, SALESFORCE_OBJECTS
from hub.synth import entity_records, generate, write_usage_logs

AS_OF = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)

# Copied from the seed (000: Airtable base "CredLink Customer Validation"), not from the generator.
SEED_FIELDS = {
    "Beta Applications": {
        "Application ID",
        "Company",
        "Contact Name",
        "Email",
        "Job Title",
        "Phone",
        "Website",
        "Industry",
        "Use Case",
        "Volume Estimate",
        "Technical Capability",
        "Priority Level",
        "Current Challenge",
        "Priority Score",
        "Status",
        "Applied On",
        "Source",
        "Assigned To",
        "Next Follow-up",
        "Notes",
        "Estimated Revenue",
        "Deal Probability",
        "Expected Close Date",
    },
    "Customer Interactions": {
        "Interaction ID",
        "Application ID",
        "Type",
        "Date",
        "Duration",
        "Summary",
        "Next Steps",
        "Owner",
        "Sentiment",
    },
    "Usage Analytics": {
        "Customer ID",
        "Date",
        "API Calls",
        "Sign Operations",
        "Verify Operations",
        "Error Rate",
        "Active Users",
        "Storage Used",
        "Cost",
    },
    "Feedback & Surveys": {
        "Survey ID",
        "Customer ID",
        "Survey Type",
        "Date Sent",
        "Date Responded",
        "PMF Score",
        "Satisfaction Score",
        "Likelihood to Pay",
        "Feature Requests",
        "Testimonial",
        "Case Study Willingness",
    },
}
SEED_OPTIONS = {
    ("Beta Applications", "Industry"): {
        "News",
        "Stock Photos",
        "E-commerce",
        "Creator Platform",
        "Research",
        "Other",
    },
    ("Beta Applications", "Volume Estimate"): {"1-1000", "10k-50k", "50k-100k", "100k+"},
    ("Beta Applications", "Technical Capability"): {"API", "SDK", "Webhook", "Limited"},
    ("Beta Applications", "Priority Level"): {"Critical", "Important", "Nice-to-have", "Exploring"},
    ("Beta Applications", "Status"): {
        "New",
        "Reviewing",
        "Accepted",
        "Rejected",
        "Onboarding",
        "Active",
        "Churned",
    },
    ("Beta Applications", "Source"): {
        "Product Hunt",
        "Email",
        "Twitter",
        "LinkedIn",
        "Website",
        "Referral",
    },
    ("Customer Interactions", "Type"): {"Email", "Call", "Meeting", "Demo", "Support", "Follow-up"},
    ("Customer Interactions", "Sentiment"): {"Positive", "Neutral", "Negative"},
    ("Feedback & Surveys", "Survey Type"): {"Onboarding", "Weekly", "PMF", "Exit"},
    ("Feedback & Surveys", "Likelihood to Pay"): {
        "Very Likely",
        "Likely",
        "Neutral",
        "Unlikely",
        "Very Unlikely",
    },
}
SEED_STAGES = [
    "New Application",
    "Qualified Lead",
    "Technical Review",
    "Beta Accepted",
    "Onboarding",
    "Active Beta",
    "Conversion Opportunity",
    "Closed Won",
    "Closed Lost",
]
DATE_FIELDS = {
    "Applied On",
    "Next Follow-up",
    "Expected Close Date",
    "Date",
    "Date Sent",
    "Date Responded",
}
PAST_DATE_FIELDS = {"Applied On", "Date", "Date Sent", "Date Responded"}
SF_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FREEMAIL = ("@gmail.com", "@yahoo.com", "@outlook.com", "@hotmail.com")
LEGAL = re.compile(
    r"(?:,? (?:inc\.?|incorporated|llc|l\.l\.c\.|ltd\.?|limited|gmbh|ag|corporation|corp\.?|co\.|"
    r"company|& co\.|plc|sas|s\.a\.s\.|sa|s\.a\.|b\.?v\.?|pty\.? ltd\.?|pvt\.? ltd\.?|"
    r"private limited|s\.?l\.?|ab))$"
)


@pytest.fixture(scope="module")
def data():
    """The tidy world: the generator's noise model without the mess (tests of the mess are below)."""
    return generate(150, seed=3, as_of=AS_OF, tidy=True)


@pytest.fixture(scope="module")
def entities(data):
    return entity_records(data)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("+0000", "+00:00"))


def _known_customer_ids(data) -> dict[str, str]:
    """Every id a usage line may carry -> the true company."""
    truth = data.truth.set_index(["source_object", "source_id"])["company_key"]
    ids = {
        r["fields"]["Application ID"]: truth[("Beta Applications", r["id"])]
        for r in data.airtable["Beta Applications"]
    }
    ids |= {c["id"]: truth[("companies", c["id"])] for c in data.hubspot["companies"]}
    ids |= {a["Id"]: truth[("Account", a["Id"])] for a in data.salesforce["Account"]}
    return ids


@pytest.mark.parametrize("tidy", [False, True])
def test_same_arguments_give_identical_data(tidy):
    first, second = generate(40, seed=5, as_of=AS_OF, tidy=tidy), generate(40, seed=5, as_of=AS_OF, tidy=tidy)
    assert first.airtable == second.airtable
    assert first.hubspot == second.hubspot
    assert first.hubspot_associations == second.hubspot_associations
    assert first.hubspot_pipelines == second.hubspot_pipelines
    assert first.salesforce == second.salesforce
    pd.testing.assert_frame_equal(first.usage_events, second.usage_events)
    pd.testing.assert_frame_equal(first.truth, second.truth)


def test_another_seed_gives_other_data():
    first, other = generate(40, seed=5, as_of=AS_OF), generate(40, seed=6, as_of=AS_OF)
    assert first.airtable["Beta Applications"] != other.airtable["Beta Applications"]
    assert first.salesforce["Account"] != other.salesforce["Account"]
    assert not first.usage_events.equals(other.usage_events)


def test_every_company_is_in_at_least_one_source(data):
    keys = set(data.truth["company_key"])
    assert keys == {f"C{i:06d}" for i in range(150)}


def test_truth_covers_every_record_exactly_once(data):
    records = [("airtable", t, r["id"]) for t in AIRTABLE_TABLES for r in data.airtable[t]]
    records += [("hubspot", o, r["id"]) for o in HUBSPOT_OBJECTS for r in data.hubspot[o]]
    records += [("salesforce", o, r["Id"]) for o in SALESFORCE_OBJECTS for r in data.salesforce[o]]
    truth = list(
        data.truth[["source", "source_object", "source_id"]].itertuples(index=False, name=None)
    )
    assert len(truth) == len(set(truth))
    assert Counter(truth) == Counter(records)
    assert all(data.airtable[t] for t in AIRTABLE_TABLES)
    assert all(data.hubspot[o] for o in HUBSPOT_OBJECTS)
    assert all(data.salesforce[o] for o in SALESFORCE_OBJECTS)


def test_airtable_uses_the_seed_fields_and_options(data):
    assert set(data.airtable) == set(AIRTABLE_TABLES)
    for table, records in data.airtable.items():
        seen = set()
        for record in records:
            assert re.fullmatch(r"rec[A-Za-z0-9]{14}", record["id"])
            assert ISO_MS.match(record["createdTime"])
            assert set(record["fields"]) <= SEED_FIELDS[table], table
            seen |= set(record["fields"])
            for (option_table, field), options in SEED_OPTIONS.items():
                if option_table == table and field in record["fields"]:
                    assert record["fields"][field] in options, (table, field)
            for field in DATE_FIELDS & set(record["fields"]):
                dt.date.fromisoformat(record["fields"][field])
        assert seen == SEED_FIELDS[table], f"{table} never fills {SEED_FIELDS[table] - seen}"
    statuses = Counter(r["fields"]["Status"] for r in data.airtable["Beta Applications"])
    assert len(statuses) >= 5 and statuses["Active"] > 0 and statuses["Rejected"] > 0


def test_airtable_omits_empty_values_and_links_by_record_id(data):
    application_recs = {r["id"] for r in data.airtable["Beta Applications"]}
    for table, records in data.airtable.items():
        for record in records:
            for value in record["fields"].values():
                assert value is not False and value is not None and value != "" and value != []
            for link in ("Application ID", "Customer ID"):
                if table != "Beta Applications" and link in record["fields"]:
                    assert set(record["fields"][link]) <= application_recs
    willing = [
        r["fields"].get("Case Study Willingness") for r in data.airtable["Feedback & Surveys"]
    ]
    assert True in willing and None in willing  # a checkbox is true or absent
    ids = [r["fields"]["Application ID"] for r in data.airtable["Beta Applications"]]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"BETA-\d{6}", i) for i in ids)


def test_airtable_numbers_have_the_seed_ranges(data):
    fractions = [
        r["fields"][f]
        for t in AIRTABLE_TABLES
        for r in data.airtable[t]
        for f in ("Deal Probability", "Error Rate", "PMF Score")
        if f in r["fields"]
    ]
    assert fractions and all(0 <= v <= 1 for v in fractions)
    assert any(0 < v < 1 for v in fractions)  # percent as a fraction, not 0-100
    scores = [
        r["fields"]["Priority Score"]
        for r in data.airtable["Beta Applications"]
        if "Priority Score" in r["fields"]
    ]
    assert all(isinstance(s, int) and 0 <= s <= 50 for s in scores)
    satisfaction = [
        r["fields"]["Satisfaction Score"]
        for r in data.airtable["Feedback & Surveys"]
        if "Satisfaction Score" in r["fields"]
    ]
    assert satisfaction and all(1 <= s <= 10 for s in satisfaction)
    use_cases = {len(r["fields"]["Use Case"]) for r in data.airtable["Beta Applications"]}
    assert max(use_cases) > 3 * min(use_cases)


def test_applications_arrived_yesterday(data):
    applied = Counter(r["fields"]["Applied On"] for r in data.airtable["Beta Applications"])
    assert applied[str(AS_OF - dt.timedelta(days=1))] >= 1


def test_every_record_time_is_before_as_of(data):
    stamps = [r["createdTime"] for t in AIRTABLE_TABLES for r in data.airtable[t]]
    dates = [
        r["fields"][f]
        for t in AIRTABLE_TABLES
        for r in data.airtable[t]
        for f in PAST_DATE_FIELDS & set(r["fields"])
    ]
    for objects in data.hubspot.values():
        for obj in objects:
            stamps += [obj["createdAt"], obj["updatedAt"], obj["properties"]["createdate"]]
            for name in ("hs_lastmodifieddate", "lastmodifieddate"):
                if name in obj["properties"]:
                    millis = int(obj["properties"][name])
                    stamps.append(dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat())
            if obj["properties"].get("closed_date"):
                stamps.append(obj["properties"]["closed_date"])
    for records in data.salesforce.values():
        for r in records:
            stamps += [r["CreatedDate"], r["LastModifiedDate"], r["SystemModstamp"]] + (
                [r["ClosedDate"]] if r.get("ClosedDate") else []
            )
    stamps += data.usage_events["timestamp"].tolist()
    assert max(_parse(s) for s in stamps) < NOW
    assert max(dates) < str(AS_OF)


def test_hubspot_objects_have_the_wire_shape(data):
    for kind, objects in data.hubspot.items():
        ids = [o["id"] for o in objects]
        assert len(ids) == len(set(ids)) and all(i.isdigit() for i in ids)
        for obj in objects:
            assert (
                set(obj) == {"id", "properties", "createdAt", "updatedAt", "archived"}
                and obj["archived"] is False
            )
            assert all(v is None or isinstance(v, str) for v in obj["properties"].values()), kind
            assert (
                ISO_MS.match(obj["createdAt"])
                and obj["properties"]["createdate"] == obj["createdAt"]
            )
            modified = (
                obj["properties"].get("hs_lastmodifieddate")
                or obj["properties"]["lastmodifieddate"]
            )
            updated = _parse(obj["updatedAt"])
            assert int(modified) == int(updated.timestamp() * 1000)
            assert updated >= _parse(obj["createdAt"])
    company = data.hubspot["companies"][0]["properties"]
    assert {
        "name",
        "domain",
        "website",
        "industry",
        "city",
        "country",
        "lifecyclestage",
        "hubspot_owner_id",
        "annualrevenue",
        "salesforce_account_id",
        "application_id",
    } <= set(company)
    ticket_stages = {t["properties"]["hs_pipeline_stage"] for t in data.hubspot["tickets"]}
    assert ticket_stages <= {"1", "2", "3", "4"} and "4" in ticket_stages


def test_pipeline_has_the_seed_stages_in_order(data):
    (pipeline,) = data.hubspot_pipelines
    assert pipeline["id"] == "default"
    stages = sorted(pipeline["stages"], key=lambda s: s["displayOrder"])
    assert [s["label"] for s in stages] == SEED_STAGES
    closed = {
        s["label"]: (s["metadata"]["isClosed"], float(s["metadata"]["probability"])) for s in stages
    }
    assert closed["Closed Won"] == ("true", 1.0) and closed["Closed Lost"] == ("true", 0.0)
    assert all(closed[label][0] == "false" for label in SEED_STAGES[:7])
    stage_ids = {s["id"] for s in stages}
    assert {d["properties"]["dealstage"] for d in data.hubspot["deals"]} <= stage_ids
    assert {d["properties"]["pipeline"] for d in data.hubspot["deals"]} == {"default"}


def test_hubspot_associations_join_records_of_one_company(data):
    truth = data.truth.set_index(["source_object", "source_id"])["company_key"]
    for (kind, to), links in data.hubspot_associations.items():
        assert to == "companies" and links
        ids = {o["id"] for o in data.hubspot[kind]}
        for from_id, to_id in links:
            assert from_id in ids
            assert truth[(kind, from_id)] == truth[("companies", to_id)]


def test_salesforce_records_have_the_wire_shape(data):
    prefixes = {"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500", "User": "005"}
    checksum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    for sobject, records in data.salesforce.items():
        ids = [r["Id"] for r in records]
        assert len(ids) == len(set(ids))
        for r in records:
            assert len(r["Id"]) == 18 and r["Id"].startswith(prefixes[sobject])
            suffix = "".join(
                checksum[sum(1 << i for i, ch in enumerate(r["Id"][k : k + 5]) if ch.isupper())]
                for k in (0, 5, 10)
            )
            assert r["Id"][15:] == suffix  # a valid case-safe id
            assert r["attributes"] == {
                "type": sobject,
                "url": f"/services/data/v59.0/sobjects/{sobject}/{r['Id']}",
            }
            assert r["IsDeleted"] is False
            for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
                assert SF_DATETIME.match(r[name]), r[name]
            assert r["CreatedDate"] <= r["LastModifiedDate"] <= r["SystemModstamp"]
    opportunities = data.salesforce["Opportunity"]
    assert {o["StageName"] for o in opportunities} <= set(SEED_STAGES)
    assert all(
        0 <= o["Probability"] <= 100 and o["IsWon"] == (o["StageName"] == "Closed Won")
        for o in opportunities
    )
    assert {c["Status"] for c in data.salesforce["Case"]} <= {
        "New",
        "Working",
        "Escalated",
        "Closed",
    }


def test_salesforce_modstamps_tie(data):
    stamps = Counter(r["SystemModstamp"] for records in data.salesforce.values() for r in records)
    assert max(stamps.values()) >= 3


def test_cross_reference_ids_name_the_same_company(data):
    truth = data.truth.set_index(["source_object", "source_id"])["company_key"]
    app_rec = {r["fields"]["Application ID"]: r["id"] for r in data.airtable["Beta Applications"]}
    links = []
    for c in data.hubspot["companies"]:
        p, own = c["properties"], truth[("companies", c["id"])]
        if p["salesforce_account_id"]:
            links.append((own, truth[("Account", p["salesforce_account_id"])]))
        if p["application_id"]:
            links.append((own, truth[("Beta Applications", app_rec[p["application_id"]])]))
    for a in data.salesforce["Account"]:
        if a["Application_ID__c"]:
            links.append(
                (
                    truth[("Account", a["Id"])],
                    truth[("Beta Applications", app_rec[a["Application_ID__c"]])],
                )
            )
    assert len(links) >= 10
    assert all(a == b for a, b in links)


def test_sources_disagree_the_way_real_ones_do(entities):
    by_source = entities.groupby("source")
    assert (by_source["website"].apply(lambda s: s.isna().mean()) > 0.05).all()
    assert entities["email"].str.lower().str.endswith(FREEMAIL).mean() > 0.1
    names = entities.assign(lower=entities["company"].str.lower())
    suffixed = names["lower"].str.contains(LEGAL)
    assert 0.2 < suffixed.mean() < 0.8
    # The same company is written differently by different sources.
    differing = names.groupby("true_company")["lower"].nunique()
    assert (differing > 1).mean() > 0.3
    websites = entities.dropna(subset=["website"]).groupby("true_company")["website"].nunique()
    assert (websites > 1).any()
    # Different companies that share a (suffix-free) name, and companies sharing a city.
    base = names["lower"].str.replace(LEGAL, "", regex=True).str.strip()
    assert (names.assign(base=base).groupby("base")["true_company"].nunique() > 1).any()
    assert (entities.dropna(subset=["city"]).groupby("city")["true_company"].nunique() > 1).any()


def test_same_person_appears_in_several_sources_with_case_differences(data):
    spellings: dict[str, set[str]] = {}
    emails = [r["fields"]["Email"] for r in data.airtable["Beta Applications"]]
    emails += [c["properties"]["email"] for c in data.hubspot["contacts"]]
    emails += [c["Email"] for c in data.salesforce["Contact"]]
    for email in emails:
        spellings.setdefault(email.lower(), set()).add(email)
    assert any(len(v) > 1 for v in spellings.values())
    assert sum(n > 1 for n in Counter(e.lower() for e in emails).values()) > 10


def test_usage_events_name_known_customers(data):
    events = data.usage_events
    assert list(events.columns) == [
        "timestamp",
        "customer_id",
        "event",
        "status",
        "user_id",
        "bytes",
        "latency_ms",
        "cost",
        "count",
    ]
    assert events["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    known = _known_customer_ids(data)
    assert set(events["customer_id"]) <= set(known)
    assert events["customer_id"].str.startswith("BETA-").mean() > 0.5
    ops = events["event"].isin(["api_call", "sign", "verify"])
    assert set(events.loc[ops, "status"]) == {"ok", "error"}
    assert events.loc[~ops, "status"].isna().all() and events.loc[~ops, "bytes"].isna().all()
    assert {"API Key Created", "First API Call", "Completed Application"} <= set(events["event"])
    per_day = events[ops].groupby([events["customer_id"], events["timestamp"].str[:10]]).size()
    assert 5 <= per_day.median() <= 40
    # Each operation line stands for ``count`` operations: weekly volumes reach seed 002's scale.
    assert (events.loc[ops, "count"] >= 1).all() and events.loc[~ops, "count"].isna().all()
    weekly = events[ops].groupby("customer_id")["count"].sum() / (events["timestamp"].str[:10].nunique() / 7)
    assert 300 <= weekly.median() <= 3000


def test_usage_has_collapsing_growing_and_inactive_customers(data):
    ops = data.usage_events[data.usage_events["event"].isin(["api_call", "sign", "verify"])]
    days_ago = (pd.Timestamp(AS_OF) - pd.to_datetime(ops["timestamp"].str[:10])).dt.days
    last7 = ops[days_ago <= 7].groupby("customer_id").size()
    prev7 = ops[(days_ago > 7) & (days_ago <= 14)].groupby("customer_id").size()
    ratio = last7.reindex(prev7.index, fill_value=0) / prev7
    assert (
        (ratio < 0.5).any() and (ratio > 1.5).any() and ((ratio > 0.7) & (ratio < 1.4)).mean() > 0.5
    )
    quiet = set(ops["customer_id"]) - set(ops.loc[days_ago <= 14, "customer_id"])
    assert quiet


def test_usage_analytics_add_up_the_usage_lines(data):
    truth = data.truth.set_index(["source_object", "source_id"])["company_key"]
    company_of = _known_customer_ids(data)
    events = data.usage_events.assign(
        company=data.usage_events["customer_id"].map(company_of),
        day=data.usage_events["timestamp"].str[:10],
    )
    calls = events[events["event"] == "api_call"].groupby(["company", "day"])["count"].sum()
    rows = data.airtable["Usage Analytics"]
    assert rows
    for r in rows:
        company = truth[("Beta Applications", r["fields"]["Customer ID"][0])]
        assert r["fields"]["API Calls"] == calls.get((company, r["fields"]["Date"]), 0)


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "csv"])
def test_usage_logs_round_trip(data, tmp_path, fmt):
    paths = write_usage_logs(data, tmp_path, fmt=fmt, tidy=True)
    assert paths == sorted(paths) and all(
        re.fullmatch(rf"usage-\d{{4}}-\d\d-\d\d\.{re.escape(fmt)}", p.name) for p in paths
    )
    rows = []
    for path in paths:
        if fmt == "csv":
            with open(path, newline="") as f:
                rows += list(csv.DictReader(f))
        else:
            opener = gzip.open if fmt.endswith(".gz") else open
            with opener(path, "rt") as f:
                rows += [json.loads(line) for line in f]
        assert {r["timestamp"][:10] for r in rows[-5:]} == {path.name[6:16]}
    events = data.usage_events
    assert len(rows) == len(events)
    assert Counter((r["timestamp"], r["customer_id"], r["event"]) for r in rows) == Counter(
        events[["timestamp", "customer_id", "event"]].itertuples(index=False, name=None)
    )
    sign = next(r for r in rows if r["event"] == "sign")
    assert float(sign["cost"]) >= 0 and int(sign["bytes"]) > 0


@pytest.mark.parametrize("fmt", ["jsonl.gz", "csv"])
def test_bad_lines_are_added_and_each_is_broken(data, tmp_path, fmt):
    paths = write_usage_logs(data, tmp_path, fmt=fmt, bad_lines=9, seed=1, tidy=True)
    known = set(_known_customer_ids(data))
    lines, broken = 0, Counter()
    for path in paths:
        with gzip.open(path, "rt") if fmt.endswith(".gz") else open(path, newline="") as f:
            if fmt == "csv":
                header, *records = list(csv.reader(f))
                records = [
                    dict(zip(header, r, strict=False)) if len(r) == len(header) else None
                    for r in records
                ]
            else:
                records = []
                for line in f:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        records.append(None)
        for record in records:
            lines += 1
            if record is None:
                broken["unparseable"] += 1
                continue
            try:
                dt.datetime.fromisoformat(record["timestamp"])
            except ValueError:
                broken["bad timestamp"] += 1
                continue
            if record["customer_id"] not in known:
                broken["unknown customer"] += 1
    assert lines == len(data.usage_events) + 9
    assert broken == {"unparseable": 3, "bad timestamp": 3, "unknown customer": 3}


def test_gzip_logs_are_reproducible(data, tmp_path):
    first = write_usage_logs(data, tmp_path / "a", bad_lines=2)
    second = write_usage_logs(data, tmp_path / "b", bad_lines=2)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_unknown_log_format_is_refused(data, tmp_path):
    with pytest.raises(ValueError, match="parquet"):
        write_usage_logs(data, tmp_path, fmt="parquet")


def test_entity_records_are_company_records_with_truth(data, entities):
    assert list(entities.columns) == [
        "record_id",
        "source",
        "source_object",
        "source_id",
        "company",
        "website",
        "email",
        "city",
        "country",
        "salesforce_account_id",
        "hubspot_company_id",
        "application_id",
        "true_company",
    ]
    assert len(entities) == len(data.airtable["Beta Applications"]) + len(
        data.hubspot["companies"]
    ) + len(data.salesforce["Account"])
    assert entities["record_id"].is_unique
    assert (
        entities["record_id"]
        == entities["source"] + ":" + entities["source_object"] + ":" + entities["source_id"]
    ).all()
    truth = data.truth.set_index(["source", "source_object", "source_id"])["company_key"]
    expected = truth.loc[
        list(entities[["source", "source_object", "source_id"]].itertuples(index=False, name=None))
    ]
    assert entities["true_company"].tolist() == expected.tolist()
    accounts = entities[entities["source"] == "salesforce"]
    assert (accounts["salesforce_account_id"] == accounts["source_id"]).all()
    hubspot = entities[entities["source"] == "hubspot"]
    assert (hubspot["hubspot_company_id"] == hubspot["source_id"]).all()
    assert (
        entities.loc[entities["source"] == "airtable", "application_id"]
        .str.startswith("BETA-")
        .all()
    )
    assert entities.loc[entities["source"] != "airtable", "city"].notna().mean() > 0.8
