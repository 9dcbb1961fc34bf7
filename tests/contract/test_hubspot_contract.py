"""HubSpotConnector against cassettes shaped like HubSpot's CRM v3 docs (see cassettes/README.md)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tests.contract.conftest import FakeTime, Replay

from dealsync.canonical import Stage, Status
from dealsync.config import HubSpotConnection
from dealsync.connectors import hubspot as hubspot_module
from dealsync.connectors import hubspot_search
from dealsync.connectors.base import Cursor, Schema
from dealsync.connectors.hubspot import HubSpotConnector
from dealsync.connectors.hubspot_map import epoch_ms
from dealsync.connectors.retry import RetryPolicy

ReplayFn = Callable[[str], AbstractContextManager[Replay]]

UNTIL = datetime(2024, 3, 5, 12, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, budget_seconds=60, base=0.001, cap=0.01)
DEALS, COMPANIES_READ = "/crm/v3/objects/deals", "/crm/v3/objects/companies/batch/read"
SEARCH, ASSOCIATIONS = "/crm/v3/objects/deals/search", "/crm/v4/associations/deals/companies/batch/read"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def connector(fake_time: FakeTime) -> Iterator[HubSpotConnector]:
    config = HubSpotConnection.model_validate(
        {"name": "hs-acme", "type": "hubspot", "auth": {"access_token": "pat-na1-00000000-fake-private-app-token"}}
    )
    hubspot = HubSpotConnector(config, retry_policy=FAST, clock=fake_time.clock, sleep=fake_time.sleep)
    yield hubspot
    hubspot.close()


@pytest.fixture
def schema(connector: HubSpotConnector, replay: ReplayFn) -> Schema:
    with replay("hubspot/discover.yaml") as played:
        found = connector.discover()
    assert played.all_played
    return found


def test_discovery_reads_pipelines_properties_currencies_and_owners(
    connector: HubSpotConnector, replay: ReplayFn
) -> None:
    with replay("hubspot/discover.yaml") as played:
        schema = connector.discover()

    assert played.all_played
    assert {request.headers["Authorization"] for _, request in played.sent} == {
        "Bearer pat-na1-00000000-fake-private-app-token"
    }
    assert played.paths() == [
        "/crm/v3/pipelines/deals",
        "/crm/v3/properties/deals",
        "/account-info/v3/details",
        "/settings/v3/currencies/exchange-rates/current",
        "/crm/v3/owners/",
    ]
    assert schema.pipelines == {"default": "Sales Pipeline", "705209413": "Renewals"}
    assert schema.write_fields == {"health_score": True}  # custom, not calculated, readOnlyValue false
    assert schema.corporate_currency == "USD"
    assert schema.multi_currency
    assert schema.fx_rates == {"USD": Decimal(1), "EUR": Decimal("1.25")}
    assert schema.details["owners"] == {"41629779": "Ana Lima", "60158084": "Ben Okafor"}
    assert schema.details["time_zone"] == "US/Eastern"
    assert {"dealname", "dealsync_health_score", "hs_lastmodifieddate"} <= schema.fields


def test_pipeline_stages_are_ordered_by_display_order_with_string_metadata(schema: Schema) -> None:
    default = [s for s in schema.stages.values() if s.pipeline == "default"]

    assert [s.id for s in default] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    assert [s.display_order for s in default] == list(range(7))
    assert schema.stages["presentationscheduled"].probability == Decimal("0.6")  # from the string "0.6"
    won, lost = schema.stages["closedwon"], schema.stages["closedlost"]
    assert (won.is_closed, won.is_won, lost.is_closed, lost.is_won) == (True, True, True, False)
    renewals = [s.id for s in schema.stages.values() if s.pipeline == "705209413"]
    assert renewals == ["1035193061", "1035193062", "1035193063"]
    assert schema.stages["1035193062"].is_won
    assert not schema.stages["1035193063"].is_won


def test_full_pull_follows_paging_next_after_until_absent(
    connector: HubSpotConnector, schema: Schema, replay: ReplayFn
) -> None:
    with replay("hubspot/list_paging.yaml") as played:
        pages = list(connector.pull(schema, None, UNTIL))

    assert played.all_played
    assert played.play_count == 4
    # company names are read in whole batches of 100 after the pages that need them: one read for 4 companies
    assert played.paths() == [DEALS, DEALS, DEALS, COMPANIES_READ]
    sent = [request for _, request in played.sent]
    assert "after" not in sent[0].query[0]
    # the SDK re-encodes the documented cursor "NTI1Cg%3D%3D"; HubSpot receives it back unchanged
    assert ("after", "NTI1Cg%3D%3D") in sent[1].query
    assert ("after", "MTA1MAo%3D") in sent[2].query
    assert [[d.ref.id for d in page.deals] for page in pages] == [
        ["18439125843", "18439125844"],
        ["18439125845", "18439125846"],
        ["18439125847"],
    ]
    # a list read is in id order, not modification order: only the last page moves the cursor, to the newest
    assert [page.cursor for page in pages] == [None, None, Cursor(datetime(2024, 3, 4, 8, tzinfo=UTC), "18439125844")]
    assert played.json_sent(3)["inputs"] == [{"id": i} for i in ("5001", "5002", "5003", "5004")]
    assert played.mismatched_bodies() == []


def test_deal_properties_map_to_canonical_deals(connector: HubSpotConnector, schema: Schema, replay: ReplayFn) -> None:
    with replay("hubspot/list_paging.yaml"):
        deals = {d.ref.id: d for page in connector.pull(schema, None, UNTIL) for d in page.deals}

    acme = deals["18439125843"]
    assert (acme.name, acme.account_name, acme.owner) == ("Acme - 200 Widgets", "Acme Corporation", "Ana Lima")
    assert (acme.amount, acme.currency, acme.probability) == (Decimal("48000"), "USD", Decimal("0.2"))
    assert (acme.stage, acme.status, acme.pipeline) == (Stage.QUALIFICATION, Status.OPEN, "default")
    assert acme.close_date == date(2024, 6, 30)
    assert acme.modified_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert acme.last_activity_at == datetime(2024, 2, 28, 16, 20, tzinfo=UTC)
    assert acme.raw["dealsync_health_score"] == "72"
    globex = deals["18439125844"]
    assert (globex.amount, globex.currency, globex.owner) == (Decimal("15000.50"), "EUR", "Ben Okafor")
    initech = deals["18439125845"]
    assert (initech.status, initech.stage) == (Status.WON, Stage.POST_SALE)
    assert initech.account_name == "Initech"  # primary company 5004 was not found (207): the other one
    renewal = deals["18439125846"]
    assert (renewal.pipeline, renewal.crm_stage_label, renewal.account_name) == (
        "705209413",
        "Renewal due",
        "Acme Corporation",
    )
    hooli = deals["18439125847"]
    assert hooli.status is Status.LOST
    assert (hooli.amount, hooli.owner, hooli.close_date, hooli.account_name) == (None, None, None, None)


def test_incremental_pull_searches_by_modification_time(
    connector: HubSpotConnector, schema: Schema, replay: ReplayFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two results per search page instead of 200, so three small answers exercise the paging logic
    monkeypatch.setattr(hubspot_module, "modified_between", functools.partial(hubspot_search.modified_between, limit=2))
    since = Cursor(datetime(2024, 3, 5, 9, tzinfo=UTC), "18439125840")
    with replay("hubspot/search_paging.yaml") as played:
        pages = list(connector.pull(schema, since, UNTIL))

    assert played.all_played
    assert played.paths() == [SEARCH, ASSOCIATIONS, COMPANIES_READ, SEARCH, ASSOCIATIONS, SEARCH]
    assert [[d.ref.id for d in page.deals] for page in pages] == [
        ["18439125848", "18439125849"],
        ["18439125850"],  # the repeated boundary deal is dropped
    ]
    assert pages[-1].cursor == Cursor(datetime(2024, 3, 5, 11, 15, tzinfo=UTC), "18439125850")
    assert [d.account_name for page in pages for d in page.deals] == ["Acme Corporation", "Globex", "Acme Corporation"]

    bodies = [played.json_sent(i) for i, path in enumerate(played.paths()) if path == SEARCH]
    lower = epoch_ms(datetime(2024, 3, 5, 8, 59, 55, tzinfo=UTC))  # since minus the 5-second re-read window
    assert [body["filterGroups"][0]["filters"][0] for body in bodies] == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(lower)},
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1709634600000"},  # 10:30 read
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1709637300000"},  # 11:15 read
    ]
    for body in bodies:
        assert body["filterGroups"][0]["filters"][1] == {
            "propertyName": "hs_lastmodifieddate",
            "operator": "LTE",
            "value": str(epoch_ms(UNTIL)),
        }
        assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
        assert body["limit"] == 2
        assert "after" not in body  # paging.next.after is deliberately not followed (offsets shift)
    assert played.json_sent(1) == {"inputs": [{"id": "18439125848"}, {"id": "18439125849"}]}
    assert played.mismatched_bodies() == []  # every body exactly as written in the cassette


@pytest.mark.parametrize(
    ("cassette", "wait"),
    [
        # Retry-After: 1 is honoured, not stretched to the whole 10 s window
        ("hubspot/rate_limited_retry_after.yaml", (1.0, 2.0)),
        # as documented, no hint: wait for the 10 s rolling window that X-HubSpot-RateLimit-* announced
        ("hubspot/rate_limited_no_retry_after.yaml", (10.0, 11.0)),
    ],
)
def test_rate_limited_request_waits_and_is_retried(
    connector: HubSpotConnector,
    schema: Schema,
    replay: ReplayFn,
    fake_time: FakeTime,
    cassette: str,
    wait: tuple[float, float],
) -> None:
    retries_before, slept_before = connector.stats.retries, len(fake_time.sleeps)
    with replay(cassette) as played:
        pages = list(connector.pull(schema, None, UNTIL))

    assert played.all_played
    assert played.play_count == 2
    assert [d.ref.id for page in pages for d in page.deals] == ["18439125851"]
    assert connector.stats.retries - retries_before == 1
    least, most = wait
    assert fake_time.sleeps[slept_before] >= least  # the retry layer's first wait already honours the hint
    assert least <= sum(fake_time.sleeps[slept_before:]) < most
