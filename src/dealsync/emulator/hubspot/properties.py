"""Property definitions: list, read and create.

Docs: https://developers.hubspot.com/docs/api/crm/properties (``GET /crm/v3/properties/{objectType}``,
``GET /crm/v3/properties/{objectType}/{propertyName}``, ``POST /crm/v3/properties/{objectType}``). Creating
answers 201 with a ``ModelProperty``; a name already in use is a 409 (body shape unconfirmed: HubSpot's
standard error with category ``OBJECT_ALREADY_EXISTS``); missing required fields are a 400.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot import catalog
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import HubSpotError, not_found, validation_error
from dealsync.emulator.hubspot.index import for_kind
from dealsync.emulator.hubspot.params import flag, json_body
from dealsync.emulator.hubspot.serialize import iso_ms, now_ms
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

REQUIRED = ("name", "label", "type", "fieldType", "groupName")
TYPES = frozenset({"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"})
FIELD_TYPES = frozenset(
    {
        "booleancheckbox",
        "calculation_equation",
        "checkbox",
        "date",
        "file",
        "html",
        "number",
        "phonenumber",
        "radio",
        "select",
        "text",
        "textarea",
    }
)
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
OPTIONAL = (
    "description",
    "displayOrder",
    "hidden",
    "formField",
    "hasUniqueValue",
    "calculationFormula",
    "externalOptions",
    "referencedObjectType",
    "numberDisplayHint",
    "showCurrencySymbol",
    "currencyPropertyName",
    "dataSensitivity",
    "textDisplayHint",
)


def definitions(ctx: Ctx) -> dict[str, Json]:
    object_type = for_kind(ctx.params["objectType"])
    if object_type == catalog.DEALS:
        return dict(catalog.deal_definitions(ctx.portal))
    if object_type == catalog.COMPANIES:
        return {
            name: catalog.model_property(name, name, type_, "text", group="companyinformation")
            for name, type_ in catalog.company_types().items()
        }
    raise validation_error(f"Unable to infer object type from: {ctx.params['objectType']}")


def list_properties(ctx: Ctx) -> Response:
    archived = flag(ctx.request, "archived")
    with ctx.portal.lock:
        found = [d for d in definitions(ctx).values() if bool(d.get("archived")) == archived]
    return json_response({"results": found})


def get_property(ctx: Ctx) -> Response:
    name = ctx.params["propertyName"]
    with ctx.portal.lock:
        definition = definitions(ctx).get(name)
    if definition is None:
        raise not_found(f"Unable to find property {name} for object type {ctx.params['objectType']}.")
    return json_response(definition)


def check_create(body: Json) -> None:
    missing = [field for field in REQUIRED if not body.get(field)]
    if missing:
        raise validation_error(f"Some required fields were not set: [{', '.join(missing)}]")
    if not NAME_PATTERN.match(str(body["name"])):
        raise validation_error(
            f"Invalid property name {body['name']!r}: use lowercase letters, digits and "
            "underscores, starting with a letter."
        )
    if body["type"] not in TYPES:
        raise validation_error(f"Invalid type {body['type']!r}; expected one of {sorted(TYPES)}.")
    if body["fieldType"] not in FIELD_TYPES:
        raise validation_error(f"Invalid fieldType {body['fieldType']!r}; expected one of {sorted(FIELD_TYPES)}.")


def new_definition(body: Json) -> Json:
    options = tuple(
        (str(o.get("value")), str(o.get("label"))) for o in body.get("options") or [] if isinstance(o, dict)
    )
    definition = catalog.model_property(
        str(body["name"]),
        str(body["label"]),
        str(body["type"]),
        str(body["fieldType"]),
        options=options,
        group=str(body["groupName"]),
        hubspot_defined=False,
    )
    definition.update({key: body[key] for key in OPTIONAL if key in body})
    stamp = iso_ms(now_ms())
    definition.update({"createdAt": stamp, "updatedAt": stamp})
    return definition


def create_property(ctx: Ctx) -> Response:
    """``POST /crm/v3/properties/deals`` → 201 ``ModelProperty`` (409 when the name exists)."""
    if for_kind(ctx.params["objectType"]) != catalog.DEALS:
        raise validation_error(f"The emulator only creates deal properties, not {ctx.params['objectType']}.")
    body = json_body(ctx.request)
    check_create(body)
    with ctx.portal.lock:
        if not ctx.portal.deal_properties:
            ctx.portal.deal_properties.update(catalog.standard_deal_properties())
        if body["name"] in ctx.portal.deal_properties:
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{body['name']}' already exists.")
        definition = new_definition(body)
        ctx.portal.deal_properties[definition["name"]] = definition
    return json_response(definition, status=201)
