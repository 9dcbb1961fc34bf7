"""``stale.*``: open deals nobody is moving. Each rule is ``(deal, context) -> findings``; thresholds from config.

A stale finding is a warning, and an error once the measure reaches twice its threshold.
"""

from __future__ import annotations

from collections.abc import Iterator

from dealsync.canonical import Deal
from dealsync.quality.model import Finding, Severity
from dealsync.quality.rules.context import RuleContext, days_between
from dealsync.quality.rules.signals import close_date_pushes, last_sign_of_life, stage_entered_at


def _severity(value: int, threshold: int) -> Severity:
    return Severity.ERROR if value >= 2 * threshold else Severity.WARNING


def no_activity(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open, and nobody logged an activity for more than ``stale_days_without_activity`` days."""
    if not deal.is_open:
        return
    limit = ctx.thresholds.stale_days_without_activity
    since, source = last_sign_of_life(deal, ctx.history_of(deal.ref))
    days = days_between(since, ctx.now)
    if days <= limit:
        return
    what = {
        "activity": f"no activity for {days} days",
        "update": f"no activity logged; last change {days} days ago",
        "creation": f"no activity logged since it was created {days} days ago",
    }[source]
    yield Finding(deal.ref, "stale.no_activity", _severity(days, limit), f"{what} (threshold {limit})")


def stage_too_long(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open, and in its canonical stage for more than that stage's norm (``stage_max_days``)."""
    if not deal.is_open or deal.stage is None:
        return
    limit = ctx.thresholds.stage_max_days.get(deal.stage)
    entered = stage_entered_at(deal, ctx.history_of(deal.ref))
    if limit is None or entered is None:
        return
    days = days_between(entered, ctx.now)
    if days <= limit:
        return
    label = deal.crm_stage_label or deal.crm_stage_id
    detail = f"in stage {label!r} ({deal.stage.value}) for {days} days (threshold {limit})"
    yield Finding(deal.ref, "stale.stage_too_long", _severity(days, limit), detail)


def close_date_past(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open, and its close date passed more than ``date_slack_days`` ago."""
    if not deal.is_open or deal.close_date is None:
        return
    overdue = (ctx.today - deal.close_date).days
    slack = ctx.thresholds.date_slack_days
    if overdue <= slack:
        return
    detail = f"open, but the close date {deal.close_date} passed {overdue} days ago (slack {slack})"
    yield Finding(deal.ref, "stale.close_date_past", Severity.WARNING, detail)


def close_date_pushed(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open, and its close date moved later ``close_date_push_limit`` times or more."""
    if not deal.is_open:
        return
    limit = ctx.thresholds.close_date_push_limit
    pushes = close_date_pushes(deal, ctx.history_of(deal.ref))
    if pushes < limit:
        return
    now = f", now {deal.close_date}" if deal.close_date else ""
    detail = f"close date pushed {pushes} times{now} (threshold {limit})"
    yield Finding(deal.ref, "stale.close_date_pushed", _severity(pushes, limit), detail)


def closed_elsewhere(deal: Deal, ctx: RuleContext) -> Iterator[Finding]:
    """Open here, but a linked deal in another connection is won or lost.

    Linked deals in the same connection are left out: closing a duplicate as lost is how people clean up.
    """
    if not deal.is_open:
        return
    closed = [
        f"{other.status.value} in linked deal {other.ref}"
        for other in ctx.linked_to(deal.ref)
        if other.ref.connection != deal.ref.connection and not other.is_open
    ]
    if closed:
        detail = f"still open here, but {'; '.join(sorted(closed))}"
        yield Finding(deal.ref, "stale.closed_elsewhere", Severity.ERROR, detail)
