"""Every rule: a deal that must fire it and one that must not (table-driven, ``now`` injected)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.model import FxTable, HistoryPoint, QualityThresholds, Severity
from dealsync.quality.rules import RULE_IDS, RULES, OutlierStats, RuleContext, evaluate, family

NOW = datetime(2026, 1, 31, tzinfo=UTC)
TODAY = NOW.date()
REF = DealRef(connection="sf", id="D1")
FX = FxTable(base="USD", rates={"EUR": Decimal("1.1")})


def deal(**changes: Any) -> Deal:
    """A healthy open deal at proposal; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "ref": REF,
        "name": "Acme - Platform 2026",
        "amount": Decimal("25000"),
        "currency": "USD",
        "stage": Stage.PROPOSAL,
        "status": Status.OPEN,
        "crm_stage_id": "Proposal/Price Quote",
        "crm_stage_label": "Proposal/Price Quote",
        "probability": Decimal("0.6"),
        "close_date": TODAY + timedelta(days=30),
        "owner": "u1",
        "created_at": NOW - timedelta(days=60),
        "modified_at": NOW - timedelta(days=1),
        "last_activity_at": NOW - timedelta(days=2),
    }
    return Deal(**{**fields, **changes})


def won(**changes: Any) -> Deal:
    base = {"status": Status.WON, "stage": Stage.POST_SALE, "probability": Decimal(1), "close_date": TODAY}
    return deal(**{**base, **changes})


def lost(**changes: Any) -> Deal:
    return deal(**{"status": Status.LOST, "probability": Decimal(0), "close_date": TODAY, **changes})


def point(days_ago: float, stage: Stage | None = Stage.PROPOSAL, **changes: Any) -> HistoryPoint:
    fields: dict[str, Any] = {
        "changed_at": NOW - timedelta(days=days_ago),
        "stage": stage,
        "crm_stage_id": stage.value if stage else "Custom",
        "amount": Decimal("25000"),
        "currency": "USD",
        "close_date": TODAY + timedelta(days=30),
        "status": Status.OPEN,
    }
    return HistoryPoint(**{**fields, **changes})


def pushed(*offsets: int) -> list[HistoryPoint]:
    """History whose close date takes these offsets from today, one point a day, ending yesterday."""
    n = len(offsets)
    return [point(n - i, close_date=TODAY + timedelta(days=o)) for i, o in enumerate(offsets)]


def peers(n: int = 40, currency: str = "USD") -> list[Deal]:
    """``n`` deals with plausible amounts 15,000-35,000 (a group for the outlier statistics)."""
    return [
        deal(ref=DealRef(connection="sf", id=f"P{i}"), amount=Decimal(15_000 + 500 * i), currency=currency)
        for i in range(n)
    ]


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    deal: Deal
    fires: bool
    history: list[HistoryPoint] = field(default_factory=list)
    linked: list[Deal] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    detail: str = ""  # a substring the finding's detail must contain


def other(connection: str = "hs", **changes: Any) -> Deal:
    return deal(ref=DealRef(connection=connection, id="L1"), **changes)


STATS: dict[str, Any] = {"outlier_stats": OutlierStats.build(peers(), FX)}
SF_PROBABILITIES: dict[str, Any] = {"stage_probabilities": {"sf": {"Proposal/Price Quote": Decimal("0.75")}}}

