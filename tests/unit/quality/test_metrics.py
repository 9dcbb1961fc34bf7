"""Pipeline metrics on a small hand-built dataset, every figure worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.metrics import MetricsAccumulator, compute_metrics
from dealsync.quality.model import FxTable, HistoryPoint

NOW = datetime(2026, 1, 31, tzinfo=UTC)
FX = FxTable(base="USD", rates={"EUR": Decimal("1.1")})
Q, IC, P, N = Stage.QUALIFICATION, Stage.INITIAL_CONTACT, Stage.PROPOSAL, Stage.NEGOTIATION


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def deal(key: str, **fields: Any) -> Deal:
    connection, id_ = key.split(":")
    base: dict[str, Any] = {"name": key, "crm_stage_id": "x", "modified_at": fields["created_at"]}
    return Deal(ref=DealRef(connection=connection, id=id_), **{**base, **fields})


def hp(when: datetime, stage: Stage | None, status: Status = Status.OPEN) -> HistoryPoint:
    return HistoryPoint(when, stage, "x", None, None, None, status)


# A: sf, open in proposal. B: sf, won. G: sf, lost in qualification. F: sf, deleted (ignored).
# C: hs, lost in negotiation. D: hs, open in prospecting, no amount. E: hs, open in an unmapped stage.
A = deal(
    "sf:A",
    amount=Decimal(10_000),
    currency="USD",
    stage=P,
    probability=Decimal("0.6"),
    created_at=at(2025, 11, 10),
    modified_at=at(2025, 12, 10),
)
B = deal(
    "sf:B",
    amount=Decimal(20_000),
    currency="EUR",
    stage=Stage.POST_SALE,
    status=Status.WON,
    probability=Decimal(1),
    created_at=at(2025, 10, 1),
    close_date=date(2025, 12, 31),
    modified_at=at(2025, 12, 31),
)
G = deal(
    "sf:G",
    amount=Decimal(2_000),
    currency="USD",
    stage=Q,
    status=Status.LOST,
    probability=Decimal(0),
    created_at=at(2025, 12, 5),
    close_date=date(2025, 12, 20),
    modified_at=at(2025, 12, 20),
)
F = deal("sf:F", amount=Decimal(999_999), currency="USD", stage=P, created_at=at(2025, 12, 1), deleted=True)
C = deal(
    "hs:C",
    amount=Decimal(5_000),
    currency="USD",
    stage=N,
    status=Status.LOST,
    probability=Decimal(0),
    created_at=at(2025, 12, 1),
    close_date=date(2026, 1, 15),
    modified_at=at(2026, 1, 15),
)
D = deal("hs:D", stage=Stage.PROSPECTING, created_at=at(2026, 1, 5))
E = deal(
    "hs:E", amount=Decimal(1_000), currency="EUR", stage=None, probability=Decimal("0.3"), created_at=at(2026, 1, 20)
)
HISTORY = {
    A.ref: [hp(at(2025, 11, 10), Q), hp(at(2025, 12, 10), P)],
    B.ref: [hp(at(2025, 10, 1), Q), hp(at(2025, 11, 1), N), hp(at(2025, 12, 31), Stage.POST_SALE, Status.WON)],
    G.ref: [hp(at(2025, 12, 5), Q), hp(at(2025, 12, 20), Q, Status.LOST)],
    C.ref: [hp(at(2025, 12, 1), IC), hp(at(2025, 12, 21), N), hp(at(2026, 1, 15), N, Status.LOST)],
    D.ref: [hp(at(2026, 1, 5), Stage.PROSPECTING)],
    E.ref: [hp(at(2026, 1, 20), None)],
}  # fmt: skip


@pytest.fixture(scope="module")
def metrics() -> dict[str, Any]:
    return compute_metrics([A, B, G, F, C, D, E], HISTORY, FX, now=NOW, revenue_target=Decimal(50_000))


def test_counts_and_amounts_by_status(metrics: dict[str, Any]) -> None:
    unified = metrics["unified"]
    assert unified["deals"] == 6
    assert unified["status"]["open"] == {
        "deals": 3,
        "amount": {"EUR": "1000.00", "USD": "10000.00"},
        "amount_converted": "11100.00",
        "deals_unconverted": 0,
        "deals_without_amount": 1,
    }
    assert unified["status"]["won"]["amount_converted"] == "22000.00"
    assert unified["status"]["lost"]["amount"] == {"USD": "7000.00"}


def test_deals_per_canonical_stage_leave_lost_deals_out(metrics: dict[str, Any]) -> None:
    stages = metrics["unified"]["stages"]
    assert list(stages) == [s.value for s in Stage] + ["unmapped"]
    assert {k: v["deals"] for k, v in stages.items() if v["deals"]} == {
        "prospecting": 1,
        "proposal": 1,
        "post_sale": 1,
        "unmapped": 1,
    }
    assert stages["post_sale"]["amount"] == {"EUR": "20000.00"}


def test_qualified_deals_and_lead_velocity(metrics: dict[str, Any]) -> None:
    unified = metrics["unified"]
    assert (unified["qualified_deals"], unified["qualified_open_deals"]) == (4, 1)
    velocity = unified["lead_velocity"]
    assert velocity["month"] == "2025-12"
    months = list(velocity["qualified_by_month"])
    assert (months[0], months[-1], len(months)) == ("2025-01", "2026-01", 13)
    assert {k: v for k, v in velocity["qualified_by_month"].items() if v} == {"2025-10": 1, "2025-11": 1, "2025-12": 2}
    assert velocity["rate"] == 1.0  # 2 in December against 1 in November


def test_stage_to_stage_conversion(metrics: dict[str, Any]) -> None:
    conversion = metrics["unified"]["conversion"]
    rates = {k: (v["reached"], v["advanced"], v["rate"]) for k, v in conversion.items()}
    assert rates == {
        "lead_generation->prospecting": (0, 0, None),
        "prospecting->qualification": (0, 0, None),  # D is still in prospecting: undecided
        "qualification->initial_contact": (3, 2, 0.6667),  # A, B advanced; G lost there
        "initial_contact->proposal": (3, 3, 1.0),  # A, B (skipped through), C
        "proposal->negotiation": (2, 2, 1.0),  # B, C; A still in proposal
        "negotiation->post_sale": (2, 1, 0.5),  # B won, C lost
    }


def test_win_rate_cycle_and_days_in_stage(metrics: dict[str, Any]) -> None:
    unified, sf, hs = metrics["unified"], metrics["by_connection"]["sf"], metrics["by_connection"]["hs"]
    assert (unified["win_rate"], sf["win_rate"], hs["win_rate"]) == (0.3333, 0.5, 0.0)
    assert unified["sales_cycle_days"] == {"won_deals": 1, "average": 91.0}  # 2025-10-01 to 2025-12-31
    assert unified["days_in_stage"] == {
        "qualification": {"stays": 3, "average": 25.3},  # A 30, B 31, G 15
        "initial_contact": {"stays": 1, "average": 20.0},  # C
        "negotiation": {"stays": 2, "average": 42.5},  # B 60, C 25
    }


def test_weighted_pipeline_and_coverage(metrics: dict[str, Any]) -> None:
    weighted = metrics["unified"]["weighted_pipeline"]
    assert weighted["amount"] == {"EUR": "300.00", "USD": "6000.00"}  # A 10,000 x 0.6; E 1,000 EUR x 0.3
    assert weighted["amount_converted"] == "6330.00"
    assert metrics["unified"]["coverage"] == {
        "target": "50000.00",
        "open_pipeline": "11100.00",
        "weighted_pipeline": "6330.00",
        "ratio": 0.222,
        "weighted_ratio": 0.1266,
    }
    assert "coverage" not in metrics["by_connection"]["sf"]


def test_by_connection_splits_the_deals(metrics: dict[str, Any]) -> None:
    assert sorted(metrics["by_connection"]) == ["hs", "sf"]
    assert metrics["by_connection"]["sf"]["deals"] == 3
    assert metrics["by_connection"]["hs"]["deals"] == 3
    assert metrics["base_currency"] == "USD"
    assert metrics["generated_at"] == "2026-01-31T00:00:00Z"


def test_result_is_json_serialisable_and_deterministic(metrics: dict[str, Any]) -> None:
    again = compute_metrics([A, B, G, F, C, D, E], HISTORY, FX, now=NOW, revenue_target=Decimal(50_000))
    assert json.dumps(again, sort_keys=True) == json.dumps(metrics, sort_keys=True)


def test_no_target_no_coverage_and_unconvertible_amounts_are_counted() -> None:
    gbp = deal("sf:X", amount=Decimal(100), currency="GBP", stage=P, created_at=at(2026, 1, 2))
    result = compute_metrics([gbp], {}, FX, now=NOW)
    assert result["unified"]["coverage"] is None
    assert result["revenue_target"] is None
    assert result["unified"]["status"]["open"]["deals_unconverted"] == 1
    assert result["unified"]["weighted_pipeline"]["amount"] == {"GBP": "60.00"}  # proposal's usual 60%


def test_accumulator_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MetricsAccumulator(FX, now=datetime(2026, 1, 31))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("cut", [1, 3, 6])
def test_merged_slices_give_the_figures_of_one_pass(metrics: dict[str, Any], cut: int) -> None:
    deals = [A, B, G, F, C, D, E]
    parts = []
    for chunk in (deals[:cut], deals[cut:]):
        acc = MetricsAccumulator(FX, now=NOW, revenue_target=Decimal(50_000))
        for d in chunk:
            acc.add(d, HISTORY.get(d.ref, ()))
        parts.append(acc)
    parts[0].merge(parts[1])
    assert parts[0].result() == metrics


def test_deals_first_seen_closed_stay_out_of_the_stage_conversion() -> None:
    """One pull of a CRM shows lost deals at their last open stage and won deals at post_sale: neither says
    which stages the deal went through, so neither may drag a stage's conversion to 0%."""
    lost = deal("sf:L", amount=Decimal(1), currency="USD", stage=N, status=Status.LOST, created_at=at(2025, 12, 1))
    won = deal(
        "sf:W", amount=Decimal(1), currency="USD", stage=Stage.POST_SALE, status=Status.WON, created_at=at(2025, 12, 1)
    )
    history = {
        lost.ref: [hp(at(2025, 12, 1), N, Status.LOST)],
        won.ref: [hp(at(2025, 12, 1), Stage.POST_SALE, Status.WON)],
    }
    result = compute_metrics([lost, won], history, FX, now=NOW)
    assert result["unified"]["conversion"]["negotiation->post_sale"] == {"reached": 0, "advanced": 0, "rate": None}
    seen_open = {
        lost.ref: [hp(at(2025, 11, 1), N), *history[lost.ref]],
        won.ref: [hp(at(2025, 11, 1), N), *history[won.ref]],
    }
    result = compute_metrics([lost, won], seen_open, FX, now=NOW)
    assert result["unified"]["conversion"]["negotiation->post_sale"] == {"reached": 2, "advanced": 1, "rate": 0.5}
