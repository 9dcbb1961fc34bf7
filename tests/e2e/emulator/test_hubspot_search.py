"""The emulated HubSpot search API through the real hubspot-api-client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hubspot import HubSpot
from hubspot.crm.deals import ApiException, PublicObjectSearchRequest

from dealsync.emulator import EmulatorHandle
from dealsync.emulator.backend import Backend
from dealsync.emulator.faults import FaultSettings
from dealsync.emulator.hubspot.serialize import iso_ms
from dealsync.emulator.hubspot.standalone import make_backend, serve
from dealsync.emulator.seed import SeedSettings, generate
from dealsync.emulator.state import HubSpotObject

pytestmark = pytest.mark.e2e


def client(handle: EmulatorHandle) -> HubSpot:
    return HubSpot(access_token=handle.credentials.hubspot_token, host=handle.hubspot_url)


def epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_search_filters_sorts_and_pages(emulator: EmulatorHandle) -> None:
    deals = emulator.state.hubspot.deals
    stamps = sorted(d.updated_at for d in deals.values())
    since = stamps[len(stamps) // 3]
    expected = {
        i
        for i, d in deals.items()
        if not d.archived and d.updated_at >= since and d.properties["pipeline"] == "default"
    }
    filters = [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": epoch_ms(since)},
        {"propertyName": "pipeline", "operator": "EQ", "value": "default"},
    ]
    hs, seen, pages = client(emulator), [], 0
    after: str | None = "0"
    while after is not None:
        page = hs.crm.deals.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(
                filter_groups=[{"filters": filters}],
                sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                properties=["dealname", "amount", "pipeline"],
                limit=50,
                after=after,
            )
        )
        assert page.total == len(expected)
        seen.extend(page.results)
        pages += 1
        after = page.paging.next.after if page.paging else None
    assert [r.id for r in seen]
    assert len(seen) == len({r.id for r in seen})
    assert {r.id for r in seen} == expected
    assert pages == -(-len(expected) // 50)
    modified = [r.properties["hs_lastmodifieddate"] for r in seen]
    assert modified == sorted(modified)
    assert set(seen[0].properties) == {
        "dealname",
        "amount",
        "pipeline",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }


def test_search_defaults_or_groups_and_descending_strings(emulator: EmulatorHandle) -> None:
    deals = emulator.state.hubspot.deals
    result = client(emulator).crm.deals.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]},
                {"filters": [{"propertyName": "dealstage", "operator": "IN", "values": ["closedlost", "1234569"]}]},
            ],
            sorts=["-createdate"],
            limit=200,
        )
    )
    expected = {
        i
        for i, d in deals.items()
        if not d.archived and d.properties["dealstage"] in ("closedwon", "closedlost", "1234569")
    }
    assert result.total == len(expected)
    assert set(result.results[0].properties) == {"createdate", "dealname", "hs_lastmodifieddate", "hs_object_id"}
    created = [r.properties["createdate"] for r in result.results]
    assert created == sorted(created, reverse=True)


def test_search_never_returns_archived(emulator: EmulatorHandle) -> None:
    archived = next(i for i, d in emulator.state.hubspot.deals.items() if d.archived)
    result = client(emulator).crm.deals.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": archived}]}]
        )
    )
    assert result.total == 0
    assert result.results == []
    assert result.paging is None


def test_search_limit_over_200_is_400(emulator: EmulatorHandle) -> None:
    with pytest.raises(ApiException) as caught:
        client(emulator).crm.deals.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(limit=201)
        )
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def big_portal_backend(extra: int) -> Backend:
    state = generate(SeedSettings(deals=20, seed=2))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(extra):
        deal_id = str(20_000_000_000 + n)
        moment = start + timedelta(minutes=n)
        state.hubspot.deals[deal_id] = HubSpotObject(
            deal_id,
            {
                "dealname": f"Bulk deal {n}",
                "amount": str(1000 + n),
                "pipeline": "default",
                "dealstage": "appointmentscheduled",
                "createdate": iso_ms(moment),
                "hs_lastmodifieddate": iso_ms(moment),
                "hs_object_id": deal_id,
            },
            moment,
            moment,
        )
    return make_backend(state)


@pytest.fixture(scope="module")
def big_portal() -> Iterator[tuple[str, Backend]]:
    backend = big_portal_backend(10_050)
    with serve(backend) as url:
        yield url, backend


def test_search_cannot_page_past_10000(big_portal: tuple[str, Backend]) -> None:
    url, backend = big_portal
    hs = HubSpot(access_token=backend.tokens.credentials.hubspot_token, host=url)
    live = sum(not d.archived for d in backend.state.hubspot.deals.values())
    last = hs.crm.deals.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(limit=100, after="9900")
    )
    assert last.total == live > 10_000
    assert len(last.results) == 100
    assert last.paging.next.after == "10000"
    with pytest.raises(ApiException) as caught:
        hs.crm.deals.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(limit=100, after="10000")
        )
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_search_rate_limit_is_secondly() -> None:
    backend = make_backend(
        generate(SeedSettings(deals=20, seed=4)), FaultSettings(profile="rate-limit", hubspot_search_per_second=2)
    )
    with serve(backend) as url:
        hs = HubSpot(access_token=backend.tokens.credentials.hubspot_token, host=url)
        request = PublicObjectSearchRequest(limit=5)
        for _ in range(2):
            hs.crm.deals.search_api.do_search(public_object_search_request=request)
        with pytest.raises(ApiException) as caught:
            hs.crm.deals.search_api.do_search(public_object_search_request=request)
        hs.crm.deals.basic_api.get_page(limit=5)  # the general window is separate
    assert caught.value.status == 429
    body = json.loads(caught.value.body)
    assert (body["policyName"], body["message"]) == ("SECONDLY", "You have reached your secondly limit.")
