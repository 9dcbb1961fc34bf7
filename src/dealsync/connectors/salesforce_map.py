"""Salesforce Opportunity records ↔ canonical deals, and the SOQL dealsync sends. Pure functions.

Every value placed in SOQL goes through ``simple_salesforce.format_soql`` / ``quote_soql_value``, which escape
string literals per the SOQL rules (quotes, backslashes, newlines), so a hostile string stays one literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from simple_salesforce.format import format_soql

from dealsync.canonical import Deal, DealRef, StageInfo, StageMapper
from dealsync.canonical.parsing import parse_amount, parse_date, parse_timestamp
from dealsync.connectors.base import WARNINGS_KEY, parse_or_warn

# Fields read when the org has them; Id, Name, StageName, CloseDate, SystemModstamp always exist.
WANTED_FIELDS = (
    "Id",
    "Name",
    "AccountId",
    "Amount",
    "CurrencyIsoCode",
    "StageName",
    "Probability",
    "CloseDate",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "LastActivityDate",
    "IsDeleted",
    "IsClosed",
    "IsWon",
    "ForecastCategoryName",
)
RELATIONSHIP_FIELDS = {"AccountId": "Account.Name", "OwnerId": "Owner.Name"}
REREAD_WINDOW = timedelta(seconds=5)
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?")


def select_fields(available: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """The explicit field list: only fields the org's describe lists, plus their relationship names."""
    present = set(available)
    fields = [f for f in WANTED_FIELDS if f in present]
    fields += [RELATIONSHIP_FIELDS[f] for f in fields if f in RELATIONSHIP_FIELDS]
    fields += [f for f in extra if f in present and f not in fields]
    return fields


def field_list(fields: Iterable[str]) -> str:
    """Field names cannot be bound like values, so each must be a plain SOQL identifier or refuse."""
    names = list(fields)
    for name in names:
        if not FIELD_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a Salesforce field name")
    return ", ".join(names)


def changed_since_query(fields: list[str], since: datetime | None) -> str:
    """Opportunities modified at or after ``since`` minus the re-read window, oldest first, ties by Id."""
    select = f"SELECT {field_list(fields)} FROM Opportunity"  # noqa: S608 - identifiers checked by field_list
    order = " ORDER BY SystemModstamp ASC, Id ASC"
    if since is None:
        return select + order
    return select + format_soql(" WHERE SystemModstamp >= {}", since - REREAD_WINDOW) + order


def deleted_query(since: datetime | None) -> str:
    base = "SELECT Id, SystemModstamp FROM Opportunity WHERE IsDeleted = true"
    if since is not None:
        base += format_soql(" AND SystemModstamp >= {}", since - REREAD_WINDOW)
    return base + " ORDER BY SystemModstamp ASC, Id ASC"


def by_ids_query(fields: list[str], ids: Iterable[str]) -> str:
    select = f"SELECT {field_list(fields)} FROM Opportunity"  # noqa: S608 - identifiers checked by field_list
    return select + format_soql(" WHERE Id IN {}", sorted(set(ids)))


def count_query(since: datetime | None) -> str:
    if since is None:
        return "SELECT COUNT() FROM Opportunity"
    return format_soql("SELECT COUNT() FROM Opportunity WHERE SystemModstamp >= {}", since - REREAD_WINDOW)


def stage_info(row: Mapping[str, Any]) -> StageInfo:
    """An ``OpportunityStage`` row; ``DefaultProbability`` is a percentage."""
    probability = parse_amount(row.get("DefaultProbability"))
    return StageInfo(
        id=str(row.get("ApiName") or row["MasterLabel"]),
        label=str(row["MasterLabel"]),
        is_closed=bool(row.get("IsClosed")),
        is_won=bool(row.get("IsWon")),
        probability=None if probability is None else probability / 100,
        display_order=int(row.get("SortOrder") or 0),
    )


def to_deal(
    connection: str,
    record: Mapping[str, Any],
    mapper: StageMapper,
    stages: Mapping[str, StageInfo],
    corporate_currency: str,
) -> Deal:
    """One Opportunity as a canonical deal. Bad values become None with a warning kept in ``raw``."""
    raw = {k: v for k, v in record.items() if k != "attributes"}
    warnings: list[str] = []
    stage_name = str(record.get("StageName") or "")
    info = _stage_of(record, stage_name, stages)
    resolution = mapper.resolve(info)
    if resolution.unmapped:
        warnings.append(resolution.unmapped)
    probability = parse_or_warn(parse_amount, record.get("Probability"), "Probability", warnings)
    if warnings:
        raw[WARNINGS_KEY] = warnings
    return Deal(
        ref=DealRef(connection=connection, id=str(record["Id"])),
        name=str(record.get("Name") or ""),
        account_name=_nested(record, "Account", "Name"),
        amount=parse_or_warn(parse_amount, record.get("Amount"), "Amount", warnings),
        currency=str(record.get("CurrencyIsoCode") or corporate_currency),
        stage=resolution.stage,
        status=resolution.status,
        crm_stage_id=stage_name,
        crm_stage_label=info.label,
        probability=None if probability is None else min(Decimal(1), max(Decimal(0), probability / 100)),
        close_date=parse_or_warn(parse_date, record.get("CloseDate"), "CloseDate", warnings),
        owner=_nested(record, "Owner", "Name") or _str(record.get("OwnerId")),
        created_at=_required_stamp(record, "CreatedDate"),
        modified_at=_required_stamp(record, "SystemModstamp"),
        last_activity_at=_activity(record.get("LastActivityDate"), warnings),
        deleted=bool(record.get("IsDeleted")),
        raw=raw,
    )


def _stage_of(record: Mapping[str, Any], stage_name: str, stages: Mapping[str, StageInfo]) -> StageInfo:
    known = stages.get(stage_name)
    if known is not None:
        return known
    # A stage missing from OpportunityStage (deactivated): the record's own IsClosed/IsWon still say won/lost.
    return StageInfo(
        id=stage_name, label=stage_name, is_closed=bool(record.get("IsClosed")), is_won=bool(record.get("IsWon"))
    )


def _activity(value: Any, warnings: list[str]) -> datetime | None:
    day = parse_or_warn(parse_date, value, "LastActivityDate", warnings)
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def _required_stamp(record: Mapping[str, Any], field: str) -> datetime:
    stamp = parse_timestamp(record.get(field))
    if stamp is None:
        raise ValueError(f"Opportunity {record.get('Id')} has no {field}")
    return stamp


def _nested(record: Mapping[str, Any], relation: str, field: str) -> str | None:
    parent = record.get(relation)
    return _str(parent.get(field)) if isinstance(parent, Mapping) else None


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def soql_value(value: Any) -> Any:
    """A Python value as Salesforce JSON expects it in a write body."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
