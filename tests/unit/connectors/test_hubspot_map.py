"""HubSpot property strings -> canonical deals, stages from pipeline metadata, and write-side values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from dealsync.canonical import Stage, StageMapper, Status
from dealsync.connectors.hubspot_map import (
    WARNINGS_KEY,
    MapContext,
    RawDeal,
    company_ids_v3,
    company_ids_v4,
    epoch_ms,
    fx_rates,
    implied_rate,
    is_writable,
    owner_name,
    pipeline_labels,
    read_properties,
    same_value,
    stage_infos,
    to_deal,
    to_wire,
)

UTC_MINUS_8 = timezone(timedelta(hours=-8))
UTC_PLUS_10 = timezone(timedelta(hours=10))


def stage(sid: str, order: int, probability: str, closed: bool) -> dict[str, Any]:
    return {
        "id": sid,
        "label": sid.title(),
        "display_order": order,
        "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
        "archived": False,
    }


# stages deliberately out of order, as HubSpot sends them
PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "display_order": 0,
        "stages": [
            stage("closedwon", 5, "1.0", True),
            stage("appointmentscheduled", 0, "0.2", False),
            stage("closedlost", 6, "0.0", True),
            stage("contractsent", 4, "0.9", False),
            stage("qualifiedtobuy", 1, "0.4", False),
        ],
    },
    {
        "id": "777",
        "label": "Renewals",
        "display_order": 1,
        "stages": [stage("1002", 1, "0.5", False), stage("1001", 0, "0.1", False), stage("1003", 2, "1.0", True)],
    },
]
STAGES = stage_infos(PIPELINES)


def context(**overrides: Any) -> MapContext:
    values: dict[str, Any] = {
        "connection": "hs-main",
        "mapper": StageMapper("hs-main", "hubspot", {"1001": Stage.QUALIFICATION}),
        "stages": STAGES,
        "home_currency": "USD",
        "owners": {"42": "Ada Lovelace"},
        "company_names": {"900": "Acme Corp", "901": None, "902": "Beta Ltd"},
    }
    values.update(overrides)
    return MapContext(**values)


BASE = {
    "dealname": "Acme - Platform",
    "amount": "1500.50",
    "closedate": "2024-03-31T00:00:00.000Z",
    "pipeline": "default",
    "dealstage": "qualifiedtobuy",
    "createdate": "2024-01-10T09:15:30.234Z",
    "hs_lastmodifieddate": "2024-01-15T14:22:10.456Z",
    "hs_object_id": "11",
    "hubspot_owner_id": "42",
    "deal_currency_code": "EUR",
    "amount_in_home_currency": "1650.55",
    "hs_deal_stage_probability": "0.4",
    "notes_last_updated": "2024-01-14T08:00:00Z",
    "hs_is_closed": "false",
    "hs_is_closed_won": "false",
}


def deal_from(changes: dict[str, str | None], company_ids: tuple[str, ...] = ("900",), **ctx: Any) -> Any:
    return to_deal(RawDeal(id="11", properties={**BASE, **changes}, company_ids=company_ids), context(**ctx))


def test_a_complete_deal() -> None:
    deal = deal_from({})
    assert deal.ref.id == "11"
    assert deal.ref.connection == "hs-main"
    assert deal.name == "Acme - Platform"
    assert deal.account_name == "Acme Corp"
    assert (deal.amount, deal.currency) == (Decimal("1500.50"), "EUR")
    assert (deal.stage, deal.status) == (Stage.INITIAL_CONTACT, Status.OPEN)
    assert (deal.crm_stage_id, deal.crm_stage_label, deal.pipeline) == ("qualifiedtobuy", "Qualifiedtobuy", "default")
    assert deal.probability == Decimal("0.4")
    assert deal.close_date == date(2024, 3, 31)
    assert deal.owner == "Ada Lovelace"
    assert deal.created_at == datetime(2024, 1, 10, 9, 15, 30, 234000, tzinfo=UTC)
    assert deal.modified_at == datetime(2024, 1, 15, 14, 22, 10, 456000, tzinfo=UTC)
    assert deal.last_activity_at == datetime(2024, 1, 14, 8, tzinfo=UTC)
    assert deal.raw["amount"] == "1500.50"
    assert deal.raw["associations"] == {"companies": ["900"]}
    assert WARNINGS_KEY not in deal.raw


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"amount": ""}, "amount", None),
        ({"amount": None}, "amount", None),
        ({"amount": "0"}, "amount", Decimal(0)),
        ({"amount": "1,234.50"}, "amount", Decimal("1234.50")),
        ({"deal_currency_code": None}, "currency", "USD"),
        ({"deal_currency_code": ""}, "currency", "USD"),
        ({"deal_currency_code": "gbp"}, "currency", "GBP"),
        ({"hs_deal_stage_probability": None}, "probability", Decimal("0.4")),
        ({"hs_deal_stage_probability": "0.75"}, "probability", Decimal("0.75")),
        ({"hubspot_owner_id": "77"}, "owner", "77"),
        ({"hubspot_owner_id": None}, "owner", None),
        ({"notes_last_updated": None}, "last_activity_at", None),
        ({"dealname": None}, "name", ""),
        ({"closedate": None}, "close_date", None),
        ({"closedate": "2024-03-31"}, "close_date", date(2024, 3, 31)),
        ({"closedate": "1711843200000"}, "close_date", date(2024, 3, 31)),
        ({"dealstage": "closedwon"}, "status", Status.WON),
        ({"dealstage": "closedwon"}, "stage", Stage.POST_SALE),
        ({"dealstage": "closedlost"}, "status", Status.LOST),
        ({"dealstage": "closedlost"}, "stage", Stage.NEGOTIATION),
        ({"dealstage": "1001", "pipeline": "777"}, "stage", Stage.QUALIFICATION),
        ({"dealstage": "1003", "pipeline": "777"}, "status", Status.WON),
    ],
)
def test_field_mapping(changes: dict[str, str | None], field: str, expected: Any) -> None:
    assert getattr(deal_from(changes), field) == expected


@pytest.mark.parametrize(
    ("changes", "field", "warning"),
    [
        ({"amount": "twelve"}, "amount", "amount"),
        ({"amount": "NaN"}, "amount", "amount"),
        ({"closedate": "31/03/2024"}, "close_date", "closedate"),
        ({"closedate": "2024-02-30"}, "close_date", "closedate"),
        ({"notes_last_updated": "yesterday"}, "last_activity_at", "notes_last_updated"),
        ({"deal_currency_code": "Euro"}, "currency", "deal_currency_code"),
    ],
)
def test_bad_values_become_missing_with_a_warning(changes: dict[str, str | None], field: str, warning: str) -> None:
    deal = deal_from(changes)
    assert getattr(deal, field) is None
    warnings = deal.raw[WARNINGS_KEY]
    assert any(w.startswith(warning) for w in warnings)
    assert deal.raw[next(iter(changes))] == next(iter(changes.values()))  # nothing lost


def test_probability_outside_zero_one_falls_back_to_the_stage() -> None:
    deal = deal_from({"hs_deal_stage_probability": "40"})
    assert deal.probability == Decimal("0.4")
    assert "outside 0..1" in deal.raw[WARNINGS_KEY][0]


def test_unknown_stage_id_is_unmapped_and_named() -> None:
    deal = deal_from({"dealstage": "999999", "pipeline": "888"})
    assert (deal.stage, deal.status, deal.crm_stage_label) == (None, Status.OPEN, None)
    (warning,) = deal.raw[WARNINGS_KEY]
    assert "'999999'" in warning
    assert "'888'" in warning
    assert "connections[hs-main].stage_map" in warning


def test_known_but_unmapped_stage_reports_the_config_key() -> None:
    deal = deal_from({"dealstage": "1002", "pipeline": "777"})
    assert deal.stage is None
    assert "stage_map" in deal.raw[WARNINGS_KEY][0]


def test_missing_timestamps_fall_back_to_the_object_stamps() -> None:
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    raw = RawDeal("11", {**BASE, "createdate": None, "hs_lastmodifieddate": ""}, created_at=stamp, updated_at=stamp)
    deal = to_deal(raw, context())
    assert deal.created_at == deal.modified_at == stamp


def test_account_is_the_first_company_with_a_name() -> None:
    assert deal_from({}, company_ids=("901", "902")).account_name == "Beta Ltd"
    assert deal_from({}, company_ids=()).account_name is None
    assert deal_from({}, company_ids=("555",)).account_name is None


def test_archived_deals_are_deleted() -> None:
    raw = RawDeal("11", BASE, archived=True)
    assert to_deal(raw, context()).deleted is True


@pytest.mark.parametrize(
    ("closedate", "zone", "day"),
    [
        # HubSpot's date picker stores midnight UTC: that UTC day, whatever the portal's zone
        ("2024-03-31T00:00:00.000Z", UTC_MINUS_8, date(2024, 3, 31)),
        ("2024-03-31T00:00:00.000Z", UTC_PLUS_10, date(2024, 3, 31)),
        # a real instant is the calendar day in the portal's zone
        ("2024-03-31T07:00:00.000Z", UTC_MINUS_8, date(2024, 3, 30)),
        ("2024-03-31T07:00:00.000Z", UTC_PLUS_10, date(2024, 3, 31)),
        ("2024-03-31T15:30:00.000Z", UTC_PLUS_10, date(2024, 4, 1)),
        ("2024-03-31T15:30:00.000Z", UTC_MINUS_8, date(2024, 3, 31)),
        ("2024-03-31T15:30:00.000Z", None, date(2024, 3, 31)),
    ],
)
def test_close_date_in_the_portal_time_zone(closedate: str, zone: Any, day: date) -> None:
    assert deal_from({"closedate": closedate}, time_zone=zone).close_date == day


# -- pipelines, owners, properties, currencies ----------------------------------------------------------------


def test_stage_infos_from_unordered_string_metadata() -> None:
    won, lost, open_ = STAGES["closedwon"], STAGES["closedlost"], STAGES["contractsent"]
    assert (won.is_closed, won.is_won, won.probability) == (True, True, Decimal("1.0"))
    assert (lost.is_closed, lost.is_won, lost.probability) == (True, False, Decimal("0.0"))
    assert (open_.is_closed, open_.is_won, open_.display_order, open_.pipeline) == (False, False, 4, "default")
    assert STAGES["1003"].is_won
    assert list(STAGES)[:3] == ["appointmentscheduled", "qualifiedtobuy", "contractsent"]


def test_a_closed_stage_below_certainty_is_lost() -> None:
    infos = stage_infos([{"id": "p", "stages": [stage("odd", 0, "0.5", True)]}])
    assert (infos["odd"].is_closed, infos["odd"].is_won) == (True, False)


def test_bad_probability_metadata_is_unknown() -> None:
    infos = stage_infos([{"id": "p", "stages": [stage("a", 0, "high", False), stage("b", 1, "7", False)]}])
    assert infos["a"].probability is None
    assert infos["b"].probability is None


def test_pipeline_filter() -> None:
    assert set(stage_infos(PIPELINES, {"777"})) == {"1001", "1002", "1003"}
    assert pipeline_labels(PIPELINES, {"777"}) == {"777": "Renewals"}
    assert pipeline_labels(PIPELINES) == {"default": "Sales Pipeline", "777": "Renewals"}


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        ({"id": "1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.io"}, "Ada Lovelace"),
        ({"id": "1", "first_name": "Ada", "last_name": None, "email": "ada@x.io"}, "Ada"),
        ({"id": "1", "first_name": None, "last_name": None, "email": "ada@x.io"}, "ada@x.io"),
        ({"id": "1"}, "1"),
    ],
)
def test_owner_name(owner: dict[str, Any], name: str) -> None:
    assert owner_name(owner) == name


@pytest.mark.parametrize(
    ("definition", "writable"),
    [
        ({"name": "x", "calculated": False, "modification_metadata": {"read_only_value": False}}, True),
        ({"name": "x", "calculated": True, "modification_metadata": {"read_only_value": False}}, False),
        ({"name": "x", "calculated": False, "modification_metadata": {"read_only_value": True}}, False),
        ({"name": "x", "archived": True}, False),
        ({"name": "x"}, True),
    ],
)
def test_is_writable(definition: dict[str, Any], writable: bool) -> None:
    assert is_writable(definition) is writable


def test_fx_rates_home_units_per_unit() -> None:
    rates = fx_rates(
        "USD",
        [
            {"fromCurrencyCode": "EUR", "toCurrencyCode": "USD", "conversionRate": 1.086957},
            {"fromCurrencyCode": "USD", "toCurrencyCode": "JPY", "conversionRate": "150"},
            {"fromCurrencyCode": "GBP", "toCurrencyCode": "USD", "conversionRate": 0},
            {"fromCurrencyCode": "CAD", "toCurrencyCode": "USD", "conversionRate": "n/a"},
        ],
    )
    assert rates["USD"] == 1
    assert rates["EUR"] == Decimal("1.086957")
    assert rates["JPY"] == 1 / Decimal(150)
    assert "GBP" not in rates
    assert "CAD" not in rates


@pytest.mark.parametrize(
    ("props", "rate"),
    [
        ({"amount": "100", "amount_in_home_currency": "108.7"}, Decimal("1.087")),
        ({"amount": "0", "amount_in_home_currency": "0"}, None),
        ({"amount": "", "amount_in_home_currency": "5"}, None),
        ({"amount": "x", "amount_in_home_currency": "5"}, None),
    ],
)
def test_implied_rate(props: dict[str, str], rate: Decimal | None) -> None:
    assert implied_rate(props) == rate


def test_company_ids_primary_first_and_distinct() -> None:
    v3 = [("7", "deal_to_company_unlabeled"), ("5", "deal_to_company"), ("5", "deal_to_company_unlabeled")]
    assert company_ids_v3(v3) == ("5", "7")
    assert company_ids_v3([("8", None), ("9", None)]) == ("8", "9")
    assert company_ids_v4([("7", [341]), ("5", [5, 341])]) == ("5", "7")
    assert company_ids_v4([]) == ()


def test_read_properties_adds_the_health_score_once() -> None:
    names = read_properties(["dealsync_health_score", "dealname"])
    assert names[-1] == "dealsync_health_score"
    assert names.count("dealname") == 1
    assert "hs_lastmodifieddate" in names


# -- writes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, ""),
        (True, "true"),
        (72, "72"),
        (Decimal("72.50"), "72.50"),
        (1.5, "1.5"),
        ("proposal", "proposal"),
        (Stage.PROPOSAL, "proposal"),
        (date(2024, 3, 31), "1711843200000"),
        (datetime(2024, 3, 31, 1, tzinfo=UTC), "1711846800000"),
    ],
)
def test_to_wire(value: Any, wire: str) -> None:
    assert to_wire(value) == wire


@pytest.mark.parametrize(
    ("current", "expected", "same"),
    [
        (None, None, True),
        ("", None, True),
        ("5", None, False),
        (None, "x", False),
        ("1500.00", Decimal(1500), True),
        ("1500.00", 1500, True),
        ("1500.01", Decimal(1500), False),
        ("abc", Decimal(1), False),
        ("true", True, True),
        ("false", True, False),
        ("2024-03-31T00:00:00.000Z", date(2024, 3, 31), True),
        ("2024-03-30T00:00:00.000Z", date(2024, 3, 31), False),
        ("1711843200000", datetime(2024, 3, 31, tzinfo=UTC), True),
        ("Acme ", "Acme", True),
        ("Acme", "Beta", False),
    ],
)
def test_same_value(current: str | None, expected: Any, same: bool) -> None:
    assert same_value(current, expected) is same


def test_epoch_ms_floors_to_milliseconds() -> None:
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)) == 1999
    assert epoch_ms(datetime(2024, 3, 31, 2, tzinfo=UTC_PLUS_10)) == epoch_ms(datetime(2024, 3, 30, 16, tzinfo=UTC))
