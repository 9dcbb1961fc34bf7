"""SalesforceConnector against cassettes shaped like the Salesforce REST API docs (see cassettes/README.md)."""

from __future__ import annotations

import types
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from tests.contract.conftest import Replay

from dealsync.canonical import Stage, StageInfo, Status
from dealsync.config import SalesforceConnection
from dealsync.connectors import retry as retry_module
from dealsync.connectors.base import Cursor, Schema
from dealsync.connectors.retry import RetryPolicy
from dealsync.connectors.salesforce import SalesforceConnector
from dealsync.connectors.salesforce_map import stage_info
from dealsync.errors import FatalError

ReplayFn = Callable[[str], AbstractContextManager[Replay]]

INSTANCE = "https://acme.my.salesforce.com"
V = "/services/data/v60.0"
QUERY, DESCRIBE, TOKEN = f"{V}/query/", f"{V}/sobjects/Opportunity/describe", "/services/oauth2/token"
LOCATOR = f"{V}/query/01gRO0000016PIAYA2"
UNTIL = datetime(2024, 3, 5, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, budget_seconds=30, base=0.001, cap=0.01)
IDS = [f"0065e00000Gx{i:02d}aAAB" for i in range(1, 6)]


def config(**overrides: Any) -> SalesforceConnection:
    fields: dict[str, Any] = {
        "name": "sf-acme",
        "type": "salesforce",
        "instance_url": INSTANCE,
        "auth": {"access_token": "00D5e0000000AcmE!AQ4AQFAKESTATICTOKEN"},
    }
    fields.update(overrides)
    return SalesforceConnection.model_validate(fields)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry layer's sleeps, recorded instead of slept (the connector has no sleep seam of its own)."""
    slept: list[float] = []
    monkeypatch.setattr(retry_module, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


def plain_schema() -> Schema:
    """What discovery would return for a multi-currency org, without replaying discovery."""
    labels = [
        ("Prospecting", 10, False, False),
        ("Negotiation/Review", 90, False, False),
        ("Closed Won", 100, True, True),
    ]
    stages = {
        label: stage_info(
            {
                "ApiName": label,
                "MasterLabel": label,
                "IsClosed": closed,
                "IsWon": won,
                "DefaultProbability": prob,
                "SortOrder": order,
            }
        )
        for order, (label, prob, closed, won) in enumerate(labels, start=1)
    }
    fields = [
        "Id",
        "Name",
        "AccountId",
        "Amount",
        "CurrencyIsoCode",
        "StageName",
        "Probability",
        "CloseDate",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
        "SystemModstamp",
        "LastActivityDate",
        "IsDeleted",
        "IsClosed",
        "IsWon",
        "ForecastCategoryName",
    ]
    return Schema(
        stages=stages,
        fields=frozenset(fields),
        multi_currency=True,
        corporate_currency="USD",
        fx_rates={"USD": Decimal(1)},
        write_fields={"health_score": False},
    )


def test_pull_follows_next_records_url_until_done(replay: ReplayFn) -> None:
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay("salesforce/pull_paged.yaml") as played:
        schema = connector.discover()
        pages = list(connector.pull(schema, None, UNTIL))

    assert played.all_played
    assert played.play_count == 7
    assert played.paths() == [DESCRIBE, QUERY, QUERY, QUERY, QUERY, f"{LOCATOR}-2", f"{LOCATOR}-4"]
    assert [[d.ref.id for d in page.deals] for page in pages] == [IDS[0:2], IDS[2:4], IDS[4:5]]
    assert [page.cursor for page in pages] == [
        Cursor(datetime(2024, 3, 1, 10, 5, tzinfo=UTC), IDS[1]),
        Cursor(datetime(2024, 3, 3, 9, 0, tzinfo=UTC), IDS[3]),
        Cursor(datetime(2024, 3, 4, 7, 30, tzinfo=UTC), IDS[4]),
    ]
    assert connector.stats.pages == 3
    assert connector.stats.records == 5


def test_discovery_reads_stages_currencies_and_the_writable_health_score(replay: ReplayFn) -> None:
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay("salesforce/pull_paged.yaml") as played:
        schema = connector.discover()

    assert played.play_count == 3  # describe, OpportunityStage, CurrencyType
    assert schema.multi_currency
    assert schema.corporate_currency == "USD"
    assert schema.fx_rates == {"USD": Decimal(1), "EUR": Decimal("1.25")}  # ConversionRate 0.8 EUR per USD
    assert schema.write_fields == {"health_score": True}
    assert list(schema.stages)[:2] == ["Prospecting", "Qualification"]
    assert len(schema.stages) == 10
    assert schema.stages["Closed Won"] == StageInfo(
        id="Closed Won", label="Closed Won", is_closed=True, is_won=True, probability=Decimal(1), display_order=9
    )
    assert schema.stages["Needs Analysis"].probability == Decimal("0.2")
    assert {"DealSync_Health_Score__c", "CurrencyIsoCode", "ExpectedRevenue"} <= schema.fields


def test_records_map_to_canonical_deals(replay: ReplayFn) -> None:
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay("salesforce/pull_paged.yaml"):
        schema = connector.discover()
        deals = {d.ref.id: d for page in connector.pull(schema, None, UNTIL) for d in page.deals}

    acme, globex, initech, umbrella, hooli = (deals[i] for i in IDS)
    assert (acme.name, acme.account_name, acme.owner) == ("Acme - 200 Widgets", "Acme Corporation", "Ana Lima")
    assert (acme.amount, acme.currency, acme.probability) == (Decimal("48000.0"), "USD", Decimal("0.1"))
    assert (acme.stage, acme.status, acme.crm_stage_id) == (Stage.PROSPECTING, Status.OPEN, "Prospecting")
    assert acme.close_date == date(2024, 6, 30)
    assert acme.created_at == datetime(2024, 1, 10, 9, 15, 30, tzinfo=UTC)
    assert acme.last_activity_at == datetime(2024, 2, 28, tzinfo=UTC)
    assert acme.raw["DealSync_Health_Score__c"] == Decimal("72.0")
    assert (globex.amount, globex.currency, globex.stage) == (Decimal("15000.5"), "EUR", Stage.NEGOTIATION)
    assert (initech.status, initech.stage) == (Status.WON, Stage.POST_SALE)
    assert umbrella.status is Status.LOST
    assert umbrella.account_name is None
    assert hooli.amount is None
    assert hooli.last_activity_at is None
    assert hooli.stage is Stage.QUALIFICATION


def test_invalid_session_logs_in_again_once_then_reads(replay: ReplayFn) -> None:
    oauth = {"client_id": "3MVG9FAKECONSUMERKEY", "client_secret": "fake-secret", "refresh_token": "5Aep8FAKE"}
    connector = SalesforceConnector(config(instance_url=None, auth=oauth), retry_policy=FAST)
    statuses: list[tuple[str, int]] = []

    def seen(response: requests.Response, *_: Any, **__: Any) -> None:
        statuses.append((response.request.path_url.split("?")[0], response.status_code))

    connector.session.hooks["response"].append(seen)
    with replay("salesforce/invalid_session_then_refresh.yaml") as played:
        pages = list(connector.pull(plain_schema(), None, UNTIL))

    assert played.all_played
    assert played.play_count == 5
    assert statuses == [(TOKEN, 200), (QUERY, 200), (QUERY, 401), (TOKEN, 200), (QUERY, 200)]
    after_401 = statuses[statuses.index((QUERY, 401)) + 1 :]
    assert [path for path, _ in after_401].count(TOKEN) == 1
    assert [d.ref.id for page in pages for d in page.deals] == IDS[:2]
    # the retried query carried the second token, not the expired one
    assert played.sent[-1][1].headers["Authorization"] == "Bearer 00D5e0000000AcmE!AQ4AQFAKEACCESSTOKEN2"
    assert played.sent[0][1].body is not None
    assert b"grant_type=refresh_token" in played.sent[0][1].body


def test_request_limit_exceeded_is_retried(replay: ReplayFn, sleeps: list[float]) -> None:
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay("salesforce/request_limit_then_success.yaml") as played:
        estimate = connector.estimate(None)

    assert estimate == 5
    assert played.all_played
    assert played.play_count == 2
    assert connector.stats.retries == 1
    assert len(sleeps) == 1
    assert sleeps[0] >= 2.0


def test_exhausted_daily_allocation_stops_at_once_with_salesforce_message(
    replay: ReplayFn, sleeps: list[float]
) -> None:
    # "TotalRequests Limit exceeded." is the 24-hour allocation: retrying within a run cannot help.
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay("salesforce/request_limit_persistent.yaml") as played, pytest.raises(FatalError) as raised:
        connector.estimate(None)

    assert played.play_count == 1
    assert "403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in str(raised.value)
    assert "24-hour API request allocation" in str(raised.value)
    assert sleeps == []


@pytest.mark.parametrize(
    ("cassette", "writable", "in_fields"),
    [
        ("salesforce/describe_with_health_score.yaml", True, True),
        ("salesforce/describe_without_health_score.yaml", False, False),
        ("salesforce/describe_health_score_formula.yaml", False, True),  # exists, but a formula: not updateable
    ],
)
def test_describe_detects_the_health_score_field(
    replay: ReplayFn, cassette: str, writable: bool, in_fields: bool
) -> None:
    connector = SalesforceConnector(config(), retry_policy=FAST)
    with replay(cassette) as played:
        schema = connector.discover()

    assert played.all_played
    assert played.play_count == 2
    assert schema.write_fields == {"health_score": writable}
    assert ("DealSync_Health_Score__c" in schema.fields) is in_fields
    assert not schema.multi_currency
    assert schema.fx_rates == {}
    assert schema.details["stage_field_updateable"] is True
