"""Pairwise scoring: closer fields never lower the match weight; amounts compare across currencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealsync.canonical import Deal, DealRef, Stage
from dealsync.quality.dedupe.records import build_records
from dealsync.quality.dedupe.scoring import (
    DEFAULT_COMPARISONS,
    DEFAULT_PRIOR,
    PairScorer,
    level_of,
    probability,
    weight_of,
)
from dealsync.quality.model import FxTable

MakeDeal = Callable[..., Deal]
NEVER = -1e9  # a threshold every pair reaches, so ``weight`` always returns the full weight
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _scorer(a: Deal, b: Deal, fx: FxTable) -> PairScorer:
    return PairScorer(build_records([a, b], fx), DEFAULT_COMPARISONS, DEFAULT_PRIOR, NEVER, fx.base)


def _weight(make_deal: MakeDeal, fx: FxTable, **other: object) -> float:
    weight = _scorer(make_deal("sf:1"), make_deal("hs:2", **other), fx).weight(0, 1)
    assert weight is not None
    return weight


# Each field, from the closest value to the farthest from the reference deal's.
LADDERS: list[tuple[str, list[object]]] = [
    (
        "name",
        [
            "Acme - Platform Renewal 2026",
            "ACME: Platform Renewal",
            "Acme - Platfrom Renewal 2026",
            "Acme - Platform Upsell 2026",
            "Globex - Training Pilot",
        ],
    ),
    ("amount", [Decimal(25000), Decimal(25100), Decimal(26000), Decimal(30000), Decimal(90000)]),
    ("close_date", [date(2026, 3, 31), date(2026, 4, 3), date(2026, 4, 25), date(2026, 7, 1), date(2027, 4, 1)]),
    ("account_name", ["ACME, Inc", "Acme Incorporated Holdings", "Globex Corp"]),
    ("owner", ["olivia smith", "Liam Brown"]),
    ("stage", [Stage.PROPOSAL, Stage.NEGOTIATION, Stage.QUALIFICATION]),
]


@pytest.mark.parametrize(("field", "ladder"), LADDERS, ids=[f for f, _ in LADDERS])
def test_a_closer_value_never_lowers_the_weight(
    make_deal: MakeDeal, fx: FxTable, field: str, ladder: list[object]
) -> None:
    weights = [_weight(make_deal, fx, **{field: value}) for value in ladder]
    assert weights == sorted(weights, reverse=True), weights
    assert weights[0] > weights[-1]


def _pair_weight(days: int = 0, cents: int = 2_500_000) -> float:
    """The weight of a fixed deal against one whose close date is ``days`` later and amount is ``cents``."""
    fx = FxTable(base="USD")
    base = {"name": "Acme - Pilot", "crm_stage_id": "x", "created_at": T0, "modified_at": T0, "currency": "USD"}
    a = Deal(ref=DealRef(connection="sf", id="1"), amount=Decimal(25000), close_date=date(2026, 1, 1), **base)
    b = Deal(
        ref=DealRef(connection="hs", id="2"),
        amount=Decimal(cents) / 100,
        close_date=date(2026, 1, 1) + timedelta(days=days),
        **base,
    )
    weight = _scorer(a, b, fx).weight(0, 1)
    assert weight is not None
    return weight


@given(st.integers(min_value=0, max_value=800), st.integers(min_value=0, max_value=800))
def test_weight_never_rises_with_the_date_gap(near: int, far: int) -> None:
    near, far = sorted((near, far))
    assert _pair_weight(days=near) >= _pair_weight(days=far)


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_weight_never_rises_with_the_amount_gap(one: int, other: int) -> None:
    gaps = sorted((one, other), key=lambda cents: abs(cents - 2_500_000) / max(cents, 2_500_000))
    assert _pair_weight(cents=gaps[0]) >= _pair_weight(cents=gaps[1])


@pytest.mark.parametrize("field", ["amount", "close_date", "account_name", "owner", "stage"])
def test_a_missing_value_weighs_nothing(make_deal: MakeDeal, fx: FxTable, field: str) -> None:
    scorer = _scorer(make_deal("sf:1"), make_deal("hs:2", **{field: None}), fx)
    weight, reasons = scorer.explain(0, 1)
    comparison = next(c for c in DEFAULT_COMPARISONS if c.field == {"account_name": "account"}.get(field, field))
    present = _scorer(make_deal("sf:1"), make_deal("hs:2"), fx).explain(0, 1)[0]
    value = 0.0 if field in ("amount", "close_date", "stage") else 1.0
    assert weight == pytest.approx(present - level_of(comparison, value).weight)
    assert len(reasons) == len(DEFAULT_COMPARISONS) - 2  # pipeline is missing on both, and this field


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        # members are in (connection, id) order: hs:2 (the other deal) first
        ({"amount": Decimal("23148.15"), "currency": "EUR"}, "amounts within 0.5% once converted to USD (EUR vs USD)"),
        ({"amount": Decimal("20000"), "currency": "GBP"}, "amounts within 0.5% once converted to USD (GBP vs USD)"),
        ({"amount": Decimal("25000"), "currency": "EUR"}, "amounts within 10% once converted to USD (EUR vs USD)"),
        ({"amount": Decimal("25000"), "currency": "GBP"}, "amounts 20% apart once converted to USD (GBP vs USD)"),
        ({"amount": Decimal("2500000"), "currency": "JPY"}, "amounts 34% apart once converted to USD (JPY vs USD)"),
        ({"amount": Decimal("25000"), "currency": "USD"}, "amounts within 0.5%"),
    ],
)
def test_amounts_compare_in_the_common_currency(
    make_deal: MakeDeal, fx: FxTable, other: dict[str, object], expected: str
) -> None:
    _, reasons = _scorer(make_deal("sf:1"), make_deal("hs:2", **other), fx).explain(0, 1)
    assert expected in reasons


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({}, {"currency": "CHF"}),  # no rate for CHF
        ({"amount": Decimal(0)}, {"amount": Decimal(0)}),  # zero: not filled in yet, not evidence
        ({}, {"amount": None}),
    ],
)
def test_an_amount_that_says_nothing_is_not_compared(
    make_deal: MakeDeal, fx: FxTable, one: dict[str, object], other: dict[str, object]
) -> None:
    _, reasons = _scorer(make_deal("sf:1", **one), make_deal("hs:2", **other), fx).explain(0, 1)
    assert not any("amount" in reason for reason in reasons)


def test_names_of_punctuation_only_are_not_compared(make_deal: MakeDeal, fx: FxTable) -> None:
    _, reasons = _scorer(make_deal("sf:1", name="---"), make_deal("hs:2", name="(?)"), fx).explain(0, 1)
    assert not any("name" in reason for reason in reasons)


def test_reasons_read_as_sentences_strongest_first(make_deal: MakeDeal, fx: FxTable) -> None:
    other = make_deal(
        "hs:2", name="ACME Inc: Platfrom Renewal 2026", amount=Decimal(25400), close_date=date(2026, 4, 3)
    )
    weight, reasons = _scorer(make_deal("sf:1"), other, fx).explain(0, 1)
    assert reasons == [
        "deal names 96% similar",
        "close dates 3 days apart",
        "amounts within 2%",
        "same account after normalisation",
        "same owner",
        "same stage",
    ]
    assert probability(weight) > 0.99


def test_weight_stops_early_below_the_threshold(make_deal: MakeDeal, fx: FxTable) -> None:
    a, b = make_deal("sf:1"), make_deal("hs:2", name="Globex - Pilot", close_date=date(2027, 9, 1))
    records = build_records([a, b], fx)
    assert PairScorer(records, DEFAULT_COMPARISONS, DEFAULT_PRIOR, weight_of(0.9), "USD").weight(0, 1) is None


@pytest.mark.parametrize("p", [0.01, 0.5, 0.9, 0.999])
def test_probability_and_weight_are_inverse(p: float) -> None:
    assert probability(weight_of(p)) == pytest.approx(p)
    assert probability(1e6) == 1.0
    assert probability(-1e6) == pytest.approx(0.0, abs=1e-300)
