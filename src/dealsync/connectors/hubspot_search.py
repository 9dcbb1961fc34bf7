"""Reading every deal modified in a time range through CRM search exactly once, whatever its size.

HubSpot search has two hard limits: no query pages past its first 10,000 results (a 400), and it sorts by
one property only. It also pages by offset (``after`` = "200", "400", ...), and an offset is not stable: a deal
already read that is edited meanwhile leaves the result set (its new ``hs_lastmodifieddate`` is past the upper
bound), every later result moves up by one, and the next page silently skips a deal.

So this reader never pages by offset. It seeks: every request starts at offset 0 with the lower bound moved up
to the newest ``hs_lastmodifieddate`` read so far (inclusive, so deals sharing that instant are read again and
dropped by id). Each query therefore returns at most one page, far below the 10,000 cap, and an edit elsewhere
cannot shift anything. When a whole page shares a single instant (a pipeline edit or an import touches 10,000+
deals in one millisecond) the bound cannot move; the reader then walks that instant by ``hs_object_id``
(``EQ instant AND hs_object_id GT last id``, sorted by id) and continues after it with ``GT instant``. Every
step either moves the bound forward or raises, so it cannot loop.

Duplicates can only come from re-reading the newest instant, so only the ids read at that instant are
remembered: memory is bounded by the largest group of deals sharing one millisecond, not by the pull's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dealsync.errors import FatalError

MODIFIED = "hs_lastmodifieddate"
OBJECT_ID = "hs_object_id"
PAGE_LIMIT = 200  # HubSpot's maximum for search


@dataclass(frozen=True)
class Hit:
    """One search result: its id, its ``hs_lastmodifieddate`` in epoch milliseconds, and the record itself."""

    id: str
    modified_ms: int
    record: Any = None


Search = Callable[[dict[str, Any]], list[Hit]]  # a search request body -> the hits of its first page


def modified_between(
    search: Search, lower_ms: int, upper_ms: int, properties: list[str], *, limit: int = PAGE_LIMIT
) -> Iterator[list[Hit]]:
    """Deals with ``lower_ms <= hs_lastmodifieddate <= upper_ms``, oldest first, one list per request."""
    seen = _Newest()
    bound, inclusive = lower_ms, True
    while bound <= upper_ms:
        hits = search(time_query(bound, inclusive, upper_ms, properties, limit))
        yield seen.fresh(hits)
        if len(hits) < limit:
            return
        last = hits[-1].modified_ms
        if last > bound:
            bound, inclusive = last, True
        elif last == bound and inclusive:
            yield from _one_instant(search, last, properties, limit, seen)
            bound, inclusive = last, False
        else:
            raise FatalError(
                f"HubSpot search returned {MODIFIED}={last} below the requested bound {bound}; "
                "stopping instead of looping"
            )


def _one_instant(search: Search, instant: int, properties: list[str], limit: int, seen: _Newest) -> Iterator[list[Hit]]:
    """Every deal modified at exactly ``instant``, walked in id order."""
    after_id: int | None = None
    while True:
        hits = search(id_query(instant, after_id, properties, limit))
        yield seen.fresh(hits)
        if len(hits) < limit:
            return
        last = _numeric_id(hits[-1].id)
        if after_id is not None and last <= after_id:
            raise FatalError(f"HubSpot search by {OBJECT_ID} did not move past {after_id}; stopping instead of looping")
        after_id = last


@dataclass
class _Newest:
    """The newest instant yielded so far and the ids yielded at it: the only ones a later query returns again."""

    ms: int = -1
    ids: set[str] = field(default_factory=set)

    def fresh(self, hits: Iterable[Hit]) -> list[Hit]:
        out: list[Hit] = []
        for hit in hits:
            if hit.modified_ms > self.ms:
                self.ms, self.ids = hit.modified_ms, set()
            elif hit.modified_ms == self.ms and hit.id in self.ids:
                continue
            self.ids.add(hit.id)
            out.append(hit)
        return out


def time_query(bound: int, inclusive: bool, upper: int, properties: list[str], limit: int) -> dict[str, Any]:
    filters = [_filter(MODIFIED, "GTE" if inclusive else "GT", bound), _filter(MODIFIED, "LTE", upper)]
    return _query(filters, MODIFIED, properties, limit)


def id_query(instant: int, after_id: int | None, properties: list[str], limit: int) -> dict[str, Any]:
    filters = [_filter(MODIFIED, "EQ", instant)]
    if after_id is not None:
        filters.append(_filter(OBJECT_ID, "GT", after_id))
    return _query(filters, OBJECT_ID, properties, limit)


def count_query(lower: int | None) -> dict[str, Any]:
    """The smallest search that returns ``total``: deals modified at or after ``lower`` (all when None)."""
    filters = [] if lower is None else [_filter(MODIFIED, "GTE", lower)]
    return {"filterGroups": [{"filters": filters}] if filters else [], "properties": [OBJECT_ID], "limit": 1}


def _query(filters: list[dict[str, str]], sort: str, properties: list[str], limit: int) -> dict[str, Any]:
    return {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": limit,
    }


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _numeric_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FatalError(f"HubSpot object id {value!r} is not numeric; cannot walk ids in order") from None


class AfterTokens:
    """Guards cursor paging (``paging.next.after``): a token seen twice would loop forever, so it raises."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._seen: set[str] = set()

    def next(self, token: str | None) -> str | None:
        if token is None:
            return None
        if token in self._seen:
            raise FatalError(
                f"HubSpot returned the paging token {token!r} twice while reading {self.what}; "
                "stopping instead of looping"
            )
        self._seen.add(token)
        return token
