"""History-derived signals and the robust outlier statistics."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.model import FxTable, HistoryPoint
from dealsync.quality.rules import OutlierStats
from dealsync.quality.rules.outliers import MAD_FLOOR
from dealsync.quality.rules.signals import (
    AmountGap,
    close_date_pushes,
    last_sign_of_life,
    last_stage_change,
    stage_entered_at,
)

NOW = datetime(2026, 1, 31, tzinfo=UTC)
FX = FxTable(base="USD", rates={"EUR": Decimal("1.1")})


def deal(**changes: Any) -> Deal:
    fields: dict[str, Any] = {
        "ref": DealRef(connection="sf", id="D1"),
        "name": "Acme",
        "amount": Decimal(25_000),
        "currency": "USD",
        "stage": Stage.PROPOSAL,
        "crm_stage_id": "Proposal",
        "close_date": NOW.date(),
        "created_at": NOW - timedelta(days=100),
        "modified_at": NOW - timedelta(days=1),
    }
    return Deal(**{**fields, **changes})


def point(days_ago: int, stage: Stage | None = Stage.PROPOSAL, close_in: int = 30) -> HistoryPoint:
    return HistoryPoint(
        NOW - timedelta(days=days_ago), stage, "x", None, None, NOW.date() + timedelta(days=close_in), Status.OPEN
    )


def test_stage_entered_at_is_the_start_of_the_newest_run() -> None:
    history = [point(50), point(40, Stage.NEGOTIATION), point(30), point(20), point(10)]
    assert stage_entered_at(deal(), history) == NOW - timedelta(days=30)


def test_stage_entered_at_falls_back_to_modified_at_when_history_lags() -> None:
    assert stage_entered_at(deal(), [point(30, Stage.QUALIFICATION)]) == NOW - timedelta(days=1)
    assert stage_entered_at(deal(), []) is None


def test_pushes_count_only_moves_later() -> None:
    history = [point(9, close_in=10), point(8, close_in=20), point(7, close_in=15), point(6, close_in=40)]
    assert close_date_pushes(deal(close_date=NOW.date() + timedelta(days=40)), history) == 2


def test_last_stage_change_skips_unmapped_points_and_repeats() -> None:
    history = [point(9, Stage.NEGOTIATION), point(8, None), point(7, Stage.NEGOTIATION), point(5)]
    change = last_stage_change(deal(), history)
    assert change is not None
    assert (change.before, change.after, change.backwards) == (Stage.NEGOTIATION, Stage.PROPOSAL, True)
    assert last_stage_change(deal(), [point(3)]) is None


def test_sign_of_life_ignores_modified_at() -> None:
    assert last_sign_of_life(deal(modified_at=NOW), []) == (NOW - timedelta(days=100), "creation")


def test_amount_gap_is_relative_to_the_larger_amount() -> None:
    gap = AmountGap(deal(), Decimal(100), Decimal(75)).gap
    assert gap == Decimal("0.25")
    assert AmountGap(deal(), Decimal(0), Decimal(0)).gap == 0
    assert AmountGap(deal(), None, Decimal(1)).gap is None


def _deals(amounts: list[float], currency: str = "USD", pipeline: str | None = None) -> list[Deal]:
    return [
        deal(ref=DealRef(connection="sf", id=f"{currency}{i}"), amount=Decimal(str(a)), currency=currency,
             pipeline=pipeline)
        for i, a in enumerate(amounts)
    ]  # fmt: skip


def test_build_computes_median_and_mad_of_log_amounts() -> None:
    amounts = [10_000.0, 20_000.0, 40_000.0, 80_000.0, 160_000.0]
    stats = OutlierStats.build([*_deals(amounts), deal(amount=None), deal(amount=Decimal(-1))])
    group = stats.groups[("currency", "USD")]
    assert group.count == 5
    assert group.median == pytest.approx(math.log(40_000))
    assert group.mad == pytest.approx(math.log(2))
    assert group.typical == Decimal("40000.00")


def test_place_uses_the_most_specific_group_with_enough_deals() -> None:
    usd = _deals([20_000.0 + 100 * i for i in range(30)], pipeline="default")
    eur = _deals([20_000.0] * 5, currency="EUR", pipeline="default")
    stats = OutlierStats.build([*usd, *eur], FX)
    assert stats.place(usd[0], FX, 30).group.label == "sf deals in pipeline 'default' in USD"  # type: ignore[union-attr]
    placed = stats.place(eur[0], FX, 30)
    assert placed is not None
    assert placed.group.label == "all deals converted to USD"
    assert placed.amount == Decimal("22000.0")
    assert stats.place(eur[0], FxTable(base="USD"), 30) is None  # no rate, no group big enough


def test_mad_floor_keeps_identical_amounts_from_flagging_small_differences() -> None:
    stats = OutlierStats.build(_deals([10_000.0] * 40))
    near = stats.place(deal(amount=Decimal(12_000)), FX, 30)
    far = stats.place(deal(amount=Decimal(100_000)), FX, 30)
    assert near is not None
    assert far is not None
    assert near.group.mad == 0
    assert abs(near.z) < 3.5 < far.z
    assert near.z == pytest.approx(0.6745 * math.log(1.2) / MAD_FLOOR)


def test_typo_zeros_finds_the_power_of_ten_that_makes_it_typical() -> None:
    stats = OutlierStats.build(_deals([15_000.0 + 500 * i for i in range(40)]))
    assert stats.place(deal(amount=Decimal(2_500_000)), FX, 30).typo_zeros() == 2  # type: ignore[union-attr]
    assert stats.place(deal(amount=Decimal(2_500)), FX, 30).typo_zeros() == -1  # type: ignore[union-attr]
    assert stats.place(deal(amount=Decimal(700_000)), FX, 30).typo_zeros() is None  # type: ignore[union-attr]


def test_outlier_stats_from_four_columns_equal_those_from_deals() -> None:
    deals = [
        deal(
            ref=DealRef(connection="sf", id=str(i)),
            amount=Decimal(1000 + 37 * i),
            currency="EUR" if i % 3 else "USD",
            pipeline=f"p{i % 2}",
        )
        for i in range(40)
    ] + [deal(amount=None), deal(ref=DealRef(connection="sf", id="gone"), amount=Decimal(5), deleted=True)]
    columns = [(d.ref.connection, d.pipeline, d.amount, d.currency) for d in deals if not d.deleted]
    built = OutlierStats.build(deals, FX).groups
    assert len(built) == 7  # 2 pipelines x 2 currencies, 2 currencies, all converted
    assert OutlierStats.from_amounts(columns, FX).groups == built
