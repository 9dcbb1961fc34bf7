"""Deal health: an integer 0-100 per open deal (higher is healthier) and the reasons that moved it.

The score is 100 minus whole-point penalties, one per signal, each capped (docs/quality.md gives the formula and
why each weight):

| signal | penalty (points) | cap |
|---|---|---|
| activity recency | 25 * clamp((days - healthy) / (2 * stale - healthy)) | 25 |
| time in stage | 20 * clamp((age - norm / 2) / (1.5 * norm)) | 20 |
| close date | missing 10; overdue 10 + 10 * min(1, days / 30); early stage closing within 14 days 5 | 20 |
| close-date pushes | 5 * (pushes - 1) | 15 |
| value | missing, zero or negative: the cap; outlier 10; linked amount mismatch 10 | 15 (5 before proposal) |
| completeness | no owner 5; unmapped stage 5 | 10 |
| stage probability | 20 * (|probability - stage's| - tolerance) | 10 |

Each penalty is rounded to whole points and only ever grows with what it measures, so the score is monotone:
more days without activity, more pushes, a missing amount never raise it. Won and lost deals get ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from dealsync.canonical import Deal, Stage
from dealsync.quality.rules.context import RuleContext, days_between
from dealsync.quality.rules.signals import (
    ORDER,
    amount_gaps,
    close_date_pushes,
    expected_probability,
    last_sign_of_life,
    stage_entered_at,
)

EARLY_CLOSE_DAYS = 14  # a close date this close is unrealistic while the deal is still at qualification or before


@dataclass(frozen=True, slots=True)
class HealthScore:
    """``score`` is 0-100 for an open deal and None for a closed one; ``reasons`` explain every point taken."""

    score: int | None
    reasons: tuple[str, ...] = ()


Penalty = tuple[int, str]  # (points taken, why)
_SOURCES = {"activity": "last activity", "update": "no activity logged; last change", "creation": "created"}


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _points(weight: float, fraction: float) -> int:
    return math.floor(weight * _clamp(fraction) + 0.5)


def activity(deal: Deal, ctx: RuleContext) -> Penalty:
    healthy, stale = ctx.thresholds.activity_healthy_days, ctx.thresholds.stale_days_without_activity
    since, source = last_sign_of_life(deal, ctx.history_of(deal.ref))
    days = days_between(since, ctx.now)
    span = max(1, 2 * stale - healthy)
    detail = f"{_SOURCES[source]} {days} days ago (healthy within {healthy}, stale after {stale})"
    return _points(25, (days - healthy) / span), detail


def stage_age(deal: Deal, ctx: RuleContext) -> Penalty:
    norm = None if deal.stage is None else ctx.thresholds.stage_max_days.get(deal.stage)
    entered = stage_entered_at(deal, ctx.history_of(deal.ref))
    if norm is None or entered is None or deal.stage is None:
        return 0, ""
    age = days_between(entered, ctx.now)
    return _points(20, (age - norm / 2) / (1.5 * norm)), f"{age} days in {deal.stage.value} (norm {norm})"


def close_date(deal: Deal, ctx: RuleContext) -> Penalty:
    if deal.close_date is None:
        return 10, "no close date"
    overdue = (ctx.today - deal.close_date).days
    if overdue > 0:
        return 10 + _points(10, overdue / 30), f"close date {deal.close_date} passed {overdue} days ago"
    early = deal.stage is not None and ORDER[deal.stage] <= ORDER[Stage.QUALIFICATION]
    if early and deal.close_date <= ctx.today + timedelta(days=EARLY_CLOSE_DAYS):
        stage = deal.stage.value if deal.stage else ""
        return 5, f"close date {deal.close_date} is within {EARLY_CLOSE_DAYS} days but the deal is at {stage}"
    return 0, ""


def pushes(deal: Deal, ctx: RuleContext) -> Penalty:
    count = close_date_pushes(deal, ctx.history_of(deal.ref))
    return min(15, 5 * max(0, count - 1)), f"close date pushed {count} times"


def value(deal: Deal, ctx: RuleContext) -> Penalty:
    t = ctx.thresholds
    late = deal.stage is None or ORDER[deal.stage] >= ORDER[t.amount_required_from]
    cap = 15 if late else 5
    if deal.amount is None:
        return cap, "no amount"
    if deal.amount <= 0:
        return cap, "amount is 0" if deal.amount == 0 else "negative amount"
    points, why = 0, list[str]()
    placed = None if ctx.outlier_stats is None else ctx.outlier_stats.place(deal, ctx.fx, t.outlier_min_group)
    if placed is not None and abs(placed.z) >= t.outlier_z:
        points, why = points + 10, [*why, f"amount {placed.ratio:,.2g}x its group's typical amount"]
    gaps = [g.gap for g in amount_gaps(deal, ctx.linked_to(deal.ref), ctx.fx) if g.gap is not None]
    if gaps and max(gaps) > t.linked_amount_tolerance:
        points, why = points + 10, [*why, f"a linked deal's amount is {max(gaps):.0%} off"]
    return min(cap, points), "; ".join(why)


def completeness(deal: Deal, ctx: RuleContext) -> Penalty:  # noqa: ARG001 - the signal signature
    missing = [what for what, gone in (("owner", deal.owner is None), ("canonical stage", deal.stage is None)) if gone]
    return 5 * len(missing), f"no {' and no '.join(missing)}"


def probability(deal: Deal, ctx: RuleContext) -> Penalty:
    expected = expected_probability(deal, ctx.stage_probability(deal))
    if deal.probability is None or expected is None:
        return 0, ""
    excess = float(abs(deal.probability - expected) - ctx.thresholds.probability_tolerance)
    return _points(10, 2 * excess), f"probability {deal.probability:.0%} where the stage says {expected:.0%}"


SIGNALS: tuple[Callable[[Deal, RuleContext], Penalty], ...] = (
    activity,
    stage_age,
    close_date,
    pushes,
    value,
    completeness,
    probability,
)


def score(deal: Deal, ctx: RuleContext) -> HealthScore:
    """The deal's health. Pure and deterministic: the same deal and context always give the same score."""
    if not deal.is_open or deal.deleted:
        return HealthScore(None, (f"{'deleted' if deal.deleted else deal.status.value}: only open deals are scored",))
    taken = sorted(((p, why) for p, why in (signal(deal, ctx) for signal in SIGNALS) if p > 0), key=lambda x: -x[0])
    total = sum(p for p, _ in taken)
    return HealthScore(max(0, 100 - total), tuple(f"-{p}: {why}" for p, why in taken))
