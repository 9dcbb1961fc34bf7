"""Both connectors end to end: 10,000 deals per CRM, HubSpot's 10,000-result search cap, every fault profile."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.e2e.conftest import hubspot_config, salesforce_config, snapshot
from typer.testing import CliRunner

from dealsync.cli import app
from dealsync.cli.emulator_cmd import connection_snippet
from dealsync.connectors.hubspot import HubSpotConnector
from dealsync.connectors.retry import RetryPolicy
from dealsync.connectors.salesforce import SalesforceConnector
from dealsync.emulator import EmulatorHandle, run_emulator
from dealsync.emulator.faults import Faults, FaultSettings
from dealsync.emulator.state import utc_now
from dealsync.store import Store, open_store
from dealsync.sync.pull import PullResult, pull_connection

pytestmark = pytest.mark.e2e
FAST_RETRY = RetryPolicy(attempts=12, budget_seconds=60, base=0.02, cap=0.5)


def pull_both(store: Store, handle: EmulatorHandle, *, full: bool, oauth: bool = False) -> list[PullResult]:
    creds = handle.credentials
    sf_auth = {"auth": {"client_id": creds.client_id, "client_secret": creds.client_secret}} if oauth else {}
    hs_auth = (
        {
            "auth": {
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "refresh_token": creds.refresh_token,
            }
        }
        if oauth
        else {}
    )
    connectors = [
        SalesforceConnector(salesforce_config(handle, **sf_auth), retry_policy=FAST_RETRY),
        HubSpotConnector(hubspot_config(handle, **hs_auth), retry_policy=FAST_RETRY),
    ]
    results = []
    for connector, kind in zip(connectors, ("salesforce", "hubspot"), strict=True):
        try:
            results.append(pull_connection(store, connector, connection_type=kind, full=full))
        finally:
            connector.close()
    return results


@pytest.mark.slow
def test_ten_thousand_deals_per_crm_match_field_by_field(tmp_path: Path) -> None:
    with run_emulator(deals=10_000, seed=3) as handle, open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        pull_both(store, handle, full=True)
        org, portal = handle.state.salesforce, handle.state.hubspot
        opportunities = {i: r for i, r in org.table("Opportunity").items() if not r["IsDeleted"]}
        sf = {d.ref.id: d for d in store.iter_deals("sf-main")}
        assert set(sf) == set(opportunities)
        assert len(sf) > 9_000
        for rid, row in opportunities.items():
            deal = sf[rid]
            expected_amount = None if row["Amount"] is None else Decimal(str(row["Amount"]))
            assert (deal.name, deal.amount, deal.currency, deal.crm_stage_id, deal.close_date) == (
                row["Name"],
                expected_amount,
                row["CurrencyIsoCode"],
                row["StageName"],
                row["CloseDate"],
            )
        hs = {d.ref.id: d for d in store.iter_deals("hs-main")}
        live = {i: o for i, o in portal.deals.items() if not o.archived}
        assert set(hs) == set(live)
        for did, obj in live.items():
            deal, props = hs[did], obj.properties
            amount = props.get("amount")
            assert deal.name == props["dealname"]
            assert deal.crm_stage_id == props["dealstage"]
            assert deal.amount == (Decimal(amount) if amount else None)
            assert deal.currency == (props.get("deal_currency_code") or portal.home_currency)


def test_more_than_ten_thousand_changes_sharing_one_timestamp_are_all_read_once(tmp_path: Path) -> None:
    # a pipeline edit: 10,500+ deals get the same hs_lastmodifieddate; search can page only 10,000 deep
    with run_emulator(deals=11_000, seed=4) as handle, open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        portal = handle.state.hubspot
        stamp = utc_now() - timedelta(seconds=1)  # before this pull starts
        text = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        live = [o for o in portal.deals.values() if not o.archived]
        with portal.lock:
            for obj in live:
                obj.properties["dealname"] = (obj.properties["dealname"] or "") + " *"
                obj.properties["hs_lastmodifieddate"] = text
                obj.updated_at = stamp.replace(microsecond=(stamp.microsecond // 1000) * 1000)
            portal.version += 1
        assert len(live) > 10_000
        store.register_connection("hs-main", "hubspot")
        store.set_cursor("hs-main", "deals", stamp - timedelta(hours=1), "")  # as if pulled an hour ago
        connector = HubSpotConnector(hubspot_config(handle), retry_policy=FAST_RETRY)
        try:
            result = pull_connection(store, connector, connection_type="hubspot")
        finally:
            connector.close()
        assert result.new == len(live)
        assert result.records == len(live)  # each once: no loop, no gap
        assert all(d.name.endswith(" *") for d in store.iter_deals("hs-main"))
        # one search per 200 deals, plus two count queries and the hand-overs between windows
        searches = handle.stats.requests.get("hubspot POST /crm/v3/objects/deals/search", 0)
        assert searches <= math.ceil(len(live) / 200) + 6


@pytest.mark.parametrize(
    "profile", ["flaky", "rate-limit", "expired-session", "partial-failure", "concurrent-edit", "mix"]
)
def test_every_fault_profile_ends_with_the_store_a_fault_free_pull_gives(profile: str, tmp_path: Path) -> None:
    settings = FaultSettings(
        profile=profile,
        seed=9,
        hubspot_window_limit=15,
        hubspot_window_seconds=1.0,
        salesforce_per_second=4,
        expire_after=4,
        server_error_rate=0.2,
        drop_rate=0.1,
    )
    with (
        run_emulator(deals=400, seed=9, fault_settings=settings) as handle,
        open_store(f"sqlite:///{tmp_path / 'faulty.db'}") as faulty,
        open_store(f"sqlite:///{tmp_path / 'clean.db'}") as clean,
    ):
        results = pull_both(faulty, handle, full=True, oauth=True)
        assert [r.error for r in results] == [None, None]
        injected = sum(handle.stats.faults.values())
        handle.backend.faults = Faults(FaultSettings())  # faults off from here
        # a person's edits (concurrent-edit, mix) come after the reads that served them: an incremental pull
        # must pick up every one of them, and must find nothing else to change
        caught_up = pull_both(faulty, handle, full=False)
        pull_both(clean, handle, full=True)
        assert snapshot(faulty) == snapshot(clean)
    edits = sum(r.changed for r in caught_up)
    if profile in ("concurrent-edit", "mix"):
        assert edits > 0
    else:
        assert edits == 0
    if profile not in ("partial-failure", "concurrent-edit"):  # those act on writes and after reads
        assert injected > 0


def test_check_creates_the_missing_hubspot_property(fresh_emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = tmp_path / "dealsync.yml"
    config.write_text(f"store: sqlite:///{tmp_path / 'd.db'}\n" + connection_snippet(fresh_emulator))
    runner = CliRunner()
    first = runner.invoke(app, ["--config", str(config), "check", "--create-fields"])
    assert first.exit_code == 0, first.output
    assert "created the write-back field dealsync_health_score" in first.output
    assert "dealsync_health_score" in fresh_emulator.state.hubspot.deal_properties
    second = runner.invoke(app, ["--config", str(config), "check", "--create-fields"])
    assert "created the write-back field" not in second.output
