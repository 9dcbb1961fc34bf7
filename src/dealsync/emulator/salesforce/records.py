"""Formatting stored rows as the REST API's JSON records and Bulk API 2.0's CSV.

JSON shape (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query): every record
starts with ``attributes`` ``{type, url}``; a parent relationship is a nested record with its own attributes, or
``null`` when the lookup is empty
(https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/api/sforce_api_calls_soql_relationships_query_results.htm).
Datetimes are ``2021-05-27T13:59:29.000+0000``, dates ``2021-06-02``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dealsync.emulator.salesforce.schema import FieldDef, ObjectDef
from dealsync.emulator.state import Row

Formatter = Callable[[Any], Any]
Tables = dict[str, dict[str, Row]]


def format_datetime(value: datetime) -> str:
    text = value.isoformat(timespec="milliseconds")
    if text.endswith("+00:00"):
        return text[:-6] + "+0000"
    return format_datetime(value.astimezone(UTC)) if value.tzinfo else text + "+0000"


def format_date(value: date) -> str:
    return value.isoformat()


def format_number(value: Any) -> Any:
    return float(value) if type(value) is int else value


def formatter_for(f: FieldDef) -> Formatter | None:
    """The JSON formatter for a field's stored value; ``None`` when the value goes out as it is."""
    if f.type == "datetime":
        return _lenient(format_datetime, datetime)
    if f.type == "date":
        return _lenient(format_date, date)
    if f.type in ("currency", "double", "percent"):
        return format_number
    return None


def _lenient(fmt: Formatter, kind: type) -> Formatter:
    """Format values of the expected type; anything else (a seed storing strings) goes out unchanged."""

    def apply(value: Any) -> Any:
        return fmt(value) if isinstance(value, kind) else value

    return apply


@dataclass(frozen=True)
class Hop:
    """One step up a parent relationship: ``Account`` via ``AccountId`` to the ``Account`` table."""

    relationship: str
    foreign_key: str
    target: ObjectDef


@dataclass(frozen=True)
class Column:
    """A selected field: the relationship hops to reach it, then the field itself."""

    hops: tuple[Hop, ...]
    field: FieldDef

    @property
    def path(self) -> str:
        return ".".join([*(h.relationship for h in self.hops), self.field.name])


def resolve(row: Row | None, hops: Sequence[Hop], tables: Tables) -> Row | None:
    """Walk parent lookups from ``row``; ``None`` as soon as one is empty."""
    for hop in hops:
        if row is None:
            return None
        parent_id = row.get(hop.foreign_key)
        row = tables.get(hop.target.name, {}).get(parent_id) if parent_id else None
    return row


def column_getter(column: Column, tables: Tables) -> Callable[[Row], Any]:
    name = column.field.name
    if not column.hops:
        return lambda row: row.get(name)
    hops = column.hops

    def get(row: Row) -> Any:
        parent = resolve(row, hops, tables)
        return None if parent is None else parent.get(name)

    return get


@dataclass
class _Node:
    """The output template of one record: leaves are fields, branches are parent relationships."""

    obj: ObjectDef
    items: list[tuple[str, Formatter | None, _Node | None, str]]  # (key, formatter, child node, foreign key)

    def branch(self, hop: Hop) -> _Node:
        for key, _, child, _ in self.items:
            if child is not None and key == hop.relationship:
                return child
        node = _Node(hop.target, [])
        self.items.append((hop.relationship, None, node, hop.foreign_key))
        return node


class JsonProjection:
    """Turns rows into JSON-ready records for a fixed list of selected columns."""

    def __init__(self, obj: ObjectDef, columns: Sequence[Column], version: str) -> None:
        self.root = _Node(obj, [])
        for column in columns:
            node = self.root
            for hop in column.hops:
                node = node.branch(hop)
            node.items.append((column.field.name, formatter_for(column.field), None, ""))
        self.prefix = f"/services/data/v{version}/sobjects/"

    def records(self, rows: Iterable[Row], tables: Tables) -> list[dict[str, Any]]:
        return [self._render(row, self.root, tables) for row in rows]

    def _render(self, row: Row, node: _Node, tables: Tables) -> dict[str, Any]:
        type_name = node.obj.name
        out: dict[str, Any] = {"attributes": {"type": type_name, "url": f"{self.prefix}{type_name}/{row.get('Id')}"}}
        for key, fmt, child, foreign_key in node.items:
            if child is None:
                value = row.get(key)
                out[key] = value if fmt is None or value is None else fmt(value)
                continue
            parent_id = row.get(foreign_key)
            parent = tables.get(child.obj.name, {}).get(parent_id) if parent_id else None
            out[key] = None if parent is None else self._render(parent, child, tables)
        return out


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def to_csv(columns: Sequence[Column], rows: Iterable[Row], tables: Tables, delimiter: str, line_end: str) -> str:
    """Bulk API 2.0 result CSV: a header of field paths (``Account.Name``), empty strings for nulls."""
    getters = [column_getter(c, tables) for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.path for c in columns])
    for row in rows:
        writer.writerow([csv_value(get(row)) for get in getters])
    return buffer.getvalue()


def full_record(obj: ObjectDef, row: Row, version: str) -> dict[str, Any]:
    """``GET /sobjects/{type}/{id}``: every field of the object, in describe order."""
    projection = JsonProjection(obj, [Column((), f) for f in obj.fields], version)
    return projection.records([row], {})[0]
