"""HubSpot's owners API: ``GET /crm/v3/owners`` (paged by ``after``, ``limit`` ≤ 500, default
100; ``email`` filters; ``archived=true`` lists only archived owners) and
``GET /crm/v3/owners/{ownerId}`` (``idProperty=id|userId``)."""

from __future__ import annotations

from typing import Any

OWNER_FIELDS = ("id", "email", "type", "firstName", "lastName", "userId", "userIdIncludingInactive",
                "createdAt", "updatedAt", "archived", "teams")


def _wire(owner: dict[str, Any]) -> dict[str, Any]:
    """An owner as HubSpot sends it: the fields it has (an owner without a name has none)."""
    return {k: owner[k] for k in OWNER_FIELDS if k in owner and owner[k] is not None}


def owners_page(owners: list[dict[str, Any]], params: dict[str, str | None], base_url: str
                ) -> tuple[int, dict[str, Any]]:
    """(status, body) of one page of the owners listing."""
    try:
        limit = int(params.get("limit") or 100)
    except ValueError:
        limit = 0
    if not 0 < limit <= 500:
        return 400, {"message": f"limit must be between 1 and 500, got {params.get('limit')}",
                     "category": "VALIDATION_ERROR"}
    archived = (params.get("archived") or "false").lower() == "true"
    email = (params.get("email") or "").lower()
    chosen = sorted((o for o in owners if bool(o.get("archived")) == archived
                     and (not email or str(o.get("email") or "").lower() == email)),
                    key=lambda o: (len(str(o["id"])), str(o["id"])))
    after = params.get("after")
    start = 0
    if after:
        start = next((i for i, o in enumerate(chosen) if (len(str(o["id"])), str(o["id"])) >= (len(after), after)),
                     len(chosen))
    page = chosen[start:start + limit]
    body: dict[str, Any] = {"results": [_wire(o) for o in page]}
    if start + limit < len(chosen):
        nxt = str(chosen[start + limit]["id"])
        body["paging"] = {"next": {"after": nxt, "link": f"{base_url}/crm/v3/owners/?after={nxt}&limit={limit}"}}
    return 200, body


def owner_by_id(owners: list[dict[str, Any]], owner_id: str, params: dict[str, str | None]
                ) -> tuple[int, dict[str, Any]]:
    by = params.get("idProperty") or "id"
    archived = (params.get("archived") or "false").lower() == "true"
    for owner in owners:
        if str(owner.get(by)) == owner_id and bool(owner.get("archived")) == archived:
            return 200, _wire(owner)
    return 404, {"message": f"Owner {owner_id} not found", "category": "OBJECT_NOT_FOUND"}
