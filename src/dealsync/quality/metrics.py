"""Pipeline metrics, by connection and unified, in one streaming pass over the deals and their history.

``compute_metrics`` feeds a :class:`MetricsAccumulator` deal by deal: memory holds a few counters per
connection, stage and currency, never the deals, so 1,000,000 deals cost what 1,000 do. A caller that streams
deals and history together (e.g. two ordered store cursors merged by deal) can call ``MetricsAccumulator.add``
itself. The result is JSON-ready: money as decimal strings (2 places), rates and day counts as rounded floats.
docs/quality.md defines every figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.model import FxTable, HistoryPoint
from dealsync.quality.rules.context import StageProbabilities
from dealsync.quality.rules.signals import DEFAULT_STAGE_PROBABILITY, ORDER, stage_path

CENT = Decimal("0.01")
MONTHS_SHOWN = 13  # the lead-velocity series: the current month and the 12 before it
OPEN_STAGES = [s for s in Stage if s is not Stage.POST_SALE]
QUALIFIED_FROM = ORDER[Stage.QUALIFICATION]  # "qualified": reached qualification or a later stage
LAST_OPEN = ORDER[Stage.NEGOTIATION]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return None if whole == 0 else round(part / whole, digits)


@dataclass(frozen=True, slots=True)
class _Amount:
    """One amount in its currency and converted to the base (None: no amount, or no rate)."""

    amount: Decimal | None
    currency: str | None
    converted: Decimal | None

    @classmethod
    def of(cls, amount: Decimal | None, currency: str | None, fx: FxTable) -> _Amount:
        return cls(amount, currency, fx.convert(amount, currency))


@dataclass
class MoneyTotal:
    """A count of deals and their amounts per currency, plus converted to the base currency."""

    deals: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    converted: Decimal = Decimal(0)
    unconverted: int = 0  # deals with an amount the table cannot convert
    without_amount: int = 0

    def add(self, value: _Amount) -> None:
        self.deals += 1
        if value.amount is None or value.currency is None:
            self.without_amount += 1
            return
        self.by_currency[value.currency] = self.by_currency.get(value.currency, Decimal(0)) + value.amount
        if value.converted is None:
            self.unconverted += 1
        else:
            self.converted += value.converted

    def merge(self, other: MoneyTotal) -> None:
        self.deals += other.deals
        for code, amount in other.by_currency.items():
            self.by_currency[code] = self.by_currency.get(code, Decimal(0)) + amount
        self.converted += other.converted
        self.unconverted += other.unconverted
        self.without_amount += other.without_amount

    def to_json(self) -> dict[str, Any]:
        return {
            "deals": self.deals,
            "amount": {code: _money(v) for code, v in sorted(self.by_currency.items())},
            "amount_converted": _money(self.converted),
            "deals_unconverted": self.unconverted,
            "deals_without_amount": self.without_amount,
        }


@dataclass
class _Block:
    """Every accumulator of one scope (one connection, or all of them)."""

    status: dict[str, MoneyTotal] = field(default_factory=lambda: {s.value: MoneyTotal() for s in Status})
    stages: dict[str, MoneyTotal] = field(default_factory=dict)
    weighted: MoneyTotal = field(default_factory=MoneyTotal)
    qualified: int = 0
    qualified_open: int = 0
    qualified_by_month: Counter[str] = field(default_factory=Counter)
    passed: list[int] = field(default_factory=lambda: [0] * (len(Stage) + 1))  # by stage order: decided deals
    advanced: list[int] = field(default_factory=lambda: [0] * (len(Stage) + 1))  # ... that went on to the next
    cycle_days: float = 0.0
    cycle_deals: int = 0
    stage_days: dict[str, float] = field(default_factory=dict)
    stage_stays: Counter[str] = field(default_factory=Counter)

    def merge(self, other: _Block) -> None:
        for key, total in other.status.items():
            self.status.setdefault(key, MoneyTotal()).merge(total)
        for key, total in other.stages.items():
            self.stages.setdefault(key, MoneyTotal()).merge(total)
        self.weighted.merge(other.weighted)
        self.qualified += other.qualified
        self.qualified_open += other.qualified_open
        self.qualified_by_month.update(other.qualified_by_month)
        self.passed = [a + b for a, b in zip(self.passed, other.passed, strict=True)]
        self.advanced = [a + b for a, b in zip(self.advanced, other.advanced, strict=True)]
        self.cycle_days += other.cycle_days
        self.cycle_deals += other.cycle_deals
        for stage, days in other.stage_days.items():
            self.stage_days[stage] = self.stage_days.get(stage, 0.0) + days
        self.stage_stays.update(other.stage_stays)


@dataclass(frozen=True, slots=True)
class _DealFacts:
    """What one deal contributes, derived once and added to each scope (its connection, and unified)."""

    status: str
    stage_key: str | None  # None for lost deals: they stay out of the per-stage counts
    money: _Amount
    weighted: _Amount | None
    qualified_month: str | None
    qualified_open: bool
    passed: tuple[int, ...]  # stage orders the deal passed through and has been decided at
    advanced: tuple[int, ...]  # ... of which it went on to the next stage
    cycle_days: float | None
    stays: tuple[tuple[str, float], ...]


class MetricsAccumulator:
    """Single-pass accumulators; ``add`` each live deal once with its history, then ``result``."""

    def __init__(
        self,
        fx: FxTable,
        *,
        now: datetime,
        revenue_target: Decimal | None = None,
        stage_probabilities: StageProbabilities | None = None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.fx, self.now, self.target = fx, now.astimezone(UTC), revenue_target
        self.stage_probabilities = stage_probabilities or {}
        self.unified = _Block()
        self.by_connection: dict[str, _Block] = {}

    def add(self, deal: Deal, points: Sequence[HistoryPoint] = ()) -> None:
        if deal.deleted:
            return
        facts = self._facts(deal, points)
        block = self.by_connection.get(deal.ref.connection)
        if block is None:
            block = self.by_connection[deal.ref.connection] = _Block()
        _add_to(self.unified, facts)
        _add_to(block, facts)

    def merge(self, other: MetricsAccumulator) -> None:
        """Add what ``other`` accumulated over other deals, e.g. another slice of the store. Merging slices in one
        fixed order gives the same figures whoever accumulated each slice."""
        self.unified.merge(other.unified)
        for name, block in other.by_connection.items():
            self.by_connection.setdefault(name, _Block()).merge(block)

    def _probability(self, deal: Deal) -> Decimal | None:
        """The deal's own probability, else its CRM stage's, else its canonical stage's usual one."""
        if deal.probability is not None:
            return deal.probability
        crm = self.stage_probabilities.get(deal.ref.connection, {}).get(deal.crm_stage_id)
        if crm is not None:
            return crm
        return None if deal.stage is None else DEFAULT_STAGE_PROBABILITY[deal.stage]

    def _facts(self, deal: Deal, points: Sequence[HistoryPoint]) -> _DealFacts:
        path = stage_path(deal, points)
        orders = [ORDER[stage] for stage, _ in path]
        qualified = next((at for (_, at), order in zip(path, orders, strict=True) if order >= QUALIFIED_FROM), None)
        is_open, status = deal.is_open, deal.status
        weight = self._probability(deal) if is_open and deal.amount is not None else None
        passed: list[int] = []
        furthest = max(orders) if orders else 0
        start = _first_seen_open(deal, points)
        if start is not None:
            last = min(furthest, LAST_OPEN)
            passed = [k for k in range(start, last + 1) if not (is_open and furthest == k)]  # still at k: open
        return _DealFacts(
            status=status.value,
            stage_key=None if status is Status.LOST else (deal.stage.value if deal.stage else "unmapped"),
            money=_Amount.of(deal.amount, deal.currency, self.fx),
            weighted=None
            if weight is None
            else _Amount.of((deal.amount or Decimal(0)) * weight, deal.currency, self.fx),
            qualified_month=None if qualified is None else f"{qualified.year:04d}-{qualified.month:02d}",
            qualified_open=is_open,
            passed=tuple(passed),
            advanced=tuple(k for k in passed if furthest > k),
            cycle_days=self._cycle_days(deal, points),
            stays=tuple(_stays(deal, points)),
        )

    def _cycle_days(self, deal: Deal, points: Sequence[HistoryPoint]) -> float | None:
        """Created → won: the close date when it is not in the future, else when the history first shows won."""
        if deal.status is not Status.WON:
            return None
        won_at = next((p.changed_at for p in points if p.status is Status.WON), deal.modified_at)
        if deal.close_date is not None and deal.close_date <= self.now.date():
            won_at = _midnight(deal.close_date)
        return max(0.0, (won_at - deal.created_at).total_seconds() / 86_400)

    def result(self) -> dict[str, Any]:
        return {
            "generated_at": self.now.isoformat().replace("+00:00", "Z"),
            "base_currency": self.fx.base,
            "revenue_target": None if self.target is None else _money(self.target),
            "unified": self._block_json(self.unified, coverage=True),
            "by_connection": {name: self._block_json(b) for name, b in sorted(self.by_connection.items())},
        }

    def _block_json(self, block: _Block, *, coverage: bool = False) -> dict[str, Any]:
        won, lost = block.status["won"].deals, block.status["lost"].deals
        out: dict[str, Any] = {
            "deals": sum(t.deals for t in block.status.values()),
            "status": {name: total.to_json() for name, total in block.status.items()},
            "stages": {key: block.stages.get(key, MoneyTotal()).to_json() for key in _stage_keys(block)},
            "qualified_deals": block.qualified,
            "qualified_open_deals": block.qualified_open,
            "conversion": _conversion(block),
            "win_rate": _ratio(won, won + lost),
            "sales_cycle_days": {
                "won_deals": block.cycle_deals,
                "average": _ratio(block.cycle_days, block.cycle_deals, 1),
            },
            "days_in_stage": {
                stage: {"stays": block.stage_stays[stage], "average": _ratio(block.stage_days[stage], n, 1)}
                for stage in (s.value for s in OPEN_STAGES)
                if (n := block.stage_stays[stage])
            },
            "lead_velocity": self._lead_velocity(block),
            "weighted_pipeline": block.weighted.to_json(),
        }
        if coverage:
            out["coverage"] = self._coverage(block)
        return out

    def _lead_velocity(self, block: _Block) -> dict[str, Any]:
        """Month-over-month growth of newly qualified deals, last complete month against the one before."""
        months = _months_back(self.now.date(), MONTHS_SHOWN)
        last, before = block.qualified_by_month[months[-2]], block.qualified_by_month[months[-3]]
        return {
            "qualified_by_month": {m: block.qualified_by_month[m] for m in months},
            "month": months[-2],
            "rate": _ratio(last - before, before),
        }

    def _coverage(self, block: _Block) -> dict[str, Any] | None:
        if self.target is None:
            return None
        pipeline, weighted = block.status["open"].converted, block.weighted.converted
        return {
            "target": _money(self.target),
            "open_pipeline": _money(pipeline),
            "weighted_pipeline": _money(weighted),
            "ratio": _ratio(float(pipeline), float(self.target)),
            "weighted_ratio": _ratio(float(weighted), float(self.target)),
        }


