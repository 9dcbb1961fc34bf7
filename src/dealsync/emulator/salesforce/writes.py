"""Record updates: field validation, stage side effects, audit stamps and OpportunityHistory.

Single record: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
(``PATCH /sobjects/{type}/{id}``, 204 No Content). Every write stamps ``LastModifiedDate`` and ``SystemModstamp``
(whole milliseconds); a change of StageName, Amount or CloseDate appends an OpportunityHistory row; a new StageName
sets IsClosed, IsWon, Probability and ForecastCategoryName from its OpportunityStage row, as the platform does.
"""

from __future__ import annotations

import re
import zlib
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dealsync.emulator.salesforce.errors import SalesforceError, not_found
from dealsync.emulator.salesforce.schema import NUMBER_TYPES, STRING_TYPES, FieldDef, ObjectDef, OrgSchema, field_map
from dealsync.emulator.state import Row, SalesforceOrg, utc_now

TRACKED = ("StageName", "Amount", "CloseDate")
_ID_SHAPE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
REVISED = " (revised)"


def write_instant() -> datetime:
    """Now, truncated to whole milliseconds as Salesforce stores audit fields."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def looks_like_id(value: str) -> bool:
    return bool(_ID_SHAPE.match(value))


def find_record(table: dict[str, Row], record_id: str) -> Row | None:
    """Look a record up by its 18- or 15-character id."""
    row = table.get(record_id)
    if row is None and len(record_id) == 15:
        row = next((r for key, r in table.items() if key[:15] == record_id), None)
    return row


def record_for_write(org: SalesforceOrg, obj: ObjectDef, record_id: str) -> Row:
    """The live record a PATCH targets: 404 NOT_FOUND when unknown, 404 ENTITY_IS_DELETED when deleted."""
    row = find_record(org.tables.get(obj.name, {}), record_id)
    if row is None:
        raise not_found()
    if row.get("IsDeleted"):
        raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return row


# ---------------------------------------------------------------- validation


def convert_changes(schema: OrgSchema, obj: ObjectDef, body: dict[str, Any]) -> dict[str, Any]:
    """The request's fields as stored values, or the error the API gives for the first problem."""
    fields = field_map(obj)
    names = [key for key in body if key != "attributes" and key.lower() != "id"]
    for key in names:
        if key.lower() not in fields:
            raise SalesforceError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}")
    locked = [fields[key.lower()].name for key in names if not fields[key.lower()].updateable]
    if locked:
        raise SalesforceError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(locked)}. Please check the security settings of this field "
            "and verify that it is read/write for your profile or permission set.",
            locked,
        )
    return {fields[key.lower()].name: convert_value(schema, fields[key.lower()], body[key]) for key in names}


def _parse_error(kind: str, value: Any) -> SalesforceError:
    token = (
        "VALUE_STRING"
        if isinstance(value, str)
        else "VALUE_TRUE"
        if value is True
        else "VALUE_FALSE"
        if value is False
        else "START_OBJECT"
        if isinstance(value, dict)
        else "START_ARRAY"
        if isinstance(value, list)
        else "VALUE_NUMBER_FLOAT"
    )
    return SalesforceError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {token} value {value} or request may be missing a required field",
    )


def convert_value(schema: OrgSchema, f: FieldDef, value: Any) -> Any:
    if value is None:
        if not f.nillable:
            raise SalesforceError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", [f.name])
        return None
    if f.type in NUMBER_TYPES:
        return _number(f, value)
    if f.type == "date":
        return _date(value)
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        raise _parse_error("boolean", value)
    if f.type in ("reference", "id"):
        return _reference(schema, f, value)
    if f.type in STRING_TYPES:
        return _text(schema, f, value)
    raise _parse_error(f.type, value)