CASES = [
    # stale.no_activity
    Case("stale.no_activity", "64 days", deal(last_activity_at=NOW - timedelta(days=64)), True,
         detail="no activity for 64 days (threshold 30)"),
    Case("stale.no_activity", "exactly 30 days", deal(last_activity_at=NOW - timedelta(days=30)), False),
    Case("stale.no_activity", "won deals are not stale", won(last_activity_at=NOW - timedelta(days=200)), False),
    Case("stale.no_activity", "never any activity", deal(last_activity_at=None), True,
         detail="since it was created 60 days ago"),
    Case("stale.no_activity", "no activity logged but a recent stage change", deal(last_activity_at=None), False,
         history=[point(60, Stage.QUALIFICATION), point(3)]),
    # stale.stage_too_long
    Case("stale.stage_too_long", "25 days in proposal", deal(), True,
         history=[point(60, Stage.QUALIFICATION), point(25), point(3, close_date=TODAY + timedelta(days=30))],
         detail="for 25 days (threshold 21)"),
    Case("stale.stage_too_long", "21 days in proposal", deal(), False,
         history=[point(60, Stage.QUALIFICATION), point(21)]),
    Case("stale.stage_too_long", "no norm for qualification", deal(stage=Stage.QUALIFICATION), False,
         history=[point(200, Stage.QUALIFICATION)]),
    Case("stale.stage_too_long", "no history: age unknown", deal(created_at=NOW - timedelta(days=300)), False),
    Case("stale.stage_too_long", "custom norm", deal(stage=Stage.QUALIFICATION), True,
         history=[point(12, Stage.QUALIFICATION)],
         context={"thresholds": QualityThresholds(stage_max_days={Stage.QUALIFICATION: 10})}),
    # stale.close_date_past
    Case("stale.close_date_past", "two days ago", deal(close_date=TODAY - timedelta(days=2)), True,
         detail="passed 2 days ago"),
    Case("stale.close_date_past", "yesterday is within the slack", deal(close_date=TODAY - timedelta(days=1)), False),
    Case("stale.close_date_past", "won deals closed in the past", won(close_date=TODAY - timedelta(days=40)), False),
    # stale.close_date_pushed
    Case("stale.close_date_pushed", "three pushes", deal(close_date=TODAY + timedelta(days=40)), True,
         history=pushed(10, 20, 30, 40), detail="pushed 3 times"),
    Case("stale.close_date_pushed", "two pushes and a pull-in", deal(close_date=TODAY + timedelta(days=25)), False,
         history=pushed(10, 20, 30, 25)),
    Case("stale.close_date_pushed", "the current value counts as the newest",
         deal(close_date=TODAY + timedelta(days=40)), True, history=pushed(10, 20, 30)),
    # stale.closed_elsewhere
    Case("stale.closed_elsewhere", "won in the other CRM", deal(), True, linked=[other(status=Status.WON)],
         detail="won in linked deal hs:L1"),
    Case("stale.closed_elsewhere", "a duplicate closed lost in the same CRM", deal(), False,
         linked=[other("sf", status=Status.LOST)]),
    # mis_valued.missing_amount
    Case("mis_valued.missing_amount", "proposal without amount", deal(amount=None), True),
    Case("mis_valued.missing_amount", "won without amount", won(amount=None), True, detail="won with no amount"),
    Case("mis_valued.missing_amount", "qualification without amount", deal(amount=None, stage=Stage.QUALIFICATION),
         False),
    Case("mis_valued.missing_amount", "lost without amount", lost(amount=None), False),
    # mis_valued.zero_amount
    Case("mis_valued.zero_amount", "zero", deal(amount=Decimal(0)), True, detail="amount is 0"),
    Case("mis_valued.zero_amount", "one", deal(amount=Decimal(1)), False),
    # mis_valued.negative_amount
    Case("mis_valued.negative_amount", "negative", deal(amount=Decimal(-5)), True, detail="-5.00 USD"),
    Case("mis_valued.negative_amount", "zero is not negative", deal(amount=Decimal(0)), False),
    # mis_valued.outlier
    Case("mis_valued.outlier", "x100", deal(amount=Decimal(2_500_000)), True, context=STATS,
         detail="with 2 zeros fewer (25,000.00 USD) it would be typical"),
    Case("mis_valued.outlier", "a missing zero", deal(amount=Decimal(2_400)), True, context=STATS,
         detail="1 zero more"),
    Case("mis_valued.outlier", "plausible", deal(amount=Decimal(60_000)), False, context=STATS),
    Case("mis_valued.outlier", "no statistics", deal(amount=Decimal(2_500_000)), False),
    Case("mis_valued.outlier", "group too small", deal(amount=Decimal(2_500_000)), False,
         context={"outlier_stats": OutlierStats.build(peers(10), FX)}),
    # mis_valued.linked_amount_mismatch
    Case("mis_valued.linked_amount_mismatch", "30% apart once converted", deal(amount=Decimal(25_000)), True,
         linked=[other(amount=Decimal(15_909), currency="EUR")], detail="30% apart in USD (tolerance 5%)"),
    Case("mis_valued.linked_amount_mismatch", "4% apart", deal(amount=Decimal(25_000)), False,
         linked=[other(amount=Decimal(24_000))]),
    Case("mis_valued.linked_amount_mismatch", "same value in another currency", deal(amount=Decimal(11_000)), False,
         linked=[other(amount=Decimal(10_000), currency="EUR")]),
    # mis_valued.probability_inconsistent
    Case("mis_valued.probability_inconsistent", "30% where the CRM stage says 75%", deal(probability=Decimal("0.3")),
         True, context=SF_PROBABILITIES, detail="probability 30% but stage 'Proposal/Price Quote'"),
    Case("mis_valued.probability_inconsistent", "95% where the CRM stage says 75%", deal(probability=Decimal("0.95")),
         False, context=SF_PROBABILITIES),
    Case("mis_valued.probability_inconsistent", "won at 50%", won(probability=Decimal("0.5")), True),
    Case("mis_valued.probability_inconsistent", "no probability", deal(probability=None), False),
    # consistency.currency_mismatch
    Case("consistency.currency_mismatch", "same value in EUR", deal(amount=Decimal(11_000)), True,
         linked=[other(amount=Decimal(10_000), currency="EUR")], detail="USD here, EUR on linked deal hs:L1"),
    Case("consistency.currency_mismatch", "no rate", deal(amount=Decimal(11_000)), True,
         linked=[other(amount=Decimal(10_000), currency="GBP")], detail="no rate to USD"),
    Case("consistency.currency_mismatch", "same currency", deal(), False, linked=[other()]),
    Case("consistency.currency_mismatch", "amounts disagree: mis-valued instead", deal(amount=Decimal(25_000)), False,
         linked=[other(amount=Decimal(10_000), currency="EUR")]),
    # consistency.won_future_close
    Case("consistency.won_future_close", "two days ahead", won(close_date=TODAY + timedelta(days=2)), True,
         detail="2 days ahead"),
    Case("consistency.won_future_close", "tomorrow is within the slack", won(close_date=TODAY + timedelta(days=1)),
         False),
    Case("consistency.won_future_close", "open deals close in the future", deal(), False),
    # consistency.closed_without_close_date
    Case("consistency.closed_without_close_date", "lost, no close date", lost(close_date=None), True),
    Case("consistency.closed_without_close_date", "open, no close date", deal(close_date=None), False),
    # consistency.stage_backwards
    Case("consistency.stage_backwards", "negotiation back to proposal", deal(), True,
         history=[point(40, Stage.QUALIFICATION), point(10, Stage.NEGOTIATION), point(5)],
         detail="from negotiation to proposal 5 days ago"),
    Case("consistency.stage_backwards", "forward", deal(), False,
         history=[point(40, Stage.QUALIFICATION), point(5)]),
    Case("consistency.stage_backwards", "backwards long ago", deal(), False,
         history=[point(90, Stage.NEGOTIATION), point(40)]),
    Case("consistency.stage_backwards", "an unmapped step in between is skipped", deal(), True,
         history=[point(10, Stage.NEGOTIATION), point(7, None), point(5)]),
    # unmapped_stage
    Case("unmapped_stage", "custom stage", deal(stage=None, crm_stage_id="Discovery", crm_stage_label="Discovery"),
         True, detail="add it under connections[sf].stage_map"),
    Case("unmapped_stage", "mapped stage", deal(), False),
]  # fmt: skip


