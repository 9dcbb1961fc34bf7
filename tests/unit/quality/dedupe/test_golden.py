"""Survivorship: which member each golden value comes from, in both modes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from dealsync.canonical import Deal, Stage
from dealsync.quality.dedupe.golden import Survivorship, golden_record, ranked
from dealsync.quality.dedupe.records import build_records
from dealsync.quality.model import FxTable

MakeDeal = Callable[..., Deal]


@pytest.fixture
def members(make_deal: MakeDeal) -> list[Deal]:
    """sf:1 oldest and complete; hs:2 newest with gaps; sf:3 in between, in EUR."""
    return [
        make_deal("sf:1", modified=0, name="Acme - Platform Renewal 2026", owner="Olivia Smith"),
        make_deal(
            "hs:2",
            modified=48,
            name="ACME platform renewal",
            account_name=None,
            amount=None,
            close_date=None,
            stage=Stage.NEGOTIATION,
            pipeline="default",
        ),
        make_deal(
            "sf:3",
            modified=24,
            name="Acme Inc - Platform Renewal",
            amount=Decimal("23100.00"),
            currency="EUR",
            close_date=date(2026, 4, 2),
            owner=None,
        ),
    ]


def _golden(deals: list[Deal], fx: FxTable, rule: Survivorship, preferred: str | None = None) -> dict[str, object]:
    records = build_records(deals, fx)
    return golden_record(records, list(range(len(records))), rule, preferred)


def test_most_recent_non_empty_value_wins(members: list[Deal], fx: FxTable) -> None:
    golden = _golden(members, fx, Survivorship.MOST_RECENT)
    assert {k: v for k, v in golden.items() if k != "sources"} == {
        "name": "ACME platform renewal",
        "account_name": "Acme Inc.",  # hs:2 has none: the next most recent, sf:3
        "amount": "23100.00",
        "currency": "EUR",  # from the same member as the amount, always
        "close_date": "2026-04-02",
        "stage": "negotiation",
        "status": "open",
        "owner": "Olivia Smith",  # hs:2 newest has it too (the factory's default); sf:3 has none
        "pipeline": "default",
    }
    assert golden["sources"] == {
        "name": "hs:2",
        "account_name": "sf:3",
        "amount": "sf:3",
        "currency": "sf:3",
        "close_date": "sf:3",
        "stage": "hs:2",
        "status": "hs:2",
        "owner": "hs:2",
        "pipeline": "hs:2",
    }


def test_preferred_connection_wins_and_the_others_fill_its_gaps(members: list[Deal], fx: FxTable) -> None:
    golden = _golden(members, fx, Survivorship.PREFERRED_CONNECTION, "sf")
    assert golden["name"] == "Acme Inc - Platform Renewal"  # sf:3 is the most recent sf member
    assert (golden["amount"], golden["currency"]) == ("23100.00", "EUR")
    assert golden["owner"] == "Olivia Smith"  # sf:3 has none: sf:1
    assert golden["pipeline"] == "default"  # no sf member has one: the hubspot deal's
    assert golden["sources"] == {
        "name": "sf:3",
        "account_name": "sf:3",
        "amount": "sf:3",
        "currency": "sf:3",
        "close_date": "sf:3",
        "stage": "sf:3",
        "status": "sf:3",
        "owner": "sf:1",
        "pipeline": "hs:2",
    }


def test_preferring_the_other_connection(members: list[Deal], fx: FxTable) -> None:
    golden = _golden(members, fx, Survivorship.PREFERRED_CONNECTION, "hs")
    assert golden["name"] == "ACME platform renewal"
    assert (golden["amount"], golden["currency"]) == ("23100.00", "EUR")  # hs:2 has no amount


def test_a_field_no_member_has_is_none_without_a_source(make_deal: MakeDeal, fx: FxTable) -> None:
    deals = [make_deal("sf:1", amount=None, owner=None), make_deal("hs:2", amount=None, owner=None, currency="GBP")]
    golden = _golden(deals, fx, Survivorship.MOST_RECENT)
    assert (golden["amount"], golden["owner"]) == (None, None)
    assert golden["currency"] == "GBP"  # the currency is still told, from the most recent member that has one
    assert "owner" not in golden["sources"]  # type: ignore[operator]
    assert "amount" not in golden["sources"]  # type: ignore[operator]


def test_ties_on_modified_time_break_by_ref(make_deal: MakeDeal, fx: FxTable) -> None:
    records = build_records([make_deal("sf:2", modified=5), make_deal("hs:9", modified=5)], fx)
    assert [records.label(i) for i in ranked(records, [0, 1], Survivorship.MOST_RECENT, None)] == ["hs:9", "sf:2"]
