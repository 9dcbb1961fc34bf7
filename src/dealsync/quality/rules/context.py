"""What every rule gets besides the deal: the instant of the audit, thresholds, history, rates, linked deals.

``RuleContext`` is a frozen value built once per audit (or per batch of deals: ``dataclasses.replace`` with the
batch's ``history`` and ``linked`` maps keeps memory flat on large audits). Rules never read the clock: ``now``
is given, and must be an aware datetime (it is kept in UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from dealsync.canonical import Deal, DealRef
from dealsync.quality.model import Finding, FxTable, HistoryPoint, QualityThresholds
from dealsync.quality.rules.outliers import OutlierStats

# connection -> CRM stage id -> the CRM's probability for that stage (0..1), as the audit reads it from discovery
StageProbabilities = Mapping[str, Mapping[str, Decimal]]


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at besides the deal itself. Pure data, no I/O."""

    now: datetime
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)
    history: Mapping[DealRef, Sequence[HistoryPoint]] = field(default_factory=dict)  # oldest first
    fx: FxTable = field(default_factory=lambda: FxTable(base="USD"))
    linked: Mapping[DealRef, Sequence[Deal]] = field(default_factory=dict)  # other members of the deal's cluster
    outlier_stats: OutlierStats | None = None
    stage_probabilities: StageProbabilities | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError(f"RuleContext.now must be timezone-aware, got {self.now.isoformat()}")
        object.__setattr__(self, "now", self.now.astimezone(UTC))

    @property
    def today(self) -> date:
        return self.now.date()

    def history_of(self, ref: DealRef) -> Sequence[HistoryPoint]:
        return self.history.get(ref, ())

    def linked_to(self, ref: DealRef) -> Sequence[Deal]:
        return self.linked.get(ref, ())

    def stage_probability(self, deal: Deal) -> Decimal | None:
        """The CRM's own probability of the deal's CRM stage, when the audit knows it."""
        if self.stage_probabilities is None:
            return None
        return self.stage_probabilities.get(deal.ref.connection, {}).get(deal.crm_stage_id)


Rule = Callable[[Deal, RuleContext], Iterable[Finding]]


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days from ``earlier`` to ``later`` (negative when ``earlier`` is after ``later``)."""
    return (later - earlier).days


def money(amount: Decimal, currency: str | None) -> str:
    """``12,345.00 EUR``: how details show an amount."""
    return f"{amount:,.2f} {currency or '(no currency)'}"