def context_for(case: Case) -> RuleContext:
    linked = {REF: case.linked} if case.linked else {}
    return RuleContext(now=NOW, history={REF: case.history}, fx=FX, linked=linked, **case.context)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}: {c.name}")
def test_rule(case: Case) -> None:
    findings = [f for f in evaluate(case.deal, context_for(case)) if f.rule == case.rule]
    assert len(findings) == (1 if case.fires else 0), findings
    if case.fires:
        assert findings[0].ref == REF
        assert case.detail in findings[0].detail
        assert findings[0].severity in Severity


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    assert {c.rule for c in CASES if c.fires} == set(RULE_IDS)
    assert {c.rule for c in CASES if not c.fires} == set(RULE_IDS)


def test_rule_ids_have_their_family_prefix() -> None:
    assert len(RULES) == len(RULE_IDS)
    assert {family(rule) for rule in RULE_IDS} == {"stale", "mis_valued", "consistency", "unmapped_stage"}
    assert all(r.startswith(("stale.", "mis_valued.", "consistency.")) or r == "unmapped_stage" for r in RULE_IDS)


def test_a_healthy_deal_has_no_findings() -> None:
    ctx = RuleContext(now=NOW, history={REF: [point(10)]}, fx=FX, linked={REF: [other()]}, **STATS)
    assert evaluate(deal(), ctx) == []


