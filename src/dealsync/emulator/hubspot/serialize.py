"""Turning stored objects into HubSpot JSON, and the value formats HubSpot uses on the wire.

Datetimes go out as ISO 8601 UTC with milliseconds and ``Z``; numbers and booleans as strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from dealsync.emulator.state import HubSpotObject, utc_now

Json = dict[str, Any]

# Properties HubSpot returns with every object, whatever was asked for (seen in real list and search responses).
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")


def iso_ms(moment: datetime) -> str:
    """``2024-01-15T14:22:10.456Z``."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def now_ms() -> datetime:
    """The emulator clock truncated to whole milliseconds, as HubSpot stores instants."""
    moment = utc_now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_instant(text: str) -> datetime | None:
    """An epoch-milliseconds string, an ISO datetime (``Z`` or offset) or an ISO date, as an aware datetime."""
    text = text.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_ms(text: str) -> int | None:
    moment = parse_instant(text)
    return None if moment is None else int(moment.timestamp() * 1000)


def parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def format_number(value: float) -> str:
    """HubSpot-style number string: no exponent, no trailing zeros (``1500``, ``1234.5``)."""
    text = f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def wire_value(value: Any) -> str | None:
    """A JSON input value as HubSpot stores it: strings as given, numbers and booleans as strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


class PropertySelection:
    """Which properties to put in ``properties``: known names always (null when empty), others when set."""

    def __init__(self, known: Sequence[str], maybe: Sequence[str] = ()) -> None:
        self.known = tuple(dict.fromkeys(known))
        self.maybe = tuple(name for name in dict.fromkeys(maybe) if name not in self.known)

    def pick(self, obj: HubSpotObject) -> dict[str, str | None]:
        props = obj.properties
        picked = {name: props.get(name) for name in self.known}
        for name in self.maybe:
            if name in props:
                picked[name] = props[name]
        for name in ALWAYS_RETURNED:
            if name in picked and picked[name] is None:
                picked[name] = system_value(obj, name)
        return picked


def select(requested: Sequence[str], defaults: Sequence[str], is_known: Callable[[str], bool]) -> PropertySelection:
    """Requested properties (plus the always-returned ones), or ``defaults`` when none were requested."""
    if not requested:
        return PropertySelection(defaults)
    names = [*ALWAYS_RETURNED, *requested]
    return PropertySelection([n for n in names if is_known(n)], [n for n in names if not is_known(n)])


def system_value(obj: HubSpotObject, name: str) -> str | None:
    if name == "hs_object_id":
        return obj.id
    if name == "createdate":
        return iso_ms(obj.created_at)
    if name == "hs_lastmodifieddate":
        return iso_ms(obj.updated_at)
    return None


def history_versions(obj: HubSpotObject, name: str) -> list[dict[str, str]]:
    """Stored versions, newest first; a set value with no recorded history gets its creation version."""
    versions = obj.history.get(name)
    if versions:
        return [dict(v) for v in versions]
    value = obj.properties.get(name)
    if value is None:
        return []
    return [{"value": value, "timestamp": iso_ms(obj.created_at), "sourceType": "CRM_UI"}]


def object_json(
    obj: HubSpotObject, selection: PropertySelection, *, history: Iterable[str] = (), associations: Json | None = None
) -> Json:
    """``SimplePublicObjectWithAssociations``: id, properties, createdAt, updatedAt, archived (+ optional parts)."""
    body: Json = {
        "id": obj.id,
        "properties": selection.pick(obj),
        "createdAt": iso_ms(obj.created_at),
        "updatedAt": iso_ms(obj.updated_at),
        "archived": obj.archived,
    }
    if obj.archived and obj.archived_at is not None:
        body["archivedAt"] = iso_ms(obj.archived_at)
    with_history = {name: history_versions(obj, name) for name in history}
    if with_history:
        body["propertiesWithHistory"] = with_history
    if associations:
        body["associations"] = associations
    return body
