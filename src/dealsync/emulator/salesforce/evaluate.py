"""Binds a parsed SOQL query to the org's schema and data: field resolution, type checks, filtering, sorting.

Semantics follow SOQL's comparison rules
(https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-comparisonoperators.html):
text comparisons are case-insensitive, ``!=`` matches nulls, ``LIKE`` takes ``%``/``_`` wildcards; a date literal
filters only date fields and a dateTime literal only dateTime fields. Without ORDER BY rows come back by Id.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dealsync.emulator.salesforce.errors import SoqlError
from dealsync.emulator.salesforce.records import Column, Hop, Tables, column_getter
from dealsync.emulator.salesforce.schema import (
    NUMBER_TYPES,
    STRING_TYPES,
    FieldDef,
    ObjectDef,
    OrgSchema,
    field_map,
    relationship_map,
)
from dealsync.emulator.salesforce.soql import (
    BoolOp,
    Compare,
    Expr,
    FieldPath,
    InList,
    Literal,
    Not,
    OrderItem,
    Query,
    Token,
)
from dealsync.emulator.state import Row, utc_now

Predicate = Callable[[Row], bool]
Getter = Callable[[Row], Any]
Normalizer = Callable[[Any], Any]

COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
TYPE_WORDS = {
    "currency": "double",
    "double": "double",
    "percent": "double",
    "int": "integer",
    "date": "date",
    "datetime": "dateTime",
    "boolean": "boolean",
}
NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, be "
    "sure to append the '__c' after the custom field name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)
NO_SUCH_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)
NO_SUCH_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to "
    "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _id15(value: Any) -> Any:
    return value[:15] if isinstance(value, str) else value


def _same(value: Any) -> Any:
    return value


def normalizer(f: FieldDef) -> Normalizer:
    """How values of a field compare: ids by their 15-character form, other text case-insensitively."""
    if f.type in ("id", "reference"):
        return _id15
    return _lower if f.type in STRING_TYPES else _same


@dataclass
class CompiledQuery:
    query: Query
    obj: ObjectDef
    columns: list[Column]
    tables: Tables
    predicate: Predicate | None
    order: list[tuple[Getter, bool, bool, Normalizer]]

    @property
    def is_count(self) -> bool:
        return self.query.count

    def select(self, include_deleted: bool) -> list[Row]:
        """Matching rows in result order, with OFFSET and LIMIT applied."""
        predicate = self.predicate
        rows = [
            row
            for row in self.tables.get(self.obj.name, {}).values()
            if (include_deleted or not row.get("IsDeleted")) and (predicate is None or predicate(row))
        ]
        rows.sort(key=lambda row: row.get("Id") or "")
        for getter, descending, nulls_first, norm in reversed(self.order):
            _sort(rows, getter, descending, nulls_first, norm)
        start = self.query.offset or 0
        end = None if self.query.limit is None else start + self.query.limit
        return rows[start:end]


def _sort(rows: list[Row], getter: Getter, descending: bool, nulls_first: bool, norm: Normalizer) -> None:
    null_rank = 0 if nulls_first != descending else 2

    def key(row: Row) -> tuple[int, Any]:
        value = getter(row)
        return (null_rank, None) if value is None else (1, norm(value))

    rows.sort(key=key, reverse=descending)


class Binder:
    """Resolves names against the org schema and compiles the WHERE clause into a predicate."""

    def __init__(self, query: Query, schema: OrgSchema, tables: Tables) -> None:
        self.query = query
        self.schema = schema
        self.tables = tables
        self.today = utc_now().date()

    def error(self, code: str, token: Token, detail: str) -> SoqlError:
        return SoqlError(code, self.query.text, token.line, token.column, detail)

    def bind(self) -> CompiledQuery:
        query = self.query
        obj = self.schema.find(query.object_name)
        if obj is None:
            raise self.error("INVALID_TYPE", query.object_token, NO_SUCH_TYPE.format(name=query.object_name))
        columns = [self.column(obj, path) for path in query.fields]
        self.check_duplicates(query.fields, columns)
        predicate = None if query.where is None else self.expr(obj, query.where)
        order = [self.order_key(obj, item) for item in query.order_by]
        return CompiledQuery(query, obj, columns, self.tables, predicate, order)

    def order_key(self, obj: ObjectDef, item: OrderItem) -> tuple[Getter, bool, bool, Normalizer]:
        column = self.column(obj, item.field)
        return self.getter(column), item.descending, item.nulls_first, normalizer(column.field)

    def check_duplicates(self, paths: Sequence[FieldPath], columns: Sequence[Column]) -> None:
        seen: set[str] = set()
        for path, column in zip(paths, columns, strict=True):
            key = column.path.lower()
            if key in seen:
                raise self.error("MALFORMED_QUERY", path.token, f"duplicate field selected: {column.path}")
            seen.add(key)

    def column(self, obj: ObjectDef, path: FieldPath) -> Column:
        parts = list(path.parts)
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and parts[0].lower() not in relationship_map(obj):
            parts = parts[1:]
        hops: list[Hop] = []
        current = obj
        for part in parts[:-1]:
            reference = relationship_map(current).get(part.lower())
            target = self.schema.find(reference.reference_to or "") if reference else None
            if reference is None or target is None:
                raise self.error("INVALID_FIELD", path.token, NO_SUCH_RELATIONSHIP.format(name=part))
            hops.append(Hop(reference.relationship_name or part, reference.name, target))
            current = target
        found = field_map(current).get(parts[-1].lower())
        if found is None:
            raise self.error("INVALID_FIELD", path.token, NO_SUCH_COLUMN.format(name=parts[-1], entity=current.name))
        return Column(tuple(hops), found)

    def getter(self, column: Column) -> Getter:
        return column_getter(column, self.tables)

    # ------------------------------------------------------------ WHERE

    def expr(self, obj: ObjectDef, node: Expr) -> Predicate:
        if isinstance(node, BoolOp):
            parts = [self.expr(obj, part) for part in node.parts]
            return _all_of(parts) if node.op == "AND" else _any_of(parts)
        if isinstance(node, Not):
            inner = self.expr(obj, node.expr)
            return lambda row: not inner(row)
        column = self.column(obj, node.field)
        if isinstance(node, Compare):
            return self.compare(column, node.op, node.value)
        if isinstance(node, InList):
            return self.in_list(column, node.values, node.negated)
        return self.like(column, node.pattern)

    def compare(self, column: Column, op: str, literal: Literal) -> Predicate:
        get = self.getter(column)
        if literal.kind == "null":
            return _null_check(get, op)
        if literal.kind == "relative":
            return self.relative(column, op, literal, get)
        norm = normalizer(column.field)
        target = norm(self.coerce(column.field, literal))
        compare = COMPARATORS[op]
        matches_null = op == "!="

        def predicate(row: Row) -> bool:
            value = get(row)
            return matches_null if value is None else compare(norm(value), target)

        return predicate

    def in_list(self, column: Column, values: Sequence[Literal], negated: bool) -> Predicate:
        get = self.getter(column)
        norm = normalizer(column.field)
        wanted = {norm(self.coerce(column.field, v)) for v in values if v.kind != "null"}
        has_null = any(v.kind == "null" for v in values)

        def predicate(row: Row) -> bool:
            value = get(row)
            found = has_null if value is None else norm(value) in wanted
            return found != negated

        return predicate

    def like(self, column: Column, pattern: Literal) -> Predicate:
        if column.field.type not in STRING_TYPES:
            raise self.error(
                "INVALID_FIELD",
                pattern.token,
                f"invalid operator on {TYPE_WORDS.get(column.field.type, column.field.type)} field: "
                f"{column.field.name}",
            )
        regex = re.compile(pattern.token.like or "", re.IGNORECASE | re.DOTALL)
        get = self.getter(column)

        def predicate(row: Row) -> bool:
            value = get(row)
            return isinstance(value, str) and regex.fullmatch(value) is not None

        return predicate

    def coerce(self, f: FieldDef, literal: Literal) -> Any:
        """The literal as a value of the field's type, or the real type-mismatch error."""
        kind = literal.kind
        if f.type in STRING_TYPES and kind == "string":
            return literal.value
        if f.type in NUMBER_TYPES and kind == "number":
            return literal.value
        if (f.type, kind) in (("date", "date"), ("datetime", "datetime"), ("boolean", "bool")):
            return literal.value
        if f.type in STRING_TYPES:
            detail = (
                f"value of filter criterion for field '{f.name}' must be of type string and should be enclosed "
                "in quotes"
            )
        else:
            detail = (
                f"value of filter criterion for field '{f.name}' must be of type "
                f"{TYPE_WORDS.get(f.type, f.type)} and should not be enclosed in quotes"
            )
        raise self.error("INVALID_FIELD", literal.token, detail)

    def relative(self, column: Column, op: str, literal: Literal, get: Getter) -> Predicate:
        f = column.field
        if f.type not in ("date", "datetime"):
            self.coerce(f, literal)  # raises the type error
        start, end = relative_range(literal.value, self.today)
        low: Any = start
        high: Any = end
        if f.type == "datetime":
            low, high = (datetime.combine(d, time(), tzinfo=UTC) for d in (start, end))
        return _range_check(get, op, low, high)


