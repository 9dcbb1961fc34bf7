"""Deal-company associations: embedded in object reads (v3 ``associations``) and the batch association APIs.

Docs: https://developers.hubspot.com/docs/api/crm/associations (v4: ``POST
/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read`` and ``GET
/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}``); the v3 ``POST
/crm/v3/associations/{fromObjectType}/{toObjectType}/batch/read`` is its legacy predecessor (results
``{from: {id}, to: [{id, type}]}``).
An input with no associations is reported in ``errors[]`` with ``subCategory``
``crm.associations.NO_ASSOCIATIONS_FOUND`` and the response is 207, as the real API does. The primary
deal-company association carries type ids 5 ("Primary") and 341 (unlabeled); others only 341.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.catalog import COMPANIES, DEALS
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import validation_error
from dealsync.emulator.hubspot.index import for_kind
from dealsync.emulator.hubspot.params import input_ids, json_body
from dealsync.emulator.hubspot.serialize import iso_ms, now_ms
from dealsync.emulator.state import HubSpotPortal
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

BATCH_MAX = 1000
SINGULAR = {DEALS: "deal", COMPANIES: "company"}
V3_TYPE = {(DEALS, COMPANIES): "deal_to_company", (COMPANIES, DEALS): "company_to_deal"}
# (primary type id, unlabeled type id) per direction
V4_TYPE_IDS = {(DEALS, COMPANIES): (5, 341), (COMPANIES, DEALS): (6, 342)}


def associated_ids(portal: HubSpotPortal, from_kind: str, to_kind: str, object_id: str) -> list[str]:
    """Ids associated with one object, primary first (deal -> companies keeps the stored order)."""
    if (from_kind, to_kind) == (DEALS, COMPANIES):
        return list(portal.deal_companies.get(object_id, []))
    if (from_kind, to_kind) == (COMPANIES, DEALS):
        return [deal for deal, companies in portal.deal_companies.items() if object_id in companies]
    return []


def embedded(portal: HubSpotPortal, kind: str, object_id: str, wanted: list[str]) -> Json | None:
    """The v3 ``associations`` member of an object read (only non-empty associations appear)."""
    out: Json = {}
    for target in wanted:
        to_kind = for_kind(target)
        ids = associated_ids(portal, kind, to_kind, object_id)
        if ids:
            label = V3_TYPE.get((kind, to_kind), f"{SINGULAR.get(kind, kind)}_to_{SINGULAR.get(to_kind, to_kind)}")
            out[target] = {"results": [{"id": i, "type": label} for i in ids]}
    return out or None


def v4_targets(from_kind: str, to_kind: str, ids: list[str]) -> list[Json]:
    primary, unlabeled = V4_TYPE_IDS.get((from_kind, to_kind), (0, 0))
    targets = []
    for position, target in enumerate(ids):
        types = [{"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None}]
        if position == 0 and (from_kind, to_kind) == (DEALS, COMPANIES):
            types.insert(0, {"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
        targets.append({"toObjectId": int(target) if target.isdigit() else target, "associationTypes": types})
    return targets


def no_associations(from_kind: str, to_kind: str, object_id: str) -> Json:
    source, target = SINGULAR.get(from_kind, from_kind), SINGULAR.get(to_kind, to_kind)
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {target} is associated with {source} {object_id}.",
        "context": {"fromObjectId": [object_id], "fromObjectType": [source], "toObjectType": [target]},
    }


def batch_read(ctx: Ctx, version: int) -> Response:
    """v3 and v4 ``batch/read``: one result per input that has associations, an error per input that has none."""
    from_kind, to_kind = for_kind(ctx.params["fromType"]), for_kind(ctx.params["toType"])
    if {from_kind, to_kind} - {DEALS, COMPANIES, "contacts"}:
        raise validation_error(f"Unknown object type: {ctx.params['fromType']} or {ctx.params['toType']}.")
    started = iso_ms(now_ms())
    ids = input_ids(json_body(ctx.request), BATCH_MAX)
    results: list[Json] = []
    errors: list[Json] = []
    with ctx.portal.lock:
        for object_id in dict.fromkeys(ids):
            targets = associated_ids(ctx.portal, from_kind, to_kind, object_id)
            if not targets:
                errors.append(no_associations(from_kind, to_kind, object_id))
            elif version == 4:
                results.append({"from": {"id": object_id}, "to": v4_targets(from_kind, to_kind, targets)})
            else:
                label = V3_TYPE.get((from_kind, to_kind), "")
                results.append({"from": {"id": object_id}, "to": [{"id": t, "type": label} for t in targets]})
    return batch_response(results, errors, started)


def batch_response(results: list[Json], errors: list[Json], started: str) -> Response:
    body: Json = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = started
    body["completedAt"] = iso_ms(now_ms())
    return json_response(body, status=207 if errors else 200)


def batch_read_v4(ctx: Ctx) -> Response:
    return batch_read(ctx, 4)


def batch_read_v3(ctx: Ctx) -> Response:
    return batch_read(ctx, 3)


def object_associations_v4(ctx: Ctx) -> Response:
    """``GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}`` (one page)."""
    from_kind, to_kind = ctx.kind, for_kind(ctx.params["toType"])
    with ctx.portal.lock:
        targets = associated_ids(ctx.portal, from_kind, to_kind, ctx.params["objectId"])
    return json_response({"results": v4_targets(from_kind, to_kind, targets)})
