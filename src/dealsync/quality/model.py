"""The values the quality layer takes and returns. Pure data; imports only ``canonical``.

Data flow (DESIGN.md §2): the audit orchestrator (``dealsync.sync.audit``) streams deals and history out of the
store, converts them to these values, calls the pure functions of ``quality`` (dedupe, rules, health, metrics)
and stores what they return. Nothing in ``quality`` reads the clock, the config file or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dealsync.canonical import DealRef, Stage, Status


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one deal. ``rule`` starts with its family: ``stale.``, ``mis_valued.``, ``consistency.``,
    or is ``unmapped_stage`` (DESIGN.md §5)."""

    ref: DealRef
    rule: str
    severity: Severity
    detail: str


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """A deal's tracked fields at one observed change (oldest first in a deal's list)."""

    changed_at: datetime
    stage: Stage | None
    crm_stage_id: str
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    status: Status


@dataclass(frozen=True)
class FxTable:
    """Conversion to one common currency: ``rates[code]`` is how many ``base`` units one unit of ``code`` is."""

    base: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def convert(self, amount: Decimal | None, currency: str | None) -> Decimal | None:
        """``amount`` in ``base``, or None when the amount or its rate is unknown (never a guess)."""
        if amount is None or currency is None:
            return None
        if currency == self.base:
            return amount
        rate = self.rates.get(currency)
        return None if rate is None else amount * rate


class QualityThresholds(BaseModel):
    """Thresholds of the quality rules: the ``quality:`` section of the config file (DESIGN.md §3).

    Defaults follow common sales practice; docs/quality.md explains each one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stale_days_without_activity: int = Field(default=30, ge=1)
    stage_max_days: dict[Stage, int] = Field(
        default_factory=lambda: {Stage.INITIAL_CONTACT: 21, Stage.PROPOSAL: 21, Stage.NEGOTIATION: 30}
    )
    close_date_push_limit: int = Field(default=3, ge=1)
    fx_rates: dict[str, Decimal] = Field(default_factory=dict)  # overrides the CRMs' rates: base units per unit
    # rules (dealsync.quality.rules) and health score (dealsync.quality.health); docs/quality.md gives the reasons
    activity_healthy_days: int = Field(default=7, ge=0)  # health: no penalty while activity is this recent
    date_slack_days: int = Field(default=1, ge=0)  # close dates are CRM-local days; `now` is UTC
    amount_required_from: Stage = Stage.PROPOSAL  # missing amount is a finding from this stage on
    outlier_z: float = Field(default=3.5, gt=0)  # robust z of log(amount) beyond which an amount is an outlier
    outlier_min_group: int = Field(default=30, ge=5)  # fewer deals in a group: use the next, broader group
    linked_amount_tolerance: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)  # |a-b| / max(|a|,|b|)
    probability_tolerance: Decimal = Field(default=Decimal("0.25"), ge=0, le=1)  # |deal - stage probability|
    stage_backwards_days: int = Field(default=30, ge=1)  # a backwards move older than this is no longer flagged
    revenue_target: Decimal | None = Field(default=None, gt=0)  # metrics coverage, in the audit's base currency
