"""Reading query strings and JSON bodies the way HubSpot accepts them (and refusing what it refuses)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from dealsync.emulator.hubspot.errors import validation_error

Json = dict[str, Any]

_TRUE = ("true", "1")
_FALSE = ("false", "0")


def multi(request: Request, name: str) -> list[str]:
    """An array parameter sent as repeated keys (the SDK's ``multi`` format) and/or comma-separated."""
    values: list[str] = []
    for raw in request.args.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return list(dict.fromkeys(values))


def flag(request: Request, name: str, default: bool = False) -> bool:
    """A boolean parameter; the SDK sends Python's ``True``/``False``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise validation_error(f"Invalid value for query parameter {name}: {raw!r} is not a boolean.")


def bounded_int(raw: Any, name: str, default: int, maximum: int, minimum: int = 1) -> int:
    """An integer parameter between ``minimum`` and ``maximum``; anything else is HubSpot's 400."""
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise validation_error(f"Invalid value for {name}: {raw!r} is not an integer.") from None
    if value > maximum:
        raise validation_error(f"{name} must be less than or equal to {maximum}; got {value}.")
    if value < minimum:
        raise validation_error(f"{name} must be greater than or equal to {minimum}; got {value}.")
    return value


def json_body(request: Request) -> Json:
    """The JSON object body; HubSpot answers malformed JSON with 400 VALIDATION_ERROR."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise validation_error(f"Invalid input JSON on line 1, column 1: {exc}") from None
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected a JSON object.")
    return body


def string_list(value: Any, name: str) -> list[str]:
    """A JSON array of strings (``properties``, ``propertiesWithHistory``); null means empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error(f"Invalid input JSON: {name} must be an array.")
    return list(dict.fromkeys(str(item) for item in value if str(item)))


def input_ids(body: Json, maximum: int) -> list[str]:
    """``inputs: [{"id": ...}]`` of a batch request, at most ``maximum`` of them."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation_error("Invalid input JSON: inputs must be an array.")
    check_batch_size(len(inputs), maximum)
    ids: list[str] = []
    for item in inputs:
        if not isinstance(item, dict) or item.get("id") in (None, ""):
            raise validation_error("Invalid input JSON: each input needs an id.")
        ids.append(str(item["id"]))
    return ids


def check_batch_size(size: int, maximum: int) -> None:
    if size > maximum:
        raise validation_error(
            f"Batch input exceeded the maximum size of {maximum}: got {size} inputs.",
            context={"maxInputs": [str(maximum)], "inputs": [str(size)]},
        )
