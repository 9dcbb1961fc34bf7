"""Pipelines, properties, owners, currencies, OAuth, rate limits and auth failures of the emulated HubSpot."""

from __future__ import annotations

import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.deals import BatchReadInputSimplePublicObjectId, SimplePublicObjectId
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.crm.properties import PropertyCreate
from hubspot.oauth import ApiException as OAuthApiException
from urllib3.util.retry import Retry

from dealsync.emulator import EmulatorHandle
from dealsync.emulator.faults import FaultSettings
from dealsync.emulator.hubspot.standalone import make_backend, serve
from dealsync.emulator.seed import SeedSettings, generate

pytestmark = pytest.mark.e2e

RATE_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Secondly",
)


def client(handle: EmulatorHandle) -> HubSpot:
    return HubSpot(access_token=handle.credentials.hubspot_token, host=handle.hubspot_url)


def get(handle: EmulatorHandle, path: str, **params: str) -> requests.Response:
    return requests.get(
        f"{handle.hubspot_url}{path}",
        params=params,
        timeout=10,
        headers={"Authorization": f"Bearer {handle.credentials.hubspot_token}"},
    )


def test_pipelines_get_all(emulator: EmulatorHandle) -> None:
    pipelines = client(emulator).crm.pipelines.pipelines_api.get_all(object_type="deals").results
    assert next(p.id for p in pipelines) == "default"
    default = pipelines[0]
    assert default.label == "Sales Pipeline"
    assert [s.display_order for s in default.stages] == sorted(s.display_order for s in default.stages)
    for stage in default.stages:
        assert all(isinstance(v, str) for v in stage.metadata.values())
    won = next(s for s in default.stages if s.id == "closedwon")
    assert won.metadata == {"isClosed": "true", "probability": "1.0"}


def test_pipeline_by_id_and_stages(emulator: EmulatorHandle) -> None:
    api = client(emulator).crm.pipelines
    assert api.pipelines_api.get_by_id(object_type="deals", pipeline_id="default").id == "default"
    stages = api.pipeline_stages_api.get_all(object_type="deals", pipeline_id="default").results
    assert stages[0].id == "appointmentscheduled"
    with pytest.raises(PipelinesApiException) as caught:
        api.pipelines_api.get_by_id(object_type="deals", pipeline_id="nope")
    assert caught.value.status == 404


def test_property_create_then_conflict(fresh_emulator: EmulatorHandle) -> None:
    core = client(fresh_emulator).crm.properties.core_api
    create = PropertyCreate(
        name="dealsync_health_score",
        label="Dealsync health score",
        type="number",
        field_type="number",
        group_name="dealinformation",
        description="Written by dealsync",
    )
    made = core.create(object_type="deals", property_create=create)
    assert (made.name, made.type, made.hubspot_defined) == ("dealsync_health_score", "number", False)
    with pytest.raises(PropertiesApiException) as caught:
        core.create(object_type="deals", property_create=create)
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    assert core.get_by_name(object_type="deals", property_name="dealsync_health_score").label == made.label
    names = {p.name for p in core.get_all(object_type="deals").results}
    assert {"dealname", "amount", "dealsync_health_score"} <= names