def _add_to(block: _Block, facts: _DealFacts) -> None:
    block.status[facts.status].add(facts.money)
    if facts.stage_key is not None:
        total = block.stages.get(facts.stage_key)
        if total is None:
            total = block.stages[facts.stage_key] = MoneyTotal()
        total.add(facts.money)
    if facts.weighted is not None:
        block.weighted.add(facts.weighted)
    if facts.qualified_month is not None:
        block.qualified += 1
        block.qualified_open += facts.qualified_open
        block.qualified_by_month[facts.qualified_month] += 1
    for k in facts.passed:
        block.passed[k] += 1
    for k in facts.advanced:
        block.advanced[k] += 1
    if facts.cycle_days is not None:
        block.cycle_days += facts.cycle_days
        block.cycle_deals += 1
    for stage, days in facts.stays:
        block.stage_days[stage] = block.stage_days.get(stage, 0.0) + days
        block.stage_stays[stage] += 1


def compute_metrics(
    deals: Iterable[Deal],
    history: Mapping[DealRef, Sequence[HistoryPoint]],
    fx: FxTable,
    *,
    now: datetime,
    revenue_target: Decimal | None = None,
    stage_probabilities: StageProbabilities | None = None,
) -> dict[str, Any]:
    """Every metric over ``deals`` (deleted ones skipped); ``history`` is looked up per deal (oldest first)."""
    acc = MetricsAccumulator(fx, now=now, revenue_target=revenue_target, stage_probabilities=stage_probabilities)
    for deal in deals:
        acc.add(deal, history.get(deal.ref, ()))
    return acc.result()


