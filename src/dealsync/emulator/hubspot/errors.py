"""HubSpot's error bodies and the exception handlers raise to produce them.

Every HubSpot error body carries ``status: "error"``, ``message``, ``correlationId`` (a uuid4) and ``category``
(https://developers.hubspot.com/docs/api-reference/error-handling); the same id is sent in the
``x-hubspot-correlation-id`` header.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.wsgi import json_response

CORRELATION_HEADER = "x-hubspot-correlation-id"

Json = dict[str, Any]


def correlation_id() -> str:
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """An error a handler raises; rendered as HubSpot's standard error body."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.extra = extra

    def response(self) -> Response:
        return error_response(self.status, self.message, self.category, **self.extra)


def error_body(message: str, category: str, cid: str, **extra: Any) -> Json:
    body: Json = {"status": "error", "message": message, "correlationId": cid, "category": category}
    body.update(extra)
    return body


def error_response(
    status: int, message: str, category: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    cid = correlation_id()
    all_headers = {CORRELATION_HEADER: cid, **(headers or {})}
    return json_response(error_body(message, category, cid, **extra), status=status, headers=all_headers)


def validation_error(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message, **extra)


def not_found(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(404, "OBJECT_NOT_FOUND", message, **extra)


def invalid_property_details(details: Sequence[Json]) -> str:
    """The message HubSpot gives for rejected property values: the list of failures, as compact JSON."""
    return "Property values were not valid: " + json.dumps(list(details), separators=(",", ":"))


def detail_errors(details: Sequence[Json]) -> list[Json]:
    """The ``errors[]`` entries (``ErrorDetail``) that go with :func:`invalid_property_details`."""
    return [{"message": d["message"], "code": d["error"], "context": {"propertyName": [d["name"]]}} for d in details]


def batch_error(category: str, message: str, ids: Sequence[str], **extra: Any) -> Json:
    """One ``StandardError`` of a 207 batch response."""
    body: Json = {
        "status": "error",
        "category": category,
        "message": message,
        "context": {"ids": list(ids)},
        "links": {},
        "errors": [],
    }
    body.update(extra)
    return body
