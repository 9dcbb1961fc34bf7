"""Facts derived from a deal and its history, shared by the rules, the health score and the metrics.

History points are oldest first. The deal itself is the newest state: when its stage or close date differs
from the last point (history not yet refreshed), the deal's value counts as one more step at ``modified_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from dealsync.canonical import Deal, Stage, Status
from dealsync.quality.model import FxTable, HistoryPoint

# ``Stage.order`` looks the stage up in the enum's list on every call; the rules ask often enough to keep a table
ORDER: dict[Stage, int] = {stage: stage.order for stage in Stage}


@dataclass(frozen=True, slots=True)
class StageChange:
    before: Stage
    after: Stage
    at: datetime

    @property
    def backwards(self) -> bool:
        return ORDER[self.after] < ORDER[self.before]


def last_sign_of_life(deal: Deal, points: Sequence[HistoryPoint]) -> tuple[datetime, str]:
    """When someone last worked the deal, and what says so.

    The CRM's last activity (``LastActivityDate``, ``notes_last_updated``) when known; otherwise the latest stage
    or amount change in the history, else the creation. Close-date changes do not count (pushing a date out is
    not progress), and neither does ``modified_at``: sync tools, dealsync's own write-back included, bump it
    without anyone working the deal.
    """
    if deal.last_activity_at is not None:
        return deal.last_activity_at, "activity"
    changes = [b.changed_at for a, b in pairwise(points) if a.stage is not b.stage or a.amount != b.amount]
    latest = max([deal.created_at, *changes])
    return latest, ("update" if latest > deal.created_at else "creation")


def stage_entered_at(deal: Deal, points: Sequence[HistoryPoint]) -> datetime | None:
    """When the deal entered its current canonical stage (a lower bound of the age), or None when unknown.

    The start of the newest run of history points in the deal's stage. Without history the age is unknown.
    If the history's newest point shows another stage, the deal moved after it: at the latest at ``modified_at``.
    """
    if deal.stage is None or not points:
        return None
    if points[-1].stage is not deal.stage:
        return deal.modified_at
    entered = points[-1].changed_at
    for point in reversed(points):
        if point.stage is not deal.stage:
            break
        entered = point.changed_at
    return entered


def close_date_pushes(deal: Deal, points: Sequence[HistoryPoint]) -> int:
    """How many times the close date moved later (a pull-in is not a push)."""
    dates = [p.close_date for p in points if p.close_date is not None]
    if deal.close_date is not None and (not dates or dates[-1] != deal.close_date):
        dates.append(deal.close_date)
    return sum(1 for before, after in pairwise(dates) if after > before)


def stage_path(deal: Deal, points: Sequence[HistoryPoint]) -> list[tuple[Stage, datetime]]:
    """Known canonical stages in order with when each began; repeats collapsed, unmapped points skipped."""
    path: list[tuple[Stage, datetime]] = []
    steps = [(p.stage, p.changed_at) for p in points]
    steps.append((deal.stage, deal.modified_at))
    for stage, at in steps:
        if stage is not None and (not path or path[-1][0] is not stage):
            path.append((stage, at))
    return path


def last_stage_change(deal: Deal, points: Sequence[HistoryPoint]) -> StageChange | None:
    path = stage_path(deal, points)
    if len(path) < 2:
        return None
    (before, _), (after, at) = path[-2], path[-1]
    return StageChange(before, after, at)


# A canonical stage's usual win probability, used when the CRM's own stage probability is unknown.
DEFAULT_STAGE_PROBABILITY: dict[Stage, Decimal] = {
    Stage.LEAD_GENERATION: Decimal("0.05"),
    Stage.PROSPECTING: Decimal("0.10"),
    Stage.QUALIFICATION: Decimal("0.20"),
    Stage.INITIAL_CONTACT: Decimal("0.40"),
    Stage.PROPOSAL: Decimal("0.60"),
    Stage.NEGOTIATION: Decimal("0.80"),
    Stage.POST_SALE: Decimal("1"),
}


def expected_probability(deal: Deal, crm_stage_probability: Decimal | None) -> Decimal | None:
    """What the deal's probability should be: 1 won, 0 lost, else its CRM stage's (or canonical stage's) value."""
    if deal.status is Status.WON:
        return Decimal(1)
    if deal.status is Status.LOST:
        return Decimal(0)
    if crm_stage_probability is not None:
        return crm_stage_probability
    return None if deal.stage is None else DEFAULT_STAGE_PROBABILITY[deal.stage]


@dataclass(frozen=True, slots=True)
class AmountGap:
    """The deal's amount against one linked deal's, both in the base currency (None: no rate)."""

    other: Deal
    mine: Decimal | None
    theirs: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        """|a - b| / max(|a|, |b|): 0 when equal, 1 when one is zero; None when a rate is missing."""
        if self.mine is None or self.theirs is None:
            return None
        largest = max(abs(self.mine), abs(self.theirs))
        return Decimal(0) if largest == 0 else abs(self.mine - self.theirs) / largest


def amount_gaps(deal: Deal, linked: Sequence[Deal], fx: FxTable) -> list[AmountGap]:
    """One gap per linked deal with an amount and currency (none when the deal itself lacks either)."""
    if deal.amount is None or deal.currency is None:
        return []
    mine = fx.convert(deal.amount, deal.currency)
    return [
        AmountGap(other, mine, fx.convert(other.amount, other.currency))
        for other in linked
        if other.amount is not None and other.currency is not None
    ]
