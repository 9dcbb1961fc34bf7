"""The emulated HubSpot objects API (deals, companies, associations) through the real hubspot-api-client."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies import BatchReadInputSimplePublicObjectId as CompanyBatchRead
from hubspot.crm.companies import SimplePublicObjectId as CompanyId
from hubspot.crm.deals import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
    SimplePublicObjectInput,
)

from dealsync.emulator import EmulatorHandle
from dealsync.emulator.backend import Backend
from dealsync.emulator.faults import FaultSettings
from dealsync.emulator.hubspot.standalone import make_backend, serve
from dealsync.emulator.seed import SeedSettings, generate

pytestmark = pytest.mark.e2e

DEFAULT_PROPERTIES = {
    "amount",
    "closedate",
    "createdate",
    "dealname",
    "dealstage",
    "hs_lastmodifieddate",
    "hs_object_id",
    "pipeline",
}


def client(handle: EmulatorHandle) -> HubSpot:
    return HubSpot(access_token=handle.credentials.hubspot_token, host=handle.hubspot_url)


def all_pages(hs: HubSpot, **kwargs: object) -> tuple[list[Any], int]:
    results: list[Any] = []
    pages, after = 0, None
    while True:
        page = hs.crm.deals.basic_api.get_page(limit=100, after=after, **kwargs)
        pages += 1
        results.extend(page.results)
        if page.paging is None or page.paging.next is None:
            return results, pages
        after = page.paging.next.after


def error_body(exc: Exception) -> dict[str, Any]:
    body = json.loads(getattr(exc, "body", "") or "{}")
    assert isinstance(body, dict)
    return body


def batch_input(*pairs: tuple[str, dict[str, str]]) -> BatchInputSimplePublicObjectBatchInput:
    return BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties=p) for i, p in pairs]
    )


def test_get_page_returns_every_live_deal_once(emulator: EmulatorHandle) -> None:
    live = {i for i, d in emulator.state.hubspot.deals.items() if not d.archived}
    results, pages = all_pages(client(emulator))
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids)) == len(live)
    assert set(ids) == live
    assert pages == math.ceil(len(live) / 100)
    assert ids == sorted(ids, key=int)
    for deal in results:
        assert set(deal.properties) == DEFAULT_PROPERTIES
        assert all(v is None or isinstance(v, str) for v in deal.properties.values())
        assert deal.properties["hs_object_id"] == deal.id
        assert deal.created_at.tzinfo is not None
        assert not deal.archived


def test_requested_properties_come_back_with_nulls(emulator: EmulatorHandle) -> None:
    page = client(emulator).crm.deals.basic_api.get_page(
        limit=100, properties=["dealname", "description", "deal_currency_code", "no_such_property"]
    )
    for deal in page.results:
        assert set(deal.properties) == {
            "dealname",
            "description",
            "deal_currency_code",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        }
    assert any(d.properties["description"] is None for d in page.results)
    assert page.paging.next.after
    assert page.paging.next.link.startswith(emulator.hubspot_url)


def test_archived_paging_returns_only_archived_deals(emulator: EmulatorHandle) -> None:
    archived = {i for i, d in emulator.state.hubspot.deals.items() if d.archived}
    assert archived
    results, _ = all_pages(client(emulator), archived=True)
    assert {r.id for r in results} == archived
    assert all(r.archived and r.archived_at is not None for r in results)


def test_query_accepts_comma_separated_properties_and_lowercase_booleans(emulator: EmulatorHandle) -> None:
    response = requests.get(
        f"{emulator.hubspot_url}/crm/v3/objects/deals",
        params={"limit": "3", "properties": "dealname,amount", "archived": "false"},
        headers={"Authorization": f"Bearer {emulator.credentials.hubspot_token}"},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 3
    assert {"dealname", "amount"} <= set(body["results"][0]["properties"])
    assert body["paging"]["next"]["after"]


def test_limit_over_100_is_a_validation_error(emulator: EmulatorHandle) -> None:
    with pytest.raises(ApiException) as caught:
        client(emulator).crm.deals.basic_api.get_page(limit=101)
    assert caught.value.status == 400
    body = error_body(caught.value)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]
    assert caught.value.headers["x-hubspot-correlation-id"] == body["correlationId"]


def test_get_by_id_and_unknown_id(emulator: EmulatorHandle) -> None:
    hs = client(emulator)
    deal_id = next(i for i, d in emulator.state.hubspot.deals.items() if not d.archived)
    deal = hs.crm.deals.basic_api.get_by_id(deal_id, properties=["dealname"], properties_with_history=["dealstage"])
    assert deal.properties["dealname"] == emulator.state.hubspot.deals[deal_id].properties["dealname"]
    assert (
        deal.properties_with_history["dealstage"][0].value
        == (emulator.state.hubspot.deals[deal_id].properties["dealstage"])
    )
    with pytest.raises(ApiException) as caught:
        hs.crm.deals.basic_api.get_by_id("123")
    assert caught.value.status == 404
    assert error_body(caught.value)["category"] == "OBJECT_NOT_FOUND"


def test_list_embeds_company_associations(emulator: EmulatorHandle) -> None:
    links = emulator.state.hubspot.deal_companies
    page = client(emulator).crm.deals.basic_api.get_page(limit=100, associations=["companies"])
    with_companies = [d for d in page.results if d.id in links]
    assert with_companies
    for deal in with_companies:
        found = deal.associations["companies"].results
        assert [a.id for a in found] == links[deal.id]
        assert found[0].type == "deal_to_company"
    assert all(d.associations is None for d in page.results if d.id not in links)


def test_batch_update_reports_unknown_ids_and_applies_the_rest(fresh_emulator: EmulatorHandle) -> None:
    hs, portal = client(fresh_emulator), fresh_emulator.state.hubspot
    first, second = [i for i, d in portal.deals.items() if not d.archived][:2]
    before = portal.deals[first].properties["hs_lastmodifieddate"]
    currency = portal.deals[second].properties.get("deal_currency_code") or portal.home_currency
    result = hs.crm.deals.batch_api.update(
        batch_input(
            (first, {"amount": "4321.5", "dealname": "Renamed by test"}),
            (second, {"amount": "1000"}),
            ("999999", {"amount": "1"}),
        )
    )
    assert result.status == "COMPLETE"
    assert result.num_errors == 1
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["999999"]}
    assert {r.id for r in result.results} == {first, second}
    read = hs.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            properties=["amount", "dealname", "amount_in_home_currency"],
            properties_with_history=["amount"],
            inputs=[SimplePublicObjectId(id=first), SimplePublicObjectId(id=second)],
        )
    )
    by_id = {r.id: r for r in read.results}
    assert by_id[first].properties["amount"] == "4321.5"
    assert by_id[first].properties["dealname"] == "Renamed by test"
    assert by_id[first].properties["hs_lastmodifieddate"] > before
    assert by_id[first].properties_with_history["amount"][0].value == "4321.5"
    assert by_id[first].properties_with_history["amount"][0].source_type == "INTEGRATION"
    rate = 1.0 if currency == portal.home_currency else portal.exchange_rates[currency]
    assert float(by_id[second].properties["amount_in_home_currency"]) == pytest.approx(1000 * rate, abs=0.01)
    assert fresh_emulator.stats.to_json()["writes"] == {"hubspot": 2}


def test_batch_update_rejects_invalid_properties(fresh_emulator: EmulatorHandle) -> None:
    hs, portal = client(fresh_emulator), fresh_emulator.state.hubspot
    first, second, third = [i for i, d in portal.deals.items() if not d.archived][:3]
    amount = portal.deals[first].properties["amount"]
    result = hs.crm.deals.batch_api.update(
        batch_input(
            (first, {"amount": "12 thousand"}), (second, {"no_such_property": "x"}), (third, {"hs_object_id": "1"})
        )
    )
    assert result.num_errors == 3
    assert result.results == []
    messages = " ".join(e.message for e in result.errors)
    assert all(e.category == "VALIDATION_ERROR" for e in result.errors)
    assert "Property values were not valid" in messages
    for code in ("INVALID_FLOAT", "PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE"):
        assert code in messages
    assert portal.deals[first].properties["amount"] == amount


def test_batch_update_over_100_inputs_is_400(fresh_emulator: EmulatorHandle) -> None:
    deal_id = next(iter(fresh_emulator.state.hubspot.deals))
    with pytest.raises(ApiException) as caught:
        client(fresh_emulator).crm.deals.batch_api.update(batch_input(*[(deal_id, {"amount": "1"})] * 101))
    assert caught.value.status == 400


def test_patch_moves_stage_and_recomputes_closed_flags(fresh_emulator: EmulatorHandle) -> None:
    hs, portal = client(fresh_emulator), fresh_emulator.state.hubspot
    deal_id = next(
        i
        for i, d in portal.deals.items()
        if not d.archived and d.properties["pipeline"] == "default" and d.properties["hs_is_closed"] == "false"
    )
    updated = hs.crm.deals.basic_api.update(deal_id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    assert updated.properties["dealstage"] == "closedwon"
    props = portal.deals[deal_id].properties
    assert (props["hs_is_closed"], props["hs_is_closed_won"], props["hs_deal_stage_probability"]) == (
        "true",
        "true",
        "1.0",
    )
    with pytest.raises(ApiException) as caught:
        hs.crm.deals.basic_api.update(deal_id, SimplePublicObjectInput(properties={"dealstage": "1234568"}))
    assert caught.value.status == 400
    assert "INVALID_OPTION" in error_body(caught.value)["message"]


def test_companies_batch_read_reports_missing(emulator: EmulatorHandle) -> None:
    companies = emulator.state.hubspot.companies
    wanted = list(companies)[:3]
    result = client(emulator).crm.companies.batch_api.read(
        CompanyBatchRead(
            properties=["name", "domain"], properties_with_history=[], inputs=[CompanyId(id=i) for i in [*wanted, "42"]]
        )
    )
    assert {r.id: r.properties["name"] for r in result.results} == {i: companies[i].properties["name"] for i in wanted}
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["42"]}
    assert "COMPANY objects" in result.errors[0].message


def test_associations_v4_batch_read(emulator: EmulatorHandle) -> None:
    links = emulator.state.hubspot.deal_companies
    linked = list(links)[:3]
    lonely = next(i for i in emulator.state.hubspot.deals if i not in links)
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in [*linked, lonely]]
    )
    result = client(emulator).crm.associations.v4.batch_api.get_page("deals", "companies", request)
    found = {r._from.id: [t.to_object_id for t in r.to] for r in result.results}
    assert found == {i: links[i] for i in linked}
    types = result.results[0].to[0].association_types
    assert {t.type_id for t in types} == {5, 341}
    assert types[0].category == "HUBSPOT_DEFINED"
    assert [e.sub_category for e in result.errors] == ["crm.associations.NO_ASSOCIATIONS_FOUND"]
    assert result.errors[0].context["fromObjectId"] == [lonely]


@pytest.fixture
def edited_portal() -> Iterator[tuple[str, Backend]]:
    """A HubSpot-only server where a person edits every deal just after it is read."""
    backend = make_backend(
        generate(SeedSettings(deals=60, seed=3)), FaultSettings(profile="concurrent-edit", person_edit_rate=1.0)
    )
    with serve(backend) as url:
        yield url, backend


def test_person_edits_follow_reads(edited_portal: tuple[str, Backend]) -> None:
    url, backend = edited_portal
    hs = HubSpot(access_token=backend.tokens.credentials.hubspot_token, host=url)
    page = hs.crm.deals.basic_api.get_page(limit=5, properties=["dealname", "amount", "closedate"])
    deals = backend.state.hubspot.deals
    for served in page.results:
        now = deals[served.id]
        assert now.properties["hs_lastmodifieddate"] > served.properties["hs_lastmodifieddate"]
        changed = [n for n in ("dealname", "amount", "closedate") if now.properties[n] != served.properties[n]]
        assert len(changed) == 1
        assert now.history[changed[0]][0]["sourceType"] == "CRM_UI"


def test_partial_failure_rejects_records() -> None:
    backend = make_backend(
        generate(SeedSettings(deals=40, seed=5)), FaultSettings(profile="partial-failure", reject_rate=1.0)
    )
    deal_ids = [i for i, d in backend.state.hubspot.deals.items() if not d.archived][:2]
    with serve(backend) as url:
        hs = HubSpot(access_token=backend.tokens.credentials.hubspot_token, host=url)
        result = hs.crm.deals.batch_api.update(batch_input(*[(i, {"amount": "77"}) for i in deal_ids]))
    assert result.num_errors == 2
    assert not result.results
    assert {e.category for e in result.errors} == {"CONFLICT"}
    assert all(backend.state.hubspot.deals[i].properties["amount"] != "77" for i in deal_ids)
    assert backend.stats.to_json()["writes"] == {}
