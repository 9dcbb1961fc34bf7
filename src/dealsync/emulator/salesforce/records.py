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
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any

from dealsync.emulator.salesforce.schema import FieldDef, ObjectDef
from dealsync.emulator.state import Row

Tables = dict[str, dict[str, Row]]


_DATETIME_TEXT: dict[datetime, str] = {}
_DATETIME_CACHE_CAP = 500_000


def format_datetime(value: datetime) -> str:
    """``2021-05-27T13:59:29.000+0000``; memoised, since a pull formats the same audit stamps over and over."""
    text = _DATETIME_TEXT.get(value)
    if text is None:
        text = _format_datetime(value)
        if len(_DATETIME_TEXT) >= _DATETIME_CACHE_CAP:
            _DATETIME_TEXT.clear()
        _DATETIME_TEXT[value] = text
    return text


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds")
    return text[:-6] + "+0000"


def format_date(value: date) -> str:
    return value.isoformat()


_BOOLEANS = {True: "true", False: "false"}


def _null_json(_value: Any) -> str:
    return "null"


def _datetime_json(value: datetime) -> str:
    return '"' + format_datetime(value) + '"'


def _date_json(value: date) -> str:
    return '"' + value.isoformat() + '"'


def _any_json(value: Any) -> str:
    return json.dumps(value, default=str)


# JSON text per Python type; a value of any other type falls back to json.dumps
JSON_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    float: float.__repr__,
    int: int.__repr__,
    bool: _BOOLEANS.__getitem__,
    type(None): _null_json,
    datetime: _datetime_json,
    date: _date_json,
}
NUMBER_TYPES = frozenset({"currency", "double", "percent"})


def to_json_text(value: Any) -> str:
    return JSON_ENCODERS.get(type(value), _any_json)(value)


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


class _Node:
    """The output template of one record type: selected fields in SELECT order, parent relationships nested.

    A record is rendered straight to JSON text: one ``itemgetter`` reads the row (a relationship's slot holds its
    foreign key), each value is encoded by its type, and a ``str.format`` template adds the keys. This keeps a
    2000-record page cheap to build.
    """

    def __init__(self, obj: ObjectDef) -> None:
        self.obj = obj
        self.keys: list[str] = []
        self.sources: list[str] = []
        self.number_slots: list[int] = []  # double/currency/percent fields: ints go out as floats, as Salesforce does
        self.branches: list[tuple[int, str, _Node]] = []
        self._get: Callable[[Row], tuple[Any, ...]] | None = None
        self._template = ""

    def leaf(self, f: FieldDef) -> None:
        if f.type in NUMBER_TYPES:
            self.number_slots.append(len(self.keys))
        self.keys.append(f.name)
        self.sources.append(f.name)

    def branch(self, hop: Hop) -> _Node:
        for _, key, child in self.branches:
            if key == hop.relationship:
                return child
        child = _Node(hop.target)
        self.branches.append((len(self.keys), hop.relationship, child))
        self.keys.append(hop.relationship)
        self.sources.append(hop.foreign_key)
        return child

    def values(self, row: Row) -> tuple[Any, ...]:
        if self._get is None:
            getter = itemgetter(*self.sources)
            self._get = getter if len(self.sources) > 1 else lambda r: (getter(r),)
        try:
            return self._get(row)
        except KeyError:  # a row without some field: the slow, forgiving path
            return tuple(row.get(key) for key in self.sources)

    def template(self, prefix: str) -> str:
        if not self._template:
            name = self.obj.name
            head = '{{"attributes":{{"type":"' + name + '","url":"' + prefix + name + '/{}"}}'
            self._template = head + "".join(',"' + key + '":{}' for key in self.keys) + "}}"
        return self._template


class JsonProjection:
    """Turns rows into JSON records for a fixed list of selected columns."""

    def __init__(self, obj: ObjectDef, columns: Sequence[Column], version: str) -> None:
        self.root = _Node(obj)
        for column in columns:
            node = self.root
            for hop in column.hops:
                node = node.branch(hop)
            node.leaf(column.field)
        self.prefix = f"/services/data/v{version}/sobjects/"

    def json_records(self, rows: Iterable[Row], tables: Tables) -> list[str]:
        """Each row as the JSON text of one record. Parents (owners, accounts) repeat, so each renders once."""
        parents: dict[tuple[int, str], str] = {}
        return [self._render(row, self.root, tables, parents) for row in rows]

    def records(self, rows: Iterable[Row], tables: Tables) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.json_records(rows, tables)]

    def _render(self, row: Row, node: _Node, tables: Tables, parents: dict[tuple[int, str], str]) -> str:
        values = node.values(row)
        encoders = JSON_ENCODERS
        texts = [encoders.get(type(value), _any_json)(value) for value in values]
        for slot in node.number_slots:
            if type(values[slot]) is int:
                texts[slot] = repr(float(values[slot]))
        for slot, _, child in node.branches:
            texts[slot] = self._parent(values[slot], child, tables, parents)
        return node.template(self.prefix).format(row.get("Id"), *texts)

    def _parent(self, parent_id: Any, node: _Node, tables: Tables, parents: dict[tuple[int, str], str]) -> str:
        if not parent_id:
            return "null"
        key = (id(node), parent_id)
        text = parents.get(key)
        if text is None:
            parent = tables.get(node.obj.name, {}).get(parent_id)
            text = "null" if parent is None else self._render(parent, node, tables, parents)
            parents[key] = text
        return text


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
