"""Figures several reports show, computed from an ``AuditResult`` alone (pure, cheap, one pass each)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from dealsync.canonical import Stage, Status
from dealsync.sync.audit_result import AuditResult, Flag, ScoredDeal

HEALTH_BUCKETS = tuple(range(0, 100, 10))  # 0-9, 10-19, …, 90-100


@dataclass(frozen=True, slots=True)
class FunnelStep:
    stage: Stage
    current: int  # open deals in this stage now (won deals for post_sale)
    reached: int  # deals that got at least this far (open, won, and lost ones by their last open stage)


def funnel(scored: Sequence[ScoredDeal]) -> list[FunnelStep]:
    """Deals per canonical stage, now and reached; unmapped deals are left out (they have no stage)."""
    current: Counter[Stage] = Counter()
    furthest: Counter[int] = Counter()
    for deal in scored:
        stage = Stage.POST_SALE if deal.status is Status.WON else deal.stage
        if stage is None:
            continue
        if deal.status is not Status.LOST:
            current[stage] += 1
        furthest[stage.order] += 1
    steps: list[FunnelStep] = []
    for stage in Stage:
        reached = sum(n for order, n in furthest.items() if order >= stage.order)
        steps.append(FunnelStep(stage, current[stage], reached))
    return steps


def conversion_rates(steps: Sequence[FunnelStep]) -> list[tuple[Stage, Stage, float | None]]:
    """(from, to, share of deals that reached ``from`` and went on to ``to``), None when nobody reached ``from``."""
    return [
        (a.stage, b.stage, (b.reached / a.reached) if a.reached else None)
        for a, b in pairwise(steps)
    ]


def metric_conversion_rates(metrics: Mapping[str, Any]) -> list[tuple[str, str, float | None]] | None:
    """The quality layer's own stage-to-stage conversion rates when ``metrics`` carries them in a known shape."""
    unified = metrics.get("unified", metrics)
    rates = unified.get("conversion", unified.get("conversion_rates")) if isinstance(unified, Mapping) else None
    if not isinstance(rates, Mapping) or not rates:
        return None
    found: list[tuple[str, str, float | None]] = []
    for key, value in rates.items():
        source, _, target = str(key).partition("->")
        rate = _number(value.get("rate") if isinstance(value, Mapping) else value)
        found.append((source.strip(), target.strip() or "next", rate))
    return found


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def health_histogram(scored: Sequence[ScoredDeal]) -> list[tuple[str, int]]:
    """Open deals per health band of ten points (90-100 last)."""
    counts: Counter[int] = Counter(min(d.health // 10, 9) for d in scored if d.health is not None)
    return [(f"{low}-{low + 9 if low < 90 else 100}", counts[low // 10]) for low in HEALTH_BUCKETS]


def stale_by_owner(result: AuditResult) -> list[tuple[str, int, int]]:
    """(owner, stale deals, stale findings), most stale deals first; deals without an owner as "(no owner)"."""
    stale = [f for f in result.flags if f.rule.startswith("stale.")]
    keys = {f.key for f in stale}
    owners = {d.key: d.owner or "(no owner)" for d in result.scored if d.key in keys}
    deals: Counter[str] = Counter(owners.get(k, "(no owner)") for k in keys)
    findings: Counter[str] = Counter(owners.get(f.key, "(no owner)") for f in stale)
    return sorted(((o, deals[o], findings[o]) for o in deals), key=lambda row: (-row[1], row[0]))


def rule_table(flags: Sequence[Flag]) -> list[tuple[str, str, int]]:
    """(rule, most severe severity seen, findings), most findings first."""
    counts: Counter[str] = Counter()
    worst: dict[str, str] = {}
    order = {"error": 0, "warning": 1, "info": 2}
    for flag in flags:
        counts[flag.rule] += 1
        seen = worst.get(flag.rule)
        if seen is None or order.get(flag.severity, 9) < order.get(seen, 9):
            worst[flag.rule] = flag.severity
    return [(rule, worst[rule], n) for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def names_of(result: AuditResult, keys: set[tuple[str, str]]) -> dict[tuple[str, str], ScoredDeal]:
    """The scored deals among ``keys`` (one pass over every deal, no index of all of them)."""
    return {d.key: d for d in result.scored if d.key in keys}
