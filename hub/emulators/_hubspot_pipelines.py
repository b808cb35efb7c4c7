"""HubSpot pipelines (`GET /crm/v3/pipelines/{objectType}[/{pipelineId}[/stages]]`)."""

from __future__ import annotations

import copy


def _complete(item: dict) -> dict:
    """Fill the fields hubspot-api-client requires (createdAt, updatedAt, archived) when the
    data omits them; everything the data has is served as is."""
    item = copy.deepcopy(item)
    item.setdefault("createdAt", "2024-01-01T00:00:00.000Z")
    item.setdefault("updatedAt", item["createdAt"])
    item.setdefault("archived", False)
    return item


def pipelines_payload(pipelines: list[dict], rest: list[str]) -> dict | None:
    """The response body for the path after the object type, or None for an unknown pipeline."""
    complete = []
    for pipeline in pipelines:
        out = _complete({k: v for k, v in pipeline.items() if k != "stages"})
        out["stages"] = [_complete(stage) for stage in pipeline.get("stages", [])]
        complete.append(out)
    if not rest:
        return {"results": complete}
    pipeline = next((p for p in complete if str(p.get("id")) == rest[0]), None)
    if pipeline is None or rest[1:] not in ([], ["stages"]):
        return None
    return {"results": pipeline["stages"]} if rest[1:] == ["stages"] else pipeline
