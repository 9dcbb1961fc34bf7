"""``consistency.*`` and ``unmapped_stage``: a deal's fields contradict each other, its history or its links.

Rules are ``(deal, context) -> findings``; thresholds come from config.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from dealsync.canonical import Deal, Status
from dealsync.quality.model import Finding, Severity
from dealsync.quality.rules.context import RuleContext, days_between, money
from dealsync.quality.rules.signals import amount_gaps, last_stage_change


def currency_mismatch(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """A linked deal is in another currency while the amounts agree once converted (or cannot be converted).

    Amounts that disagree beyond ``linked_amount_tolerance`` are ``mis_valued.linked_amount_mismatch`` instead.
    """
    tolerance, base = ctx.thresholds.linked_amount_tolerance, ctx.fx.base
    notes: list[str] = []
    for g in amount_gaps(deal, ctx.linked_to(deal.ref), ctx.fx):
        if g.other.currency == deal.currency or (g.gap is not None and g.gap > tolerance):
            continue
        same = (
            f"same value once converted ({money(g.mine or Decimal(0), base)} vs {money(g.theirs or Decimal(0), base)})"
            if g.gap is not None
            else f"no rate to {base} to compare the amounts"
        )
        notes.append(f"{deal.currency} here, {g.other.currency} on linked deal {g.other.ref}; {same}")
    if notes:
        yield Finding(deal.ref, "consistency.currency_mismatch", Severity.INFO, "; ".join(sorted(notes)))


def won_future_close(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Won, with a close date more than ``date_slack_days`` ahead."""
    slack = ctx.thresholds.date_slack_days
    if deal.status is not Status.WON or deal.close_date is None:
        return
    if deal.close_date <= ctx.today + timedelta(days=slack):
        return
    ahead = (deal.close_date - ctx.today).days
    detail = f"won, but the close date {deal.close_date} is {ahead} days ahead (slack {slack})"
    yield Finding(deal.ref, "consistency.won_future_close", Severity.WARNING, detail)


def closed_without_close_date(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:  # noqa: ARG001 - rule signature
    if not deal.is_open and deal.close_date is None:
        detail = f"{deal.status.value}, but it has no close date"
        yield Finding(deal.ref, "consistency.closed_without_close_date", Severity.WARNING, detail)


def stage_backwards(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open, and its last canonical stage change (within ``stage_backwards_days``) went to an earlier stage."""
    if not deal.is_open:
        return
    change = last_stage_change(deal, ctx.history_of(deal.ref))
    if change is None or not change.backwards:
        return
    days, window = days_between(change.at, ctx.now), ctx.thresholds.stage_backwards_days
    if days > window:
        return
    detail = f"stage moved back from {change.before.value} to {change.after.value} {days} days ago"
    yield Finding(deal.ref, "consistency.stage_backwards", Severity.INFO, detail)


def unmapped_stage(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:  # noqa: ARG001 - rule signature
    """The CRM stage maps to no canonical stage: never guessed, always reported with the config key to add."""
    if deal.stage is not None:
        return
    label = deal.crm_stage_label or deal.crm_stage_id
    pipeline = f" in pipeline {deal.pipeline!r}" if deal.pipeline else ""
    connection = deal.ref.connection
    detail = (
        f"stage {label!r} (id {deal.crm_stage_id!r}){pipeline} of connection {connection!r} has no canonical "
        f"stage; add it under connections[{connection}].stage_map"
    )
    yield Finding(deal.ref, "unmapped_stage", Severity.ERROR, detail)
