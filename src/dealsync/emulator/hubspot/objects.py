"""CRM objects (deals and companies): list, read, update, batch read, batch update.

Docs: https://developers.hubspot.com/docs/api/crm/deals (list ``GET /crm/v3/objects/deals``, read
``GET /crm/v3/objects/deals/{dealId}``, update ``PATCH /crm/v3/objects/deals/{dealId}``, ``POST
/crm/v3/objects/deals/batch/read``, ``POST /crm/v3/objects/deals/batch/update``) and
https://developers.hubspot.com/docs/api/crm/companies for the same calls on companies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from dealsync.emulator.hubspot import catalog
from dealsync.emulator.hubspot.associations import embedded
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import (
    HubSpotError,
    batch_error,
    detail_errors,
    invalid_property_details,
    not_found,
    validation_error,
)
from dealsync.emulator.hubspot.index import PortalIndex
from dealsync.emulator.hubspot.params import (
    bounded_int,
    check_batch_size,
    flag,
    input_ids,
    json_body,
    multi,
    string_list,
)
from dealsync.emulator.hubspot.serialize import PropertySelection, iso_ms, now_ms, object_json, select
from dealsync.emulator.hubspot.writes import apply, validate
from dealsync.emulator.state import HubSpotObject
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

LIST_MAX = 100
HISTORY_LIST_MAX = 50  # reading history lowers the page size, as the SDK's fetch_all assumes
BATCH_MAX = 100
TYPE_LABEL = {catalog.DEALS: "DEAL", catalog.COMPANIES: "COMPANY"}
WRITE_ECHO = ("hs_lastmodifieddate", "hs_object_id")


def selection(ctx: Ctx, requested: Sequence[str], defaults: Sequence[str]) -> PropertySelection:
    kind, portal = ctx.kind, ctx.portal
    return select(requested, defaults, lambda name: catalog.is_known(portal, kind, name))


def page_of(
    index: PortalIndex, kind: str, after: str | None, limit: int, archived: bool
) -> tuple[list[HubSpotObject], str | None]:
    """Up to ``limit`` objects from ``after`` on in id order, and the cursor of the next one."""
    store, order = index.store(kind), index.sorted_ids(kind)
    ids, position = order.ids, order.position(after)
    page: list[HubSpotObject] = []
    while position < len(ids) and len(page) < limit:
        obj = store.get(ids[position])
        position += 1
        if obj is not None and obj.archived == archived:
            page.append(obj)
    for object_id in ids[position:]:
        obj = store.get(object_id)
        if obj is not None and obj.archived == archived:
            return page, object_id
    return page, None


def next_link(request: Request, after: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "after"] + [("after", after)]
    return f"{request.host_url.rstrip('/')}{request.path}?{urlencode(args)}"


def list_objects(ctx: Ctx) -> Response:
    """``GET /crm/v3/objects/{deals|companies}``."""
    request, kind = ctx.request, ctx.kind
    history = multi(request, "propertiesWithHistory")
    limit = bounded_int(request.args.get("limit"), "limit", 10, LIST_MAX)
    limit = min(limit, HISTORY_LIST_MAX) if history else limit
    after = request.args.get("after") or None
    archived = flag(request, "archived")
    chosen = selection(ctx, multi(request, "properties"), catalog.DEFAULT_LIST_PROPERTIES[kind])
    wanted = multi(request, "associations")
    with ctx.portal.lock:
        page, next_after = page_of(ctx.index, kind, after, limit, archived)
        results = [
            object_json(
                obj,
                chosen,
                history=history,
                associations=embedded(ctx.portal, kind, obj.id, wanted) if wanted else None,
            )
            for obj in page
        ]
    body: Json = {"results": results}
    if next_after is not None:
        body["paging"] = {"next": {"after": next_after, "link": next_link(request, next_after)}}
    ctx.served(kind, [obj.id for obj in page])
    return json_response(body)


def lookup(ctx: Ctx, object_id: str, archived: bool, id_property: str | None) -> HubSpotObject | None:
    store = ctx.index.store(ctx.kind)
    if id_property and id_property != "hs_object_id":
        obj = next((o for o in store.values() if o.properties.get(id_property) == object_id), None)
    else:
        obj = store.get(object_id)
    return obj if obj is not None and obj.archived == archived else None


def missing_object(object_id: str) -> Exception:
    suffix = "" if object_id.isdigit() else "  objectId are usually numeric."
    return not_found(f"Object not found.{suffix}", context={"id": [object_id]})


def get_object(ctx: Ctx) -> Response:
    """``GET /crm/v3/objects/{deals|companies}/{objectId}``."""
    request, kind, object_id = ctx.request, ctx.kind, ctx.params["objectId"]
    chosen = selection(ctx, multi(request, "properties"), catalog.DEFAULT_LIST_PROPERTIES[kind])
    wanted = multi(request, "associations")
    with ctx.portal.lock:
        obj = lookup(ctx, object_id, flag(request, "archived"), request.args.get("idProperty"))
        if obj is None:
            raise missing_object(object_id)
        body = object_json(
            obj,
            chosen,
            history=multi(request, "propertiesWithHistory"),
            associations=embedded(ctx.portal, kind, obj.id, wanted) if wanted else None,
        )
    ctx.served(kind, [obj.id])
    return json_response(body)


def written_json(obj: HubSpotObject, names: Sequence[str]) -> Json:
    """The object as a write echoes it: the written properties plus the modification stamp and id."""
    return object_json(obj, PropertySelection([*names, *WRITE_ECHO]))


def properties_of(payload: Any) -> dict[str, Any]:
    properties = payload.get("properties") if isinstance(payload, dict) else None
    if not isinstance(properties, dict):
        raise validation_error("Invalid input JSON: properties must be an object.")
    return properties


def rejection(object_id: str) -> Json:
    """An injected per-record failure (fault profile partial-failure); transient, like a lock conflict."""
    return batch_error(
        "CONFLICT",
        f"Unable to update DEAL {object_id}: the record is locked by another update in progress. Retry the request.",
        [object_id],
    )


def update_object(ctx: Ctx) -> Response:
    """``PATCH /crm/v3/objects/deals/{dealId}``: 200 with the updated object."""
    object_id = ctx.params["objectId"]
    properties = properties_of(json_body(ctx.request))
    with ctx.portal.lock:
        obj = lookup(ctx, object_id, False, ctx.request.args.get("idProperty"))
        if obj is None:
            raise missing_object(object_id)
        values, problems = validate(ctx.portal, obj, properties)
        if problems:
            raise validation_error(invalid_property_details(problems), errors=detail_errors(problems))
        if ctx.backend.faults.reject_record("hubspot", obj.id):
            raise HubSpotError(409, "CONFLICT", rejection(obj.id)["message"])
        apply(ctx.index, obj, values, now_ms())
        body = written_json(obj, list(values))
    ctx.backend.stats.count_writes("hubspot", 1)
    return json_response(body)


def batch_read(ctx: Ctx) -> Response:
    """``POST /crm/v3/objects/{deals|companies}/batch/read``: 200, or 207 naming the ids not found."""
    kind, started = ctx.kind, iso_ms(now_ms())
    body = json_body(ctx.request)
    ids = input_ids(body, BATCH_MAX)
    chosen = selection(ctx, string_list(body.get("properties"), "properties"), catalog.DEFAULT_BATCH_PROPERTIES)
    history = string_list(body.get("propertiesWithHistory"), "propertiesWithHistory")
    archived, id_property = flag(ctx.request, "archived"), body.get("idProperty")
    results: list[Json] = []
    missing: list[str] = []
    seen: dict[str, None] = {}  # insertion-ordered, so person edits stay deterministic
    with ctx.portal.lock:
        for object_id in ids:
            obj = lookup(ctx, object_id, archived, str(id_property) if id_property else None)
            if obj is None:
                missing.append(object_id)
            elif obj.id not in seen:
                seen[obj.id] = None
                results.append(object_json(obj, chosen, history=history))
    errors = [not_found_error(kind, missing)] if missing else []
    ctx.served(kind, list(seen))
    return batch_json(results, errors, started)


def not_found_error(kind: str, ids: Sequence[str]) -> Json:
    return batch_error(
        "OBJECT_NOT_FOUND",
        f"Could not get some {TYPE_LABEL.get(kind, kind.upper())} objects, "
        "they may be deleted or not exist. Check that ids are valid.",
        list(dict.fromkeys(ids)),
    )


def batch_json(results: list[Json], errors: list[Json], started: str) -> Response:
    body: Json = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = started
    body["completedAt"] = iso_ms(now_ms())
    return json_response(body, status=207 if errors else 200)


def update_inputs(body: Json) -> list[tuple[str, dict[str, Any], Any]]:
    """``inputs: [{id, properties, objectWriteTraceId?}]``; duplicate ids are refused like HubSpot does."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation_error("Invalid input JSON: inputs must be an array.")
    check_batch_size(len(inputs), BATCH_MAX)
    parsed = []
    for item in inputs:
        if not isinstance(item, dict) or item.get("id") in (None, ""):
            raise validation_error("Invalid input JSON: each input needs an id.")
        parsed.append((str(item["id"]), properties_of(item), item.get("objectWriteTraceId")))
    ids = [object_id for object_id, _, _ in parsed]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise validation_error(f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")
    return parsed


def traced(error: Json, trace: Any) -> Json:
    if trace is not None:
        error["context"]["objectWriteTraceId"] = [str(trace)]
    return error


def update_one(
    ctx: Ctx, object_id: str, properties: dict[str, Any], trace: Any, results: list[Json], errors: list[Json]
) -> bool:
    """Apply one batch input; False when the object does not exist."""
    obj = lookup(ctx, object_id, False, None)
    if obj is None:
        return False
    values, problems = validate(ctx.portal, obj, properties)
    if problems:
        errors.append(
            traced(
                batch_error(
                    "VALIDATION_ERROR", invalid_property_details(problems), [object_id], errors=detail_errors(problems)
                ),
                trace,
            )
        )
    elif ctx.backend.faults.reject_record("hubspot", object_id):
        errors.append(traced(rejection(object_id), trace))
    else:
        apply(ctx.index, obj, values, now_ms())
        results.append(written_json(obj, list(values)))
    return True


def batch_update(ctx: Ctx) -> Response:
    """``POST /crm/v3/objects/deals/batch/update``: 200 when all succeed, else 207 with per-input errors."""
    started = iso_ms(now_ms())
    inputs = update_inputs(json_body(ctx.request))
    results: list[Json] = []
    errors: list[Json] = []
    missing: list[str] = []
    with ctx.portal.lock:
        for object_id, properties, trace in inputs:
            if not update_one(ctx, object_id, properties, trace, results, errors):
                missing.append(object_id)
    if missing:
        errors.insert(0, not_found_error(ctx.kind, missing))
    if results:
        ctx.backend.stats.count_writes("hubspot", len(results))
    return batch_json(results, errors, started)
