"""The HubSpot connector against the emulator, through the real hubspot-api-client."""

from __future__ import annotations

import bisect
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from dealsync.canonical import Deal, Status
from dealsync.canonical.parsing import parse_amount, parse_date
from dealsync.config import HubSpotConnection
from dealsync.connectors.base import Cursor, FieldChange, Page, Schema
from dealsync.connectors.hubspot import HubSpotConnector
from dealsync.connectors.retry import RetryPolicy
from dealsync.emulator import EmulatorHandle, run_emulator
from dealsync.emulator.faults import FaultSettings
from dealsync.errors import AuthError

pytestmark = pytest.mark.e2e

FAST_RETRY = RetryPolicy(attempts=8, budget_seconds=30, base=0.02, cap=0.5)
DISCOVERY = {  # the fixed discovery calls: account-info gives the time zone and the home currency
    "GET /crm/v3/pipelines/deals": 1,
    "GET /crm/v3/properties/deals": 1,
    "GET /crm/v3/owners": 1,
    "GET /account-info/v3/details": 1,
    "GET /settings/v3/currencies/exchange-rates/current": 1,
}


def config(handle: EmulatorHandle, *, oauth: bool = False, **extra: Any) -> HubSpotConnection:
    credentials = handle.credentials
    auth = (
        {
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
        }
        if oauth
        else {"access_token": credentials.hubspot_token}
    )
    return HubSpotConnection.model_validate(
        {"name": "hs-main", "type": "hubspot", "base_url": handle.hubspot_url, "auth": auth, **extra}
    )


@contextmanager
def connected(handle: EmulatorHandle, **kwargs: Any) -> Iterator[HubSpotConnector]:
    connector = HubSpotConnector(config(handle, oauth=kwargs.pop("oauth", False)), retry_policy=FAST_RETRY, **kwargs)
    try:
        yield connector
    finally:
        connector.close()


def requests_since(handle: EmulatorHandle, before: Counter[str]) -> dict[str, int]:
    now = Counter(handle.stats.requests)
    now.subtract(before)
    return {key.removeprefix("hubspot "): n for key, n in now.items() if n and key.startswith("hubspot ")}


def all_deals(pages: list[Page]) -> dict[str, Deal]:
    deals = [deal for page in pages for deal in page.deals]
    assert len(deals) == len({d.ref.id for d in deals})
    return {d.ref.id: d for d in deals}


def live_ids(handle: EmulatorHandle) -> set[str]:
    return {i for i, d in handle.state.hubspot.deals.items() if not d.archived}


def expected_account(handle: EmulatorHandle, deal_id: str) -> str | None:
    portal = handle.state.hubspot
    for company_id in portal.deal_companies.get(deal_id, []):
        name = portal.companies[company_id].properties.get("name")
        if name:
            return name
    return None


def test_full_pull_matches_the_portal_field_by_field(emulator: EmulatorHandle) -> None:
    before = Counter(emulator.stats.requests)
    with connected(emulator) as hub:
        schema = hub.discover()
        assert requests_since(emulator, before) == DISCOVERY
        until = datetime.now(UTC)
        pages = list(hub.pull(schema, None, until))
    portal = emulator.state.hubspot
    deals = all_deals(pages)
    assert set(deals) == live_ids(emulator)
    closed = {s["id"]: s["metadata"] for p in portal.pipelines for s in p["stages"]}
    for deal_id, deal in deals.items():
        props = portal.deals[deal_id].properties
        assert deal.name == (props["dealname"] or "")
        assert deal.amount == parse_amount(props.get("amount"))
        assert deal.currency == (props.get("deal_currency_code") or portal.home_currency)
        assert deal.crm_stage_id == props["dealstage"]
        assert deal.close_date == parse_date(props.get("closedate"))
        assert deal.account_name == expected_account(emulator, deal_id)
        owner = portal.owners[str(props["hubspot_owner_id"])]
        assert deal.owner == f"{owner['firstName']} {owner['lastName']}"
        meta = closed[props["dealstage"]]
        won = meta["isClosed"] == "true" and Decimal(meta["probability"]) == 1
        lost = meta["isClosed"] == "true" and not won
        assert deal.status == (Status.WON if won else Status.LOST if lost else Status.OPEN)
    # cursor only on the last page, never past until
    assert all(p.cursor is None for p in pages[:-1])
    final = pages[-1].cursor
    assert final is not None
    assert final.modified_at == min(until, max(d.modified_at for d in deals.values()))
    # API calls at the lower bound: one list call per 100 deals, one companies batch read per 100 companies
    # (whole batches: pages wait for their companies to fill one), nothing per deal
    calls = requests_since(emulator, before)
    assert calls["GET /crm/v3/objects/deals"] == math.ceil(len(deals) / 100) == len(pages)
    companies = {c for page in pages for d in page.deals for c in d.raw["associations"]["companies"]}
    company_reads = math.ceil(len(companies) / 100)
    assert calls["POST /crm/v3/objects/companies/batch/read"] in (company_reads, company_reads + 1)
    company_reads = calls["POST /crm/v3/objects/companies/batch/read"]
    assert sum(calls.values()) == sum(DISCOVERY.values()) + len(pages) + company_reads
    assert hub.stats.requests == sum(calls.values())


