"""Blocking: which pairs of deals are worth scoring at all, so that the work grows with the deals, not their square.

Each blocking rule gives every record one key (or none); records with equal keys form a block, and only pairs
inside a block are scored. The rules are OR-ed (a pair found by any rule is scored), as splink and
recordlinkage do, because one rule's blind spot is another's strength:

- ``account``: the normalised account name (``company_name``); catches renamed deals of one account.
- ``account_ascii``: the same, after dropping non-ASCII letters first; meets a copy whose accents a system lost.
- ``deal_name``: the deal name's words, sorted, without years; catches deals without an account.
- ``deal_name_prefixes`` / ``deal_name_suffixes``: the first / last three letters of each of those words. One
  typo changes a word's start or its end, not both (words of six letters or more), so one of the two survives.

A block larger than ``max_block_size`` (a giant account, a generic name such as "Renewal") is not compared
all-pairs: its records are sorted by deal name, then by close date, and each is compared with its
``window - 1`` next neighbours in each order (sorted neighbourhood). So the work is at most about
``records x rules x 2 x window`` pairs whatever the data. A pair that sits in several blocks is yielded once per
block; scoring it twice is cheaper than remembering every pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from dealsync.quality.dedupe.records import Records, without_years


class Columns:
    """What the key functions read: the records, and their deal names without years (made once, on demand,
    and dropped with the blocking: a million of them are worth not keeping)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._names: list[str] | None = None

    @property
    def names_without_years(self) -> list[str]:
        if self._names is None:
            self._names = [without_years(key) for key in self.records.name_keys]
        return self._names


KeyFunction = Callable[[Columns], Sequence[str]]


def account_keys(columns: Columns) -> Sequence[str]:
    return columns.records.account_keys


def account_ascii_keys(columns: Columns) -> Sequence[str]:
    """The ASCII-only key where it differs from ``account``'s (else no key: that block already exists)."""
    records = columns.records
    return [a if a != k else "" for a, k in zip(records.account_ascii_keys, records.account_keys, strict=True)]


def deal_name_keys(columns: Columns) -> Sequence[str]:
    return columns.names_without_years


def deal_name_prefix_keys(columns: Columns) -> Sequence[str]:
    """Each word's first three letters (names of two words or more: one word alone is too common a key)."""
    # the words are sorted, and so are their prefixes
    return [" ".join([w[:3] for w in ws]) if len(ws) > 1 else "" for ws in map(str.split, columns.names_without_years)]


def deal_name_suffix_keys(columns: Columns) -> Sequence[str]:
    return [
        " ".join(sorted([w[-3:] for w in ws])) if len(ws) > 1 else ""
        for ws in map(str.split, columns.names_without_years)
    ]


KEY_FUNCTIONS: dict[str, KeyFunction] = {
    "account": account_keys,
    "account_ascii": account_ascii_keys,
    "deal_name": deal_name_keys,
    "deal_name_prefixes": deal_name_prefix_keys,
    "deal_name_suffixes": deal_name_suffix_keys,
}
DEFAULT_RULES: tuple[str, ...] = tuple(KEY_FUNCTIONS)


@dataclass(frozen=True)
class BlockingSettings:
    rules: tuple[str, ...] = DEFAULT_RULES  # names from KEY_FUNCTIONS
    max_block_size: int = 60  # larger blocks are compared by sorted neighbourhood
    window: int = 8  # neighbours (including itself) compared in an oversized block, per sort order

    def __post_init__(self) -> None:
        unknown = [rule for rule in self.rules if rule not in KEY_FUNCTIONS]
        if unknown:
            raise ValueError(f"unknown blocking rule(s) {unknown}; known: {sorted(KEY_FUNCTIONS)}")
        if self.max_block_size < 2 or self.window < 2:
            raise ValueError("max_block_size and window must be at least 2")


def blocks(keys: Sequence[str]) -> Iterator[list[int]]:
    """Record indices grouped by equal, non-empty key (blocks of two or more, in order of first record)."""
    first: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        j = first.setdefault(key, i)
        if j != i:
            group = groups.get(key)
            if group is None:
                groups[key] = [j, i]
            else:
                group.append(i)
    del first
    yield from groups.values()


def candidate_pairs(records: Records, settings: BlockingSettings) -> Iterator[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, to score: all pairs of each small block, neighbours in each large one."""
    columns = Columns(records)
    for rule in settings.rules:
        for block in blocks(KEY_FUNCTIONS[rule](columns)):
            if len(block) <= settings.max_block_size:
                yield from combinations(block, 2)
            else:
                yield from _neighbours(records, block, settings.window)


def _neighbours(records: Records, block: list[int], window: int) -> Iterator[tuple[int, int]]:
    names, days = records.name_keys, records.close_days
    seen: set[tuple[int, int]] = set()
    for order in (sorted(block, key=lambda i: (names[i], i)), sorted(block, key=lambda i: (days[i], names[i], i))):
        for n, i in enumerate(order):
            for j in order[n + 1 : n + window]:
                pair = (i, j) if i < j else (j, i)
                if pair not in seen:
                    seen.add(pair)
                    yield pair
