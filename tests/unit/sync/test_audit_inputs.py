"""The audit's inputs: one FX table from several CRMs' rates, stage probabilities, not-duplicate pairs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dealsync.canonical import DealRef
from dealsync.store import NotDuplicate
from dealsync.sync.audit_inputs import CONFIG_SOURCE, build_fx, not_duplicate_pairs, stage_probabilities

SF = {"corporate_currency": "USD", "fx_rates": {"USD": "1", "EUR": "1.10", "JPY": "0.0066"}}
HS_GBP = {"corporate_currency": "GBP", "fx_rates": {"GBP": "1", "USD": "0.80", "CHF": "0.90"}}
TYPES = {"sf-main": "salesforce", "hs-main": "hubspot", "hs-uk": "hubspot"}


def test_salesforce_corporate_currency_is_the_base_and_wins_conflicts() -> None:
    hs = {"corporate_currency": "USD", "fx_rates": {"EUR": "1.20", "CAD": "0.74"}}
    plan = build_fx({}, {"hs-main": hs, "sf-main": SF}, TYPES)
    assert plan.table.base == "USD"
    assert plan.table.rates["EUR"] == Decimal("1.10")  # Salesforce first
    assert plan.table.rates["CAD"] == Decimal("0.74")  # HubSpot fills what Salesforce lacks
    assert plan.sources["CAD"] == "hs-main"
    assert plan.unlinked == ()


def test_a_connection_in_another_corporate_currency_is_rebased() -> None:
    plan = build_fx({}, {"sf-main": SF, "hs-uk": HS_GBP}, TYPES)
    rates = plan.table.rates
    assert rates["GBP"] == Decimal(1) / Decimal("0.80")  # 1 GBP = 1.25 USD (the UK portal's USD rate, inverted)
    assert rates["CHF"] == Decimal("0.90") * rates["GBP"]
    assert plan.table.convert(Decimal(100), "CHF") == pytest.approx(Decimal("112.5"))


def test_config_overrides_win_and_link_currencies() -> None:
    hs_eur = {"corporate_currency": "EUR", "fx_rates": {"EUR": "1", "SEK": "0.09"}}
    plan = build_fx({"EUR": Decimal("1.05")}, {"sf-main": SF, "hs-main": hs_eur}, TYPES)
    assert plan.table.rates["EUR"] == Decimal("1.05")
    assert plan.sources["EUR"] == CONFIG_SOURCE
    assert plan.table.rates["SEK"] == Decimal("0.09") * Decimal("1.05")


def test_unlinked_connections_are_named_not_guessed() -> None:
    island = {"corporate_currency": "NOK", "fx_rates": {"NOK": "1", "DKK": "1.5"}}
    plan = build_fx({}, {"sf-main": SF, "hs-main": island}, TYPES)
    assert plan.unlinked == ("hs-main",)
    assert "NOK" not in plan.table.rates
    assert plan.table.convert(Decimal(1), "NOK") is None


def test_base_without_any_crm_schema() -> None:
    assert build_fx({}, {}, {}).table.base == "USD"
    assert build_fx({"EUR": Decimal(1), "USD": Decimal("0.9")}, {}, {}).table.base == "EUR"


def test_bad_saved_rates_are_dropped() -> None:
    schema = {"corporate_currency": "USD", "fx_rates": {"EUR": "n/a", "GBP": "-1", "CAD": "0.7"}}
    rates = build_fx({}, {"sf-main": schema}, TYPES).table.rates
    assert set(rates) == {"USD", "CAD"}


def test_stage_probabilities_per_connection() -> None:
    schema = {"stages": {"Prospecting": {"probability": "0.1"}, "Closed Lost": {"probability": "0.0"}, "X": {}}}
    assert stage_probabilities({"sf-main": schema}) == {
        "sf-main": {"Prospecting": Decimal("0.1"), "Closed Lost": Decimal(0)}
    }


def test_not_duplicate_pairs() -> None:
    a, b = DealRef(connection="hs", id="1"), DealRef(connection="sf", id="2")
    decided = datetime(2026, 1, 1, tzinfo=UTC)
    assert not_duplicate_pairs([NotDuplicate(a, b, decided)]) == [frozenset({a, b})]
