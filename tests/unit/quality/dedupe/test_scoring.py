"""Pairwise scoring: closer fields never lower the match weight; amounts compare across currencies."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.quality.dedupe.conftest import FX, build_deal

from dealsync.canonical import Deal, DealRef, Stage
from dealsync.quality.dedupe import scoring
from dealsync.quality.dedupe.records import build_records
from dealsync.quality.dedupe.scoring import (
    DEFAULT_COMPARISONS,
    DEFAULT_PRIOR,
    MEASURE_KINDS,
    SUBSET,
    Comparison,
    Level,
    PairScorer,
    level_of,
    measures,
    probability,
    vector_measures,
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


# ---- links: weight over arrays -------------------------------------------------------------------------------
NAMES = [
    "Acme - Platform Renewal 2026",
    "ACME platform renewal",  # the words of the first, but its year: one name within the other
    "Acme - Platfrom Renewal 2026",
    "Acme - Platform Upsell 2026",
    "Globex - Training Pilot",
    "---",  # no words: not compared
]
ACCOUNTS = [None, "Acme Inc.", "ACME", "Acme Incorporated Holdings", "Łódź Weiß AG", "odz Wei AG", "Globex Corp"]
AMOUNTS = [None, Decimal(0), Decimal(25000), Decimal("25100.50"), Decimal(26000), Decimal(30000), Decimal(90000)]
DAYS = [None, date(2026, 3, 31), date(2026, 4, 3), date(2026, 4, 25), date(2026, 7, 1), date(2027, 4, 1)]


def _random_deal(rng: random.Random, n: int) -> Deal:
    """A deal whose fields are drawn from close, far and missing values: its pairs land in every level."""
    return build_deal(
        f"{rng.choice(['sf', 'hs'])}:{n}",
        name=rng.choice(NAMES),
        account_name=rng.choice(ACCOUNTS),
        amount=rng.choice(AMOUNTS),
        currency=rng.choice([None, "USD", "USD", "EUR", "CHF"]),  # CHF: no rate, so no amount to compare
        close_date=rng.choice(DAYS),
        owner=rng.choice([None, "Olivia Smith", "olivia SMITH", "Liam Brown"]),
        stage=rng.choice([None, *Stage]),
        pipeline=rng.choice([None, "new", "renewals"]),
    )


def _random_comparisons(rng: random.Random) -> tuple[Comparison, ...]:
    """Some of the default comparisons (maybe one twice), in any order, with weights that do not add up exactly
    in floating point, so that a different summation order would show."""

    def level(level: Level) -> Level:
        return Level(level.bound, level.weight * rng.choice([1.0, 0.7, 1.3]) + rng.choice([0.0, 0.1, 1 / 3]), "")

    picked = rng.choices(DEFAULT_COMPARISONS, k=rng.randint(1, len(DEFAULT_COMPARISONS) + 1))
    return tuple(Comparison(c.field, tuple(map(level, c.levels)), level(c.otherwise)) for c in picked)


@pytest.mark.parametrize("seed", range(30))
def test_links_accept_the_pairs_weight_accepts_with_the_same_weights(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring, "CHUNK", 97)  # many chunks, and pairs repeated across them
    rng = random.Random(seed)
    records = build_records([_random_deal(rng, n) for n in range(40)], FX)
    comparisons = DEFAULT_COMPARISONS if seed % 3 == 0 else _random_comparisons(rng)
    pairs = list(combinations(range(len(records)), 2))
    chunks = [pairs[start : start + rng.randint(150, 300)] for start in range(0, len(pairs), 150)]  # overlapping
    arrays = [(np.array([i for i, _ in chunk]), np.array([j for _, j in chunk])) for chunk in chunks]
    for threshold in (NEVER, weight_of(rng.choice([0.5, 0.9, 0.99]))):
        scorer = PairScorer(records, comparisons, rng.choice([DEFAULT_PRIOR, -3.3]), threshold, FX.base)
        expected = {(i, j): w for i, j in pairs if (w := scorer.weight(i, j)) is not None}
        i, j, weights = scorer.links(arrays)
        assert list(zip(i.tolist(), j.tolist(), strict=True)) == sorted(expected)
        assert weights.tolist() == [expected[pair] for pair in sorted(expected)]  # bit for bit
    assert len(expected) < len(pairs)  # the threshold did reject pairs


def test_links_measure_each_field_as_weight_does() -> None:
    rng = random.Random(7)
    records = build_records([_random_deal(rng, n) for n in range(60)], FX)
    i, j = (np.array(side) for side in zip(*combinations(range(len(records)), 2), strict=True))
    scalar, vector = measures(records), vector_measures(records)
    for field in MEASURE_KINDS:
        values, missing = vector[field](i, j)
        expected = [scalar[field](a, b) for a, b in zip(i.tolist(), j.tolist(), strict=True)]
        assert [None if m else v for v, m in zip(values.tolist(), missing.tolist(), strict=True)] == expected, field
        assert 0 < missing.sum() < len(i), field  # both missing and measured values were compared
    assert SUBSET in vector["deal_name"](i, j)[0]