def _number(f: FieldDef, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _parse_error("double", value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _parse_error("double", value) from None
    if not number.is_finite():
        raise _parse_error("double", value)
    rounded = number.quantize(Decimal(1).scaleb(-f.scale), rounding=ROUND_HALF_UP)
    if f.precision and abs(rounded) >= Decimal(10) ** (f.precision - f.scale):
        raise SalesforceError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{f.label}: value outside of valid range on numeric field: {float(number)}",
            [f.name],
        )
    return float(rounded)


def _date(value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise _parse_error("date", value)


def _text(schema: OrgSchema, f: FieldDef, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _parse_error("string", value)
    text = str(value)
    if f.length and len(text) > f.length:
        raise SalesforceError(
            400, "STRING_TOO_LONG", f"{f.label}: data value too large: {text[:60]} (max length={f.length})", [f.name]
        )
    if f.name == "CurrencyIsoCode" and text not in _currencies(schema.org):
        raise SalesforceError(
            400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"{f.label}: invalid currency code: {text}", [f.name]
        )
    return text


def _currencies(org: SalesforceOrg) -> set[str]:
    return {str(row.get("IsoCode")) for row in org.tables.get("CurrencyType", {}).values() if row.get("IsActive")}


def _reference(schema: OrgSchema, f: FieldDef, value: Any) -> str:
    if not isinstance(value, str) or not looks_like_id(value):
        raise SalesforceError(400, "MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
    target = schema.find(f.reference_to or "")
    if target is None or not value.startswith(target.key_prefix):
        raise SalesforceError(
            400, "FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {value}", [f.name]
        )
    row = find_record(schema.org.tables.get(target.name, {}), value)
    if row is None or row.get("IsDeleted"):
        raise SalesforceError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
    return str(row["Id"])


# ---------------------------------------------------------------- applying


def apply_changes(org: SalesforceOrg, obj: ObjectDef, row: Row, changes: dict[str, Any], now: datetime) -> None:
    """Write validated changes and their side effects. Call under ``org.lock``."""
    before = tuple(row.get(name) for name in TRACKED)
    row.update(changes)
    if obj.name == "Opportunity" and "StageName" in changes:
        _follow_stage(org, row, changes)
    row["LastModifiedDate"] = row["SystemModstamp"] = now
    if obj.name == "Opportunity" and before != tuple(row.get(name) for name in TRACKED):
        _append_history(org, row, now)


def stage_rows(org: SalesforceOrg) -> list[Row]:
    return sorted(org.tables.get("OpportunityStage", {}).values(), key=lambda s: s.get("SortOrder") or 0)


def _follow_stage(org: SalesforceOrg, row: Row, changes: dict[str, Any]) -> None:
    name = row.get("StageName")
    stage = next((s for s in stage_rows(org) if name in (s.get("ApiName"), s.get("MasterLabel"))), None)
    if stage is None:
        return
    row["IsClosed"] = bool(stage.get("IsClosed"))
    row["IsWon"] = bool(stage.get("IsWon"))
    if "Probability" not in changes:
        row["Probability"] = stage.get("DefaultProbability")
    if "ForecastCategoryName" not in changes:
        row["ForecastCategoryName"] = stage.get("ForecastCategoryName")


def _append_history(org: SalesforceOrg, row: Row, now: datetime) -> None:
    history = org.table("OpportunityHistory")
    history_id = new_id(history, "008")
    entry: Row = {
        "Id": history_id,
        "OpportunityId": row["Id"],
        "StageName": row.get("StageName"),
        "Amount": row.get("Amount"),
        "CloseDate": row.get("CloseDate"),
        "Probability": row.get("Probability"),
        "CreatedDate": now,
        "SystemModstamp": now,
        "IsDeleted": False,
    }
    if org.multi_currency:
        entry["CurrencyIsoCode"] = row.get("CurrencyIsoCode")
    history[history_id] = entry


def sf_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, pod, base-62 sequence, then the case-folding checksum suffix."""
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _B62[rest] + digits
    body = f"{prefix}5g0{digits}"
    suffix = ""
    for chunk in (body[0:5], body[5:10], body[10:15]):
        suffix += _SUFFIX[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]
    return body + suffix


def new_id(table: dict[str, Row], prefix: str) -> str:
    """The id after the newest one in ``table`` (ids are sequential base-62 in their last nine characters)."""
    last = next(reversed(table), "") if table else ""
    try:
        number = sum(_B62.index(ch) * 62**power for power, ch in enumerate(reversed(last[6:15]))) + 1
    except ValueError:
        number = len(table) + 1
    candidate = sf_id(prefix, number)
    while candidate in table:
        number += 1
        candidate = sf_id(prefix, number)
    return candidate


# ---------------------------------------------------------------- a person edits


def person_edit(org: SalesforceOrg, obj: ObjectDef, record_id: str, now: datetime) -> None:
    """What a sales rep might change in the UI between dealsync's read and its write. Call under ``org.lock``."""
    row = org.tables.get("Opportunity", {}).get(record_id)
    if row is None or row.get("IsDeleted"):
        return
    kind = zlib.crc32(f"{record_id}:{row.get('SystemModstamp')}".encode()) % 3
    apply_changes(org, obj, row, _edit(org, row, kind), now)


def _edit(org: SalesforceOrg, row: Row, kind: int) -> dict[str, Any]:
    if kind == 0:
        name = str(row.get("Name") or "Opportunity")
        return {"Name": name[: -len(REVISED)] if name.endswith(REVISED) else name + REVISED}
    if kind == 1:
        amount = row.get("Amount")
        return {"Amount": 10_000.0 if amount is None else round(float(amount) * 1.1, 2)}
    changes: dict[str, Any] = {}
    close = row.get("CloseDate")
    if isinstance(close, date):
        changes["CloseDate"] = close + timedelta(days=14)
    following = _next_open_stage(org, row.get("StageName"))
    if following is not None and not row.get("IsClosed"):
        changes["StageName"] = following
    return changes


def _next_open_stage(org: SalesforceOrg, current: Any) -> str | None:
    open_stages = [str(s.get("ApiName")) for s in stage_rows(org) if not s.get("IsClosed") and s.get("IsActive")]
    if current not in open_stages:
        return None
    index = open_stages.index(current)
    return open_stages[index + 1] if index + 1 < len(open_stages) else None
