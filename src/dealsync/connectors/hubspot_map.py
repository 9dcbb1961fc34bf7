"""HubSpot deals, pipelines, owners and currencies ↔ canonical values. Pure functions over plain data.

Inputs are what the SDK's ``.to_dict()`` gives (snake_case keys) or plain property dicts: every HubSpot
property value is a string or null, booleans are ``"true"``/``"false"``, datetimes ISO 8601 UTC. A value that
does not parse never stops a pull: the field becomes None and the reason is kept in
``raw["_dealsync_warnings"]`` beside the untouched properties.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from dealsync.canonical import Deal, DealRef, StageInfo, StageMapper, StageResolution, Status
from dealsync.canonical.parsing import parse_amount, parse_date, parse_timestamp
from dealsync.connectors.base import WARNINGS_KEY, parse_or_warn

DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "closedate",
    "pipeline",
    "dealstage",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
    "hubspot_owner_id",
    "deal_currency_code",
    "amount_in_home_currency",
    "hs_deal_stage_probability",
    "notes_last_updated",
    "hs_is_closed",
    "hs_is_closed_won",
)
ASSOCIATIONS_KEY = "associations"
PRIMARY_V3_TYPE = "deal_to_company"  # the unlabeled ones are "deal_to_company_unlabeled"
PRIMARY_V4_TYPE_ID = 5  # HUBSPOT_DEFINED "Primary" deal -> company
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RawDeal:
    """One deal as HubSpot sent it, with its company ids (primary first)."""

    id: str
    properties: Mapping[str, str | None]
    company_ids: tuple[str, ...] = ()
    created_at: datetime | None = None  # the object's createdAt / updatedAt, fallbacks for the properties
    updated_at: datetime | None = None
    archived: bool = False


@dataclass(frozen=True)
class MapContext:
    """What mapping a deal needs to know about its portal."""

    connection: str
    mapper: StageMapper
    stages: Mapping[str, StageInfo]
    home_currency: str
    owners: Mapping[str, str] = field(default_factory=dict)
    company_names: Mapping[str, str | None] = field(default_factory=dict)
    time_zone: tzinfo | None = None


def read_properties(extra: Iterable[str] = ()) -> list[str]:
    """The explicit property list every read sends (``extra``: the health-score property when it exists)."""
    names = list(DEAL_PROPERTIES)
    return names + [name for name in extra if name not in names]


# -- pipelines ---------------------------------------------------------------------------------------------


def stage_infos(pipelines: Iterable[Mapping[str, Any]], wanted: Collection[str] | None = None) -> dict[str, StageInfo]:
    """Stage id -> StageInfo for every stage of the wanted pipelines (all when ``wanted`` is None).

    Stages arrive in no fixed order; metadata values are strings. Won is ``isClosed == "true"`` with
    probability 1.0; closed with any other probability is lost.
    """
    infos: dict[str, StageInfo] = {}
    for pipeline in pipelines:
        pipeline_id = str(pipeline.get("id"))
        if wanted is not None and pipeline_id not in wanted:
            continue
        stages = sorted(pipeline.get("stages") or [], key=lambda s: (_int(s.get("display_order")), str(s.get("id"))))
        for stage in stages:
            info = stage_info(stage, pipeline_id)
            infos[info.id] = info
    return infos


def stage_info(stage: Mapping[str, Any], pipeline_id: str) -> StageInfo:
    metadata = stage.get("metadata") or {}
    probability = _probability(metadata.get("probability"))
    closed = str(metadata.get("isClosed", "false")).strip().lower() == "true"
    return StageInfo(
        id=str(stage.get("id")),
        label=str(stage.get("label") or stage.get("id")),
        pipeline=pipeline_id,
        is_closed=closed,
        is_won=closed and probability == Decimal(1),
        probability=probability,
        display_order=_int(stage.get("display_order")),
    )


def pipeline_labels(pipelines: Iterable[Mapping[str, Any]], wanted: Collection[str] | None = None) -> dict[str, str]:
    return {
        str(p.get("id")): str(p.get("label") or p.get("id"))
        for p in pipelines
        if wanted is None or str(p.get("id")) in wanted
    }


def _probability(value: Any) -> Decimal | None:
    try:
        number = parse_amount(value)
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= 1 else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# -- owners, properties, currencies --------------------------------------------------------------------------


def owner_name(owner: Mapping[str, Any]) -> str:
    """``First Last``, else the e-mail, else the owner id."""
    full = " ".join(str(owner.get(k)).strip() for k in ("first_name", "last_name") if owner.get(k))
    return full or str(owner.get("email") or owner.get("id"))


def is_writable(definition: Mapping[str, Any]) -> bool:
    """A property definition (``ModelProperty.to_dict()``) whose values an integration may set."""
    metadata = definition.get("modification_metadata") or {}
    return not definition.get("calculated") and not metadata.get("read_only_value") and not definition.get("archived")


def fx_rates(home: str, rates: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Currency -> units of the home currency per unit, from the currencies API's exchange rates.

    A rate is ``conversionRate`` home-currency units per unit of ``fromCurrencyCode`` (to = home); a rate the
    other way round (from = home) is inverted.
    """
    found: dict[str, Decimal] = {home: Decimal(1)}
    for rate in rates:
        source, target = str(rate.get("fromCurrencyCode", "")), str(rate.get("toCurrencyCode", home))
        try:
            value = parse_amount(rate.get("conversionRate"))
        except ValueError:
            continue
        if value is None or value <= 0:
            continue
        if target == home and source != home:
            found[source] = value
        elif source == home and target != home:
            found.setdefault(target, 1 / value)
    return found