def test_property_create_requires_fields(fresh_emulator: EmulatorHandle) -> None:
    response = requests.post(
        f"{fresh_emulator.hubspot_url}/crm/v3/properties/deals",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {fresh_emulator.credentials.hubspot_token}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_owners_page(emulator: EmulatorHandle) -> None:
    owners_api = client(emulator).crm.owners.owners_api
    first = owners_api.get_page(limit=5)
    second = owners_api.get_page(limit=100, after=first.paging.next.after)
    ids = [o.id for o in first.results + second.results]
    assert set(ids) == set(emulator.state.hubspot.owners)
    assert len(ids) == len(set(ids))
    assert owners_api.get_by_id(owner_id=ids[0]).email


def test_currencies(emulator: EmulatorHandle) -> None:
    portal = emulator.state.hubspot
    assert get(emulator, "/settings/v3/currencies/company-currency").json()["id"] == portal.home_currency
    rates = get(emulator, "/settings/v3/currencies/exchange-rates", limit="100").json()["results"]
    assert {r["fromCurrencyCode"]: r["conversionRate"] for r in rates} == portal.exchange_rates
    assert all(r["toCurrencyCode"] == portal.home_currency for r in rates)
    first = get(emulator, "/settings/v3/currencies/exchange-rates", limit="1").json()
    assert len(first["results"]) == 1
    assert first["paging"]["next"]["after"]


def test_oauth_refresh_then_call(fresh_emulator: EmulatorHandle) -> None:
    credentials = fresh_emulator.credentials
    oauth = HubSpot(host=fresh_emulator.hubspot_url).oauth.tokens_api
    tokens = oauth.create(
        grant_type="refresh_token",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        refresh_token=credentials.refresh_token,
    )
    assert tokens.token_type == "bearer"
    assert tokens.expires_in == 1800
    assert tokens.refresh_token == credentials.refresh_token
    fresh = HubSpot(access_token=tokens.access_token, host=fresh_emulator.hubspot_url)
    assert fresh.crm.deals.basic_api.get_page(limit=1).results
    with pytest.raises(OAuthApiException) as caught:
        oauth.create(
            grant_type="refresh_token",
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            refresh_token="stale",
        )
    assert caught.value.status == 400
    body = json.loads(caught.value.body)
    assert (body["status"], body["error"]) == ("BAD_REFRESH_TOKEN", "invalid_grant")


def test_unknown_token_is_401(emulator: EmulatorHandle) -> None:
    hs = HubSpot(access_token="pat-na1-not-a-token", host=emulator.hubspot_url)
    with pytest.raises(DealsApiException) as caught:
        hs.crm.deals.basic_api.get_page(limit=1)
    assert caught.value.status == 401
    assert json.loads(caught.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_rate_limit_429_with_headers() -> None:
    backend = make_backend(
        generate(SeedSettings(deals=20, seed=8)), FaultSettings(profile="rate-limit", hubspot_window_limit=3)
    )
    deal_id = next(iter(backend.state.hubspot.deals))
    with serve(backend) as url:
        hs = HubSpot(access_token=backend.tokens.credentials.hubspot_token, host=url)
        for _ in range(3):
            hs.crm.deals.basic_api.get_page(limit=1)
        with pytest.raises(DealsApiException) as caught:  # urllib3 never retries a POST
            hs.crm.deals.batch_api.read(
                BatchReadInputSimplePublicObjectId(
                    properties=[], properties_with_history=[], inputs=[SimplePublicObjectId(id=deal_id)]
                )
            )
        # A GET would be retried by urllib3 after Retry-After; without retries it surfaces the 429 too.
        no_retry = HubSpot(
            access_token=backend.tokens.credentials.hubspot_token, host=url, retry=Retry(total=0, raise_on_status=False)
        )
        with pytest.raises(DealsApiException) as caught_get:
            no_retry.crm.deals.basic_api.get_page(limit=1)
    error = caught.value
    assert error.status == caught_get.value.status == 429
    body = json.loads(error.body)
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["groupName"].endswith(str(backend.state.hubspot.portal_id))
    assert all(name in error.headers for name in RATE_HEADERS)
    assert error.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert error.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert 1 <= int(error.headers["Retry-After"]) <= 10
    assert backend.stats.to_json()["rate_limited"] == {"hubspot": 2}


def test_expired_token_then_refresh() -> None:
    backend = make_backend(
        generate(SeedSettings(deals=20, seed=9)), FaultSettings(profile="expired-session", expire_after=2)
    )
    credentials = backend.tokens.credentials
    with serve(backend) as url:
        hs = HubSpot(access_token=credentials.hubspot_token, host=url)
        for _ in range(2):
            hs.crm.deals.basic_api.get_page(limit=1)
        with pytest.raises(DealsApiException) as caught:
            hs.crm.deals.basic_api.get_page(limit=1)
        tokens = hs.oauth.tokens_api.create(
            grant_type="refresh_token",
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            refresh_token=credentials.refresh_token,
        )
        hs.access_token = tokens.access_token
        assert HubSpot(access_token=tokens.access_token, host=url).crm.deals.basic_api.get_page(limit=1).results
    assert caught.value.status == 401
    body = json.loads(caught.value.body)
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert "expired" in body["message"]


def test_requests_are_counted_per_endpoint(fresh_emulator: EmulatorHandle) -> None:
    hs = client(fresh_emulator)
    hs.crm.deals.basic_api.get_page(limit=1)
    deal_id = next(iter(fresh_emulator.state.hubspot.deals))
    hs.crm.deals.basic_api.get_by_id(deal_id)
    requests.get(
        f"{fresh_emulator.hubspot_url}/crm/v3/objects/0-3/{deal_id}",
        timeout=10,
        headers={"Authorization": f"Bearer {fresh_emulator.credentials.hubspot_token}"},
    )
    counted = fresh_emulator.stats.to_json()["requests"]
    assert counted["hubspot GET /crm/v3/objects/deals"] == 1
    assert counted["hubspot GET /crm/v3/objects/deals/{objectId}"] == 2
