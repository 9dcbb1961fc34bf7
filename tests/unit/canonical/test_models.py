"""The canonical Deal keeps money exact, instants in UTC, and refuses what it cannot represent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from dealsync.canonical import Deal, DealRef, Money, Stage, Status


def make_deal(**overrides: object) -> Deal:
    fields: dict[str, object] = {
        "ref": DealRef(connection="sf-main", id="0065g00000AbCdEAAV"),
        "name": "Acme - Renewal",
        "amount": Decimal("1234.50"),
        "currency": "EUR",
        "stage": Stage.PROPOSAL,
        "crm_stage_id": "Proposal/Price Quote",
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "modified_at": datetime(2024, 2, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    }
    fields.update(overrides)
    return Deal.model_validate(fields)


def test_timestamps_are_normalised_to_utc() -> None:
    deal = make_deal()
    assert deal.modified_at == datetime(2024, 2, 1, 7, 30, tzinfo=UTC)
    assert deal.modified_at.tzinfo is UTC


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_deal(created_at=datetime(2024, 1, 1))  # noqa: DTZ001 - the naive value is the point


def test_money_keeps_its_currency_and_exact_amount() -> None:
    assert make_deal().money == Money(amount=Decimal("1234.50"), currency="EUR")
    assert make_deal(amount=None).money is None


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R"])
def test_currency_must_be_iso_4217_shaped(currency: str) -> None:
    with pytest.raises(ValidationError):
        make_deal(currency=currency)


def test_probability_is_a_fraction() -> None:
    with pytest.raises(ValidationError):
        make_deal(probability=Decimal("75"))
    assert make_deal(probability=Decimal("0.75")).probability == Decimal("0.75")


def test_defaults_and_refs() -> None:
    deal = make_deal()
    assert deal.status is Status.OPEN
    assert deal.is_open
    assert str(deal.ref) == "sf-main:0065g00000AbCdEAAV"
    assert make_deal(stage=None).stage is None
