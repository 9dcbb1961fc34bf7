"""Validating and applying deal property writes as HubSpot does.

Validation follows HubSpot's per-property error codes (``PROPERTY_DOESNT_EXIST``, ``READ_ONLY_VALUE``,
``INVALID_FLOAT``, ``INVALID_DATE``, ``INVALID_BOOLEAN``, ``INVALID_OPTION``), reported in the
"Property values were not valid: [...]" message. Applying a write stamps ``hs_lastmodifieddate``/``updatedAt``,
recomputes the calculated properties and records history (newest first). Callers hold ``portal.lock``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dealsync.emulator.hubspot.catalog import deal_definitions, is_read_only, option_values
from dealsync.emulator.hubspot.derived import find_pipeline, recompute
from dealsync.emulator.hubspot.index import PortalIndex
from dealsync.emulator.hubspot.serialize import iso_ms, parse_instant, parse_number, wire_value
from dealsync.emulator.state import HubSpotObject, HubSpotPortal

Json = dict[str, Any]
Values = dict[str, str | None]

ALWAYS_READ_ONLY = frozenset({"hs_object_id", "createdate", "hs_lastmodifieddate"})
API_SOURCE = {"sourceType": "INTEGRATION", "sourceId": "emulator-private-app"}


def problem(name: str, code: str, message: str) -> Json:
    return {"isValid": False, "message": message, "error": code, "name": name, "localizedErrorMessage": message}


def validate(portal: HubSpotPortal, obj: HubSpotObject, raw: Mapping[str, Any]) -> tuple[Values, list[Json]]:
    """Normalised values to write and the problems found; a write with problems must not be applied."""
    definitions = deal_definitions(portal)
    pipeline = wire_value(raw["pipeline"]) if "pipeline" in raw else obj.properties.get("pipeline")
    values: Values = {}
    problems: list[Json] = []
    for name, raw_value in raw.items():
        definition = definitions.get(name)
        if definition is None:
            problems.append(problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
        elif name in ALWAYS_READ_ONLY or is_read_only(definition):
            problems.append(
                problem(name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.')
            )
        else:
            value, found = check_value(portal, definition, wire_value(raw_value), pipeline)
            if found:
                problems.append(found)
            else:
                values[name] = value
    return values, problems


def check_value(
    portal: HubSpotPortal, definition: Json, value: str | None, pipeline: str | None
) -> tuple[str | None, Json | None]:
    """The stored form of ``value`` for this property, or the problem with it. Empty clears the property."""
    if value is None or value == "":
        return None, None
    name = str(definition.get("name"))
    kind = str(definition.get("type", "string"))
    if kind == "number":
        ok = parse_number(value) is not None
        return (
            (value.strip(), None) if ok else (None, problem(name, "INVALID_FLOAT", f"{value} was not a valid number."))
        )
    if kind in ("datetime", "date"):
        return check_instant(name, kind, value)
    if kind == "bool":
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered, None
        return None, problem(name, "INVALID_BOOLEAN", f"{value} was not a valid boolean (true or false).")
    if kind == "enumeration":
        return check_option(portal, definition, value, pipeline)
    return value, None


def check_instant(name: str, kind: str, value: str) -> tuple[str | None, Json | None]:
    moment = parse_instant(value)
    if moment is None:
        return None, problem(name, "INVALID_DATE", f"{value} is not a valid date.")
    if kind == "date" and (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        return None, problem(name, "INVALID_DATE", f"{value} is at {moment:%H:%M:%S}.000 UTC, not midnight!")
    return iso_ms(moment), None


def allowed_options(portal: HubSpotPortal, definition: Json, pipeline: str | None) -> set[str] | None:
    """The values an enumeration accepts; None when anything goes."""
    name = definition.get("name")
    if name == "pipeline":
        return {str(p.get("id")) for p in portal.pipelines} or None
    if name == "dealstage":
        found = find_pipeline(portal, pipeline)
        candidates = [found] if found else portal.pipelines
        return {str(s.get("id")) for p in candidates for s in p.get("stages", [])} or None
    if name == "deal_currency_code":
        return {portal.home_currency, *portal.exchange_rates}
    if name == "hubspot_owner_id":
        return set(portal.owners) or None
    return option_values(definition) or None


def check_option(
    portal: HubSpotPortal, definition: Json, value: str, pipeline: str | None
) -> tuple[str | None, Json | None]:
    allowed = allowed_options(portal, definition, pipeline)
    if allowed is None or value in allowed:
        return value, None
    name = str(definition.get("name"))
    shown = ", ".join(sorted(allowed))
    return None, problem(name, "INVALID_OPTION", f"{value} was not one of the allowed options: [{shown}]")


def set_value(obj: HubSpotObject, name: str, value: str | None, stamp: str, source: Mapping[str, str]) -> None:
    """Write one property and, if it changed, put a version on top of its history."""
    old = obj.properties.get(name)
    obj.properties[name] = value
    if value != old:
        version = {"value": "" if value is None else value, "timestamp": stamp, **source}
        obj.history.setdefault(name, []).insert(0, version)


def apply(
    index: PortalIndex, obj: HubSpotObject, values: Values, now: datetime, source: Mapping[str, str] = API_SOURCE
) -> None:
    """Apply validated values plus what HubSpot recomputes, and stamp the modification."""
    stamp = iso_ms(now)
    for name, value in values.items():
        set_value(obj, name, value, stamp, source)
    defined = deal_definitions(index.portal)
    for name, value in recompute(index.portal, obj.properties, set(values)).items():
        if name in defined or name in obj.properties:
            set_value(obj, name, value, stamp, {"sourceType": "CALCULATED"})
    obj.properties["hs_lastmodifieddate"] = stamp
    obj.updated_at = now
    index.touch()
