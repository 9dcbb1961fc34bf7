"""Unit tests of the emulated HubSpot's pieces: value formats, write validation, search matching, routing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dealsync.emulator.faults import FaultAction, FaultKind
from dealsync.emulator.hubspot import fault_responses
from dealsync.emulator.hubspot.catalog import DEALS
from dealsync.emulator.hubspot.derived import recompute
from dealsync.emulator.hubspot.errors import HubSpotError
from dealsync.emulator.hubspot.index import PortalIndex, id_key
from dealsync.emulator.hubspot.routes import find_route
from dealsync.emulator.hubspot.search import (
    compile_filter,
    matcher,
    parse_filter,
    parse_groups,
    parse_sorts,
    sort_objects,
)
from dealsync.emulator.hubspot.serialize import (
    PropertySelection,
    epoch_ms,
    format_number,
    iso_ms,
    object_json,
    parse_instant,
    wire_value,
)
from dealsync.emulator.hubspot.writes import apply, validate
from dealsync.emulator.state import HubSpotObject, HubSpotPortal

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def stage(sid: str, order: int, probability: str, closed: bool) -> dict[str, object]:
    return {
        "id": sid,
        "label": sid.title(),
        "displayOrder": order,
        "metadata": {"probability": probability, "isClosed": "true" if closed else "false"},
    }


def portal() -> HubSpotPortal:
    hub = HubSpotPortal(exchange_rates={"EUR": 1.1, "GBP": 1.25})
    hub.pipelines = [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": [
                stage("qualifiedtobuy", 1, "0.4", False),
                stage("closedwon", 5, "1.0", True),
                stage("closedlost", 6, "0.0", True),
            ],
        },
        {"id": "99", "label": "Renewals", "displayOrder": 1, "stages": [stage("501", 0, "0.3", False)]},
    ]
    hub.owners = {"77": {"id": "77", "email": "a@example.com"}}
    deals = [
        ("3", "Acme Renewal", "1000", "EUR", "2024-01-05T00:00:00.000Z"),
        ("12", "acme expansion", "250.5", None, "2024-02-01T10:00:00.000Z"),
        ("7", "Globex", None, "GBP", None),
    ]
    for deal_id, name, amount, currency, close in deals:
        hub.deals[deal_id] = HubSpotObject(
            deal_id,
            {
                "dealname": name,
                "amount": amount,
                "deal_currency_code": currency,
                "closedate": close,
                "pipeline": "default",
                "dealstage": "qualifiedtobuy",
                "hs_object_id": deal_id,
                "createdate": iso_ms(T0),
                "hs_lastmodifieddate": iso_ms(T0),
            },
            T0,
            T0,
        )
    return hub


def test_formats() -> None:
    assert iso_ms(T0) == "2024-03-01T12:00:00.123Z"
    assert epoch_ms("1704067200000") == epoch_ms("2024-01-01T00:00:00Z") == epoch_ms("2024-01-01")
    assert parse_instant("2024-01-01T01:00:00+01:00") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_instant("yesterday") is None
    assert [format_number(v) for v in (1500.0, 1234.5, 0.1 + 0.2, -0.0)] == ["1500", "1234.5", "0.3", "0"]
    assert [wire_value(v) for v in (True, 12, 1.5, None, "x")] == ["true", "12", "1.5", None, "x"]


def test_selection_keeps_known_nulls_and_fills_system_values() -> None:
    deal = portal().deals["7"]
    deal.properties.pop("hs_object_id")
    body = object_json(deal, PropertySelection(["amount", "hs_object_id"], ["custom_thing"]))
    assert body["properties"] == {"amount": None, "hs_object_id": "7"}
    assert body["createdAt"] == "2024-03-01T12:00:00.123Z"
    assert body["archived"] is False


def test_validate_reports_each_kind_of_problem() -> None:
    hub = portal()
    values, problems = validate(
        hub,
        hub.deals["3"],
        {
            "amount": "12k",
            "nope": "1",
            "hs_object_id": "9",
            "createdate": "2024-01-01",
            "closedate": "soon",
            "dealstage": "501",
            "deal_currency_code": "JPY",
            "hubspot_owner_id": "78",
            "dealname": "ok",
        },
    )
    assert values == {"dealname": "ok"}
    assert {p["name"]: p["error"] for p in problems} == {
        "amount": "INVALID_FLOAT",
        "nope": "PROPERTY_DOESNT_EXIST",
        "hs_object_id": "READ_ONLY_VALUE",
        "createdate": "READ_ONLY_VALUE",
        "closedate": "INVALID_DATE",
        "dealstage": "INVALID_OPTION",
        "deal_currency_code": "INVALID_OPTION",
        "hubspot_owner_id": "INVALID_OPTION",
    }


def test_validate_normalises_values_and_checks_stage_in_new_pipeline() -> None:
    hub = portal()
    values, problems = validate(
        hub,
        hub.deals["3"],
        {"amount": 99, "closedate": "1704067200000", "pipeline": "99", "dealstage": "501", "description": ""},
    )
    assert problems == []
    assert values == {
        "amount": "99",
        "closedate": "2024-01-01T00:00:00.000Z",
        "pipeline": "99",
        "dealstage": "501",
        "description": None,
    }


def test_recompute_follows_currency_and_stage() -> None:
    hub = portal()
    props = {**hub.deals["3"].properties, "dealstage": "closedwon"}
    derived = recompute(hub, props, {"dealstage"})
    assert derived["hs_is_closed_won"] == "true"
    assert derived["hs_deal_stage_probability"] == "1.0"
    assert derived["amount_in_home_currency"] == "1100"
    assert recompute(hub, props, {"dealname"}) == {}


def test_apply_stamps_history_and_invalidates_searches() -> None:
    hub = portal()
    index = PortalIndex(hub)
    index.search("k", DEALS, lambda: ["3"])
    deal = hub.deals["3"]
    apply(index, deal, {"amount": "2000"}, datetime(2024, 5, 1, tzinfo=UTC))
    assert deal.properties["amount"] == "2000"
    assert deal.properties["amount_in_home_currency"] == "2200"
    assert deal.properties["hs_lastmodifieddate"] == "2024-05-01T00:00:00.000Z"
    assert deal.history["amount"][0] == {
        "value": "2000",
        "timestamp": "2024-05-01T00:00:00.000Z",
        "sourceType": "INTEGRATION",
        "sourceId": "emulator-private-app",
    }
    assert index.search("k", DEALS, lambda: ["fresh"]) == ["fresh"]


def ids_matching(hub: HubSpotPortal, *filters: dict[str, object]) -> list[str]:
    predicate = matcher(hub, DEALS, [[parse_filter(f) for f in filters]], "")
    return sorted((i for i, d in hub.deals.items() if predicate(d)), key=id_key)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"propertyName": "dealname", "operator": "EQ", "value": "ACME RENEWAL"}], ["3"]),
        ([{"propertyName": "amount", "operator": "GT", "value": "300"}], ["3"]),
        ([{"propertyName": "amount", "operator": "LTE", "value": 1000}], ["3", "12"]),
        ([{"propertyName": "amount", "operator": "NEQ", "value": "1000"}], ["7", "12"]),
        ([{"propertyName": "amount", "operator": "BETWEEN", "value": "200", "highValue": "300"}], ["12"]),
        ([{"propertyName": "deal_currency_code", "operator": "IN", "values": ["eur", "gbp"]}], ["3", "7"]),
        ([{"propertyName": "deal_currency_code", "operator": "NOT_IN", "values": ["EUR"]}], ["7", "12"]),
        ([{"propertyName": "amount", "operator": "HAS_PROPERTY"}], ["3", "12"]),
        ([{"propertyName": "closedate", "operator": "NOT_HAS_PROPERTY"}], ["7"]),
        ([{"propertyName": "closedate", "operator": "GTE", "value": "2024-01-10"}], ["12"]),
        ([{"propertyName": "closedate", "operator": "LT", "value": "1704412800001"}], ["3"]),
        ([{"propertyName": "dealname", "operator": "CONTAINS_TOKEN", "value": "exp*"}], ["12"]),
        ([{"propertyName": "dealname", "operator": "NOT_CONTAINS_TOKEN", "value": "acme"}], ["7"]),
        (
            [
                {"propertyName": "hs_object_id", "operator": "EQ", "value": "12"},
                {"propertyName": "dealstage", "operator": "EQ", "value": "qualifiedtobuy"},
            ],
            ["12"],
        ),
    ],
)
def test_filter_operators(filters: list[dict[str, object]], expected: list[str]) -> None:
    assert ids_matching(portal(), *filters) == expected


def test_groups_are_ored_and_archived_never_match() -> None:
    hub = portal()
    hub.deals["7"].archived = True
    groups = parse_groups(
        [
            {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": "3"}]},
            {"filters": [{"propertyName": "hs_object_id", "operator": "IN", "values": ["7", "12"]}]},
        ]
    )
    predicate = matcher(hub, DEALS, groups, "")
    assert sorted(i for i, d in hub.deals.items() if predicate(d)) == ["12", "3"]
    free_text = matcher(hub, DEALS, [], "acme exp")
    assert [i for i, d in hub.deals.items() if free_text(d)] == ["12"]


@pytest.mark.parametrize(
    "groups",
    [
        [{"filters": []}] * 6,
        [{"filters": [{"propertyName": "amount", "operator": "HAS_PROPERTY"}] * 7}],
        [{"filters": [{"propertyName": "amount", "operator": "HAS_PROPERTY"}] * 5}] * 4,
        [{"filters": [{"propertyName": "amount", "operator": "LIKE", "value": "1"}]}],
        [{"filters": [{"propertyName": "amount", "operator": "BETWEEN", "value": "1"}]}],
        [{"filters": [{"propertyName": "amount", "operator": "IN"}]}],
    ],
)
def test_invalid_filter_groups_are_400(groups: list[dict[str, object]]) -> None:
    with pytest.raises(HubSpotError) as caught:
        parse_groups(groups)
    assert caught.value.status == 400
    assert caught.value.category == "VALIDATION_ERROR"


def test_bad_filter_value_is_400() -> None:
    with pytest.raises(HubSpotError):
        compile_filter(portal(), DEALS, parse_filter({"propertyName": "amount", "operator": "GT", "value": "x"}))


def test_sorts_put_missing_last_and_break_ties_by_id() -> None:
    hub = portal()
    hub.deals["12"].properties["amount"] = "1000"
    ordered = [hub.deals[i] for i in sorted(hub.deals, key=id_key)]
    assert parse_sorts(["-amount", {"propertyName": "dealname", "direction": "ASCENDING"}]) == [
        ("amount", True),
        ("dealname", False),
    ]
    ascending = sort_objects(hub, DEALS, ordered, [("amount", False)])
    descending = sort_objects(hub, DEALS, ordered, [("amount", True)])
    assert [d.id for d in ascending] == ["3", "12", "7"]
    assert [d.id for d in descending] == ["3", "12", "7"]
    by_name = sort_objects(hub, DEALS, ordered, [("dealname", True)])
    assert [d.id for d in by_name] == ["7", "3", "12"]  # globex, acme renewal, acme expansion


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", "/crm/v3/objects/0-3", "GET /crm/v3/objects/deals"),
        ("GET", "/crm/v3/objects/companies/55", "GET /crm/v3/objects/companies/{objectId}"),
        ("POST", "/crm/v3/objects/deals/search", "POST /crm/v3/objects/deals/search"),
        ("POST", "/crm/v3/objects/deals/batch/update", "POST /crm/v3/objects/deals/batch/update"),
        ("PATCH", "/crm/v3/objects/deals/55", "PATCH /crm/v3/objects/deals/{objectId}"),
        (
            "POST",
            "/crm/v4/associations/deal/company/batch/read",
            "POST /crm/v4/associations/deals/companies/batch/read",
        ),
        ("GET", "/crm/v3/pipelines/deals/default/stages", "GET /crm/v3/pipelines/deals/{pipelineId}/stages"),
        ("GET", "/settings/currencies/2026-03/company-currency", "GET /settings/currencies/2026-03/company-currency"),
    ],
)
def test_routes_and_endpoint_keys(method: str, path: str, key: str) -> None:
    found = find_route(method, path)
    assert found.route is not None
    assert found.key == key


def test_unknown_routes() -> None:
    assert find_route("DELETE", "/crm/v3/objects/deals").path_known
    assert find_route("PATCH", "/crm/v3/objects/companies/1").route is None
    assert not find_route("GET", "/crm/v2/whatever").path_known
    assert find_route("POST", "/oauth/v1/token").route.public  # type: ignore[union-attr]
    assert find_route("POST", "/crm/v3/objects/companies/search").route.search  # type: ignore[union-attr]


def rendered(action: FaultAction) -> tuple[int, dict[str, object], dict[str, str]]:
    response = fault_responses.render(action, 123)
    return response.status_code, json.loads(response.get_data()), dict(response.headers)


def test_fault_bodies() -> None:
    status, body, headers = rendered(FaultAction(FaultKind.RATE_LIMIT, retry_after=2.2, policy="SECONDLY"))
    assert status == 429
    assert headers["Retry-After"] == "3"
    assert body["policyName"] == "SECONDLY"
    assert body["groupName"] == "publicapi:private-app-search-api-calls-secondly:123"
    assert headers["x-hubspot-correlation-id"] == body["correlationId"]
    status, body, headers = rendered(FaultAction(FaultKind.UNAUTHENTICATED))
    assert (status, body["category"], headers["x-hubspot-auth-failure"]) == (
        401,
        "INVALID_AUTHENTICATION",
        "401 Unauthorized",
    )
    status, body, _ = rendered(FaultAction(FaultKind.EXPIRED_SESSION))
    assert (status, body["category"]) == (401, "EXPIRED_AUTHENTICATION")
    status, body, _ = rendered(FaultAction(FaultKind.SERVER_ERROR, status=502))
    assert (status, body["status"], body["message"]) == (502, "error", "internal error")
