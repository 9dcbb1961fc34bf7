"""``mis_valued.*``: amounts and probabilities that cannot be right. Rules are ``(deal, context) -> findings``.

A currency difference alone between linked deals is ``consistency.currency_mismatch`` (see consistency.py);
only amounts that disagree once converted to one currency are ``mis_valued.linked_amount_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from dealsync.canonical import Deal, Status
from dealsync.quality.model import Finding, Severity
from dealsync.quality.rules.context import RuleContext, money
from dealsync.quality.rules.outliers import Placement
from dealsync.quality.rules.signals import ORDER, amount_gaps, expected_probability


def _stage_text(deal: Deal) -> str:
    label = deal.crm_stage_label or deal.crm_stage_id
    return f"stage {label!r} ({deal.stage.value if deal.stage else 'unmapped'})"


def _amount_expected(deal: Deal, ctx: RuleContext) -> bool:
    """Open or won, at ``amount_required_from`` or later: by then a price is on the table."""
    return (
        deal.status is not Status.LOST
        and deal.stage is not None
        and ORDER[deal.stage] >= ORDER[ctx.thresholds.amount_required_from]
    )


def missing_amount(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """No amount at ``amount_required_from`` (proposal) or later; lost deals are left alone."""
    if deal.amount is None and _amount_expected(deal, ctx):
        status = "won" if deal.status is Status.WON else "open"
        detail = f"{status} with no amount at {_stage_text(deal)} (required from {ctx.thresholds.amount_required_from})"
        yield Finding(deal.ref, "mis_valued.missing_amount", Severity.WARNING, detail)


def zero_amount(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """An amount of exactly 0, at any stage: a placeholder that skews sums and averages (info before proposal)."""
    if deal.amount is not None and deal.amount == 0:
        severity = Severity.WARNING if _amount_expected(deal, ctx) else Severity.INFO
        detail = f"amount is 0 at {_stage_text(deal)}"
        yield Finding(deal.ref, "mis_valued.zero_amount", severity, detail)


def negative_amount(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:  # noqa: ARG001 - the rule signature
    if deal.amount is not None and deal.amount < 0:
        detail = f"negative amount {money(deal.amount, deal.currency)}"
        yield Finding(deal.ref, "mis_valued.negative_amount", Severity.ERROR, detail)


def outlier(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """A positive amount whose log is more than ``outlier_z`` robust z-scores from its group's median."""
    if ctx.outlier_stats is None:
        return
    placed = ctx.outlier_stats.place(deal, ctx.fx, ctx.thresholds.outlier_min_group)
    if placed is None or abs(placed.z) < ctx.thresholds.outlier_z:
        return
    # too high inflates forecasts and weighted pipeline; too low understates them, and small deals (pilots,
    # add-ons) legitimately fill the low tail: a note, not a warning
    severity = Severity.WARNING if placed.z > 0 else Severity.INFO
    yield Finding(deal.ref, "mis_valued.outlier", severity, _outlier_detail(deal, placed, ctx))


def _outlier_detail(deal: Deal, placed: Placement, ctx: RuleContext) -> str:
    ratio, group = placed.ratio, placed.group
    size = f"{ratio:,.0f}x" if ratio >= 1 else f"1/{1 / ratio:,.0f}"
    text = (
        f"amount {money(deal.amount or placed.amount, deal.currency)} is {size} the typical "
        f"{money(group.typical, group.currency)} of {group.label} "
        f"(robust z {placed.z:+.1f}, threshold {ctx.thresholds.outlier_z})"
    )
    zeros = placed.typo_zeros()
    if zeros is None:
        return text
    fixed = placed.amount.scaleb(-zeros)
    what = f"{abs(zeros)} {'zero' if abs(zeros) == 1 else 'zeros'} {'fewer' if zeros > 0 else 'more'}"
    return f"{text}; with {what} ({money(fixed, group.currency)}) it would be typical: a typo?"


def linked_amount_mismatch(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """A linked deal's amount, converted to the base currency, is more than ``linked_amount_tolerance`` off."""
    tolerance = ctx.thresholds.linked_amount_tolerance
    gaps = [g for g in amount_gaps(deal, ctx.linked_to(deal.ref), ctx.fx) if g.gap is not None and g.gap > tolerance]
    if not gaps:
        return
    worst = max(gaps, key=lambda g: (g.gap, str(g.other.ref)))
    other, gap = worst.other, worst.gap or Decimal(0)
    mine, theirs = money(deal.amount or Decimal(0), deal.currency), money(other.amount or Decimal(0), other.currency)
    detail = (
        f"amount {mine} here, {theirs} on "
        f"linked deal {other.ref}: {gap:.0%} apart in {ctx.fx.base} (tolerance {tolerance:.0%})"
    )
    yield Finding(deal.ref, "mis_valued.linked_amount_mismatch", Severity.WARNING, detail)


def probability_inconsistent(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """The probability is more than ``probability_tolerance`` from what the stage (or won/lost) says."""
    expected = expected_probability(deal, ctx.stage_probability(deal))
    if deal.probability is None or expected is None:
        return
    tolerance = ctx.thresholds.probability_tolerance
    if abs(deal.probability - expected) <= tolerance:
        return
    where = deal.status.value if not deal.is_open else _stage_text(deal)
    detail = f"probability {deal.probability:.0%} but {where} means {expected:.0%} (tolerance {tolerance:.0%})"
    yield Finding(deal.ref, "mis_valued.probability_inconsistent", Severity.INFO, detail)
