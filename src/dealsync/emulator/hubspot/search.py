"""The CRM search engine: ``POST /crm/v3/objects/{deals|companies}/search``.

Docs: https://developers.hubspot.com/docs/api/crm/search. Filter groups are ORed and the filters in a group
ANDed (at most 5 groups, 6 filters each, 18 in all); values are compared by the property's type (numbers as
numbers, datetimes as instants given as epoch milliseconds or ISO 8601, strings case-insensitively). Sorts are
``{propertyName, direction}`` objects or ``"name"``/``"-name"`` strings, ties broken by id; a missing value
sorts last either way. ``limit`` is at most 200, ``after`` is an offset, and no query may page past its first
10,000 results. Archived objects never match. The matching ids of a query are cached until the next write.
"""

from __future__ import annotations

import json
import operator as op
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot import catalog
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import validation_error
from dealsync.emulator.hubspot.objects import selection
from dealsync.emulator.hubspot.params import bounded_int, json_body, string_list
from dealsync.emulator.hubspot.serialize import ALWAYS_RETURNED, epoch_ms, object_json, parse_number, system_value
from dealsync.emulator.state import HubSpotObject, HubSpotPortal
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]
Comparable = float | int | str
Coerce = Callable[[str | None], Comparable | None]
Predicate = Callable[[HubSpotObject], bool]

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_LIMIT = 200
MAX_RESULTS = 10_000
VALUE_OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE"})
ORDER: dict[str, Callable[[Any, Any], Any]] = {"LT": op.lt, "LTE": op.le, "GT": op.gt, "GTE": op.ge}
ALL_OPERATORS = VALUE_OPERATORS | {
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


@dataclass(frozen=True)
class Filter:
    name: str
    operator: str
    value: str | None
    high: str | None
    values: tuple[str, ...]


def value_of(obj: HubSpotObject, name: str) -> str | None:
    value = obj.properties.get(name)
    if value is None and name in ALWAYS_RETURNED:
        return system_value(obj, name)
    return value


def coercer(portal: HubSpotPortal, kind: str, name: str) -> Coerce:
    """Turns stored and filter values of one property into comparable values (None: no value)."""
    kind_of = catalog.property_type(portal, kind, name)
    if kind_of == "number":
        return lambda v: None if v is None or v == "" else parse_number(v)
    if kind_of in ("datetime", "date"):
        return lambda v: None if v is None or v == "" else epoch_ms(v)
    return lambda v: None if v is None or v == "" else v.strip().lower()


def text(value: Any) -> str | None:
    return None if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def parse_filter(raw: Any) -> Filter:
    if not isinstance(raw, dict) or not raw.get("propertyName"):
        raise validation_error("Invalid filter: propertyName is required.")
    operator = str(raw.get("operator", "EQ")).upper()
    if operator not in ALL_OPERATORS:
        raise validation_error(f"Invalid filter operator {operator!r} for property {raw['propertyName']}.")
    values = raw.get("values") or []
    found = Filter(
        str(raw["propertyName"]),
        operator,
        text(raw.get("value")),
        text(raw.get("highValue")),
        tuple(str(v) for v in values) if isinstance(values, list) else (),
    )
    check_filter(found)
    return found


def check_filter(found: Filter) -> None:
    if found.operator in VALUE_OPERATORS | {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"} and found.value is None:
        raise validation_error(f"Filter on {found.name} with operator {found.operator} needs a value.")
    if found.operator == "BETWEEN" and (found.value is None or found.high is None):
        raise validation_error(f"Filter on {found.name} with operator BETWEEN needs value and highValue.")
    if found.operator in ("IN", "NOT_IN") and not found.values:
        raise validation_error(f"Filter on {found.name} with operator {found.operator} needs values.")


def parse_groups(raw: Any) -> list[list[Filter]]:
    groups = [] if raw is None else raw
    if not isinstance(groups, list):
        raise validation_error("Invalid input JSON: filterGroups must be an array.")
    if len(groups) > MAX_GROUPS:
        raise validation_error(f"Too many filter groups: {len(groups)}; the maximum is {MAX_GROUPS}.")
    parsed = []
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        filters = filters or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise validation_error(
                f"Too many filters in a group: {len(filters)}; the maximum is {MAX_FILTERS_PER_GROUP}."
            )
        parsed.append([parse_filter(f) for f in filters])
    if sum(len(g) for g in parsed) > MAX_FILTERS:
        raise validation_error(f"Too many filters: the maximum is {MAX_FILTERS} across all filter groups.")
    return parsed


def parse_sorts(raw: Any) -> list[tuple[str, bool]]:
    """``(propertyName, descending)`` pairs."""
    if not isinstance(raw, list):
        return []
    sorts = []
    for item in raw:
        if isinstance(item, str) and item.strip("-"):
            sorts.append((item.lstrip("-"), item.startswith("-")))
        elif isinstance(item, dict) and item.get("propertyName"):
            direction = str(item.get("direction", "ASCENDING")).upper()
            if direction not in ("ASCENDING", "DESCENDING"):
                raise validation_error(f"Invalid sort direction {direction!r}.")
            sorts.append((str(item["propertyName"]), direction == "DESCENDING"))
        else:
            raise validation_error("Invalid sort: expected a property name or {propertyName, direction}.")
    return sorts


def tokens(value: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in value.lower()).split()


def token_match(stored: str | None, pattern: str) -> bool:
    wanted = pattern.strip().lower()
    return stored is not None and any(fnmatchcase(token, wanted) for token in tokens(stored))


def compare(operator: str, have: Comparable | None, want: Comparable) -> bool:
    if operator == "NEQ":
        return have is None or have != want
    if have is None:
        return False
    if operator == "EQ":
        return have == want
    try:
        return bool(ORDER[operator](have, want))
    except TypeError:
        return False


def target(coerce: Coerce, raw: str | None, name: str) -> Comparable:
    value = coerce(raw)
    if value is None:
        raise validation_error(f"Invalid value {raw!r} for property {name}.")
    return value


def membership(coerce: Coerce, name: str, allowed: set[Comparable | None], negate: bool) -> Predicate:
    def matches(obj: HubSpotObject) -> bool:
        have = coerce(value_of(obj, name))
        return negate if have is None else (have in allowed) != negate

    return matches


def compile_filter(portal: HubSpotPortal, kind: str, found: Filter) -> Predicate:
    name, operator, coerce = found.name, found.operator, coercer(portal, kind, found.name)
    if operator == "HAS_PROPERTY":
        return lambda o: value_of(o, name) not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return lambda o: value_of(o, name) in (None, "")
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern, negate = found.value or "", operator == "NOT_CONTAINS_TOKEN"
        return lambda o: token_match(value_of(o, name), pattern) != negate
    if operator in ("IN", "NOT_IN"):
        return membership(coerce, name, {coerce(v) for v in found.values}, operator == "NOT_IN")
    if operator == "BETWEEN":
        low, high = target(coerce, found.value, name), target(coerce, found.high, name)
        return lambda o: (
            compare("GTE", coerce(value_of(o, name)), low) and compare("LTE", coerce(value_of(o, name)), high)
        )
    want = target(coerce, found.value, name)
    return lambda o: compare(operator, coerce(value_of(o, name)), want)


def query_predicate(kind: str, query: str) -> Predicate:
    words = query.lower().split()
    fields = catalog.SEARCHABLE_TEXT.get(kind, ())

    def matches(obj: HubSpotObject) -> bool:
        haystack = " ".join((obj.properties.get(f) or "") for f in fields).lower()
        return all(word in haystack for word in words)

    return matches


def matcher(portal: HubSpotPortal, kind: str, groups: list[list[Filter]], query: str) -> Predicate:
    compiled = [[compile_filter(portal, kind, f) for f in group] for group in groups if group]
    free_text = query_predicate(kind, query) if query.strip() else None

    def matches(obj: HubSpotObject) -> bool:
        if obj.archived or (free_text is not None and not free_text(obj)):
            return False
        return not compiled or any(all(p(obj) for p in group) for group in compiled)

    return matches


def sort_objects(
    portal: HubSpotPortal, kind: str, objects: list[HubSpotObject], sorts: Sequence[tuple[str, bool]]
) -> list[HubSpotObject]:
    """Stable sorts from the least significant key; ``objects`` arrive in id order (the final tie-break)."""
    ordered = objects
    for name, descending in reversed(sorts):
        coerce = coercer(portal, kind, name)
        keyed = [(coerce(value_of(o, name)), o) for o in ordered]
        present = [(k, o) for k, o in keyed if k is not None]
        present.sort(key=lambda pair: pair[0], reverse=descending)
        ordered = [o for _, o in present] + [o for k, o in keyed if k is None]
    return ordered


def matching_ids(ctx: Ctx, groups: list[list[Filter]], sorts: list[tuple[str, bool]], query: str) -> list[str]:
    kind, portal = ctx.kind, ctx.portal
    store, order = ctx.index.store(kind), ctx.index.sorted_ids(kind)
    matches = matcher(portal, kind, groups, query)
    found = [store[i] for i in order.ids if i in store and matches(store[i])]
    return [obj.id for obj in sort_objects(portal, kind, found, sorts)]


def offset(raw: Any) -> int:
    if raw is None or raw == "":
        return 0
    try:
        value = int(str(raw))
    except ValueError:
        raise validation_error(f"Invalid value for after: {raw!r} is not an offset.") from None
    if value < 0:
        raise validation_error(f"Invalid value for after: {raw!r} is negative.")
    return value


def check_window(after: int, limit: int) -> None:
    # The real 400 body for this case could not be found; the message is the emulator's own wording.
    if after + limit > MAX_RESULTS:
        raise validation_error(
            f"Search results are limited to the first {MAX_RESULTS} results of a query; "
            f"after ({after}) + limit ({limit}) exceeds {MAX_RESULTS}.",
            context={"after": [str(after)], "limit": [str(limit)]},
        )


def search(ctx: Ctx) -> Response:
    """``POST /crm/v3/objects/{deals|companies}/search`` → ``{total, results, paging?}``."""
    body, kind = json_body(ctx.request), ctx.kind
    groups, sorts = parse_groups(body.get("filterGroups")), parse_sorts(body.get("sorts"))
    limit = bounded_int(body.get("limit"), "limit", 10, MAX_LIMIT)
    after, query = offset(body.get("after")), str(body.get("query") or "")
    check_window(after, limit)
    chosen = selection(ctx, string_list(body.get("properties"), "properties"), catalog.DEFAULT_SEARCH_PROPERTIES[kind])
    key = json.dumps([kind, body.get("filterGroups"), body.get("sorts"), query], sort_keys=True, default=str)
    with ctx.portal.lock:
        ids = ctx.index.search(key, kind, lambda: matching_ids(ctx, groups, sorts, query))
        store = ctx.index.store(kind)
        page = [store[i] for i in ids[after : after + limit] if i in store]
        results = [object_json(obj, chosen) for obj in page]
    response: Json = {"total": len(ids), "results": results}
    if after + limit < len(ids):
        response["paging"] = {"next": {"after": str(after + limit)}}
    ctx.served(kind, [obj.id for obj in page])
    return json_response(response)