def test_discovery(emulator: EmulatorHandle) -> None:
    with connected(emulator) as hub:
        schema = hub.discover()
    portal = emulator.state.hubspot
    assert schema.corporate_currency == portal.home_currency
    assert schema.multi_currency
    assert {k: float(v) for k, v in schema.fx_rates.items() if k != portal.home_currency} == pytest.approx(
        {k: v for k, v in portal.exchange_rates.items() if k != portal.home_currency}
    )
    assert set(schema.pipelines) == {p["id"] for p in portal.pipelines}
    assert schema.stages["closedwon"].is_won
    assert schema.stages["closedlost"].is_closed
    assert not schema.stages["closedlost"].is_won
    assert "dealname" in schema.fields
    assert schema.write_fields == {"health_score": False}
    owners = schema.details["owners"]
    assert owners == {i: f"{o['firstName']} {o['lastName']}" for i, o in portal.owners.items()}


def test_pipeline_filter(emulator: EmulatorHandle) -> None:
    connector = HubSpotConnector(config(emulator, pipelines=["default"]), retry_policy=FAST_RETRY)
    schema = connector.discover()
    deals = all_deals(list(connector.pull(schema, None, datetime.now(UTC))))
    connector.close()
    assert set(schema.pipelines) == {"default"}
    assert {d.pipeline for d in deals.values()} == {"default"}
    portal = emulator.state.hubspot
    assert set(deals) == {i for i in live_ids(emulator) if portal.deals[i].properties["pipeline"] == "default"}


def test_incremental_pull_reads_only_what_changed(fresh_emulator: EmulatorHandle) -> None:
    handle = fresh_emulator
    with connected(handle) as hub:
        schema = hub.discover()
        first = list(hub.pull(schema, None, datetime.now(UTC)))
        cursor = first[-1].cursor
        assert cursor is not None
        portal = handle.state.hubspot
        window = cursor.modified_at - timedelta(seconds=5)
        re_read = {i for i in live_ids(handle) if portal.deals[i].updated_at >= window}
        deals = all_deals(first)
        by_api = sorted(deals)[:2]
        results = hub.apply([FieldChange(i, "dealname", f"API edit {i}", expected=deals[i].name) for i in by_api])
        assert all(r.ok for r in results)
        by_person = sorted(deals)[-3:]
        for deal_id in by_person:  # a person edits in the UI (here: a plain PATCH)
            answer = requests.patch(
                f"{handle.hubspot_url}/crm/v3/objects/deals/{deal_id}",
                timeout=10,
                json={"properties": {"amount": "4242"}},
                headers={"Authorization": f"Bearer {handle.credentials.hubspot_token}"},
            )
            assert answer.status_code == 200
        before = Counter(handle.stats.requests)
        until = datetime.now(UTC)
        second = list(hub.pull(schema, cursor, until))
    changed = all_deals(second)
    assert set(changed) == set(by_api) | set(by_person) | re_read
    assert all(changed[i].name == f"API edit {i}" for i in by_api)
    assert all(changed[i].amount == Decimal(4242) for i in by_person)
    assert all(changed[i].account_name == expected_account(handle, i) for i in changed)
    cursors = [p.cursor for p in second]
    assert all(c is not None and c.modified_at <= until for c in cursors)
    assert [c.modified_at for c in cursors if c] == sorted(c.modified_at for c in cursors if c)
    calls = requests_since(handle, before)
    assert calls["POST /crm/v3/objects/deals/search"] == 1
    assert calls["POST /crm/v4/associations/deals/companies/batch/read"] == 1
    assert "GET /crm/v3/objects/deals" not in calls


def test_estimate(emulator: EmulatorHandle) -> None:
    with connected(emulator) as hub:
        assert hub.estimate(None) == len(live_ids(emulator))