def _all_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 2:
        first, second = parts
        return lambda row: first(row) and second(row)
    return lambda row: all(part(row) for part in parts)


def _any_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 2:
        first, second = parts
        return lambda row: first(row) or second(row)
    return lambda row: any(part(row) for part in parts)


def _null_check(get: Getter, op: str) -> Predicate:
    if op == "=":
        return lambda row: get(row) is None
    if op == "!=":
        return lambda row: get(row) is not None
    return lambda _row: False


def _range_check(get: Getter, op: str, low: Any, high: Any) -> Predicate:
    """A relative date literal is a range [low, high): ``= TODAY`` means within today."""
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: low <= v < high,
        "!=": lambda v: not low <= v < high,
        "<": lambda v: v < low,
        "<=": lambda v: v < high,
        ">": lambda v: v >= high,
        ">=": lambda v: v >= low,
    }
    test = tests[op]

    def predicate(row: Row) -> bool:
        value = get(row)
        return op == "!=" if value is None else test(value)

    return predicate


def relative_range(value: tuple[str, int], today: date) -> tuple[date, date]:
    """The [start, end) dates of a relative date literal such as ``LAST_N_DAYS:30``."""
    word, n = value
    day = timedelta(days=1)
    if word == "TODAY":
        return today, today + day
    if word == "YESTERDAY":
        return today - day, today
    if word == "TOMORROW":
        return today + day, today + 2 * day
    if word == "LAST_N_DAYS":
        return today - n * day, today + day
    if word == "NEXT_N_DAYS":
        return today + day, today + (n + 1) * day
    month_start = today.replace(day=1)
    next_month = (month_start + 32 * day).replace(day=1)
    if word == "THIS_MONTH":
        return month_start, next_month
    if word == "LAST_MONTH":
        return (month_start - day).replace(day=1), month_start
    return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)  # THIS_YEAR


def compile_query(query: Query, schema: OrgSchema, tables: Tables) -> CompiledQuery:
    """Bind a parsed query; raises :class:`SoqlError` (INVALID_TYPE / INVALID_FIELD / MALFORMED_QUERY)."""
    return Binder(query, schema, tables).bind()
