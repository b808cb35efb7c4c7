"""The Salesforce emulator's write endpoints, as an integration user with edit rights sees them:
sObject create (``POST …/sobjects/{S}/``), update (``PATCH …/sobjects/{S}/{Id}`` → 204), upsert on
an external-id field (``PATCH …/sobjects/{S}/{Field}/{value}`` → 201 created / 204 updated) and
sObject Collections update (``PATCH …/composite/sobjects``, up to 200 records, ``allOrNone``).

A field must exist on the object to be written (``INVALID_FIELD``); the org's fields are the ones
its records carry plus ``declared`` ones (standard Task fields, and the hub's custom fields —
``Hub_Health_Score__c``, ``Hub_Health_Band__c``, ``Hub_Customer_Id__c`` on Account, the external
id ``Hub_Action_Id__c`` on Task — which a team creates in Setup, docs/playbooks.md). ``OwnerId``
must be a User and ``WhatId`` a live record (``INVALID_CROSS_REFERENCE_KEY``).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from hub.emulators._server import Request, Response, json_response

COLLECTION_MAX = 200
TASK_FIELDS = {"Subject": "string", "Description": "textarea", "WhatId": "reference", "WhoId": "reference",
               "OwnerId": "reference", "ActivityDate": "date", "Status": "picklist", "Priority": "picklist",
               "Type": "picklist"}
HUB_FIELDS = {"Account": {"Hub_Health_Score__c": "double", "Hub_Health_Band__c": "string",
                          "Hub_Customer_Id__c": "string", "OwnerId": "reference"},
              "Task": {"Hub_Action_Id__c": "string"}}
EXTERNAL_IDS = {"Task": {"Hub_Action_Id__c"}, "Account": {"Hub_Customer_Id__c"}}
READ_ONLY = frozenset({"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"})


def _errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return json_response(status, [body])


class SalesforceWritesMixin:
    """Mixed into ``SalesforceEmulator`` (whose ``upsert`` stores)."""

    _lock: threading.RLock
    _records: dict[str, dict[str, dict]]

    def _init_writes(self, hub_fields: bool) -> None:
        self._declared: dict[str, dict[str, str]] = {"Task": dict(TASK_FIELDS)}
        if hub_fields:
            for sobject, fields in HUB_FIELDS.items():
                self._declared.setdefault(sobject, {}).update(fields)
        self._records.setdefault("Task", {})
        self.writes = 0  # write requests served (tests count them: a retried run must add none)

    def _problem(self, sobject: str, fields: Any) -> Response | None:
        if not isinstance(fields, dict):
            return _errors(400, "JSON_PARSER_ERROR", "The request body must be a JSON object of fields")
        types = self._field_types(sobject)  # type: ignore[attr-defined]
        for name, value in fields.items():
            if name == "attributes":
                continue
            if name not in types:
                return _errors(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
            if name in READ_ONLY:
                return _errors(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               f"Unable to create/update fields: {name}. Please check the security settings of "
                               "this field and verify that it is read/write for your profile or permission set.",
                               [name])
            if value in (None, ""):
                continue
            if name == "OwnerId" and self._records.get("User") and str(value) not in self._records["User"]:
                return _errors(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
            if name == "WhatId" and not any(str(value) in records and not records[str(value)].get("IsDeleted")
                                            for records in self._records.values()):
                return _errors(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
        return None

    def _write_route(self, request: Request, version: str, rest: list[str]) -> Response | None:
        method = request.method
        if method == "DELETE" and len(rest) == 3 and rest[0] == "sobjects":
            return self._delete_record(rest[1], rest[2])
        if method not in ("POST", "PATCH"):
            return None
        try:
            body = request.json() if request.body else None
        except ValueError:
            return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if rest == ["composite", "sobjects"] and method == "PATCH":
            return self._collection_update(body or {})
        if rest == ["composite"] and method == "POST":
            return self._composite(request, version, body or {})
        if rest[:1] != ["sobjects"] or len(rest) < 2:
            return None
        sobject = self._sobject(rest[1])  # type: ignore[attr-defined]
        if sobject is None:
            return _errors(404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{rest[1]}'")
        if method == "POST" and len(rest) == 2:
            return self._create(sobject, body or {})
        if method == "PATCH" and len(rest) == 3:
            return self._update(sobject, rest[2], body or {})
        if method == "PATCH" and len(rest) == 4:
            return self._upsert_external(sobject, rest[2], rest[3], body or {})
        return None

    def _composite(self, request: Request, version: str, body: dict[str, Any]) -> Response:
        """``POST …/composite``: up to 25 subrequests in order, a later one may use an earlier one's
        result as ``@{referenceId.field}``; with ``allOrNone`` the first failure rolls back the rest."""
        subrequests = body.get("compositeRequest")
        if not isinstance(subrequests, list) or not subrequests:
            return _errors(400, "JSON_PARSER_ERROR", "compositeRequest must be a non-empty list")
        if len(subrequests) > 25:
            return _errors(400, "LIMIT_EXCEEDED", "Composite requests allow at most 25 subrequests")
        all_or_none = bool(body.get("allOrNone"))
        results: dict[str, Any] = {}
        out: list[dict[str, Any]] = []
        with self._lock:
            saved = json.loads(json.dumps(self._records))
            for sub in subrequests:
                ref = str(sub.get("referenceId") or "")
                text = json.dumps(sub)
                for name, result in results.items():
                    for key, value in (result or {}).items() if isinstance(result, dict) else ():
                        text = text.replace("@{" + f"{name}.{key}" + "}", str(value))
                sub = json.loads(text)
                url = str(sub.get("url") or "")
                prefix = f"/services/data/v{version}/"
                if not url.startswith(prefix):
                    response = _errors(400, "INVALID_URL", f"subrequest url must start with {prefix}")
                else:
                    inner = Request(method=str(sub.get("method") or "GET").upper(), path=url,
                                    query={}, headers={}, body=json.dumps(sub.get("body") or {}).encode())
                    rest = [p for p in url[len(prefix):].split("?")[0].split("/") if p]
                    response = self._write_route(inner, version, rest) or _errors(
                        400, "NOT_SUPPORTED", "the emulator's composite takes sObject writes only")
                parsed = json.loads(response.body) if response.body else None
                results[ref] = parsed
                out.append({"body": parsed, "httpHeaders": {}, "httpStatusCode": response.status, "referenceId": ref})
                if all_or_none and response.status >= 400:
                    self._records.clear()
                    self._records.update(saved)
                    self._types.clear()  # type: ignore[attr-defined]
                    out = [{**o, "body": o["body"] if o["httpStatusCode"] >= 400 else [
                        {"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since "
                         "another operation in the same transaction failed."}], "httpStatusCode":
                        o["httpStatusCode"] if o["httpStatusCode"] >= 400 else 400} for o in out]
                    out += [{"body": [{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled "
                             "back since another operation in the same transaction failed."}], "httpHeaders": {},
                             "httpStatusCode": 400, "referenceId": str(s.get("referenceId") or "")}
                            for s in subrequests[len(out):]]
                    break
        return json_response(200, {"compositeResponse": out})

    def _delete_record(self, name: str, record_id: str) -> Response:
        """``DELETE …/sobjects/{S}/{Id}``: to the recycle bin (queryAll and ``deleted`` still see it)."""
        sobject = self._sobject(name)  # type: ignore[attr-defined]
        if sobject is None or record_id not in self._records.get(sobject, {}):
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if not self._live(sobject, record_id):
            return _errors(404, "ENTITY_IS_DELETED", "entity is deleted")
        with self._lock:
            self.writes += 1
            self.delete(sobject, record_id)  # type: ignore[attr-defined]
        return Response(204, b"", {})

    def _create(self, sobject: str, fields: dict[str, Any]) -> Response:
        problem = self._problem(sobject, fields)
        if problem:
            return problem
        if sobject == "Task":
            fields = {"Status": "Not Started", "Priority": "Normal", **fields}
        with self._lock:
            self.writes += 1
            record = self.upsert(sobject, {k: v for k, v in fields.items() if k != "attributes"})  # type: ignore[attr-defined]
        return json_response(201, {"id": record["Id"], "success": True, "errors": []})

    def _live(self, sobject: str, record_id: str) -> bool:
        record = self._records.get(sobject, {}).get(record_id)
        return record is not None and not record.get("IsDeleted")

    def _update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> Response:
        problem = self._problem(sobject, fields)
        if problem:
            return problem
        with self._lock:
            if record_id not in self._records.get(sobject, {}):
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            if not self._live(sobject, record_id):
                return _errors(404, "ENTITY_IS_DELETED", "entity is deleted")
            self.writes += 1
            self.upsert(sobject, {**{k: v for k, v in fields.items() if k != "attributes"}, "Id": record_id})  # type: ignore[attr-defined]
        return Response(204, b"", {})

    def _upsert_external(self, sobject: str, field: str, value: str, fields: dict[str, Any]) -> Response:
        if field not in EXTERNAL_IDS.get(sobject, set()) or field not in self._field_types(sobject):  # type: ignore[attr-defined]
            return _errors(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")
        problem = self._problem(sobject, fields)
        if problem:
            return problem
        with self._lock:
            matches = [r for r in self._records.get(sobject, {}).values()
                       if str(r.get(field)) == value and not r.get("IsDeleted")]
            if len(matches) > 1:
                return json_response(300, [r["Id"] for r in matches])
            self.writes += 1
            clean = {k: v for k, v in fields.items() if k != "attributes"}
            if matches:
                self.upsert(sobject, {**clean, "Id": matches[0]["Id"]})  # type: ignore[attr-defined]
                return Response(204, b"", {})
            if sobject == "Task":
                clean = {"Status": "Not Started", "Priority": "Normal", **clean}
            record = self.upsert(sobject, {**clean, field: value})  # type: ignore[attr-defined]
        return json_response(201, {"id": record["Id"], "success": True, "errors": [], "created": True})

    def _collection_update(self, body: dict[str, Any]) -> Response:
        records = body.get("records")
        if not isinstance(records, list):
            return _errors(400, "JSON_PARSER_ERROR", "records must be a list")
        if len(records) > COLLECTION_MAX:
            return _errors(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than "
                           f"{COLLECTION_MAX} records into this call")
        all_or_none = bool(body.get("allOrNone"))
        results: list[dict[str, Any]] = []
        plans: list[tuple[str, str, dict[str, Any]]] = []
        for record in records:
            sobject = self._sobject(str((record.get("attributes") or {}).get("type") or ""))  # type: ignore[attr-defined]
            record_id = str(record.get("id") or record.get("Id") or "")
            fields = {k: v for k, v in record.items() if k not in ("attributes", "id", "Id")}
            error = None
            if sobject is None:
                error = {"statusCode": "INVALID_TYPE", "message": "sObject type is missing or unknown", "fields": []}
            elif not self._live(sobject, record_id):
                error = {"statusCode": "ENTITY_IS_DELETED" if record_id in self._records.get(sobject, {})
                         else "MALFORMED_ID", "message": f"bad id {record_id}", "fields": ["Id"]}
            else:
                problem = self._problem(sobject, fields)
                if problem is not None:
                    detail = json.loads(problem.body)[0]
                    error = {"statusCode": detail["errorCode"], "message": detail["message"],
                             "fields": detail.get("fields", [])}
            if error:
                results.append({"id": record_id or None, "success": False, "errors": [error]})
            else:
                results.append({"id": record_id, "success": True, "errors": []})
                plans.append((sobject, record_id, fields))  # type: ignore[arg-type]
        failed = any(not r["success"] for r in results)
        if all_or_none and failed:
            results = [r if not r["success"] else {"id": r["id"], "success": False, "errors": [
                {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not "
                 "all records were valid and the request was using AllOrNone header", "fields": []}]}
                for r in results]
            return json_response(200, results)
        with self._lock:
            self.writes += 1
            for sobject, record_id, fields in plans:
                self.upsert(sobject, {**fields, "Id": record_id})  # type: ignore[attr-defined]
        return json_response(200, results)
