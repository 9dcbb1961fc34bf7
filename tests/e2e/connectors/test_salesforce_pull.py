"""The Salesforce connector against the emulator over HTTPS, with the real simple-salesforce client."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import trustme
from tests.e2e.conftest import salesforce_config, snapshot

from dealsync.connectors.retry import RetryPolicy
from dealsync.connectors.salesforce import SalesforceConnector
from dealsync.connectors.salesforce_map import by_ids_query, select_fields
from dealsync.emulator import EmulatorHandle, run_emulator
from dealsync.emulator.state import utc_now
from dealsync.errors import AuthError
from dealsync.store import Store
from dealsync.sync.pull import pull_connection

pytestmark = pytest.mark.e2e
FAST_RETRY = RetryPolicy(attempts=12, budget_seconds=60, base=0.02, cap=0.5)


def pull(store: Store, handle: EmulatorHandle, *, full: bool = False, **overrides: object):  # type: ignore[no-untyped-def]
    connector = SalesforceConnector(salesforce_config(handle, **overrides), retry_policy=FAST_RETRY)
    try:
        return pull_connection(store, connector, connection_type="salesforce", full=full)
    finally:
        connector.close()


def live_opportunities(handle: EmulatorHandle) -> dict[str, dict[str, object]]:
    rows = handle.state.salesforce.table("Opportunity")
    return {rid: row for rid, row in rows.items() if not row["IsDeleted"]}


def test_full_pull_matches_the_org_field_by_field(emulator: EmulatorHandle, store: Store) -> None:
    result = pull(store, emulator, full=True)
    expected = live_opportunities(emulator)
    accounts = emulator.state.salesforce.table("Account")
    deals = {d.ref.id: d for d in store.iter_deals("sf-main")}
    assert set(deals) == set(expected)
    assert result.new == len(expected)
    assert result.error is None
    for rid, row in expected.items():
        deal = deals[rid]
        assert deal.name == row["Name"]
        assert deal.amount == (None if row["Amount"] is None else Decimal(str(row["Amount"])))
        assert deal.currency == row["CurrencyIsoCode"]
        assert deal.crm_stage_id == row["StageName"]
        assert deal.close_date == row["CloseDate"]
        assert deal.modified_at == row["SystemModstamp"]
        account = accounts.get(str(row["AccountId"])) if row["AccountId"] else None
        assert deal.account_name == (account["Name"] if account else None)
        assert (deal.status.value == "won") == bool(row["IsWon"])


def test_full_pull_uses_the_fewest_query_pages(emulator: EmulatorHandle, store: Store) -> None:
    before = dict(emulator.stats.requests)
    pull(store, emulator, full=True)
    after = emulator.stats.requests
    pages = after["salesforce GET query/next"] - before.get("salesforce GET query/next", 0)
    live = len(live_opportunities(emulator))
    assert pages == -(-live // 2000) - 1  # the first page comes with the query itself


def test_incremental_pull_reads_only_the_edits(fresh_emulator: EmulatorHandle, store: Store) -> None:
    pull(store, fresh_emulator, full=True)
    org = fresh_emulator.state.salesforce
    edited = sorted(live_opportunities(fresh_emulator))[:5]
    with org.lock:
        for rid in edited:
            row = org.table("Opportunity")[rid]
            row["Name"] = row["Name"] + " (edited)"
            row["LastModifiedDate"] = row["SystemModstamp"] = utc_now() + timedelta(seconds=30)
    result = pull(store, fresh_emulator)
    assert result.changed == 5
    assert result.records <= 5 + _modified_within(fresh_emulator, timedelta(seconds=6))
    assert {d.ref.id for d in store.iter_deals() if d.name.endswith("(edited)")} == set(edited)


def _modified_within(handle: EmulatorHandle, window: timedelta) -> int:
    rows = live_opportunities(handle).values()
    newest = max(r["SystemModstamp"] for r in rows)  # type: ignore[type-var]
    return sum(1 for r in rows if newest - r["SystemModstamp"] <= window)  # type: ignore[operator]


def test_deletions_are_marked_deleted_never_kept_live(fresh_emulator: EmulatorHandle, store: Store) -> None:
    pull(store, fresh_emulator, full=True)
    org = fresh_emulator.state.salesforce
    victim = sorted(live_opportunities(fresh_emulator))[0]
    with org.lock:
        row = org.table("Opportunity")[victim]
        row["IsDeleted"] = True
        row["SystemModstamp"] = utc_now() + timedelta(seconds=30)
    result = pull(store, fresh_emulator)
    assert result.deleted == 1
    assert victim not in {d.ref.id for d in store.iter_deals("sf-main")}
    assert victim in {d.ref.id for d in store.iter_deals("sf-main", include_deleted=True)}


@pytest.mark.parametrize(
    "hostile", ["' OR Name != '", "\\' OR Id != null OR Id = \\'", "O'Brien\\", "x') OR (Name LIKE '%", '\n\t"']
)
def test_hostile_strings_stay_one_literal(emulator: EmulatorHandle, hostile: str) -> None:
    connector = SalesforceConnector(salesforce_config(emulator), retry_policy=FAST_RETRY)
    schema = connector.discover()
    try:
        soql = by_ids_query(select_fields(schema.fields), [hostile])
        assert connector._query_all(soql) == []  # a well-formed query that matches nothing
    finally:
        connector.close()


@pytest.mark.parametrize(
    "auth_mode",
    ["client_credentials", "refresh_token", "password_oauth", "password_soap"],
)
def test_oauth_logins(emulator: EmulatorHandle, store: Store, auth_mode: str) -> None:
    creds = emulator.credentials
    auth = {
        "client_credentials": {"client_id": creds.client_id, "client_secret": creds.client_secret},
        "refresh_token": {
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
        },
        "password_oauth": {
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "username": creds.username,
            "password": creds.password,
            "security_token": creds.security_token,
        },
        "password_soap": {
            "username": creds.username,
            "password": creds.password,
            "security_token": creds.security_token,
        },
    }[auth_mode]
    result = pull(store, emulator, full=True, auth=auth, instance_url=None)
    assert result.error is None
    assert result.new == len(live_opportunities(emulator))


def test_bad_client_secret_is_a_clear_auth_error(emulator: EmulatorHandle, store: Store) -> None:
    auth = {"client_id": emulator.credentials.client_id, "client_secret": "wrong-secret-value"}
    with pytest.raises(AuthError, match=r"Salesforce login for connection 'sf-main' .* failed: invalid_client") as err:
        pull(store, emulator, full=True, auth=auth)
    assert "wrong-secret-value" not in str(err.value)


def test_wrong_password_is_a_clear_soap_auth_error(emulator: EmulatorHandle, store: Store) -> None:
    auth = {"username": emulator.credentials.username, "password": "not-it", "security_token": "nope"}
    with pytest.raises(AuthError, match=r"'sf-main' failed: INVALID_LOGIN: Invalid username, password"):
        pull(store, emulator, full=True, auth=auth, instance_url=None)


def test_ca_bundle_wins_over_requests_ca_bundle(
    emulator: EmulatorHandle, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(stranger))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(stranger))
    assert pull(store, emulator, full=True).error is None


def test_bulk_api_pull_gives_the_same_store(emulator: EmulatorHandle, tmp_path: Path) -> None:
    from dealsync.store import open_store

    with (
        open_store(f"sqlite:///{tmp_path / 'rest.db'}") as rest,
        open_store(f"sqlite:///{tmp_path / 'bulk.db'}") as bulk,
    ):
        pull(rest, emulator, full=True)
        before = emulator.stats.requests.get("salesforce POST jobs/query", 0)
        pull(bulk, emulator, full=True, bulk_threshold=10)
        assert emulator.stats.requests["salesforce POST jobs/query"] == before + 1
        assert snapshot(bulk) == snapshot(rest)


@pytest.mark.parametrize("profile", ["flaky", "rate-limit", "expired-session", "mix"])
def test_each_fault_profile_ends_with_the_fault_free_store(profile: str, tmp_path: Path) -> None:
    from dealsync.emulator.faults import FaultSettings
    from dealsync.store import open_store

    # Few calls make a Salesforce pull (a page is 2,000 rows), so the faults are made dense enough to hit them.
    settings = FaultSettings(
        profile=profile,
        seed=5,
        salesforce_per_second=2,
        expire_after=3,
        server_error_rate=0.25,
        drop_rate=0.15,
        slow_rate=0.1,
        slow_seconds=0.05,
    )
    with (
        run_emulator(deals=500, seed=5, fault_settings=settings) as faulty,
        run_emulator(deals=500, seed=5) as clean,
        open_store(f"sqlite:///{tmp_path / 'a.db'}") as a,
        open_store(f"sqlite:///{tmp_path / 'b.db'}") as b,
    ):
        creds = faulty.credentials
        result = pull(a, faulty, full=True, auth={"client_id": creds.client_id, "client_secret": creds.client_secret})
        pull(b, clean, full=True)
        assert result.error is None
        assert snapshot(a) == snapshot(b)
        assert sum(faulty.stats.faults.values()) > 0  # the profile really injected something


def test_expired_access_token_stops_with_a_clear_message(tmp_path: Path) -> None:
    from dealsync.emulator.faults import FaultSettings
    from dealsync.store import open_store

    settings = FaultSettings(profile="expired-session", seed=1, expire_after=2)
    with (
        run_emulator(deals=50, seed=1, fault_settings=settings) as handle,
        open_store(f"sqlite:///{tmp_path / 's.db'}") as store,
        pytest.raises(AuthError, match="access token of Salesforce connection 'sf-main' expired"),
    ):
        pull(store, handle, full=True)
