"""Edge cases of the emulated HubSpot endpoints, driven in-process through the WSGI app (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from dealsync.emulator.backend import Backend
from dealsync.emulator.hubspot.app import HubSpotApp
from dealsync.emulator.hubspot.standalone import make_backend
from dealsync.emulator.seed import SeedSettings, generate
from dealsync.emulator.wsgi import EmulatorWsgi


@pytest.fixture(scope="module")
def backend() -> Backend:
    return make_backend(generate(SeedSettings(deals=80, seed=21)))


@pytest.fixture(scope="module")
def http(backend: Backend) -> Client:
    return Client(EmulatorWsgi(HubSpotApp(backend), backend))


def auth(backend: Backend) -> dict[str, str]:
    return {"Authorization": f"Bearer {backend.tokens.credentials.hubspot_token}"}


def call(http: Client, backend: Backend, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = http.open(path, method=method, headers=auth(backend), **kwargs)
    return response.status_code, response.get_json(silent=True)


def token_form(backend: Backend, **overrides: str) -> dict[str, str]:
    credentials = backend.tokens.credentials
    form = {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"client_id": "nope"}, "BAD_CLIENT_ID"),
        ({"client_secret": "nope"}, "BAD_CLIENT_SECRET"),
        ({"grant_type": "password"}, "BAD_GRANT_TYPE"),
        ({"grant_type": "authorization_code"}, "BAD_AUTH_CODE"),
    ],
)
def test_oauth_refusals(http: Client, backend: Backend, overrides: dict[str, str], status: str) -> None:
    response = http.post("/oauth/v1/token", data=token_form(backend, **overrides))
    assert response.status_code == 400
    assert response.get_json()["status"] == status


def test_oauth_authorization_code_and_token_info(http: Client, backend: Backend) -> None:
    form = token_form(backend, grant_type="authorization_code", code="abc", redirect_uri="http://localhost/cb")
    issued = http.post("/oauth/v1/token", data=form).get_json()
    assert issued["hub_id"] == backend.state.hubspot.portal_id
    info = http.get(f"/oauth/v1/access-tokens/{issued['access_token']}")
    assert info.status_code == 200
    assert info.get_json()["hub_id"] == backend.state.hubspot.portal_id
    assert http.get("/oauth/v1/access-tokens/unknown").status_code == 404


def test_unrouted_and_wrong_method(http: Client, backend: Backend) -> None:
    status, body = call(http, backend, "GET", "/crm/v3/objects/tickets")
    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert call(http, backend, "PUT", "/crm/v3/objects/deals/1")[0] == 405


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/crm/v3/objects/deals?archived=maybe", {}),
        ("GET", "/crm/v3/objects/deals?limit=ten", {}),
        ("GET", "/crm/v3/objects/deals?limit=0", {}),
        ("POST", "/crm/v3/objects/deals/batch/read", {"data": "{not json", "content_type": "application/json"}),
        ("POST", "/crm/v3/objects/deals/batch/read", {"json": []}),
        ("POST", "/crm/v3/objects/deals/batch/read", {"json": {"inputs": {}}}),
        ("POST", "/crm/v3/objects/deals/batch/read", {"json": {"inputs": [{}]}}),
        ("POST", "/crm/v3/objects/deals/batch/read", {"json": {"inputs": [], "properties": "dealname"}}),
        ("POST", "/crm/v3/objects/deals/batch/update", {"json": {"inputs": [{"id": "1"}]}}),
        ("POST", "/crm/v3/objects/deals/batch/update", {"json": {"inputs": "x"}}),
        ("POST", "/crm/v3/objects/deals/batch/update", {"json": {"inputs": [{"properties": {}}]}}),
        (
            "POST",
            "/crm/v3/objects/deals/batch/update",
            {"json": {"inputs": [{"id": "1", "properties": {}}, {"id": "1", "properties": {}}]}},
        ),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"after": "x"}}),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"after": "-5"}}),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"filterGroups": {}}}),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"sorts": [{"propertyName": "amount", "direction": "UP"}]}}),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"sorts": [5]}}),
        ("POST", "/crm/v3/objects/deals/search", {"json": {"filterGroups": [{"filters": [{"operator": "EQ"}]}]}}),
        ("POST", "/crm/v4/associations/deals/tickets/batch/read", {"json": {"inputs": []}}),
        ("GET", "/crm/v3/pipelines/widgets", {}),
        ("GET", "/crm/v3/properties/widgets", {}),
        ("POST", "/crm/v3/properties/companies", {"json": {}}),
    ],
)
def test_validation_errors(http: Client, backend: Backend, method: str, path: str, kwargs: dict[str, Any]) -> None:
    status, body = call(http, backend, method, path, **kwargs)
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["status"] == "error"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bad Name", "label": "x", "type": "string", "fieldType": "text", "groupName": "dealinformation"},
        {"name": "ok_name", "label": "x", "type": "text", "fieldType": "text", "groupName": "dealinformation"},
        {"name": "ok_name", "label": "x", "type": "string", "fieldType": "dropdown", "groupName": "dealinformation"},
    ],
)
def test_property_create_validation(http: Client, backend: Backend, body: dict[str, str]) -> None:
    assert call(http, backend, "POST", "/crm/v3/properties/deals", json=body)[0] == 400


def test_enumeration_property_with_options(http: Client, backend: Backend) -> None:
    created = {
        "name": "dealsync_tier",
        "label": "Tier",
        "type": "enumeration",
        "fieldType": "select",
        "groupName": "dealinformation",
        "options": [{"label": "Gold", "value": "gold"}],
    }
    status, body = call(http, backend, "POST", "/crm/v3/properties/deals", json=created)
    assert status == 201
    assert body["options"][0]["value"] == "gold"
    deal_id = next(i for i, d in backend.state.hubspot.deals.items() if not d.archived)
    path = f"/crm/v3/objects/deals/{deal_id}"
    bad = call(http, backend, "PATCH", path, json={"properties": {"dealsync_tier": "tin"}})
    assert bad[0] == 400
    assert "INVALID_OPTION" in bad[1]["message"]
    good = call(http, backend, "PATCH", path, json={"properties": {"dealsync_tier": "gold"}})
    assert good[1]["properties"]["dealsync_tier"] == "gold"
    assert call(http, backend, "PATCH", "/crm/v3/objects/deals/1", json={"properties": {}})[0] == 404
    assert call(http, backend, "PATCH", path, json={"properties": []})[0] == 400


def test_property_reads(http: Client, backend: Backend) -> None:
    status, body = call(http, backend, "GET", "/crm/v3/properties/deals/amount")
    assert (status, body["type"]) == (200, "number")
    assert call(http, backend, "GET", "/crm/v3/properties/deals/nope")[0] == 404
    status, body = call(http, backend, "GET", "/crm/v3/properties/companies")
    assert {"name", "domain"} <= {p["name"] for p in body["results"]}


def test_pipeline_stage_reads(http: Client, backend: Backend) -> None:
    status, body = call(http, backend, "GET", "/crm/v3/pipelines/deals/default/stages/closedwon")
    assert (status, body["metadata"]["isClosed"]) == (200, "true")
    assert call(http, backend, "GET", "/crm/v3/pipelines/deals/default/stages/nope")[0] == 404
    assert call(http, backend, "GET", "/crm/v3/pipelines/tickets")[1] == {"results": []}


def test_companies_side_of_associations(http: Client, backend: Backend) -> None:
    deal_id, companies = next(iter(backend.state.hubspot.deal_companies.items()))
    company = companies[0]
    status, body = call(http, backend, "GET", f"/crm/v3/objects/companies/{company}?associations=deals")
    assert status == 200
    assert deal_id in [a["id"] for a in body["associations"]["deals"]["results"]]
    assert body["associations"]["deals"]["results"][0]["type"] == "company_to_deal"
    status, body = call(http, backend, "GET", f"/crm/v4/objects/deals/{deal_id}/associations/companies")
    assert body["results"][0]["toObjectId"] == int(company)
    status, body = call(
        http, backend, "POST", "/crm/v4/associations/companies/deals/batch/read", json={"inputs": [{"id": company}]}
    )
    assert status == 200
    assert body["results"][0]["to"][0]["associationTypes"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 342, "label": None}
    ]


def test_companies_list_and_search(http: Client, backend: Backend) -> None:
    status, body = call(http, backend, "GET", "/crm/v3/objects/companies?limit=5")
    assert status == 200
    assert set(body["results"][0]["properties"]) == {
        "createdate",
        "domain",
        "hs_lastmodifieddate",
        "hs_object_id",
        "name",
    }
    name = body["results"][0]["properties"]["name"]
    status, found = call(
        http,
        backend,
        "POST",
        "/crm/v3/objects/companies/search",
        json={"filterGroups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": name.upper()}]}]},
    )
    assert body["results"][0]["id"] in [r["id"] for r in found["results"]]


def test_history_and_id_property_lookups(http: Client, backend: Backend) -> None:
    deal_id, deal = next((i, d) for i, d in backend.state.hubspot.deals.items() if d.properties.get("dealname"))
    status, body = call(
        http, backend, "GET", f"/crm/v3/objects/deals/{deal_id}?propertiesWithHistory=dealname,pipeline"
    )
    assert body["propertiesWithHistory"]["dealname"][0]["value"] == deal.properties["dealname"]
    status, body = call(
        http,
        backend,
        "GET",
        f"/crm/v3/objects/deals/{deal.properties['dealname']}",
        query_string={"idProperty": "dealname"},
    )
    assert (status, body["id"]) == (200, deal_id)
    status, body = call(http, backend, "GET", "/crm/v3/objects/deals/abc")
    assert "usually numeric" in body["message"]
    status, body = call(http, backend, "GET", "/crm/v3/objects/deals?limit=100&propertiesWithHistory=amount")
    assert len(body["results"]) == 50


def test_owner_lookups(http: Client, backend: Backend) -> None:
    owner = next(iter(backend.state.hubspot.owners.values()))
    status, body = call(http, backend, "GET", f"/crm/v3/owners/{owner['userId']}?idProperty=userId")
    assert (status, body["id"]) == (200, owner["id"])
    assert call(http, backend, "GET", "/crm/v3/owners/1")[0] == 404
    status, body = call(http, backend, "GET", f"/crm/v3/owners?email={owner['email'].upper()}")
    assert [o["id"] for o in body["results"]] == [owner["id"]]


def test_currency_filters_and_current(http: Client, backend: Backend) -> None:
    _, body = call(http, backend, "GET", "/settings/currencies/2026-03/exchange-rates?fromCurrencyCode=EUR")
    assert [r["fromCurrencyCode"] for r in body["results"]] == ["EUR"]
    _, body = call(http, backend, "GET", "/settings/v3/currencies/exchange-rates?after=bogus")
    assert body["results"] == []
    _, body = call(http, backend, "GET", "/settings/v3/currencies/exchange-rates/current")
    assert len(body["results"]) == len(backend.state.hubspot.exchange_rates)


def test_state_swap_rebuilds_the_index(backend: Backend) -> None:
    app = HubSpotApp(backend)
    first = app.index()
    assert app.index() is first
    original = backend.state
    backend.state = generate(SeedSettings(deals=10, seed=1))
    try:
        assert app.index() is not first
        assert app.index().portal is backend.state.hubspot
    finally:
        backend.state = original