def _first_seen_open(deal: Deal, points: Sequence[HistoryPoint]) -> int | None:
    """The order of the first canonical stage the deal was seen open in, or None: a deal first seen already won
    or lost (say, on a first pull) tells nothing about the stages it went through, so it stays out of the
    stage-to-stage conversion rather than counting as stuck at its last open stage."""
    for point in points:
        if point.status is Status.OPEN and point.stage is not None:
            return ORDER[point.stage]
    return ORDER[deal.stage] if deal.is_open and deal.stage is not None else None


def _stays(deal: Deal, points: Sequence[HistoryPoint]) -> list[tuple[str, float]]:
    """Completed stays in an open canonical stage: ended by a move to another stage or by closing."""
    stays: list[tuple[str, float]] = []
    current: tuple[Stage, datetime] | None = None
    steps = [(p.stage, p.status, p.changed_at) for p in points] + [(deal.stage, deal.status, deal.modified_at)]
    for stage, status, at in steps:
        if current is not None and (stage is not current[0] or status is not Status.OPEN):
            stays.append((current[0].value, (at - current[1]).total_seconds() / 86_400))
            current = None
        if status is not Status.OPEN:
            break
        if current is None and stage is not None and stage is not Stage.POST_SALE:
            current = (stage, at)
    return stays


def _conversion(block: _Block) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stage in OPEN_STAGES:
        k = ORDER[stage]
        nxt = list(Stage)[k]  # the stage after ``stage`` (post_sale after negotiation)
        out[f"{stage.value}->{nxt.value}"] = {
            "reached": block.passed[k],
            "advanced": block.advanced[k],
            "rate": _ratio(block.advanced[k], block.passed[k]),
        }
    return out


def _stage_keys(block: _Block) -> list[str]:
    keys = [s.value for s in Stage]
    return keys + (["unmapped"] if "unmapped" in block.stages else [])


def _months_back(today: date, count: int) -> list[str]:
    """``count`` month keys ending with ``today``'s month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - count + 1, index + 1)]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