def test_archived_sweep(fresh_emulator: EmulatorHandle) -> None:
    portal = fresh_emulator.state.hubspot
    with portal.lock:
        for deal_id in sorted(live_ids(fresh_emulator))[:3]:
            portal.deals[deal_id].archived = True
            portal.deals[deal_id].archived_at = datetime.now(UTC)
    archived = {i for i, d in portal.deals.items() if d.archived}
    with connected(fresh_emulator) as hub:
        schema = hub.discover()
        pages = list(hub.deleted(schema, None, datetime.now(UTC)))
    assert {i for p in pages for i in p.deleted_ids} == archived
    assert all(p.stream == "deleted" and p.cursor is None for p in pages)
    assert all(d.deleted for p in pages for d in p.deals)


def test_writes_health_score_and_stage_in_batches(fresh_emulator: EmulatorHandle) -> None:
    handle = fresh_emulator
    created = requests.post(
        f"{handle.hubspot_url}/crm/v3/properties/deals",
        timeout=10,
        json={
            "name": "dealsync_health_score",
            "label": "Dealsync health score",
            "type": "number",
            "fieldType": "number",
            "groupName": "dealinformation",
        },
        headers={"Authorization": f"Bearer {handle.credentials.hubspot_token}"},
    )
    assert created.status_code == 201
    with connected(handle) as hub:
        schema = hub.discover()
        assert schema.write_fields == {"health_score": True}
        deals = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
        ids = sorted(deals)[:150]
        changes = [FieldChange(i, "dealsync_health_score", 50 + n % 50, expected=None) for n, i in enumerate(ids)]
        changes.append(FieldChange(ids[0], "dealstage", "contractsent", expected=deals[ids[0]].crm_stage_id))
        changes.append(FieldChange(ids[1], "dealname", "mine", expected="not what is there"))
        before = Counter(handle.stats.requests)
        results = hub.apply(changes)
        calls = requests_since(handle, before)
        reread = hub.read(schema, ids[:2])
    by_id = {r.record_id: r for r in results}
    assert len(results) == 150
    assert (by_id[ids[1]].ok, by_id[ids[1]].error_code) == (False, "STALE")
    assert all(r.ok for r in results if r.record_id != ids[1])
    assert calls == {"POST /crm/v3/objects/deals/batch/read": 2, "POST /crm/v3/objects/deals/batch/update": 2}
    portal = handle.state.hubspot
    assert portal.deals[ids[0]].properties["dealsync_health_score"] == "50"
    assert portal.deals[ids[0]].properties["dealstage"] == "contractsent"
    assert portal.deals[ids[1]].properties.get("dealsync_health_score") in (None, "")
    assert reread[0].raw["dealsync_health_score"] == "50"
    assert reread[0].account_name == expected_account(handle, ids[0])


def test_partial_batch_failures_fail_only_their_records() -> None:
    settings = FaultSettings(profile="partial-failure", reject_rate=0.1, seed=21)
    with run_emulator(deals=300, seed=21, fault_settings=settings) as handle, connected(handle) as hub:
        schema = hub.discover()
        deals = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
        ids = sorted(i for i, d in deals.items() if d.pipeline == "default")[:120]
        changes = [FieldChange(i, "dealname", f"{deals[i].name} (v2)", expected=deals[i].name) for i in ids]
        changes[7] = FieldChange(ids[7], "dealstage", "no-such-stage", expected=deals[ids[7]].crm_stage_id)
        results = {r.record_id: r for r in hub.apply(changes)}
        portal = handle.state.hubspot
    failed = {i for i, r in results.items() if not r.ok}
    assert results[ids[7]].error_code == "VALIDATION_ERROR"
    assert "no-such-stage" in (results[ids[7]].message or "")
    assert len(failed) > 2  # the injected rejections, each with HubSpot's reason
    assert all(results[i].error_code and results[i].message for i in failed)
    for change in changes:
        now = portal.deals[change.record_id].properties[change.field]
        assert (now == change.value) is results[change.record_id].ok


def test_oauth_mode_refreshes_before_expiry(fresh_emulator: EmulatorHandle) -> None:
    offset = [0.0]
    before = Counter(fresh_emulator.stats.requests)
    with connected(fresh_emulator, oauth=True, clock=lambda: time.monotonic() + offset[0]) as hub:
        schema = hub.discover()
        first = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
        offset[0] += 1_700  # 94 % of the 1800 s lifetime later
        second = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
    assert first.keys() == second.keys() == live_ids(fresh_emulator)
    assert hub.tokens.refreshes == 2
    assert requests_since(fresh_emulator, before)["POST /oauth/v1/token"] == 2


def test_oauth_mode_survives_expired_tokens() -> None:
    settings = FaultSettings(profile="expired-session", expire_after=5, seed=3)
    with run_emulator(deals=600, seed=3, fault_settings=settings) as handle, connected(handle, oauth=True) as hub:
        schema = hub.discover()
        deals = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
        assert set(deals) == live_ids(handle)
        assert hub.tokens.refreshes >= 2


