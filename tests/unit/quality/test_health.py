"""The health score: exact examples, and its properties (bounded, deterministic, monotone) with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.health import HealthScore, score
from dealsync.quality.model import FxTable, HistoryPoint
from dealsync.quality.rules import OutlierStats, RuleContext

NOW = datetime(2026, 1, 31, tzinfo=UTC)
TODAY = NOW.date()
REF = DealRef(connection="sf", id="D1")
FX = FxTable(base="USD", rates={"EUR": Decimal("1.1")})
PEERS = [
    Deal(
        ref=DealRef(connection="sf", id=f"P{i}"),
        name="peer",
        amount=Decimal(15_000 + 500 * i),
        currency="USD",
        crm_stage_id="x",
        created_at=NOW,
        modified_at=NOW,
    )
    for i in range(40)
]
STATS = OutlierStats.build(PEERS, FX)


def deal(**changes: Any) -> Deal:
    fields: dict[str, Any] = {
        "ref": REF,
        "name": "Acme - Platform 2026",
        "amount": Decimal(25_000),
        "currency": "USD",
        "stage": Stage.PROPOSAL,
        "crm_stage_id": "Proposal/Price Quote",
        "probability": Decimal("0.6"),
        "close_date": TODAY + timedelta(days=30),
        "owner": "u1",
        "created_at": NOW - timedelta(days=60),
        "modified_at": NOW - timedelta(days=1),
        "last_activity_at": NOW - timedelta(days=2),
    }
    return Deal(**{**fields, **changes})


def history(entered_days_ago: int, pushes: int, close_days: int = 30) -> list[HistoryPoint]:
    """In the current stage since ``entered_days_ago``, close date pushed ``pushes`` times to ``close_days``."""
    start = NOW - timedelta(days=entered_days_ago)
    closes = [TODAY + timedelta(days=close_days - 10 * (pushes - i)) for i in range(pushes + 1)]
    step = timedelta(days=entered_days_ago) / (pushes + 2)
    return [
        HistoryPoint(start + i * step, Stage.PROPOSAL, "p", Decimal(25_000), "USD", close, Status.OPEN)
        for i, close in enumerate(closes)
    ]


def ctx(points: list[HistoryPoint] | None = None, **changes: Any) -> RuleContext:
    return RuleContext(now=NOW, history={REF: points or []}, fx=FX, outlier_stats=STATS, **changes)


def test_a_healthy_deal_scores_100_with_no_reasons() -> None:
    assert score(deal(), ctx(history(10, 1))) == HealthScore(100, ())


def test_closed_deals_are_not_scored() -> None:
    for status, stage in ((Status.WON, Stage.POST_SALE), (Status.LOST, Stage.PROPOSAL)):
        result = score(deal(status=status, stage=stage), ctx())
        assert result.score is None
        assert result.reasons == (f"{status.value}: only open deals are scored",)


def test_exact_penalties_and_reasons() -> None:
    """45 days without activity: 25 * (45-7)/53 = 17.9 -> 18; 42 days in proposal (norm 21): 20 * (42-10.5)/31.5
    = 20; close date pushed 3 times: 10; no amount at proposal: 15. 100 - 63 = 37."""
    subject = deal(last_activity_at=NOW - timedelta(days=45), amount=None)
    result = score(subject, ctx(history(42, 3)))
    assert result.score == 37
    assert result.reasons == (
        "-20: 42 days in proposal (norm 21)",
        "-18: last activity 45 days ago (healthy within 7, stale after 30)",
        "-15: no amount",
        "-10: close date pushed 3 times",
    )


def test_overdue_close_date_outlier_probability_and_completeness() -> None:
    subject = deal(
        close_date=TODAY - timedelta(days=15),
        amount=Decimal(2_500_000),
        owner=None,
        probability=Decimal("0.1"),
    )
    result = score(subject, ctx(stage_probabilities={"sf": {"Proposal/Price Quote": Decimal("0.75")}}))
    # close date 10 + 10*15/30 = 15; outlier 10; probability 20*(0.65-0.25) = 8; no owner 5
    assert result.score == 100 - 15 - 10 - 8 - 5
    assert any("x its group's typical amount" in r for r in result.reasons)


def test_a_missing_amount_before_proposal_costs_less() -> None:
    subject = deal(amount=None, stage=Stage.QUALIFICATION, probability=Decimal("0.2"))
    early = score(subject, ctx())
    assert early == HealthScore(95, ("-5: no amount",))


days = st.integers(min_value=0, max_value=800)
deal_fields = st.fixed_dictionaries(
    {
        "last_activity_at": st.one_of(st.none(), days.map(lambda d: NOW - timedelta(days=d))),
        "amount": st.one_of(
            st.none(), st.decimals(min_value=-1_000_000, max_value=10_000_000, places=2, allow_nan=False)
        ),
        "currency": st.sampled_from(["USD", "EUR", "GBP"]),
        "stage": st.one_of(st.none(), st.sampled_from([s for s in Stage if s is not Stage.POST_SALE])),
        "close_date": st.one_of(st.none(), st.integers(-400, 400).map(lambda d: TODAY + timedelta(days=d))),
        "owner": st.one_of(st.none(), st.just("u1")),
        "probability": st.one_of(st.none(), st.decimals(min_value=0, max_value=1, places=2)),
    }
)
linked_amounts = st.lists(st.integers(1, 200_000), max_size=2)


def _ctx(entered: int, pushes: int, linked: list[int]) -> RuleContext:
    others = [deal(ref=DealRef(connection="hs", id=f"L{i}"), amount=Decimal(a)) for i, a in enumerate(linked)]
    return ctx(history(entered, pushes), linked={REF: others})


@settings(max_examples=300, deadline=None)
@given(deal_fields, st.integers(1, 400), st.integers(0, 8), linked_amounts)
def test_bounded_and_deterministic(fields: dict[str, Any], entered: int, pushes: int, linked: list[int]) -> None:
    subject, context = deal(**fields), _ctx(entered, pushes, linked)
    first = score(subject, context)
    assert first.score is not None
    assert 0 <= first.score <= 100
    assert score(subject, context) == first
    assert (first.score == 100) == (first.reasons == ())


@settings(max_examples=300, deadline=None)
@given(deal_fields, days, days, st.integers(1, 400), st.integers(0, 8), linked_amounts)
def test_more_days_without_activity_never_raise_the_score(
    fields: dict[str, Any], a: int, b: int, entered: int, pushes: int, linked: list[int]
) -> None:
    recent, older = sorted((a, b))
    context = _ctx(entered, pushes, linked)
    s_recent = score(deal(**{**fields, "last_activity_at": NOW - timedelta(days=recent)}), context).score
    s_older = score(deal(**{**fields, "last_activity_at": NOW - timedelta(days=older)}), context).score
    assert s_recent is not None
    assert s_older is not None
    assert s_older <= s_recent


@settings(max_examples=300, deadline=None)
@given(deal_fields, st.integers(0, 8), st.integers(0, 8), st.integers(30, 400), linked_amounts)
def test_more_close_date_pushes_never_raise_the_score(
    fields: dict[str, Any], a: int, b: int, entered: int, linked: list[int]
) -> None:
    fewer, more = sorted((a, b))
    subject = deal(**{**fields, "close_date": TODAY + timedelta(days=30)})
    s_fewer = score(subject, _ctx(entered, fewer, linked)).score
    s_more = score(subject, _ctx(entered, more, linked)).score
    assert s_fewer is not None
    assert s_more is not None
    assert s_more <= s_fewer


@settings(max_examples=300, deadline=None)
@given(deal_fields, st.integers(1, 400), st.integers(0, 8), linked_amounts)
def test_a_missing_amount_never_raises_the_score(
    fields: dict[str, Any], entered: int, pushes: int, linked: list[int]
) -> None:
    context = _ctx(entered, pushes, linked)
    with_amount = score(deal(**fields), context).score
    without = score(deal(**{**fields, "amount": None}), context).score
    assert with_amount is not None
    assert without is not None
    assert without <= with_amount


@settings(max_examples=200, deadline=None)
@given(deal_fields, st.integers(1, 400), st.integers(1, 400), st.integers(0, 8))
def test_longer_in_stage_never_raises_the_score(fields: dict[str, Any], a: int, b: int, pushes: int) -> None:
    shorter, longer = sorted((a, b))
    subject = deal(**{**fields, "stage": Stage.PROPOSAL})
    s_short = score(subject, _ctx(shorter, pushes, [])).score
    s_long = score(subject, _ctx(longer, pushes, [])).score
    assert s_short is not None
    assert s_long is not None
    assert s_long <= s_short
