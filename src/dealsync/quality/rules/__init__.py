"""The quality rules: small callables ``(deal, context) -> findings``, composed in one list.

``RULES`` is the list the audit runs; ``evaluate`` runs it over one deal. To run fewer or more rules, pass
another list: a rule is any callable with that signature. Thresholds come from ``context.thresholds`` (the
``quality:`` config section); docs/quality.md lists every rule, its default and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from dealsync.canonical import Deal
from dealsync.quality.model import Finding
from dealsync.quality.rules import consistency, mis_valued, stale
from dealsync.quality.rules.context import Rule, RuleContext, StageProbabilities
from dealsync.quality.rules.outliers import GroupStats, OutlierStats, Placement

RULES: list[Rule] = [
    stale.no_activity,
    stale.stage_too_long,
    stale.close_date_past,
    stale.close_date_pushed,
    stale.closed_elsewhere,
    mis_valued.missing_amount,
    mis_valued.zero_amount,
    mis_valued.negative_amount,
    mis_valued.outlier,
    mis_valued.linked_amount_mismatch,
    mis_valued.probability_inconsistent,
    consistency.currency_mismatch,
    consistency.won_future_close,
    consistency.closed_without_close_date,
    consistency.stage_backwards,
    consistency.unmapped_stage,
]

# every rule id the list above can produce, by family (reports and benchmarks use it)
RULE_IDS: tuple[str, ...] = (
    "stale.no_activity",
    "stale.stage_too_long",
    "stale.close_date_past",
    "stale.close_date_pushed",
    "stale.closed_elsewhere",
    "mis_valued.missing_amount",
    "mis_valued.zero_amount",
    "mis_valued.negative_amount",
    "mis_valued.outlier",
    "mis_valued.linked_amount_mismatch",
    "mis_valued.probability_inconsistent",
    "consistency.currency_mismatch",
    "consistency.won_future_close",
    "consistency.closed_without_close_date",
    "consistency.stage_backwards",
    "unmapped_stage",
)


def evaluate(deal: Deal, ctx: RuleContext, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every finding of ``rules`` for one deal, in rule order. Deleted deals have none."""
    if deal.deleted:
        return []
    return [finding for rule in rules for finding in rule(deal, ctx)]


def family(rule_id: str) -> str:
    """``stale``, ``mis_valued``, ``consistency`` or ``unmapped_stage``."""
    return rule_id.split(".", 1)[0]


__all__ = [
    "RULES",
    "RULE_IDS",
    "GroupStats",
    "OutlierStats",
    "Placement",
    "Rule",
    "RuleContext",
    "StageProbabilities",
    "evaluate",
    "family",
]
