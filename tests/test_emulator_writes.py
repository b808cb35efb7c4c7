"""The emulators' write endpoints (what playbooks use) answer as the real APIs do, through the
real client libraries: creates, updates, batch limits, validation errors and idempotent upserts."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from pyairtable import Api
from requests import HTTPError
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound
from test_emulators import (
    AT_TOKEN,
    BASE,
    SF_ACCOUNTS,
    airtable_applications,
    hubspot_company,
    sf_client,
)

from hub.emulators import AirtableEmulator, HubSpotEmulator, SalesforceEmulator

OWNERS = [{"id": "71", "email": "maya@example.com", "firstName": "Maya", "lastName": "Chen", "archived": False,
           "userId": 1}]
USER = {"Id": "005000000000001AAA", "Name": "Maya Chen", "Email": "maya@example.com", "IsActive": True}


def _hubspot(em: HubSpotEmulator) -> HubSpot:
    return HubSpot(access_token=em.token, host=em.url, retry=False)


def test_hubspot_tasks_properties_and_batch_updates() -> None:
    with HubSpotEmulator({"companies": [hubspot_company(i) for i in range(120)]}, owners=OWNERS,
                         requests_per_10s=None, search_per_second=None) as em:
        client = _hubspot(em)
        [label] = client.crm.associations.v4.schema.definitions_api.get_all("tasks", "companies").results
        assert (label.category, label.type_id) == ("HUBSPOT_DEFINED", 192)
        body = {"properties": {"hs_timestamp": "2026-12-01T09:00:00.000Z", "hs_task_subject": "Call",
                               "hs_task_priority": "HIGH", "hubspot_owner_id": "71", "hs_task_body": "x marker-1"},
                "associations": [{"to": {"id": "1000"}, "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]}
        task = client.crm.objects.tasks.basic_api.create(body)
        assert task.properties["hs_task_subject"] == "Call"
        linked = client.crm.associations.v4.basic_api.get_page("tasks", task.id, "companies").results
        assert [str(r.to_object_id) for r in linked] == ["1000"]
        found = client.crm.objects.tasks.search_api.do_search({"filterGroups": [{"filters": [
            {"propertyName": "hs_task_body", "operator": "CONTAINS_TOKEN", "value": "marker-1"}]}]})
        assert [r.id for r in found.results] == [task.id]

        # HubSpot's validation: the due date is required, options and owners must exist.
        for properties, code in (({"hs_task_subject": "no date"}, "REQUIRED_FIELD"),
                                 ({"hs_timestamp": "2026-12-01", "hs_task_priority": "URGENT"}, "INVALID_OPTION"),
                                 ({"hs_timestamp": "2026-12-01", "hubspot_owner_id": "999"}, "INVALID_OWNER_ID")):
            with pytest.raises(Exception) as refused:
                client.crm.objects.tasks.basic_api.create({"properties": properties})
            assert refused.value.status == 400 and code in refused.value.body

        # A property must exist before it is written; the properties API makes it.
        with pytest.raises(Exception) as refused:
            client.crm.companies.basic_api.update("1000", {"properties": {"hub_health_score": "42"}})
        assert refused.value.status == 400 and "PROPERTY_DOESNT_EXIST" in refused.value.body
        with pytest.raises(Exception) as missing:
            client.crm.properties.core_api.get_by_name("companies", "hub_health_score")
        assert missing.value.status == 404
        client.crm.properties.core_api.create("companies", {"name": "hub_health_score", "label": "Hub health",
                                                            "type": "number", "fieldType": "number",
                                                            "groupName": "companyinformation"})
        inputs = [{"id": str(1000 + i), "properties": {"hub_health_score": str(i)}} for i in range(100)]
        client.crm.companies.batch_api.update({"inputs": inputs})
        assert em.snapshot("companies")["1099"]["properties"]["hub_health_score"] == "99"
        with pytest.raises(Exception) as too_many:
            client.crm.companies.batch_api.update({"inputs": inputs + [{"id": "1100", "properties": {}}]})
        assert too_many.value.status == 400 and "maximum 100" in too_many.value.body
        listed = client.crm.companies.basic_api.get_page(properties=["hub_health_score"], limit=1).results[0]
        assert listed.properties["hub_health_score"] == "0"

    # A read-only private app is refused writes with HubSpot's scope error.
    with HubSpotEmulator({"companies": [hubspot_company(0)]}, write_scopes=False, requests_per_10s=None) as em:
        with pytest.raises(Exception) as refused:
            _hubspot(em).crm.companies.basic_api.update("1000", {"properties": {"name": "x"}})
        assert refused.value.status == 403 and "MISSING_SCOPES" in refused.value.body


def test_salesforce_create_update_upsert_and_collections() -> None:
    with SalesforceEmulator({"Account": SF_ACCOUNTS[:300], "User": [USER]}, daily_api_limit=None) as em:
        sf = sf_client(em)
        account = SF_ACCOUNTS[0]["Id"]
        assert sf.Account.update(account, {"Hub_Health_Score__c": 42.5, "Hub_Health_Band__c": "at_risk"}) == 204
        assert sf.query(f"SELECT Hub_Health_Score__c FROM Account WHERE Id = '{account}'")["records"][0][
            "Hub_Health_Score__c"] == 42.5
        # An external id makes a retried create safe: 201 the first time, 204 after.
        fields = {"Subject": "Call", "WhatId": account, "ActivityDate": "2026-12-02", "OwnerId": USER["Id"]}
        assert sf.Task.upsert("Hub_Action_Id__c/act-1", fields) == 201
        assert sf.Task.upsert("Hub_Action_Id__c/act-1", fields) == 204
        [task] = sf.query("SELECT Id, Subject, Status, WhatId FROM Task")["records"]
        assert (task["Subject"], task["Status"], task["WhatId"]) == ("Call", "Not Started", account)
        created = sf.Task.create({"Subject": "Another", "WhatId": account})
        assert created["success"] and created["id"].startswith("00T")

        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.Account.update(account, {"Nope__c": 1})
        assert refused.value.content[0]["errorCode"] == "INVALID_FIELD"
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.Task.create({"Subject": "x", "WhatId": "001000000009999AAA"})
        assert refused.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.Account.update(account, {"OwnerId": "005000000000009AAA"})
        assert refused.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
        with pytest.raises(SalesforceResourceNotFound):
            sf.Task.upsert("Subject/x", {"Subject": "x"})  # not an external id

        # sObject Collections: 200 records a request, each its own result unless allOrNone.
        records = [{"attributes": {"type": "Account"}, "id": a["Id"], "Hub_Customer_Id__c": f"cus_{i}"}
                   for i, a in enumerate(SF_ACCOUNTS[1:200])]
        records.append({"attributes": {"type": "Account"}, "id": "001000000009999AAA", "Hub_Customer_Id__c": "x"})
        results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
        assert [r["success"] for r in results] == [True] * 199 + [False]
        assert em.snapshot("Account")[SF_ACCOUNTS[1]["Id"]]["Hub_Customer_Id__c"] == "cus_0"
        rolled = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": [
            {**records[0], "Hub_Customer_Id__c": "changed"}, records[-1]]})
        assert not any(r["success"] for r in rolled)
        assert em.snapshot("Account")[SF_ACCOUNTS[1]["Id"]]["Hub_Customer_Id__c"] == "cus_0"
        with pytest.raises(SalesforceMalformedRequest):
            sf.restful("composite/sobjects", method="PATCH", json={"records": records + records[:1]})

    # An org where nobody made the hub's custom fields answers INVALID_FIELD.
    with SalesforceEmulator({"Account": SF_ACCOUNTS[:1]}, hub_fields=False, daily_api_limit=None) as em:
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf_client(em).Account.update(SF_ACCOUNTS[0]["Id"], {"Hub_Health_Score__c": 1})
        assert "No such column 'Hub_Health_Score__c'" in refused.value.content[0]["message"]


def test_airtable_updates_cells_and_refuses_unknown_fields() -> None:
    with AirtableEmulator({"Beta Applications": airtable_applications()}, requests_per_second=None) as em:
        table = Api(AT_TOKEN, endpoint_url=em.url).table(BASE, "Beta Applications")
        first, second = em.snapshot("Beta Applications")[:2]
        updated = table.update(first["id"], {"Status": "Reviewing"})
        assert updated["fields"]["Status"] == "Reviewing"
        table.batch_update([{"id": r["id"], "fields": {"Status": "Accepted"}} for r in (first, second)])
        assert [r["fields"]["Status"] for r in em.snapshot("Beta Applications")[:2]] == ["Accepted", "Accepted"]
        with pytest.raises(HTTPError) as refused:
            table.update(first["id"], {"No Such Field": 1})
        assert refused.value.response.status_code == 422 and "UNKNOWN_FIELD_NAME" in refused.value.response.text
    with AirtableEmulator({"Beta Applications": airtable_applications()}, write_scopes=False,
                          requests_per_second=None) as em:
        with pytest.raises(HTTPError) as refused:
            Api(AT_TOKEN, endpoint_url=em.url).table(BASE, "Beta Applications").update(
                em.snapshot("Beta Applications")[0]["id"], {"Status": "x"})
        assert refused.value.response.status_code == 403


def test_salesforce_composite_runs_subrequests_in_order_with_references_and_all_or_none() -> None:
    with SalesforceEmulator({"Account": SF_ACCOUNTS[:3], "User": [USER]}, daily_api_limit=None) as em:
        sf = sf_client(em)
        base = f"/services/data/v{sf.sf_version}"
        account = SF_ACCOUNTS[0]["Id"]
        answer = sf.restful("composite", method="POST", json={"allOrNone": False, "compositeRequest": [
            {"method": "POST", "url": f"{base}/sobjects/Task", "referenceId": "task",
             "body": {"Subject": "Call", "WhatId": account}},
            {"method": "PATCH", "url": f"{base}/sobjects/Task/@{{task.id}}", "referenceId": "due",
             "body": {"ActivityDate": "2026-12-03"}}]})
        created, updated = answer["compositeResponse"]
        assert created["httpStatusCode"] == 201 and updated["httpStatusCode"] == 204
        assert em.snapshot("Task")[created["body"]["id"]]["ActivityDate"] == "2026-12-03"

        # allOrNone: one bad subrequest and nothing of the request stays.
        answer = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
            {"method": "PATCH", "url": f"{base}/sobjects/Account/{account}", "referenceId": "ok",
             "body": {"Hub_Health_Band__c": "healthy"}},
            {"method": "PATCH", "url": f"{base}/sobjects/Account/{account}", "referenceId": "bad",
             "body": {"Nope__c": 1}}]})
        statuses = [r["httpStatusCode"] for r in answer["compositeResponse"]]
        assert statuses == [400, 400]
        assert answer["compositeResponse"][0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert "Hub_Health_Band__c" not in em.snapshot("Account")[account]
