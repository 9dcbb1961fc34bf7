"""sObject Collections update: ``PATCH /services/data/vXX.X/composite/sobjects``.

https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-sobjects-collections-update.html
Up to 200 records, processed in order; 200 OK with one SaveResult ``{id, success, errors[{statusCode, message,
fields}]}`` per record. With ``allOrNone`` a single failure rolls everything back and the other records report
``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dealsync.emulator.salesforce.errors import SalesforceError
from dealsync.emulator.salesforce.schema import ObjectDef, OrgSchema
from dealsync.emulator.salesforce.writes import (
    apply_changes,
    convert_changes,
    find_record,
    looks_like_id,
    write_instant,
)
from dealsync.emulator.state import Row

MAX_RECORDS = 200
ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"
Rejecter = Callable[[str], bool]


@dataclass
class Staged:
    """One record of the request: either a validated change or its errors."""

    record_id: str | None
    obj: ObjectDef | None = None
    row: Row | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, code: str, message: str, fields: list[str] | None = None) -> None:
        self.errors.append({"statusCode": code, "message": message, "fields": fields or []})

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.record_id is not None and not any(e["statusCode"] == "MALFORMED_ID" for e in self.errors):
            out["id"] = self.record_id
        out["success"] = not self.errors
        out["errors"] = self.errors
        return out


class RejectionCodes:
    """Partial-failure rejections alternate between two real, retry-worthy or not, error codes."""

    def __init__(self) -> None:
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> tuple[str, str, list[str]]:
        with self._lock:
            turn = next(self._turn)
        if turn % 2 == 0:
            return (
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "Close Date cannot be in the past for an open opportunity.",
                ["CloseDate"],
            )
        return "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", []


def parse_request(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body must be an object with a records array")
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise SalesforceError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records in this operation",
        )
    return records, bool(body.get("allOrNone", False))


def stage(schema: OrgSchema, record: Any, rejected: Rejecter, codes: RejectionCodes) -> Staged:
    if not isinstance(record, dict):
        staged = Staged(None)
        staged.fail("JSON_PARSER_ERROR", "Each record must be a JSON object")
        return staged
    raw_id = record.get("id", record.get("Id"))
    staged = Staged(raw_id if isinstance(raw_id, str) else None)
    attributes = record.get("attributes")
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    obj = schema.find(type_name) if isinstance(type_name, str) else None
    if obj is None:
        staged.fail(
            "INVALID_TYPE",
            f"sObject type '{type_name}' is not supported."
            if type_name
            else "No SObject Type defined in the attributes.",
        )
        return staged
    if staged.record_id is None:
        staged.fail("MISSING_ARGUMENT", "Id not specified in an update call")
        return staged
    _locate(schema, obj, staged)
    if not staged.errors:
        _validate(schema, obj, record, staged, rejected, codes)
    return staged


def _locate(schema: OrgSchema, obj: ObjectDef, staged: Staged) -> None:
    record_id = staged.record_id or ""
    if not looks_like_id(record_id) or not record_id.startswith(obj.key_prefix):
        staged.fail("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"])
        return
    row = find_record(schema.org.tables.get(obj.name, {}), record_id)
    if row is None:
        staged.fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    elif row.get("IsDeleted"):
        staged.fail("ENTITY_IS_DELETED", "entity is deleted")
    elif not obj.updateable:
        staged.fail("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", f"entity type {obj.name} does not support update")
    else:
        staged.obj, staged.row, staged.record_id = obj, row, str(row["Id"])


def _validate(
    schema: OrgSchema, obj: ObjectDef, record: dict[str, Any], staged: Staged, rejected: Rejecter, codes: RejectionCodes
) -> None:
    try:
        staged.changes = convert_changes(schema, obj, record)
    except SalesforceError as error:
        staged.fail(error.code, error.message, error.fields)
        return
    if rejected(staged.record_id or ""):
        staged.fail(*codes.next())


def update_collection(
    schema: OrgSchema, body: Any, rejected: Rejecter, codes: RejectionCodes
) -> tuple[list[dict[str, Any]], int]:
    """Validate and apply; returns the SaveResults and how many records were written. Call under ``org.lock``."""
    records, all_or_none = parse_request(body)
    staged = [stage(schema, record, rejected, codes) for record in records]
    if all_or_none and any(s.errors for s in staged):
        for s in staged:
            if not s.errors:
                s.fail("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK)
        return [s.result() for s in staged], 0
    now = write_instant()
    written = 0
    for s in staged:
        if not s.errors and s.obj is not None and s.row is not None:
            apply_changes(schema.org, s.obj, s.row, s.changes, now)
            written += 1
    return [s.result() for s in staged], written
