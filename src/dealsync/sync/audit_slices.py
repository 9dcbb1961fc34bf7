"""The audit's main pass, slice by slice: every live deal judged (rules, health score) and counted (metrics).

The store is cut into slices of ``SLICE`` deals by key (``Store.key_ranges``). Each slice is read on its own
(its deals merged with their history), judged without linked deals, and counted into its own metrics
accumulator. Slices are independent, so two processes can share them (each claims slices from its end, see
``audit_dedupe``), and putting the slices back in key order, metrics merged in that order, gives the same result
whoever judged which slice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from dealsync.quality.metrics import MetricsAccumulator
from dealsync.quality.rules import RuleContext
from dealsync.store import KeyRange, Store
from dealsync.store._support import chunked
from dealsync.sync.audit_judge import Judge, claimed
from dealsync.sync.audit_result import ScoredDeal
from dealsync.sync.audit_stream import deals_with_history

SLICE = 10_000  # deals per slice: the unit two processes share
BATCH = 2000  # deals judged per rule context: one batch's history is in memory at a time


@dataclass(frozen=True)
class PassPlan:
    """What judging a slice needs, the same in both processes: the rule context and the slices' bounds."""

    ctx: RuleContext
    slices: Sequence[KeyRange]


@dataclass
class SliceResult:
    index: int
    scored: list[ScoredDeal]
    metrics: MetricsAccumulator


def judge_slices(
    store: Store,
    plan: PassPlan,
    judge: Judge,
    *,
    claim: Callable[[int], bool] | None = None,
    backwards: bool = False,
) -> list[SliceResult]:
    """The slices this process claims (all of them without ``claim``), from the first (or the last)."""
    return [_judge_slice(store, plan, index, judge) for index in claimed(len(plan.slices), claim, backwards)]


def _judge_slice(store: Store, plan: PassPlan, index: int, judge: Judge) -> SliceResult:
    ctx = plan.ctx
    metrics = _metrics(ctx)
    scored: list[ScoredDeal] = []
    for batch in chunked(deals_with_history(store, plan.slices[index]), BATCH):
        batch_ctx = replace(ctx, history={deal.ref: points for deal, points in batch if points})
        for deal, points in batch:
            scored.append(judge(deal, batch_ctx))
            metrics.add(deal, points)
    return SliceResult(index, scored, metrics)


def assemble(results: Sequence[SliceResult], plan: PassPlan) -> tuple[list[ScoredDeal], MetricsAccumulator]:
    """Every slice's deals in key order and the slices' metrics merged in that order (those of no deal at all
    for an empty store)."""
    count = len(plan.slices)
    ordered = sorted(results, key=lambda r: r.index)
    if [r.index for r in ordered] != list(range(count)):
        raise RuntimeError(f"the audit judged slices {[r.index for r in ordered]} of {count}: some missing or twice")
    metrics = _metrics(plan.ctx)
    for result in ordered:
        metrics.merge(result.metrics)
    return [deal for result in ordered for deal in result.scored], metrics


def _metrics(ctx: RuleContext) -> MetricsAccumulator:
    return MetricsAccumulator(
        ctx.fx,
        now=ctx.now,
        revenue_target=ctx.thresholds.revenue_target,
        stage_probabilities=ctx.stage_probabilities,
    )