def test_deleted_deals_have_no_findings() -> None:
    assert evaluate(deal(deleted=True, amount=Decimal(-1)), RuleContext(now=NOW)) == []


def test_stale_findings_escalate_at_twice_the_threshold() -> None:
    ctx = RuleContext(now=NOW)
    severities = [
        evaluate(deal(last_activity_at=NOW - timedelta(days=d)), ctx, [RULES[0]])[0].severity for d in (59, 60)
    ]
    assert severities == [Severity.WARNING, Severity.ERROR]


def test_outliers_above_are_warnings_and_below_are_notes() -> None:
    ctx = RuleContext(now=NOW, fx=FX, **STATS)
    high = evaluate(deal(amount=Decimal(2_500_000)), ctx)
    low = evaluate(deal(amount=Decimal(2_400)), ctx)
    assert [f.severity for f in high if f.rule == "mis_valued.outlier"] == [Severity.WARNING]
    assert [f.severity for f in low if f.rule == "mis_valued.outlier"] == [Severity.INFO]


def test_zero_amount_is_info_before_proposal_and_a_warning_from_it() -> None:
    ctx = RuleContext(now=NOW)
    early = evaluate(deal(amount=Decimal(0), stage=Stage.QUALIFICATION), ctx)
    late = evaluate(deal(amount=Decimal(0)), ctx)
    assert [f.severity for f in early if f.rule == "mis_valued.zero_amount"] == [Severity.INFO]
    assert [f.severity for f in late if f.rule == "mis_valued.zero_amount"] == [Severity.WARNING]


def test_a_linked_pair_gets_one_rule_each_never_both() -> None:
    """Currency difference alone is consistency; disagreeing amounts are mis-valued, never also consistency."""
    for amount, expected in ((Decimal(11_000), "consistency.currency_mismatch"), (Decimal(30_000), "mis_valued.")):
        ctx = RuleContext(now=NOW, fx=FX, linked={REF: [other(amount=Decimal(10_000), currency="EUR")]})
        rules = {f.rule for f in evaluate(deal(amount=amount), ctx)}
        mismatches = [r for r in rules if "mismatch" in r]
        assert len(mismatches) == 1
        assert mismatches[0].startswith(expected)


def test_context_refuses_a_naive_now_and_keeps_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RuleContext(now=datetime(2026, 1, 31))  # noqa: DTZ001 - the point of the test
    paris = datetime(2026, 1, 31, 1, 0, tzinfo=UTC).astimezone()
    assert RuleContext(now=paris).now.tzinfo is UTC


def test_thresholds_are_config_fields_with_their_defaults() -> None:
    t = QualityThresholds()
    assert (t.stale_days_without_activity, t.close_date_push_limit, t.outlier_z) == (30, 3, 3.5)
    assert t.stage_max_days == {Stage.INITIAL_CONTACT: 21, Stage.PROPOSAL: 21, Stage.NEGOTIATION: 30}
    assert t.linked_amount_tolerance == Decimal("0.05")
    assert t.revenue_target is None
    with pytest.raises(ValueError, match="extra"):
        QualityThresholds.model_validate({"no_such_threshold": 1})


def test_close_dates_are_compared_with_todays_utc_date() -> None:
    late_evening = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
    found = evaluate(deal(close_date=date(2026, 1, 29)), RuleContext(now=late_evening))
    assert [f.detail for f in found if f.rule == "stale.close_date_past"] == [
        "open, but the close date 2026-01-29 passed 2 days ago (slack 1)"
    ]
