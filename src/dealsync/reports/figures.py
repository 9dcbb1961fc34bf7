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
    now: Counter[tuple[Stage | None, Status]] = Counter((d.stage, d.status) for d in scored)
    current: Counter[Stage] = Counter()
    furthest: Counter[Stage] = Counter()
    for (stage, status), count in now.items():
        at = Stage.POST_SALE if status is Status.WON else stage
        if at is None:
            continue
        if status is not Status.LOST:
            current[at] += count
        furthest[at] += count
    stages = list(Stage)
    return [
        FunnelStep(stage, current[stage], sum(furthest[later] for later in stages[i:]))
        for i, stage in enumerate(stages)
    ]


def conversion_rates(steps: Sequence[FunnelStep]) -> list[tuple[Stage, Stage, float | None]]:
    """(from, to, share of deals that reached ``from`` and went on to ``to``), None when nobody reached ``from``."""
    return [(a.stage, b.stage, (b.reached / a.reached) if a.reached else None) for a, b in pairwise(steps)]


@dataclass(frozen=True, slots=True)
class Conversion:
    source: str
    target: str
    reached: int | None  # deals the rate is computed over (None when the metrics do not say)
    rate: float | None


def metric_conversion_rates(metrics: Mapping[str, Any]) -> list[Conversion] | None:
    """The quality layer's stage-to-stage conversion (from stage history), when ``metrics`` carries it."""
    unified = metrics.get("unified", metrics)
    rates = unified.get("conversion", unified.get("conversion_rates")) if isinstance(unified, Mapping) else None
    if not isinstance(rates, Mapping) or not rates:
        return None
    found: list[Conversion] = []
    for key, value in rates.items():
        source, _, target = str(key).partition("->")
        detail = value if isinstance(value, Mapping) else {"rate": value}
        reached = _number(detail.get("reached"))
        found.append(
            Conversion(
                source.strip(), target.strip(), None if reached is None else int(reached), _number(detail.get("rate"))
            )
        )
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


def _get(tree: object, *path: str) -> object:
    for key in path:
        if not isinstance(tree, Mapping):
            return None
        tree = tree.get(key)
    return tree


def _pct(value: object) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:.1%}"


def _plain(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _money_text(value: object, base: object) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:,.0f} {base or ''}".strip()


def headline_metrics(metrics: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, ...]]]:
    """(scopes, rows): the headline pipeline figures, unified then per connection, as display text.

    Reads the quality layer's metrics shape (``unified`` and ``by_connection`` blocks); figures it lacks show "-".
    """
    connections = _get(metrics, "by_connection")
    names = sorted(connections) if isinstance(connections, Mapping) else []
    blocks = [_get(metrics, "unified"), *(_get(metrics, "by_connection", n) for n in names)]
    base = metrics.get("base_currency")
    figures: list[tuple[str, Any]] = [
        ("live deals", lambda b: _plain(_get(b, "deals"))),
        ("open deals", lambda b: _plain(_get(b, "status", "open", "deals"))),
        ("won deals", lambda b: _plain(_get(b, "status", "won", "deals"))),
        ("lost deals", lambda b: _plain(_get(b, "status", "lost", "deals"))),
        ("qualified deals", lambda b: _plain(_get(b, "qualified_deals"))),
        ("win rate", lambda b: _pct(_get(b, "win_rate"))),
        ("average sales cycle (days)", lambda b: _plain(_get(b, "sales_cycle_days", "average"))),
        ("lead velocity (last month)", lambda b: _pct(_get(b, "lead_velocity", "rate"))),
        (f"open pipeline ({base})", lambda b: _money_text(_get(b, "status", "open", "amount_converted"), None)),
        (f"weighted pipeline ({base})", lambda b: _money_text(_get(b, "weighted_pipeline", "amount_converted"), None)),
    ]
    rows = [(label, *(fn(b) for b in blocks)) for label, fn in figures]
    coverage = _get(metrics, "unified", "coverage")
    if isinstance(coverage, Mapping):
        rows.append(("coverage of the revenue target", _pct(coverage.get("ratio")), *("" for _ in names)))
        rows.append(("weighted coverage", _pct(coverage.get("weighted_ratio")), *("" for _ in names)))
    stays = _get(metrics, "unified", "days_in_stage")
    for stage in stays if isinstance(stays, Mapping) else ():
        per = [_plain(_get(b, "days_in_stage", stage, "average")) for b in blocks]
        rows.append((f"average days in {stage}", *per))
    return ["unified", *names], rows