def implied_rate(properties: Mapping[str, str | None]) -> Decimal | None:
    """Home-currency units per unit of the deal's currency, from ``amount_in_home_currency / amount``."""
    try:
        amount = parse_amount(properties.get("amount"))
        home = parse_amount(properties.get("amount_in_home_currency"))
    except ValueError:
        return None
    if not amount or home is None or amount <= 0 or home <= 0:
        return None
    return (home / amount).quantize(Decimal("0.000001"))


# -- associations ------------------------------------------------------------------------------------------------


def company_ids_v3(entries: Iterable[tuple[str, str | None]]) -> tuple[str, ...]:
    """``(id, type)`` pairs of an inline v3 association list -> distinct ids, the primary company first."""
    pairs = list(entries)
    primary = [i for i, kind in pairs if kind == PRIMARY_V3_TYPE]
    return tuple(dict.fromkeys(primary[:1] + [i for i, _ in pairs]))


def company_ids_v4(targets: Iterable[tuple[str, Iterable[int | None]]]) -> tuple[str, ...]:
    """``(toObjectId, typeIds)`` of a v4 association read -> distinct ids, the primary company first."""
    pairs = [(i, set(types)) for i, types in targets]
    primary = [i for i, types in pairs if PRIMARY_V4_TYPE_ID in types]
    return tuple(dict.fromkeys(primary[:1] + [i for i, _ in pairs]))


# -- deals -------------------------------------------------------------------------------------------------------


def to_deal(raw: RawDeal, ctx: MapContext) -> Deal:
    """One HubSpot deal as a canonical deal; nothing it carries is dropped, bad values become warnings."""
    props = raw.properties
    warnings: list[str] = []
    stage_id = _text(props.get("dealstage")) or ""
    pipeline = _text(props.get("pipeline"))
    info, resolution = _stage(stage_id, pipeline, ctx)
    if resolution.unmapped:
        warnings.append(resolution.unmapped)
    modified = _stamp(props, "hs_lastmodifieddate", raw.updated_at, warnings)
    created = _stamp(props, "createdate", raw.created_at, warnings)
    return Deal(
        ref=DealRef(connection=ctx.connection, id=raw.id),
        name=_text(props.get("dealname")) or "",
        account_name=_account(raw.company_ids, ctx.company_names),
        amount=parse_or_warn(parse_amount, props.get("amount"), "amount", warnings),
        currency=_currency(props.get("deal_currency_code"), ctx.home_currency, warnings),
        stage=resolution.stage,
        status=resolution.status,
        crm_stage_id=stage_id,
        crm_stage_label=info.label if info else None,
        pipeline=pipeline,
        probability=_deal_probability(props.get("hs_deal_stage_probability"), info, warnings),
        close_date=parse_or_warn(lambda v: parse_date(v, ctx.time_zone), props.get("closedate"), "closedate", warnings),
        owner=_owner(props.get("hubspot_owner_id"), ctx.owners),
        created_at=created or modified or _EPOCH,
        modified_at=modified or created or _EPOCH,
        last_activity_at=parse_or_warn(
            parse_timestamp, props.get("notes_last_updated"), "notes_last_updated", warnings
        ),
        deleted=raw.archived,
        raw=_raw(raw, warnings),
    )