def test_static_token_expiry_is_a_clear_auth_error() -> None:
    settings = FaultSettings(profile="expired-session", expire_after=2, seed=3)
    with (
        run_emulator(deals=50, seed=3, fault_settings=settings) as handle,
        connected(handle) as hub,
        pytest.raises(AuthError, match=r"hs-main.*auth\.access_token") as caught,
    ):
        hub.discover()
    assert handle.credentials.hubspot_token not in str(caught.value)


def test_bad_refresh_token_is_a_clear_auth_error(fresh_emulator: EmulatorHandle) -> None:
    credentials = fresh_emulator.credentials
    bad = HubSpotConnection.model_validate(
        {
            "name": "hs-main",
            "type": "hubspot",
            "base_url": fresh_emulator.hubspot_url,
            "auth": {
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
                "refresh_token": "revoked-refresh-token",
            },
        }
    )
    hub = HubSpotConnector(bad, retry_policy=FAST_RETRY)
    with pytest.raises(AuthError, match=r"BAD_REFRESH_TOKEN.*auth\.refresh_token") as caught:
        hub.discover()
    hub.close()
    assert credentials.client_secret not in str(caught.value)
    assert "revoked-refresh-token" not in str(caught.value)


def test_no_429_at_full_speed_under_the_rate_limit_profile() -> None:
    # 20 per rolling 2 s (10/s): slow enough that a loaded CI machine's client keeps up, so the rate measured
    # is the limiter's, and long enough a window that our safety margin costs only a few percent.
    limit, window = 20, 2.0
    settings = FaultSettings(
        profile="rate-limit",
        hubspot_window_limit=limit,
        hubspot_window_seconds=window,
        hubspot_search_per_second=5,
        seed=5,
    )
    with run_emulator(deals=3000, seed=5, fault_settings=settings) as handle, connected(handle) as hub:
        stamps: list[float] = []
        take = hub.transport.limiter.take

        def recorded() -> float:
            stamps.append(time.monotonic())
            return take()

        hub.transport.limiter.take = recorded  # type: ignore[method-assign]
        schema = hub.discover()
        deals = all_deals(list(hub.pull(schema, None, datetime.now(UTC))))
        assert set(deals) == live_ids(handle)
        assert handle.stats.rate_limited.get("hubspot", 0) == 0
        # steady state: after the first window's burst, requests go at >= 90 % of the allowed rate
        steady = [s for s in stamps if s >= stamps[0] + window]
        rate = (len(steady) - 1) / (steady[-1] - steady[0])
        assert steady[-1] - steady[0] >= window
        assert rate >= 0.9 * limit / window, rate
        # and never more than the limit in any window (bursts are allowed, overshoot is not)
        assert max(bisect.bisect_left(stamps, s + window) - i for i, s in enumerate(stamps)) <= limit
        # search (5 per second, counted in both windows) stays 429-free too
        middle = sorted(d.modified_at for d in deals.values())[len(deals) // 2]
        incremental = all_deals(list(hub.pull(schema, Cursor(middle, ""), datetime.now(UTC))))
        assert set(incremental) == {i for i, d in deals.items() if d.modified_at >= middle - timedelta(seconds=5)}
        assert handle.stats.rate_limited.get("hubspot", 0) == 0
        assert hub.stats.retries == 0


def comparable(deals: dict[str, Deal]) -> dict[str, dict[str, Any]]:
    return {i: d.model_dump() for i, d in sorted(deals.items())}


def pull_everything(handle: EmulatorHandle) -> tuple[Schema, dict[str, Deal], HubSpotConnector]:
    with connected(handle) as hub:
        schema = hub.discover()
        return schema, all_deals(list(hub.pull(schema, None, datetime.now(UTC)))), hub


def test_flaky_pull_ends_with_the_same_deals_as_a_fault_free_one() -> None:
    flaky = FaultSettings(
        profile="flaky", seed=13, server_error_rate=0.15, drop_rate=0.1, slow_rate=0.05, slow_seconds=0.05
    )
    with run_emulator(deals=2000, seed=13) as calm:
        schema, expected, _ = pull_everything(calm)
    with run_emulator(deals=2000, seed=13, fault_settings=flaky) as rough:
        rough_schema, got, hub = pull_everything(rough)
        faults = dict(rough.stats.faults)
    assert comparable(got) == comparable(expected)
    assert rough_schema.stages == schema.stages
    assert faults.get("hubspot server_error", 0) > 0
    assert faults.get("hubspot drop_connection", 0) > 0
    assert hub.stats.retries >= faults["hubspot server_error"] + faults["hubspot drop_connection"]
