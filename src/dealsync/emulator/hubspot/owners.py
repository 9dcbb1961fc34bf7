"""CRM owners: ``GET /crm/v3/owners`` (paged) and ``GET /crm/v3/owners/{ownerId}``.

Docs: https://developers.hubspot.com/docs/api/crm/owners. Owners are stored in the CRM v3 owner shape
(``id, email, firstName, lastName, userId, createdAt, updatedAt, archived, teams``).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import not_found
from dealsync.emulator.hubspot.index import id_key
from dealsync.emulator.hubspot.params import bounded_int, flag
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

OWNERS_MAX = 500


def owner_json(owner_id: str, owner: Json) -> Json:
    body = dict(owner)
    body.setdefault("id", owner_id)
    body.setdefault("archived", False)
    return body


def list_owners(ctx: Ctx) -> Response:
    request = ctx.request
    limit = bounded_int(request.args.get("limit"), "limit", 100, OWNERS_MAX)
    after, email = request.args.get("after"), (request.args.get("email") or "").lower()
    archived = flag(request, "archived")
    with ctx.portal.lock:
        owners = [owner_json(i, o) for i, o in sorted(ctx.portal.owners.items(), key=lambda kv: id_key(kv[0]))]
    owners = [
        o
        for o in owners
        if bool(o.get("archived")) == archived and (not email or str(o.get("email", "")).lower() == email)
    ]
    if after:
        owners = [o for o in owners if id_key(str(o["id"])) >= id_key(after)]
    body: Json = {"results": owners[:limit]}
    if len(owners) > limit:
        body["paging"] = {"next": {"after": str(owners[limit]["id"])}}
    return json_response(body)


def get_owner(ctx: Ctx) -> Response:
    owner_id = ctx.params["ownerId"]
    by_user = ctx.request.args.get("idProperty") == "userId"
    with ctx.portal.lock:
        owners = [owner_json(i, o) for i, o in ctx.portal.owners.items()]
    key = "userId" if by_user else "id"
    owner = next((o for o in owners if str(o.get(key)) == owner_id), None)
    if owner is None:
        raise not_found(f"Owner {owner_id} not found.", context={"id": [owner_id]})
    return json_response(owner)
