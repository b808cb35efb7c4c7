"""The synthetic world's mess: present at its configured shares, shaped as each API sends it,
absent with tidy=True, deterministic, and never at the cost of the truth."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import re
from collections import Counter
from dataclasses import fields
from pathlib import Path

import pytest

from hub.sourcedata import AIRTABLE_TABLES, HUBSPOT_OBJECTS, SALESFORCE_OBJECTS
from hub.synth import Mess, generate, write_usage_logs
from hub.synth.mess_fields import AIRTABLE, HUBSPOT, SALESFORCE

AS_OF = dt.date(2026, 11, 21)
DOC = Path(__file__).resolve().parents[1] / "docs" / "synthetic-data.md"
# Shares high enough to count on 300 companies; each test checks the share it is about.
HARSH = Mess(blank=0.2, bare_record=0.02, nul=0.05, emoji=0.1, rtl=0.1, long_text=0.1,
             number_text=0.3, date_forms=0.5, duplicate=0.05, deleted_parent=0.05)
RTL = re.compile("[\u0590-\u05ff\u0600-\u06ff]")
EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")
NAMES = {
    ("airtable", "Beta Applications"): ("Company", "Contact Name"),
    ("hubspot", "companies"): ("name",), ("hubspot", "contacts"): ("firstname", "lastname", "company"),
    ("hubspot", "deals"): ("dealname",),
    ("salesforce", "Account"): ("Name",), ("salesforce", "Contact"): ("FirstName", "LastName"),
    ("salesforce", "Opportunity"): ("Name",),
}  # fmt: skip


def within(count: int, n: int, share: float) -> bool:
    """``count`` of ``n`` is what a share ``share`` gives, give or take four standard deviations."""
    return abs(count - n * share) <= 4 * math.sqrt(n * share * (1 - share)) + 2


def cells(data, source: str, obj: str) -> dict[str, dict]:
    """Record id -> its field values, whatever the source."""
    if source == "airtable":
        return {r["id"]: r["fields"] for r in data.airtable[obj]}
    if source == "hubspot":
        return {o["id"]: o["properties"] for o in data.hubspot[obj]}
    return {r["Id"]: r for r in data.salesforce[obj]}


def objects():
    yield from (("airtable", t) for t in AIRTABLE_TABLES)
    yield from (("hubspot", o) for o in HUBSPOT_OBJECTS)
    yield from (("salesforce", o) for o in SALESFORCE_OBJECTS)


def spec(source: str, obj: str):
    return {"airtable": AIRTABLE, "hubspot": HUBSPOT, "salesforce": SALESFORCE}[source][obj]


def ms(value: str) -> int:
    """A HubSpot datetime (epoch ms or ISO) as epoch milliseconds."""
    if value.isdigit():
        return int(value)
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def number(text) -> float:
    """What a careful reader makes of a number written as text."""
    if not isinstance(text, str):
        return float(text)
    text = text.strip().replace(",", "")
    return float(text[:-1].strip()) / 100 if text.endswith("%") else float(text)


@pytest.fixture(scope="module")
def pair():
    """The same world tidy and harshly messy."""
    return generate(300, seed=3, as_of=AS_OF, tidy=True), generate(300, seed=3, as_of=AS_OF, mess=HARSH)


@pytest.fixture(scope="module")
def messy():
    return generate(150, seed=3, as_of=AS_OF)


def test_mess_is_the_default_and_tidy_leaves_it_out(messy):
    tidy = generate(150, seed=3, as_of=AS_OF, tidy=True)
    assert messy.airtable != tidy.airtable and messy.hubspot != tidy.hubspot
    assert messy.salesforce != tidy.salesforce and len(messy.truth) != len(tidy.truth)
    everything = json.dumps([tidy.airtable, tidy.hubspot, tidy.salesforce], ensure_ascii=False)
    assert "\u0000" not in everything and not RTL.search(everything)
    assert not any(v == "" for o in tidy.hubspot.values() for x in o for v in x["properties"].values())


def test_no_mess_is_exactly_the_tidy_world(tmp_path):
    tidy, none = generate(60, seed=9, as_of=AS_OF, tidy=True), generate(60, seed=9, as_of=AS_OF, mess=Mess.none())
    assert (tidy.airtable, tidy.hubspot, tidy.salesforce) == (none.airtable, none.hubspot, none.salesforce)
    assert tidy.hubspot_associations == none.hubspot_associations and tidy.truth.equals(none.truth)
    for fmt in ("jsonl.gz", "csv"):
        a = write_usage_logs(tidy, tmp_path / "a" / fmt, fmt=fmt, bad_lines=3, tidy=True)
        b = write_usage_logs(tidy, tmp_path / "b" / fmt, fmt=fmt, bad_lines=3, mess=Mess.none())
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_tidy_and_a_mess_together_are_refused(tmp_path):
    with pytest.raises(ValueError, match="tidy"):
        generate(5, tidy=True, mess=Mess())
    with pytest.raises(ValueError, match="between 0 and 1"):
        Mess(duplicate=1.5)
    assert Mess().scaled(1000).duplicate == 1 and Mess().scaled(2).blank == 2 * Mess().blank


def test_mess_is_deterministic_per_seed():
    first, second = generate(40, seed=5, as_of=AS_OF, mess=HARSH), generate(40, seed=5, as_of=AS_OF, mess=HARSH)
    assert (first.airtable, first.hubspot, first.salesforce) == (second.airtable, second.hubspot, second.salesforce)
    assert first.truth.equals(second.truth)
    other = generate(40, seed=6, as_of=AS_OF, mess=HARSH)
    assert first.hubspot != other.hubspot


def test_every_default_share_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for f in fields(Mess):
        assert f"`{f.name}`" in text, f"docs/synthetic-data.md does not describe Mess.{f.name}"
        assert str(getattr(Mess(), f.name)) in text, f"docs/synthetic-data.md gives another {f.name}"


# -- truth -----------------------------------------------------------------------------------------
def test_truth_covers_every_messy_record_once(pair, messy):
    for data in (pair[1], messy):
        records = [(s, o, i) for s, o in objects() for i in cells(data, s, o)]
        truth = list(data.truth[["source", "source_object", "source_id"]].itertuples(index=False, name=None))
        assert len(truth) == len(set(truth)) and Counter(truth) == Counter(records)


def test_truth_survives_the_mess(pair):
    tidy, messy = pair
    key = ["source", "source_object", "source_id"]
    before = tidy.truth.set_index(key)["company_key"]
    after = messy.truth.set_index(key)["company_key"]
    kept = after.index.intersection(before.index)
    assert (after[kept] == before[kept]).all()
    copies = after.index.difference(before.index)
    assert len(copies) > 20
    for source, obj in objects():
        content = {}
        for record_id, values in cells(messy, source, obj).items():
            if (source, obj, record_id) in before.index:
                content[_content(values)] = record_id
        for record_id, values in cells(messy, source, obj).items():
            if (source, obj, record_id) in copies:
                original = content[_content(values)]  # a copy has an original with its content
                assert after[(source, obj, record_id)] == after[(source, obj, original)]


def _content(values: dict) -> str:
    values = {k: v for k, v in values.items() if k not in ("Id", "attributes", "hs_object_id")}
    return json.dumps(values, sort_keys=True)


# -- fields ----------------------------------------------------------------------------------------
def test_fields_are_emptied_at_the_share_as_each_api_sends_nothing(pair):
    tidy, messy = pair
    links = {"Application ID", "Customer ID", "AccountId"}  # also emptied under orphans
    for source, obj in objects():
        keep = spec(source, obj).keep
        was, now = cells(tidy, source, obj), cells(messy, source, obj)
        filled = emptied = blanks = 0
        for record_id, values in was.items():
            if record_id not in now or (source == "airtable" and set(now[record_id]) <= keep):
                continue  # deleted, or a bare record
            for name, value in values.items():
                if name in keep or name in links or value in (None, ""):
                    continue
                filled += 1
                after = now[record_id].get(name)
                if after in (None, ""):
                    emptied += 1
                    blanks += after == ""
                    if source == "airtable":
                        assert name not in now[record_id]  # Airtable leaves it out
                    else:
                        assert name in now[record_id]  # HubSpot and Salesforce send it empty
        assert within(emptied, filled, HARSH.blank), (source, obj, emptied, filled)
        if source == "hubspot":
            assert within(blanks, emptied, HARSH.hubspot_empty_string), (obj, blanks, emptied)
        else:
            assert blanks == 0
    for obj in SALESFORCE_OBJECTS:  # every selected field is sent, set or not
        assert len({tuple(r) for r in messy.salesforce[obj]}) == 1
        required = spec("salesforce", obj).keep - {"attributes"}
        assert all(r[f] is not None for r in messy.salesforce[obj] for f in required if f in r)
    for records in messy.airtable.values():
        for r in records:
            assert all(v is not None and v is not False and v != "" and v != [] for v in r["fields"].values())


def test_some_airtable_records_hold_only_their_primary_field(pair):
    tidy, messy = pair
    for table in AIRTABLE_TABLES:
        keep = AIRTABLE[table].keep
        survivors = [r for r in tidy.airtable[table] if r["id"] in cells(messy, "airtable", table)]
        bare = [r for r in messy.airtable[table] if r["id"] in {s["id"] for s in survivors} and set(r["fields"]) <= keep]
        assert within(len(bare), len(survivors), HARSH.bare_record), (table, len(bare))


def test_names_carry_nul_emoji_and_right_to_left_text(pair):
    tidy, messy = pair
    found, n = Counter(), 0
    for (source, obj), names in NAMES.items():
        was, now = cells(tidy, source, obj), cells(messy, source, obj)
        for record_id, values in was.items():
            for name in names:
                if values.get(name) and now.get(record_id, {}).get(name) and record_id in now:
                    n += 1
                    text = now[record_id][name]
                    if text != values[name]:
                        kind = "nul" if "\u0000" in text else "rtl" if RTL.search(text) else "emoji"
                        assert kind != "emoji" or EMOJI.search(text), text
                        found[kind] += 1
    for kind in ("nul", "emoji", "rtl"):
        assert within(found[kind], n, getattr(HARSH, kind)), (kind, found, n)


def test_long_text_is_five_to_twenty_thousand_characters(pair):
    tidy, messy = pair
    n = long = 0
    for source, obj in objects():
        was, now = cells(tidy, source, obj), cells(messy, source, obj)
        for name in spec(source, obj).long:
            for record_id, values in was.items():
                if values.get(name) and now.get(record_id, {}).get(name):
                    n += 1
                    if now[record_id][name] != values[name]:
                        long += 1
                        assert 5_000 <= len(now[record_id][name]) <= 20_000
    assert within(long, n, HARSH.long_text), (long, n)


def test_numbers_written_as_text_keep_their_value(pair):
    tidy, messy = pair
    n = odd = 0
    for obj, name in (("companies", "annualrevenue"), ("deals", "amount")):
        was, now = cells(tidy, "hubspot", obj), cells(messy, "hubspot", obj)
        for record_id, values in was.items():
            value = now.get(record_id, {}).get(name)
            if values.get(name) and value:
                n += 1
                odd += value != values[name]
                assert isinstance(value, str) and number(value) == float(values[name])
    assert within(odd, n, HARSH.number_text)
    was, now = cells(tidy, "airtable", "Beta Applications"), cells(messy, "airtable", "Beta Applications")
    forms = Counter()
    for record_id, values in was.items():
        for name in ("Estimated Revenue", "Deal Probability"):
            value = now.get(record_id, {}).get(name)
            if name in values and value is not None:
                assert isinstance(value, str)  # the messy base types these fields as text
                assert number(value) == pytest.approx(values[name])
                forms[re.sub(r"\d+", "9", value)] += 1
    assert {"9,999", "9%", " 9 "} & set(forms) and len(forms) >= 6


def test_hubspot_datetimes_come_in_every_form_at_the_same_instant(pair):
    tidy, messy = pair
    n = changed = 0
    forms = Counter()
    for obj in HUBSPOT_OBJECTS:
        was, now = cells(tidy, "hubspot", obj), cells(messy, "hubspot", obj)
        for name in HUBSPOT[obj].datetimes:
            for record_id, values in was.items():
                value = now.get(record_id, {}).get(name)
                if values.get(name) and value:
                    n += 1
                    changed += value != values[name]
                    assert ms(value) == ms(values[name])
                    forms["epoch ms" if value.isdigit() else "iso ms" if "." in value else "iso"] += 1
    assert within(changed, n, HARSH.date_forms) and set(forms) == {"epoch ms", "iso ms", "iso"}


def test_airtable_dates_of_datetime_fields_are_iso_on_the_same_day(pair):
    tidy, messy = pair
    for table, name in (("Beta Applications", "Next Follow-up"), ("Feedback & Surveys", "Date Responded")):
        was, now = cells(tidy, "airtable", table), cells(messy, "airtable", table)
        pairs = [(was[i][name], now[i][name]) for i in was if name in was[i] and name in now.get(i, {})]
        assert pairs and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z", b) and b[:10] == a for a, b in pairs)


# -- records ---------------------------------------------------------------------------------------
def test_duplicates_are_exact_copies_with_new_ids(pair):
    tidy, messy = pair
    for source, obj in objects():
        was, now = cells(tidy, source, obj), cells(messy, source, obj)
        copies = [i for i in now if i not in was]
        assert within(len(copies), len(now) - len(copies), HARSH.duplicate), (source, obj, len(copies))
        originals = Counter(_content(v) for i, v in now.items() if i in was)
        assert all(originals[_content(now[i])] >= 1 for i in copies)
    links = Counter(messy.hubspot_associations[("contacts", "companies")])
    contacts = {c["id"]: _content(c["properties"]) for c in messy.hubspot["contacts"]}
    tidy_ids = {c["id"] for c in tidy.hubspot["contacts"]}
    by_content = {v: i for i, v in contacts.items() if i in tidy_ids}
    for contact, company in links:
        if contact not in tidy_ids:  # a copy keeps its original's associations
            assert links[(by_content[contacts[contact]], company)] >= 1


def test_children_outlive_their_deleted_parents(pair):
    tidy, messy = pair
    used = set(tidy.usage_events["customer_id"])
    parents = (("airtable", "Beta Applications"), ("hubspot", "companies"), ("salesforce", "Account"))
    gone = {}
    for source, obj in parents:
        was, now = cells(tidy, source, obj), cells(messy, source, obj)
        gone[obj] = {i for i in was if i not in now}
        named = {i for i, v in was.items() if i in used or v.get("Application ID") in used}
        assert within(len(gone[obj]), len(was) - len(named), HARSH.deleted_parent), (obj, len(gone[obj]))
        assert not gone[obj] & named  # usage logs never name a deleted parent
    # Some children still name their deleted parent; the others show the link emptied the API's way.
    dangling = [i for r in messy.airtable["Customer Interactions"] for i in r["fields"].get("Application ID", [])
                if i in gone["Beta Applications"]]
    hubspot = [c for _, c in messy.hubspot_associations[("deals", "companies")] if c in gone["companies"]]
    salesforce = [r for o in ("Contact", "Opportunity", "Case") for r in messy.salesforce[o]
                  if r["AccountId"] in gone["Account"]]
    assert dangling and hubspot and salesforce
    tidy_opps = {r["Id"]: r["AccountId"] for r in tidy.salesforce["Opportunity"]}
    cleared = [r for r in messy.salesforce["Opportunity"] if r["AccountId"] is None
               and tidy_opps.get(r["Id"]) in gone["Account"]]
    assert cleared  # Salesforce sends the lookup of a deleted parent as null


# -- usage logs ------------------------------------------------------------------------------------
USAGE_MESS = Mess(usage_naive_time=0.05, usage_time_forms=0.1, usage_string_numbers=0.1,
                  usage_extra_fields=0.1, usage_extra_column=0.5, usage_bom=0.5, usage_crlf=0.5)


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # no zone: UTC


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "csv"])
def test_messy_usage_logs_are_valid_and_complete(pair, tmp_path, fmt):
    data = pair[0]
    paths = write_usage_logs(data, tmp_path, fmt=fmt, mess=USAGE_MESS, seed=4)
    rows, files = [], Counter()
    for path in paths:
        raw = gzip.decompress(path.read_bytes()) if fmt.endswith(".gz") else path.read_bytes()
        files["crlf"] += b"\r\n" in raw
        files["bom"] += raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        if fmt == "csv":
            reader = csv.DictReader(io.StringIO(text, newline=""))
            files["extra column"] += "region" in (reader.fieldnames or [])
            rows += list(reader)
        else:
            rows += [json.loads(line) for line in text.splitlines()]
    assert files["crlf"] and (files["bom"] > 0) == (fmt == "csv") and (files["extra column"] > 0) == (fmt == "csv")
    events = data.usage_events
    assert len(rows) == len(events)
    expected = Counter(zip(events["timestamp"].map(_instant), events["customer_id"], events["event"], strict=True))
    assert Counter((_instant(r["timestamp"]), r["customer_id"], r["event"]) for r in rows) == expected
    naive = sum(not r["timestamp"].endswith(("Z", "+00:00", "+01:00", "-05:00")) for r in rows)
    assert within(naive, len(rows), USAGE_MESS.usage_naive_time)
    if fmt != "csv":
        as_text = sum(isinstance(r.get("count"), str) for r in rows)
        ops = sum("count" in r for r in rows)
        assert within(as_text, ops, USAGE_MESS.usage_string_numbers)
        extra = sum(bool(set(r) - set(events.columns)) for r in rows)
        assert within(extra, len(rows), USAGE_MESS.usage_extra_fields)


def test_messy_usage_logs_keep_their_bad_lines(pair, tmp_path):
    data = pair[0]
    paths = write_usage_logs(data, tmp_path, fmt="jsonl", bad_lines=6, mess=USAGE_MESS)
    lines = [line for p in paths for line in p.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(data.usage_events) + 6
