"""Per-portal lookup structures kept beside the state: sorted ids and a short-lived search cache.

The portal is swapped whole on reset, so an index belongs to one portal object and is rebuilt for a new one.
Sorted ids are rebuilt lazily when the number of objects changes; search results are cached per query and
dropped on any write (``touch``) or after ``SEARCH_TTL`` seconds.
"""

from __future__ import annotations

import bisect
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from dealsync.emulator.hubspot.catalog import COMPANIES, DEALS
from dealsync.emulator.state import HubSpotObject, HubSpotPortal

SEARCH_TTL = 30.0
SEARCH_CACHE_SIZE = 64

IdKey = tuple[int, str]


def id_key(object_id: str) -> IdKey:
    """Numeric ids in numeric order; anything else after them, in text order."""
    return (int(object_id), object_id) if object_id.isdigit() else (sys.maxsize, object_id)


@dataclass
class SortedIds:
    size: int
    keys: list[IdKey]
    ids: list[str]

    def position(self, after: str | None) -> int:
        return 0 if after is None else bisect.bisect_left(self.keys, id_key(after))


@dataclass
class _CachedSearch:
    generation: tuple[int, int]  # (writes through the API, direct edits of the portal)
    size: int
    created: float
    ids: list[str]


@dataclass
class PortalIndex:
    portal: HubSpotPortal
    generation: int = 0
    _sorted: dict[str, SortedIds] = field(default_factory=dict)
    _searches: OrderedDict[str, _CachedSearch] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self, kind: str) -> dict[str, HubSpotObject]:
        return self.portal.deals if kind == DEALS else self.portal.companies

    def sorted_ids(self, kind: str) -> SortedIds:
        store = self.store(kind)
        cached = self._sorted.get(kind)
        if cached is not None and cached.size == len(store):
            return cached
        ids = sorted(store, key=id_key)
        fresh = SortedIds(len(ids), [id_key(i) for i in ids], ids)
        self._sorted[kind] = fresh
        return fresh

    def touch(self) -> None:
        """A write happened: cached searches are stale."""
        with self._lock:
            self.generation += 1
            self._searches.clear()

    def search(self, key: str, kind: str, compute: Callable[[], list[str]]) -> list[str]:
        """The matching ids of a search, from the cache while it is fresh."""
        size = len(self.store(kind))
        now = time.monotonic()
        with self._lock:
            hit = self._searches.get(key)
            current = (self.generation, self.portal.version)
            if hit and hit.generation == current and hit.size == size and now - hit.created < SEARCH_TTL:
                self._searches.move_to_end(key)
                return hit.ids
            generation = (self.generation, self.portal.version)
        ids = compute()
        with self._lock:
            self._searches[key] = _CachedSearch(generation, size, now, ids)
            while len(self._searches) > SEARCH_CACHE_SIZE:
                self._searches.popitem(last=False)
        return ids


def for_kind(kind: str) -> str:
    """``deals``/``companies`` from a path segment (object type ids ``0-3``/``0-2`` included)."""
    return {"0-3": DEALS, "deal": DEALS, "0-2": COMPANIES, "company": COMPANIES}.get(kind, kind)
