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
``records x rules x 2 x window`` pairs whatever the data.

Pairs come out as numpy index arrays, never as Python tuples (a million deals give some 50 million pairs). Each
key becomes a block number; the records of a rule's blocks are sorted by (block, order within the block), and
the pairs at distance ``k`` in that order that fall in one block are taken for each ``k`` at once (the "offset
trick"): ``k = 1 .. size - 1`` gives all pairs of a block, ``k = 1 .. window - 1`` its sorted neighbourhood.
Names are ordered as Python orders strings (integer ranks from ``sorted``), so an oversized block yields the
same neighbours whatever the platform. A pair may come more than once (several rules, or both orders of an
oversized block find it): the scorer drops repeats after its cheap comparisons, when few pairs are left.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from dealsync.quality.dedupe.records import Records, without_years

Indices = NDArray[np.int32]  # record indices: half the memory and cache of int64, and room for 2**31 records
Pairs = tuple[Indices, Indices]  # (I, J), I < J element-wise
Codes = NDArray[np.int32]  # a number per record: its block, or its value's number (-1: none)
T = TypeVar("T", bound=Hashable)


class Columns:
    """What the key functions read: the records, and their distinct deal names without years (made once, on
    demand, and dropped with the blocking: a million of them are worth not keeping). A name key is computed
    once per distinct deal name, then spread to the records by number."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._names: tuple[list[str], Codes] | None = None
        self._names_without_years: list[str] | None = None
        self._name_ranks: Indices | None = None

    @property
    def names(self) -> tuple[list[str], Codes]:
        """The distinct ``name_keys``, and each record's position among them."""
        if self._names is None:
            self._names = distinct(self.records.name_keys)
        return self._names

    @property
    def names_without_years(self) -> list[str]:
        """``without_years`` of each distinct name."""
        if self._names_without_years is None:
            self._names_without_years = [without_years(name) for name in self.names[0]]
        return self._names_without_years

    def by_name(self, key: Callable[[str], str]) -> Codes:
        """Each record's block by ``key`` of its deal name without years."""
        return codes([key(name) for name in self.names_without_years], missing=("",))[self.names[1]]

    @property
    def name_ranks(self) -> Indices:
        """Each record's ``name_key`` as its rank in Python's string order (equal names, equal ranks), so that
        numpy sorts records by name exactly as ``sorted`` would."""
        if self._name_ranks is None:
            names, positions = self.names
            ranks = np.empty(len(names), dtype=np.int32)
            ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
            self._name_ranks = ranks[positions]
        return self._name_ranks


KeyFunction = Callable[[Columns], Codes]  # each record's block, -1 for none


def account_keys(columns: Columns) -> Codes:
    return codes(columns.records.account_keys, missing=("",))


def account_ascii_keys(columns: Columns) -> Codes:
    """The ASCII-only key where it differs from ``account``'s (else no key: that block already exists)."""
    records = columns.records
    ascii_keys = [a if a != k else "" for a, k in zip(records.account_ascii_keys, records.account_keys, strict=True)]
    return codes(ascii_keys, missing=("",))


def deal_name_keys(columns: Columns) -> Codes:
    return columns.by_name(lambda words: words)


def deal_name_prefix_keys(columns: Columns) -> Codes:
    """Each word's first three letters (names of two words or more: one word alone is too common a key)."""
    return columns.by_name(_prefixes)


def deal_name_suffix_keys(columns: Columns) -> Codes:
    return columns.by_name(_suffixes)


def _prefixes(words: str) -> str:
    ws = words.split()  # the words are sorted, and so are their prefixes
    return " ".join([w[:3] for w in ws]) if len(ws) > 1 else ""


def _suffixes(words: str) -> str:
    ws = words.split()
    return " ".join(sorted([w[-3:] for w in ws])) if len(ws) > 1 else ""


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


def distinct(values: Sequence[T], missing: tuple[T, ...] = ()) -> tuple[list[T], Codes]:
    """The distinct values in order of first appearance, and each value's number: its position among them, or -1
    for the ``missing`` ones. ``dict.fromkeys`` does the work in C; Python loops over the distinct values only."""
    numbers = dict.fromkeys(values, 0)
    unique = list(numbers)
    numbers.update(zip(unique, range(len(unique)), strict=True))
    numbers.update((value, -1) for value in missing if value in numbers)
    return unique, np.fromiter(map(numbers.__getitem__, values), dtype=np.int32, count=len(values))


def codes(values: Sequence[T], missing: tuple[T, ...]) -> Codes:
    """Each value as a number, equal values equal numbers, -1 for the ``missing`` ones: a rule's keys become
    blocks (an empty key: no block), and scoring compares strings as numbers."""
    return distinct(values, missing)[1]


def candidate_pairs(records: Records, settings: BlockingSettings) -> Iterator[Pairs]:
    """Chunks of pairs to score: all pairs of each small block, neighbours in each large one (repeats possible)."""
    columns = Columns(records)
    for rule in settings.rules:
        block = KEY_FUNCTIONS[rule](columns)
        size = _block_sizes(block)
        small = np.flatnonzero((size >= 2) & (size <= settings.max_block_size)).astype(np.int32)
        yield from _all_pairs(small, block[small], size[small])
        large = np.flatnonzero(size > settings.max_block_size).astype(np.int32)
        if large.size:
            yield from _neighbours(columns, large, block[large], settings.window)


def _block_sizes(block: Codes) -> NDArray[np.int64]:
    """Each record's block size (0 without a block)."""
    in_block = block >= 0
    size = np.zeros(block.shape, dtype=np.int64)
    size[in_block] = np.bincount(block[in_block])[block[in_block]]
    return size


def _all_pairs(index: Indices, block: Codes, size: NDArray[np.int64]) -> Iterator[Pairs]:
    """Every pair of each block: ``itertools.combinations`` of each, as arrays (``index`` is ascending, and so
    is each block once sorted: stably, largest block first). The records of the blocks larger than ``k`` are
    then a prefix of the order, so the work for distance ``k`` is proportional to the pairs it yields."""
    if not index.size:
        return
    order = np.argsort(_major_minor(size.max() - size, block), kind="stable")
    index, block, size = index[order], block[order], size[order]
    larger_than = np.searchsorted(-size, -np.arange(int(size[0])), side="left")
    for k in range(1, len(larger_than)):
        end = int(larger_than[k])
        same = block[: end - k] == block[k:end]
        yield index[: end - k][same], index[k:end][same]


def _neighbours(columns: Columns, index: Indices, block: Codes, window: int) -> Iterator[Pairs]:
    """The sorted neighbourhood of each block: each record with its ``window - 1`` next ones, by deal name
    (then record), and by close date (then deal name, then record). Stable sorts on ascending ``index``, the
    second on the order of the first, give those tie-breaks."""
    by_name = np.argsort(_major_minor(block, columns.name_ranks[index]), kind="stable")
    days = np.asarray(columns.records.close_days, dtype=np.int32)[index]
    by_date = by_name[np.argsort(_major_minor(block, days)[by_name], kind="stable")]
    for order in (by_name, by_date):
        ordered, ordered_block = index[order], block[order]
        for k in range(1, window):
            same = ordered_block[:-k] == ordered_block[k:]
            i, j = ordered[:-k][same], ordered[k:][same]
            yield np.minimum(i, j), np.maximum(i, j)


def _major_minor(major: NDArray[np.integer], minor: NDArray[np.integer]) -> NDArray[np.int64]:
    """One int64 sort key for the order by (``major``, ``minor``): both are non-negative, each below the record
    count or a date ordinal, so the product cannot overflow."""
    return major.astype(np.int64) * (int(minor.max(initial=0)) + 1) + minor
