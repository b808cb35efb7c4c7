"""The API emulators, driven through the real client libraries (pyairtable,
hubspot-api-client, simple-salesforce) exactly as the connectors use them."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from datetime import UTC, datetime, timedelta

import hubspot
import pytest
import requests
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.companies import ApiException, PublicObjectSearchRequest
from pyairtable import Api
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from hub.emulators import (
    AirtableEmulator,
    HubSpotEmulator,
    SalesforceEmulator,
    start_emulators,
)
from hub.sourcedata import SourceData

BASE = "appCredLinkDemo1"
AT_TOKEN = "pat-demo-token"
HS_TOKEN = "pat-na1-demo-token"
SF_TOKEN = "00Ddemo!token"
SF_LOGIN = {"username": "demo@credlink.example", "password": "demo-password", "security_token": "demotoken"}


# -- fixtures ----------------------------------------------------------------------------------
def airtable_applications(n: int = 250) -> list[dict]:
    records = []
    for i in range(n):
        fields: dict = {"Application ID": f"BETA-{100000 + i}", "Company": f"Company {i}",
                        "Status": ["New", "Review", "Approved"][i % 3], "Employees": 10 + i,
                        "Applied On": f"2024-03-{1 + i % 28:02d}"}
        if i % 4 == 0:
            fields["Priority"] = True  # Airtable omits false checkboxes entirely
        if i % 5 == 0:
            fields["Use Cases"] = ["Signing", "Verification"]
        records.append({"id": f"rec{i:014d}", "createdTime": "2024-03-01T09:00:00.000Z", "fields": fields})
    if n > 7:
        records[7]["fields"] = {}  # a record whose every cell is empty
    return records


def hubspot_company(i: int) -> dict:
    return {
        "id": str(1000 + i),
        "properties": {"name": f"Company {i}", "domain": f"company{i}.example",
                       "industry": "FINANCE" if i % 2 else None,
                       "createdate": "2024-01-01T00:00:00Z",
                       "hs_lastmodifieddate": str(1_704_067_200_000 + i * 60_000),
                       "hs_object_id": str(1000 + i)},
        "createdAt": "2024-01-01T00:00:00Z",
        "updatedAt": "2024-01-01T00:00:00Z",
        "archived": False,
    }


def hubspot_contacts(n: int = 20) -> list[dict]:
    return [{"id": str(5000 + i), "properties": {"email": f"p{i}@company{i}.example", "firstname": f"P{i}",
                                                  "lastmodifieddate": "2024-02-01T00:00:00Z"},
             "createdAt": "2024-01-02T00:00:00Z", "updatedAt": "2024-02-01T00:00:00Z", "archived": False}
            for i in range(n)]


PIPELINES = [{"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": [
    {"id": "qualified", "label": "Qualified", "displayOrder": 0,
     "metadata": {"probability": "0.2", "isClosed": "false"}},
    {"id": "closedwon", "label": "Closed Won", "displayOrder": 1,
     "metadata": {"probability": "1.0", "isClosed": "true"}}]}]


def sf_account(i: int) -> dict:
    stamp = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i // 3)  # ties on purpose
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    record_id = f"001{i:012d}AAA"
    return {"attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{record_id}"},
            "Id": record_id, "Name": f"Account {i}", "Industry": "Banking" if i % 2 else None,
            "AnnualRevenue": float(i * 1000), "CreatedDate": text, "LastModifiedDate": text,
            "SystemModstamp": text, "IsDeleted": False}


SF_ACCOUNTS = [sf_account(i) for i in range(4500)]


@pytest.fixture
def airtable():
    with AirtableEmulator({"Beta Applications": airtable_applications(), "Feedback & Surveys": []},
                          requests_per_second=None) as em:
        yield em


@pytest.fixture
def hubspot_em():
    companies = [hubspot_company(i) for i in range(250)]
    contacts = hubspot_contacts()
    links = [(c["id"], str(1000 + i % 3)) for i, c in enumerate(contacts)] + [("5000", "1005")]
    with HubSpotEmulator({"companies": companies, "contacts": contacts},
                         {("contacts", "companies"): links}, PIPELINES,
                         requests_per_10s=None, search_per_second=None) as em:
        yield em


@pytest.fixture
def salesforce():
    with SalesforceEmulator({"Account": SF_ACCOUNTS}, daily_api_limit=None) as em:
        yield em


def sf_session(em: SalesforceEmulator) -> requests.Session:
    session = requests.Session()
    session.verify = em.ca_bundle
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
    return session


def sf_client(em: SalesforceEmulator, token: str = SF_TOKEN) -> Salesforce:
    return Salesforce(instance_url=em.url, session_id=token, session=sf_session(em))


# -- Airtable ----------------------------------------------------------------------------------
def test_airtable_lists_every_record_as_stored_across_pages(airtable):
    api = Api(AT_TOKEN, endpoint_url=airtable.url)
    assert api.table(BASE, "Beta Applications").all() == airtable_applications()
    assert airtable.requests.count("GET", "/Beta%20Applications") == 3  # 100 + 100 + 50
    assert api.table(BASE, "Feedback & Surveys").all() == []


def test_airtable_query_options_and_schema(airtable):
    api = Api(AT_TOKEN, endpoint_url=airtable.url)
    tables = {t.name: t for t in api.base(BASE).schema().tables}
    fields = {f.name: f.type for f in tables["Beta Applications"].fields}
    assert fields["Priority"] == "checkbox" and fields["Employees"] == "number"
    assert fields["Applied On"] == "date" and fields["Status"] == "singleSelect"
    by_id = api.table(BASE, tables["Beta Applications"].id)  # a table id works like its name
    top = by_id.all(fields=["Company", "Employees"], sort=["-Employees"], max_records=150)
    assert len(top) == 150 and top[0]["fields"] == {"Company": "Company 249", "Employees": 259}
    assert all(set(r["fields"]) <= {"Company", "Employees"} for r in top)
    # A URL over 16k characters makes pyairtable switch to POST …/listRecords with a JSON body.
    long = by_id.all(fields=["Company"] * 1500, max_records=120)
    assert len(long) == 120 and airtable.requests.count("POST", "/listRecords") == 2
    record = by_id.get("rec00000000000004")
    assert record["fields"]["Priority"] is True


def test_airtable_incremental_formula_and_mutations(airtable):
    table = Api(AT_TOKEN, endpoint_url=airtable.url).table(BASE, "Beta Applications")
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert table.all(formula=f"IS_AFTER(LAST_MODIFIED_TIME(), '{since}')") == []
    time.sleep(0.01)
    changed = airtable.upsert("Beta Applications", {**airtable_applications()[3], "fields": {"Company": "Renamed"}})
    assert table.all(formula=f"IS_AFTER(LAST_MODIFIED_TIME(), '{since}')") == [changed]
    late = [r for r in airtable_applications() if r["fields"].get("Applied On", "") > "2024-03-26"]
    assert len(table.all(formula="IS_AFTER({Applied On}, '2024-03-26')")) == len(late) == 16
    cleared = airtable.upsert("Beta Applications", {"id": "rec00000000000004", "fields": {"Priority": False}})
    assert "Priority" not in table.get("rec00000000000004")["fields"] and cleared["fields"]["Company"] == "Company 4"
    airtable.delete("Beta Applications", "rec00000000000010")
    assert "rec00000000000010" not in {r["id"] for r in table.all()}
    with pytest.raises(requests.HTTPError) as bad:
        table.all(formula="LOOKUP({Company})")
    assert bad.value.response.status_code == 422
    assert bad.value.response.json()["error"]["type"] == "INVALID_FILTER_BY_FORMULA"


def test_airtable_rejects_a_wrong_token(airtable):
    with pytest.raises(requests.HTTPError) as denied:
        Api("pat-wrong", endpoint_url=airtable.url).table(BASE, "Beta Applications").all()
    assert denied.value.response.status_code == 401
    assert denied.value.response.json() == {
        "error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}
    missing = requests.get(f"{airtable.url}/v0/{BASE}/Nope", headers={"Authorization": f"Bearer {AT_TOKEN}"})
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "TABLE_NOT_FOUND"


def test_airtable_offsets_expire_and_garbage_is_refused():
    with AirtableEmulator({"T": airtable_applications()}, requests_per_second=None,
                          offset_ttl_seconds=0.2) as em:
        pages = Api(AT_TOKEN, endpoint_url=em.url).table(BASE, "T").iterate()
        assert len(next(pages)) == 100
        time.sleep(0.3)
        with pytest.raises(requests.HTTPError) as expired:
            next(pages)
        assert expired.value.response.status_code == 422
        assert expired.value.response.json()["error"]["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
        garbage = requests.get(f"{em.url}/v0/{BASE}/T", params={"offset": "not-a-token"},
                               headers={"Authorization": f"Bearer {AT_TOKEN}"})
        assert garbage.status_code == 422 and garbage.json()["error"]["type"] == "INVALID_OFFSET_VALUE"


def test_airtable_rate_limit_locks_the_base_out():
    with AirtableEmulator({"T": airtable_applications(10)}, requests_per_second=5, lockout_seconds=0.5) as em:
        table = Api(AT_TOKEN, endpoint_url=em.url, retry_strategy=False).table(BASE, "T")
        for _ in range(5):
            table.all()
        with pytest.raises(requests.HTTPError) as limited:
            table.all()
        assert limited.value.response.status_code == 429
        assert limited.value.response.json() == {"errors": [{
            "error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]}
        time.sleep(0.2)
        with pytest.raises(requests.HTTPError):
            table.all()  # still locked out although the request rate is now low
        time.sleep(0.4)
        assert len(table.all()) == 10


# -- HubSpot -----------------------------------------------------------------------------------
def test_hubspot_lists_every_company_through_the_client(hubspot_em):
    client = hubspot.HubSpot(access_token=HS_TOKEN, host=hubspot_em.url)
    companies = client.crm.companies.get_all(properties=["name", "industry"])
    assert [c.id for c in companies] == [str(1000 + i) for i in range(250)]
    assert companies[1].properties == {
        "name": "Company 1", "industry": "FINANCE", "createdate": "2024-01-01T00:00:00Z",
        "hs_lastmodifieddate": str(1_704_067_200_000 + 60_000), "hs_object_id": "1001"}
    assert companies[0].properties["industry"] is None  # known property without a value
    assert hubspot_em.requests.count("GET", "/crm/v3/objects/companies") == 3
    page = client.crm.companies.basic_api.get_page(limit=100, after=companies[99].id)
    assert page.results[0].id == companies[99].id and page.paging.next.after == companies[199].id


def test_hubspot_associations_and_pipelines(hubspot_em):
    client = hubspot.HubSpot(access_token=HS_TOKEN, host=hubspot_em.url)
    contact = client.crm.contacts.basic_api.get_page(limit=1, associations=["companies"]).results[0]
    assert [(a.id, a.type) for a in contact.associations["companies"].results] == [
        ("1000", "contact_to_company"), ("1005", "contact_to_company")]
    v4 = client.crm.associations.v4.basic_api.get_page("contacts", "5000", "companies")
    assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in v4.results] == [
        ("1000", [1, 279]), ("1005", [279])]
    batch = client.crm.associations.v4.batch_api.get_page(
        "companies", "contacts", batch_input_public_fetch_associations_batch_request=(
            BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": "1002"}, {"id": "1100"}])))
    assert [(r._from.id, len(r.to)) for r in batch.results] == [("1002", 6)] and batch.num_errors == 1
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals").results
    assert [(s.id, s.metadata["probability"]) for s in pipelines[0].stages] == [
        ("qualified", "0.2"), ("closedwon", "1.0")]


def test_hubspot_search_filters_sorts_and_sees_mutations(hubspot_em):
    client = hubspot.HubSpot(access_token=HS_TOKEN, host=hubspot_em.url)
    since = str(1_704_067_200_000 + 200 * 60_000)
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since},
                                    {"propertyName": "industry", "operator": "HAS_PROPERTY"}]}],
        sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
        properties=["name"], limit=10)
    found = client.crm.companies.search_api.do_search(public_object_search_request=request)
    assert found.total == 25 and found.results[0].id == "1249" and found.paging.next.after == "10"
    hubspot_em.upsert("companies", {"id": "1002", "properties": {"name": "Renamed"}})
    hubspot_em.delete("companies", "1249")
    found = client.crm.companies.search_api.do_search(public_object_search_request=request)
    assert found.total == 24 and found.results[0].id == "1247"  # 1002 has no industry
    request.filter_groups[0]["filters"].pop()
    assert client.crm.companies.search_api.do_search(public_object_search_request=request).results[0].id == "1002"
    archived = client.crm.companies.get_all(archived=True)
    assert [c.id for c in archived] == ["1249"] and archived[0].archived is True


def test_hubspot_search_operators(hubspot_em):
    search = hubspot.HubSpot(access_token=HS_TOKEN, host=hubspot_em.url).crm.companies.search_api

    def ids(*groups: list[dict], **extra) -> list[str]:
        request = PublicObjectSearchRequest(filter_groups=[{"filters": g} for g in groups], limit=200, **extra)
        return [c.id for c in search.do_search(public_object_search_request=request).results]

    base = 1_704_067_200_000
    assert ids([{"propertyName": "hs_lastmodifieddate", "operator": "BETWEEN",
                 "value": str(base + 60_000), "highValue": str(base + 3 * 60_000)}]) == ["1001", "1002", "1003"]
    assert ids([{"propertyName": "name", "operator": "IN", "values": ["company 3", "Company 4"]}]) == ["1003", "1004"]
    assert ids([{"propertyName": "hs_object_id", "operator": "LT", "value": "1003"}],  # OR of groups
               [{"propertyName": "hs_object_id", "operator": "EQ", "value": "1249"}]) == ["1000", "1001", "1002", "1249"]
    not_in = ids([{"propertyName": "hs_object_id", "operator": "NOT_IN", "values": ["1000"]},
                  {"propertyName": "industry", "operator": "NOT_HAS_PROPERTY"},
                  {"propertyName": "hs_object_id", "operator": "LTE", "value": "1006"}])
    assert not_in == ["1002", "1004", "1006"]
    # ISO filter values compare as instants against epoch-ms properties.
    assert ids([{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": "2024-01-01T04:07:00Z"}],
               sorts=["-hs_lastmodifieddate"]) == ["1249", "1248"]
    with pytest.raises(ApiException) as invalid:
        ids([{"propertyName": "name", "operator": "SOUNDS_LIKE", "value": "x"}])
    assert invalid.value.status == 400 and json.loads(invalid.value.body)["category"] == "VALIDATION_ERROR"


def test_hubspot_errors_auth_rate_limit_and_search_cap():
    companies = [hubspot_company(i) for i in range(250)]
    with HubSpotEmulator({"companies": companies}, requests_per_10s=4, search_per_second=1,
                         search_cap=150) as em:
        with pytest.raises(ApiException) as denied:
            hubspot.HubSpot(access_token="wrong", host=em.url).crm.companies.basic_api.get_page()
        assert denied.value.status == 401
        assert json.loads(denied.value.body)["category"] == "INVALID_AUTHENTICATION"
        unknown = requests.get(f"{em.url}/crm/v3/objects/widgets", headers={"Authorization": f"Bearer {HS_TOKEN}"})
        assert unknown.status_code == 404 and unknown.json()["category"] == "OBJECT_NOT_FOUND"
        assert unknown.headers["X-HubSpot-RateLimit-Remaining"] == "3"
        client = hubspot.HubSpot(access_token=HS_TOKEN, host=em.url)
        remaining = []
        for _ in range(3):
            data, _, headers = client.crm.companies.basic_api.get_page_with_http_info()
            remaining.append(headers["X-HubSpot-RateLimit-Remaining"])
        assert remaining == ["2", "1", "0"] and headers["X-HubSpot-RateLimit-Max"] == "4"
        with pytest.raises(ApiException) as limited:
            client.crm.companies.basic_api.get_page()
        body = json.loads(limited.value.body)
        assert limited.value.status == 429 and body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["errorType"] == "RATE_LIMIT" and re.fullmatch(r"[0-9a-f-]{36}", body["correlationId"])

        def search(after: int):
            return client.crm.companies.search_api.do_search(
                public_object_search_request=PublicObjectSearchRequest(limit=100, after=str(after)))

        first = search(0)
        with pytest.raises(ApiException) as too_fast:
            search(100)
        assert too_fast.value.status == 429 and json.loads(too_fast.value.body)["policyName"] == "SECONDLY"
        time.sleep(1.0)
        second = search(100)
        assert first.total == 250 and len(second.results) == 50 and second.paging.next.after == "150"
        time.sleep(1.0)
        with pytest.raises(ApiException) as capped:
            search(150)
        assert capped.value.status == 400
        assert json.loads(capped.value.body)["category"] == "VALIDATION_ERROR"


# -- Salesforce --------------------------------------------------------------------------------
def test_salesforce_query_all_pages_through_every_account(salesforce):
    sf = sf_client(salesforce)
    records = sf.query_all("SELECT Id, Name FROM Account")["records"]
    assert [(r["Id"], r["Name"]) for r in records] == [(a["Id"], a["Name"]) for a in SF_ACCOUNTS]
    assert set(records[0]) == {"attributes", "Id", "Name"}
    assert records[0]["attributes"] == SF_ACCOUNTS[0]["attributes"]
    assert salesforce.requests.count("GET", "/query") == 3  # 2000 + 2000 + 500
    assert sf.api_usage["api-usage"].used == 3


def test_salesforce_next_records_url_and_batch_size(salesforce):
    sf = sf_client(salesforce)
    page = sf.query("SELECT Id FROM Account", headers={"Sforce-Query-Options": "batchSize=1000"})
    ids = [r["Id"] for r in page["records"]]
    assert page["totalSize"] == 4500 and not page["done"]
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w{15}-1000", page["nextRecordsUrl"])
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        ids += [r["Id"] for r in page["records"]]
    assert ids == [a["Id"] for a in SF_ACCOUNTS] and "nextRecordsUrl" not in page
    assert sum(1 for _ in sf.query_all_iter("SELECT Id FROM Account")) == 4500


def test_salesforce_incremental_soql_with_ties_and_deletes(salesforce):
    sf = sf_client(salesforce)
    soql = ("SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= 2024-01-02T00:00:00Z "
            "ORDER BY SystemModstamp, Id")
    rows = sf.query_all(soql)["records"]
    expected = sorted((a for a in SF_ACCOUNTS if a["SystemModstamp"] >= "2024-01-02T00:00:00.000+0000"),
                      key=lambda a: (a["SystemModstamp"], a["Id"]))
    assert [r["Id"] for r in rows] == [a["Id"] for a in expected]
    assert sf.query("SELECT COUNT() FROM Account WHERE SystemModstamp > 2024-01-02T00:00:00.000+0000 "
                    "AND Industry = 'banking'")["totalSize"] == len([a for a in expected[3:] if a["Industry"]])

    changed = salesforce.upsert("Account", {"Id": SF_ACCOUNTS[0]["Id"], "Name": "Renamed"})
    salesforce.delete("Account", SF_ACCOUNTS[1]["Id"])
    rows = sf.query_all(soql)["records"]
    assert rows[-1]["Id"] == changed["Id"] and rows[-1]["SystemModstamp"] == changed["SystemModstamp"]
    assert SF_ACCOUNTS[1]["Id"] not in {r["Id"] for r in rows}
    everything = sf.query_all("SELECT Id, IsDeleted FROM Account", include_deleted=True)["records"]
    assert len(everything) == 4500 and [r["Id"] for r in everything if r["IsDeleted"]] == [SF_ACCOUNTS[1]["Id"]]
    now = datetime.now(UTC)
    deleted = sf.Account.deleted(now - timedelta(days=1), now + timedelta(minutes=1))
    assert [d["id"] for d in deleted["deletedRecords"]] == [SF_ACCOUNTS[1]["Id"]]
    assert sf.Account.updated(now - timedelta(days=1), now + timedelta(minutes=1))["ids"] == [changed["Id"]]


def test_salesforce_soql_errors_and_describe(salesforce):
    sf = sf_client(salesforce)
    cases = {"SELECT Id, Nope FROM Account": "INVALID_FIELD",
             "SELECT Id FROM Account WHERE SystemModstamp >= '2024-01-01T00:00:00Z'": "INVALID_FIELD",
             "SELECT Id FROM Account WHERE": "MALFORMED_QUERY",
             "SELECT Id FROM Widget": "INVALID_TYPE"}
    for query, code in cases.items():
        with pytest.raises(SalesforceMalformedRequest) as bad:
            sf.query(query)
        assert bad.value.content[0]["errorCode"] == code, query
    fields = {f["name"]: f["type"] for f in sf.Account.describe()["fields"]}
    assert fields["SystemModstamp"] == "datetime" and fields["AnnualRevenue"] == "double"
    assert fields["IsDeleted"] == "boolean" and fields["Name"] == "string"
    escaped = sf.query("SELECT Id FROM Account WHERE Name IN ('Account 7', 'it\\'s') OR Name = 'Account 9'")
    assert escaped["totalSize"] == 2


def test_salesforce_soql_subset():
    accounts = [sf_account(i) for i in range(10)]
    with SalesforceEmulator({"Account": accounts}, daily_api_limit=None) as em:
        sf = sf_client(em)

        def names(where: str) -> list[str]:
            return [r["Name"] for r in sf.query_all(f"select name from ACCOUNT {where}")["records"]]

        assert names("WHERE Name LIKE 'account 1%' OR (AnnualRevenue >= 8000 AND NOT Industry = null)") == [
            "Account 1", "Account 9"]
        assert names("WHERE Industry != null AND Id NOT IN ('001000000000001AAA') ORDER BY AnnualRevenue DESC "
                     "LIMIT 2 OFFSET 1") == ["Account 7", "Account 5"]
        assert names("WHERE CreatedDate < 2024-01-01T00:01:00.000+0000 ORDER BY Industry NULLS LAST, Name DESC") == [
            "Account 1", "Account 2", "Account 0"]
        assert names("WHERE IsDeleted = false AND AnnualRevenue = 0") == ["Account 0"]
        for query in ("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01",  # date literal, datetime field
                      "SELECT Id FROM Account WHERE AnnualRevenue > '5'"):
            with pytest.raises(SalesforceMalformedRequest) as bad:
                sf.query(query)
            assert bad.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_salesforce_invalid_session_and_relogin(salesforce):
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf_client(salesforce, token="00Dwrong!token").query("SELECT Id FROM Account LIMIT 1")
    assert expired.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    sf = Salesforce(**SF_LOGIN, domain=salesforce.login_domain, session=sf_session(salesforce))
    assert sf.sf_instance == salesforce.url.removeprefix("https://")
    first_token = sf.session_id
    salesforce.expire_tokens()
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 4500  # re-logged in on 401
    assert sf.session_id != first_token
    with pytest.raises(SalesforceExpiredSession):
        sf_client(salesforce).query("SELECT Id FROM Account LIMIT 1")  # the preset token died too
    with pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"):
        Salesforce(**{**SF_LOGIN, "password": "wrong"}, domain=salesforce.login_domain,
                   session=sf_session(salesforce))


def test_salesforce_oauth_token_endpoint(salesforce):
    session = sf_session(salesforce)
    granted = session.post(f"{salesforce.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
        "username": SF_LOGIN["username"], "password": SF_LOGIN["password"] + SF_LOGIN["security_token"]})
    body = granted.json()
    assert granted.status_code == 200 and body["token_type"] == "Bearer"
    assert body["instance_url"] == salesforce.url and {"id", "issued_at", "signature"} <= set(body)
    assert sf_client(salesforce, body["access_token"]).query("SELECT COUNT() FROM Account")["totalSize"] == 4500
    refused = session.post(f"{salesforce.url}/services/oauth2/token", data={
        "grant_type": "password", "username": SF_LOGIN["username"], "password": "nope"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    sf = Salesforce(consumer_key="demo-client", consumer_secret="demo-secret",
                    domain=salesforce.login_domain, session=session)  # client-credentials flow
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 4500


def test_salesforce_daily_request_limit():
    with SalesforceEmulator({"Account": SF_ACCOUNTS[:10]}, daily_api_limit=3) as em:
        sf = sf_client(em)
        for used in (1, 2, 3):
            sf.query("SELECT Id FROM Account")
            assert sf.api_usage["api-usage"].used == used and sf.api_usage["api-usage"].total == 3
        with pytest.raises(SalesforceRefusedRequest) as refused:
            sf.query("SELECT Id FROM Account")
        assert refused.value.status == 403
        assert refused.value.content == [{"message": "TotalRequests Limit exceeded.",
                                          "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_salesforce_bulk2_query_returns_csv_pages(salesforce):
    sf = sf_client(salesforce)
    pages = list(sf.bulk2.Account.query("SELECT Id, Name, Industry FROM Account", max_records=2000, wait=0))
    assert len(pages) == 3
    lines = [line for page in pages for line in page.splitlines()[1:]]
    assert len(lines) == 4500 and lines[0] == f'"{SF_ACCOUNTS[0]["Id"]}","Account 0",""'
    assert pages[0].splitlines()[0] == '"Id","Name","Industry"'


# -- all three ---------------------------------------------------------------------------------
def test_start_emulators_serves_source_data_and_exports_env():
    data = SourceData(
        airtable={"Beta Applications": airtable_applications(5)},
        hubspot={"companies": [hubspot_company(i) for i in range(3)]},
        hubspot_pipelines=PIPELINES,
        salesforce={"Account": SF_ACCOUNTS[:4]},
    )
    with start_emulators(data, rate_limits=False) as running:
        env = running.env()
        assert set(env) == {"AIRTABLE_API_URL", "AIRTABLE_TOKEN", "AIRTABLE_BASE_ID", "HUBSPOT_API_URL",
                            "HUBSPOT_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN",
                            "SALESFORCE_CA_BUNDLE"}
        table = Api(env["AIRTABLE_TOKEN"], endpoint_url=env["AIRTABLE_API_URL"]).table(
            env["AIRTABLE_BASE_ID"], "Beta Applications")
        assert len(table.all()) == 5
        client = hubspot.HubSpot(access_token=env["HUBSPOT_TOKEN"], host=env["HUBSPOT_API_URL"])
        assert len(client.crm.companies.get_all()) == 3
        session = requests.Session()
        session.verify, session.trust_env = env["SALESFORCE_CA_BUNDLE"], False
        sf = Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"],
                        session_id=env["SALESFORCE_ACCESS_TOKEN"], session=session)
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 4
        assert all(len(table.all()) == 5 for _ in range(12))  # rate_limits=False: no 429 at 12/s
    with pytest.raises(requests.ConnectionError):
        requests.get(env["HUBSPOT_API_URL"], timeout=2)


def test_a_handler_bug_answers_500_and_the_server_keeps_serving(airtable, monkeypatch):
    original = airtable.handle

    def broken(request):
        if request.path.endswith("/boom"):
            raise RuntimeError("kaboom")
        return original(request)

    monkeypatch.setattr(airtable, "handle", broken)
    headers = {"Authorization": f"Bearer {AT_TOKEN}"}
    failed = requests.get(f"{airtable.url}/v0/{BASE}/boom", headers=headers)
    assert failed.status_code == 500 and "kaboom" in failed.json()["message"]
    assert requests.get(f"{airtable.url}/v0/{BASE}/Beta%20Applications", headers=headers).status_code == 200


# -- what the connector tests script -----------------------------------------------------------
def test_faults_act_one_at_a_time_in_order(airtable):
    headers = {"Authorization": f"Bearer {AT_TOKEN}"}
    url = f"{airtable.url}/v0/{BASE}/Beta%20Applications"
    airtable.faults.add("status", status=503, match="/Beta", after=1)
    airtable.faults.add("status", status=500, match="/Beta", times=2)
    airtable.faults.add("reset", match="/Beta", after=4)
    statuses = [requests.get(url, headers=headers).status_code for _ in range(4)]
    assert statuses == [500, 503, 500, 200]  # each request meets at most one fault, the first due
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=headers)
    assert requests.get(url, headers=headers).status_code == 200 and airtable.faults.fired == 4


def test_an_injected_airtable_429_locks_the_base_out():
    with AirtableEmulator({"T": airtable_applications(5)}, requests_per_second=None, lockout_seconds=0.3) as em:
        em.faults.add("status", status=429)
        table = Api(AT_TOKEN, endpoint_url=em.url, retry_strategy=None).table(BASE, "T")
        for _ in range(2):  # the fault, then the lockout it started
            with pytest.raises(requests.HTTPError) as limited:
                table.all()
            assert limited.value.response.json()["errors"][0]["error"] == "RATE_LIMIT_REACHED"
        time.sleep(0.35)
        assert len(table.all()) == 5


def test_airtable_last_modified_time_field_is_computed_and_filterable():
    with AirtableEmulator({"T": airtable_applications(20)}, requests_per_second=None,
                          last_modified_field="Last Modified") as em:
        api = Api(AT_TOKEN, endpoint_url=em.url)
        fields = {f.name: f.type for f in api.base(BASE).schema().tables[0].fields}
        assert fields["Last Modified"] == "lastModifiedTime"
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        time.sleep(0.01)
        em.upsert("T", {"id": "rec00000000000003", "fields": {"Company": "Changed"}})
        changed = api.table(BASE, "T").all(formula=f"NOT(IS_BEFORE({{Last Modified}}, '{since}'))",
                                           sort=["Last Modified"])
        assert [r["id"] for r in changed] == ["rec00000000000003"]
        assert changed[0]["fields"]["Last Modified"] >= since


def test_hubspot_refuses_a_url_too_long_and_freezes_its_clock(hubspot_em):
    hubspot_em.max_url_length = 2000
    too_long = requests.get(f"{hubspot_em.url}/crm/v3/objects/companies",
                            params={"properties": [f"property_{i:04d}" for i in range(200)]},
                            headers={"Authorization": f"Bearer {HS_TOKEN}"})
    assert too_long.status_code == 414
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    hubspot_em.freeze_clock(moment)
    a = hubspot_em.upsert("companies", {"id": "1001", "properties": {"name": "A"}})
    b = hubspot_em.upsert("companies", {"id": "1002", "properties": {"name": "B"}})
    assert a["properties"]["hs_lastmodifieddate"] == b["properties"]["hs_lastmodifieddate"] == str(
        int(moment.timestamp() * 1000))


# -- the synthetic world's mess, served as the APIs send it ---------------------------------------
@pytest.fixture(scope="module")
def messy_world():
    """A small messy world (every share x5, NULs in 10% of names) and its tidy twin."""
    from hub.synth import Mess, generate

    as_of = datetime(2026, 11, 21).date()
    mess = dataclasses.replace(Mess().scaled(5), nul=0.1, date_forms=0.5)
    return generate(120, seed=2, as_of=as_of, tidy=True), generate(120, seed=2, as_of=as_of, mess=mess)


def test_messy_airtable_records_come_back_without_their_empty_fields(messy_world):
    tidy, messy = messy_world
    with AirtableEmulator(messy.airtable, requests_per_second=None) as em:
        api = Api(AT_TOKEN, endpoint_url=em.url)
        served = {r["id"]: r for r in api.table(BASE, "Beta Applications").all()}
        assert served == {r["id"]: r for r in messy.airtable["Beta Applications"]}
        schema = {t.name: {f.name: f.type for f in t.fields} for t in api.base(BASE).schema().tables}
    before = {r["id"]: r["fields"] for r in tidy.airtable["Beta Applications"]}
    emptied = [(i, name) for i, r in served.items() if i in before for name in before[i] if name not in r["fields"]]
    assert emptied  # an emptied cell is absent, not null or ""
    assert all(v is not None and v != "" and v != [] for r in served.values() for v in r["fields"].values())
    assert any(set(r["fields"]) == {"Application ID"} for r in served.values())  # only the primary field
    names = [r["fields"].get("Company", "") for r in served.values()]
    assert any("\u0000" in n for n in names) and any(re.search("[\u0590-\u06ff]", n) for n in names)
    fields = schema["Beta Applications"]
    assert fields["Estimated Revenue"] == "singleLineText" and fields["Next Follow-up"] == "dateTime"


def test_messy_hubspot_objects_come_back_with_null_and_empty_properties(messy_world):
    _, messy = messy_world
    with HubSpotEmulator(messy.hubspot, messy.hubspot_associations, messy.hubspot_pipelines,
                         requests_per_10s=None, search_per_second=None) as em:
        client = hubspot.HubSpot(access_token=HS_TOKEN, host=em.url)
        names = ["name", "domain", "website", "city", "annualrevenue", "hs_lastmodifieddate"]
        served = {c.id: c.properties for c in client.crm.companies.get_all(properties=names)}
        stored = {c["id"]: c["properties"] for c in messy.hubspot["companies"]}
        assert served.keys() == stored.keys()
        assert all(served[i][n] == stored[i].get(n) for i in served for n in names)
        values = [v for p in served.values() for v in p.values()]
        assert None in values and "" in values
        assert any(v and v.isdigit() for v in (p["hs_lastmodifieddate"] for p in served.values()))
        assert any(v and "T" in v for v in (p["hs_lastmodifieddate"] for p in served.values()))
        # A deal whose company was deleted still names it (a dangling id)...
        deals = client.crm.deals.get_all(associations=["companies"])
        linked = {d.id: [a.id for a in d.associations["companies"].results] for d in deals if d.associations}
        dangling = {d: c for d, ids in linked.items() for c in ids if c not in stored}
        assert dangling
        deal, company = next(iter(dangling.items()))
        v4 = client.crm.associations.v4.basic_api.get_page("deals", deal, "companies")
        assert company in [str(r.to_object_id) for r in v4.results]
        # ...while a company deleted through the API takes its associations with it.
        some_deal, some_company = next((d, ids[0]) for d, ids in linked.items() if ids[0] in stored)
        em.purge("companies", some_company)
        v4 = client.crm.associations.v4.basic_api.get_page("deals", some_deal, "companies")
        assert some_company not in [str(r.to_object_id) for r in v4.results]


def test_messy_salesforce_records_come_back_with_nulls(messy_world):
    _, messy = messy_world
    with SalesforceEmulator(messy.salesforce, daily_api_limit=None) as em:
        sf = sf_client(em)
        rows = sf.query_all("SELECT Id, AccountId, FirstName, LastName, Email, Phone FROM Contact")["records"]
        stored = {r["Id"]: r for r in messy.salesforce["Contact"]}
        assert len(rows) == len(stored)
        for row in rows:
            assert set(row) == {"attributes", "Id", "AccountId", "FirstName", "LastName", "Email", "Phone"}
            assert all(row[f] == stored[row["Id"]][f] for f in ("AccountId", "FirstName", "LastName", "Email"))
        assert any(r["Email"] is None for r in rows) and all(r["LastName"] for r in rows)
        accounts = {a["Id"] for a in messy.salesforce["Account"]}
        assert any(r["AccountId"] and r["AccountId"] not in accounts for r in rows)  # parent deleted
        names = "".join(r["Name"] for r in sf.query_all("SELECT Name FROM Account")["records"])
        assert "\u0000" in names
        # Bulk API 2.0 results carry the NUL too; simple-salesforce's bulk2 strips NULs itself.
        headers = {"Authorization": f"Bearer {SF_TOKEN}"}
        session = sf_session(em)
        job = session.post(f"{em.url}/services/data/v59.0/jobs/query", headers=headers,
                           json={"operation": "query", "query": "SELECT Id, Name FROM Account"}).json()
        csv_text = session.get(f"{em.url}/services/data/v59.0/jobs/query/{job['id']}/results", headers=headers).text
        assert "\u0000" in csv_text
        assert "\u0000" not in "".join(sf.bulk2.Account.query("SELECT Id, Name FROM Account", wait=0))
