"""Deal pipelines and stages.

Docs: https://developers.hubspot.com/docs/api/crm/pipelines (``GET /crm/v3/pipelines/{objectType}``,
``GET /crm/v3/pipelines/{objectType}/{pipelineId}``, ``GET /crm/v3/pipelines/{objectType}/{pipelineId}/stages``,
``GET /crm/v3/pipelines/{objectType}/{pipelineId}/stages/{stageId}``). Pipelines and stages come out ordered by
``displayOrder``; stage ``metadata`` values are strings; an unknown or archived pipeline is a 404.
"""

from __future__ import annotations

import copy
from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.catalog import DEALS
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import not_found, validation_error
from dealsync.emulator.hubspot.index import for_kind
from dealsync.emulator.hubspot.params import flag
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]
KNOWN_TYPES = (DEALS, "tickets")


def order(items: list[Json]) -> list[Json]:
    return sorted(items, key=lambda item: (item.get("displayOrder", 0), str(item.get("id"))))


def pipeline_json(pipeline: Json) -> Json:
    body = copy.deepcopy(pipeline)
    body.setdefault("archived", False)
    body["stages"] = order([s for s in body.get("stages", []) if not s.get("archived")])
    for stage in body["stages"]:
        stage.setdefault("archived", False)
        stage["metadata"] = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (stage.get("metadata") or {}).items()
        }
    return body


def pipelines_of(ctx: Ctx) -> list[Json]:
    """The portal's pipelines for the path's object type (only deals have any in the emulator)."""
    object_type = for_kind(ctx.params["objectType"])
    if object_type not in KNOWN_TYPES:
        raise validation_error(f"Unable to infer object type from: {ctx.params['objectType']}")
    return ctx.portal.pipelines if object_type == DEALS else []


def find(ctx: Ctx) -> Json:
    pipeline_id = ctx.params["pipelineId"]
    for pipeline in pipelines_of(ctx):
        if pipeline.get("id") == pipeline_id and not pipeline.get("archived"):
            return pipeline_json(pipeline)
    raise not_found(f"Unable to find pipeline {pipeline_id} for object type {ctx.params['objectType']}.")


def list_pipelines(ctx: Ctx) -> Response:
    archived = flag(ctx.request, "archived")
    with ctx.portal.lock:
        found = [pipeline_json(p) for p in pipelines_of(ctx) if bool(p.get("archived")) == archived]
    return json_response({"results": order(found)})


def get_pipeline(ctx: Ctx) -> Response:
    with ctx.portal.lock:
        return json_response(find(ctx))


def list_stages(ctx: Ctx) -> Response:
    with ctx.portal.lock:
        return json_response({"results": find(ctx)["stages"]})


def get_stage(ctx: Ctx) -> Response:
    stage_id = ctx.params["stageId"]
    with ctx.portal.lock:
        stage = next((s for s in find(ctx)["stages"] if s.get("id") == stage_id), None)
    if stage is None:
        raise not_found(f"Unable to find stage {stage_id} in pipeline {ctx.params['pipelineId']}.")
    return json_response(stage)
