"""Robust statistics of deal amounts for the outlier rule: median and MAD of log amounts per group.

Groups, most specific first: (connection, pipeline, currency), then (currency) across connections, then every
deal converted to the base currency. The outlier rule uses the first group with enough deals.

Memory: ``OutlierStats.build`` streams the deals once and keeps one float64 per positive amount per group level
in ``array('d')`` buffers (3 levels x 8 bytes = 24 bytes per deal, ~24 MB for 1,000,000 deals), then computes the
exact median and MAD group by group and keeps only those (a few numbers per group). Exact statistics are cheap
at this size, so no sketch (t-digest) is needed.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from dealsync.canonical import Deal
from dealsync.quality.model import FxTable

GroupKey = tuple[str, ...]
AmountRow = tuple[str, str | None, Decimal | None, str | None]  # (connection, pipeline, amount, currency)
MAD_FLOOR = 0.1  # log units: a group whose amounts barely vary still needs ~x1.7 to call an amount an outlier
TYPICAL_Z = 2.0  # |robust z| of an amount that would be unremarkable
Z_SCALE = 0.6745  # Iglewicz & Hoaglin: modified z = 0.6745 (x - median) / MAD


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Median and MAD of the natural log of the amounts of one group."""

    label: str
    currency: str
    count: int
    median: float
    mad: float

    def z(self, log_amount: float) -> float:
        return Z_SCALE * (log_amount - self.median) / max(self.mad, MAD_FLOOR)

    @property
    def typical(self) -> Decimal:
        """The group's median amount, in ``currency``."""
        return Decimal(str(round(math.exp(self.median), 2)))


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one amount stands in its group."""

    group: GroupStats
    amount: Decimal  # in the group's currency
    z: float

    @property
    def ratio(self) -> float:
        return float(self.amount) / math.exp(self.group.median)

    def typo_zeros(self) -> int | None:
        """Zeros to drop (> 0) or add (< 0) that make the amount typical (|z| <= 2), the fewest first; else None."""
        log_amount = math.log(self.amount)
        shifts = sorted((1, -1, 2, -2, 3, -3), key=lambda k: abs(self.group.z(log_amount - k * math.log(10))))
        best = shifts[0]
        return best if abs(self.group.z(log_amount - best * math.log(10))) <= TYPICAL_Z else None


class OutlierStats:
    """Per-group median/MAD of log amounts, built in one pass over the deals."""

    def __init__(self, groups: Mapping[GroupKey, GroupStats]) -> None:
        self.groups = dict(groups)

    @classmethod
    def build(cls, deals: Iterable[Deal], fx: FxTable | None = None) -> OutlierStats:
        """Statistics over the live deals with a positive amount (any status). ``fx`` adds the converted level."""
        return cls.from_amounts(
            ((d.ref.connection, d.pipeline, d.amount, d.currency) for d in deals if not d.deleted), fx
        )

    @classmethod
    def from_amounts(cls, amounts: Iterable[AmountRow], fx: FxTable | None = None) -> OutlierStats:
        """The same from ``(connection, pipeline, amount, currency)`` of each live deal: all the statistics need,
        so a caller can read four columns rather than whole deals."""
        buffers: dict[GroupKey, array[float]] = {}
        for connection, pipeline, amount, currency in amounts:
            if amount is None or amount <= 0 or currency is None:
                continue
            for key, value in _keys(connection, pipeline, amount, currency, fx):
                buffers.setdefault(key, array("d")).append(math.log(value))
        groups: dict[GroupKey, GroupStats] = {}
        for key in list(buffers):
            groups[key] = _stats(key, buffers.pop(key))
        return cls(groups)

    def place(self, deal: Deal, fx: FxTable, min_group: int) -> Placement | None:
        """The deal's amount in the most specific group with at least ``min_group`` deals, or None."""
        if deal.amount is None or deal.amount <= 0 or deal.currency is None:
            return None
        for key, amount in _keys(deal.ref.connection, deal.pipeline, deal.amount, deal.currency, fx):
            group = self.groups.get(key)
            if group is not None and group.count >= min_group:
                return Placement(group, amount, group.z(math.log(amount)))
        return None


def _keys(
    connection: str, pipeline: str | None, amount: Decimal, currency: str, fx: FxTable | None
) -> list[tuple[GroupKey, Decimal]]:
    keys: list[tuple[GroupKey, Decimal]] = [
        (("pipeline", connection, pipeline or "", currency), amount),
        (("currency", currency), amount),
    ]
    converted = None if fx is None else fx.convert(amount, currency)
    if fx is not None and converted is not None and converted > 0:
        keys.append((("all", fx.base), converted))
    return keys


def _stats(key: GroupKey, values: array[float]) -> GroupStats:
    ordered = sorted(values)
    mid = median(ordered)
    mad = median(sorted(abs(v - mid) for v in ordered))
    return GroupStats(_label(key), key[-1], len(ordered), mid, mad)


def _label(key: GroupKey) -> str:
    if key[0] == "pipeline":
        pipeline = f"pipeline {key[2]!r}" if key[2] else "its pipeline"
        return f"{key[1]} deals in {pipeline} in {key[3]}"
    if key[0] == "currency":
        return f"all deals in {key[1]}"
    return f"all deals converted to {key[1]}"