def _stage(stage_id: str, pipeline: str | None, ctx: MapContext) -> tuple[StageInfo | None, StageResolution]:
    info = ctx.stages.get(stage_id)
    if info is not None:
        return info, ctx.mapper.resolve(info)
    where = f" of pipeline {pipeline!r}" if pipeline else ""
    message = (
        f"deal stage id {stage_id!r}{where} is not a stage of any pipeline HubSpot lists for connection "
        f"{ctx.connection!r} (archived, or its pipeline is filtered out); map it under "
        f'connections[{ctx.connection}].stage_map, e.g. stage_map: {{"{stage_id}": qualification}}'
    )
    return None, StageResolution(None, Status.OPEN, message)


def _deal_probability(value: Any, info: StageInfo | None, warnings: list[str]) -> Decimal | None:
    fallback = info.probability if info else None
    number = parse_or_warn(parse_amount, value, "hs_deal_stage_probability", warnings)
    if number is None:
        return fallback
    if not 0 <= number <= 1:
        warnings.append(f"hs_deal_stage_probability: {value!r} is outside 0..1; used the stage's probability")
        return fallback
    return Decimal(number)


def _currency(value: Any, home: str, warnings: list[str]) -> str | None:
    text = _text(value)
    if text is None:
        return home
    code = text.strip().upper()
    if len(code) == 3 and code.isalpha() and code.isascii():
        return code
    warnings.append(f"deal_currency_code: {value!r} is not an ISO 4217 code; kept as missing")
    return None


def _stamp(props: Mapping[str, Any], name: str, fallback: datetime | None, warnings: list[str]) -> datetime | None:
    value = parse_or_warn(parse_timestamp, props.get(name), name, warnings)
    return value if value is not None else fallback


def _account(company_ids: tuple[str, ...], names: Mapping[str, str | None]) -> str | None:
    for company_id in company_ids:
        name = names.get(company_id)
        if name:
            return name
    return None


def _owner(value: Any, owners: Mapping[str, str]) -> str | None:
    owner_id = _text(value)
    return None if owner_id is None else owners.get(owner_id, owner_id)


def _raw(raw: RawDeal, warnings: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(raw.properties)
    out[ASSOCIATIONS_KEY] = {"companies": list(raw.company_ids)}
    if warnings:
        out[WARNINGS_KEY] = warnings
    return out


def _text(value: Any) -> str | None:
    """The value as HubSpot holds it (never trimmed: the store compares it with what it writes back); blank is None."""
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


# -- writes ----------------------------------------------------------------------------------------------------


def to_wire(value: Any) -> str:
    """A value as HubSpot takes it in a write: strings; dates as midnight-UTC epoch milliseconds; "" clears."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return str(epoch_ms(value))
    if isinstance(value, date):
        return str(epoch_ms(datetime(value.year, value.month, value.day, tzinfo=UTC)))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def same_value(current: str | None, expected: Any) -> bool:
    """Whether HubSpot's current string value is the value dealsync read (``expected``), compared by type."""
    if expected is None or expected == "":
        return current is None or current.strip() == ""
    if current is None or current.strip() == "":
        return False
    try:
        if isinstance(expected, bool):
            return current.strip().lower() == ("true" if expected else "false")
        if isinstance(expected, int | float | Decimal):
            parsed = parse_amount(current)
            return parsed is not None and parsed == Decimal(str(expected))
        if isinstance(expected, datetime):
            return parse_timestamp(current) == expected
        if isinstance(expected, date):
            return parse_date(current) == expected
    except ValueError:
        return False
    return current.strip() == str(expected).strip()


def epoch_ms(moment: datetime) -> int:
    """Whole epoch milliseconds of an aware instant (floored, as HubSpot stores them)."""
    delta = moment.astimezone(UTC) - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
