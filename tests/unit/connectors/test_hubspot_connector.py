"""The connector over fake SDK APIs: write safety (re-read, stale, 207, bisecting a 400) and list-read cursors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace as NS
from typing import Any

import pytest
from hubspot.crm.deals import ApiException

from dealsync.config import HubSpotConnection
from dealsync.connectors.base import Cursor, FieldChange, Schema
from dealsync.connectors.hubspot import HubSpotConnector
from dealsync.connectors.hubspot_sdk import Apis
from dealsync.connectors.retry import RetryPolicy
from dealsync.errors import ConfigError, FatalError

Answer = tuple[Any, int, dict[str, str]]


def config(**extra: Any) -> HubSpotConnection:
    return HubSpotConnection.model_validate(
        {"name": "hs-main", "type": "hubspot", "auth": {"access_token": "pat-test"}, **extra}
    )


def connector(**fakes: Any) -> HubSpotConnector:
    apis = Apis(**{name: fakes.get(name) for name in Apis.__dataclass_fields__})
    return HubSpotConnector(config(), apis=apis)


class FakeDealsBatch:
    """Batch read and batch update over an in-memory portal; ``invalid`` ids make a whole batch 400."""

    def __init__(
        self,
        store: dict[str, dict[str, str | None]],
        *,
        rejected: frozenset[str] = frozenset(),
        invalid: frozenset[str] = frozenset(),
    ) -> None:
        self.store = store
        self.rejected = rejected
        self.invalid = invalid
        self.reads: list[list[str]] = []
        self.updates: list[dict[str, dict[str, str]]] = []

    def read_with_http_info(self, batch_read_input_simple_public_object_id: Any, archived: bool, **_: Any) -> Answer:
        request = batch_read_input_simple_public_object_id
        ids = [i.id for i in request.inputs]
        self.reads.append(ids)
        found = [
            NS(id=i, properties={p: self.store[i].get(p) for p in request.properties}) for i in ids if i in self.store
        ]
        missing = [i for i in ids if i not in self.store]
        errors = (
            [NS(category="OBJECT_NOT_FOUND", message="Could not get some DEAL objects", context={"ids": missing})]
            if missing
            else []
        )
        return NS(results=found, errors=errors), 207 if errors else 200, {}

    def update_with_http_info(self, batch_input_simple_public_object_batch_input: Any, **_: Any) -> Answer:
        inputs = {i.id: dict(i.properties) for i in batch_input_simple_public_object_batch_input.inputs}
        self.updates.append(inputs)
        if self.invalid & inputs.keys():
            exc = ApiException(status=400, reason="Bad Request")
            exc.body = json.dumps(
                {"status": "error", "category": "VALIDATION_ERROR", "message": "Property values were not valid"}
            )
            raise exc
        done = [i for i in inputs if i not in self.rejected]
        for i in done:
            self.store[i].update(inputs[i])
        errors = [
            NS(category="VALIDATION_ERROR", message=f"{i} refused by a validation rule", context={"ids": [i]})
            for i in inputs
            if i in self.rejected
        ]
        return NS(results=[NS(id=i) for i in done], errors=errors), 207 if errors else 200, {}


def portal(count: int = 5) -> dict[str, dict[str, str | None]]:
    return {
        str(100 + i): {"dealname": f"Deal {i}", "amount": "10.00", "dealstage": "qualifiedtobuy"} for i in range(count)
    }


def test_apply_rereads_then_sends_only_what_changed() -> None:
    fake = FakeDealsBatch(portal())
    results = connector(deals_batch=fake).apply(
        [
            FieldChange("100", "dealstage", "contractsent", expected="qualifiedtobuy"),
            FieldChange("100", "amount", 10, expected="10.00"),  # already at the target: not sent
            FieldChange("101", "dealname", "Renamed", expected="Deal 1"),
        ]
    )
    assert [(r.record_id, r.ok) for r in results] == [("100", True), ("101", True)]
    assert fake.reads == [["100", "101"]]
    assert fake.updates == [{"100": {"dealstage": "contractsent"}, "101": {"dealname": "Renamed"}}]


def test_a_record_changed_since_read_is_stale_and_not_sent() -> None:
    fake = FakeDealsBatch(portal())
    results = connector(deals_batch=fake).apply(
        [
            FieldChange("100", "dealname", "Mine", expected="What I read"),
            FieldChange("101", "dealname", "Renamed", expected="Deal 1"),
        ]
    )
    stale = results[0]
    assert (stale.ok, stale.error_code) == (False, "STALE")
    assert "'What I read'" in (stale.message or "")
    assert results[1].ok
    assert fake.updates == [{"101": {"dealname": "Renamed"}}]


def test_a_write_already_applied_is_recognised_not_reported_stale() -> None:
    """A run killed after its write and started again: the CRM already holds the value, nothing is resent."""
    fake = FakeDealsBatch(portal())
    fake.store["100"]["dealname"] = "Renamed"
    (result,) = connector(deals_batch=fake).apply([FieldChange("100", "dealname", "Renamed", expected="Deal 0")])
    assert result.ok
    assert fake.updates == []


def test_a_deleted_record_is_reported() -> None:
    fake = FakeDealsBatch(portal())
    (result,) = connector(deals_batch=fake).apply([FieldChange("999", "dealname", "x", expected=None)])
    assert (result.ok, result.error_code) == (False, "OBJECT_NOT_FOUND")
    assert fake.updates == []


def test_partial_batch_failure_fails_only_its_records() -> None:
    fake = FakeDealsBatch(portal(), rejected=frozenset({"102"}))
    changes = [FieldChange(str(100 + i), "dealname", f"New {i}", expected=f"Deal {i}") for i in range(5)]
    results = connector(deals_batch=fake).apply(changes)
    failed = [r for r in results if not r.ok]
    assert [(r.record_id, r.error_code) for r in failed] == [("102", "VALIDATION_ERROR")]
    assert "refused by a validation rule" in (failed[0].message or "")
    assert len(fake.updates) == 1


def test_a_batch_refused_whole_is_bisected_to_the_bad_input() -> None:
    fake = FakeDealsBatch(portal(8), invalid=frozenset({"105"}))
    changes = [FieldChange(str(100 + i), "dealname", f"New {i}", expected=f"Deal {i}") for i in range(8)]
    results = connector(deals_batch=fake).apply(changes)
    assert [r.record_id for r in results if not r.ok] == ["105"]
    assert results[5].error_code == "VALIDATION_ERROR"
    assert fake.store["104"]["dealname"] == "New 4"
    assert len(fake.updates) <= 1 + 2 * 3  # log2(8) levels, two halves each


def test_writes_go_in_batches_of_one_hundred() -> None:
    fake = FakeDealsBatch(portal(250))
    changes = [FieldChange(str(100 + i), "dealname", "x", expected=f"Deal {i}") for i in range(250)]
    results = connector(deals_batch=fake).apply(changes)
    assert all(r.ok for r in results)
    assert [len(r) for r in fake.reads] == [100, 100, 50]
    assert [len(u) for u in fake.updates] == [100, 100, 50]
    assert [r.record_id for r in results] == [c.record_id for c in changes]


def test_an_outage_mid_apply_keeps_what_was_written_and_reports_the_rest() -> None:
    class Outage(FakeDealsBatch):
        def update_with_http_info(self, batch_input_simple_public_object_batch_input: Any, **kw: Any) -> Answer:
            if self.updates:
                self.updates.append({})
                exc = ApiException(status=503, reason="Service Unavailable")
                exc.body = json.dumps({"status": "error", "message": "down", "category": "SERVICE_UNAVAILABLE"})
                raise exc
            return super().update_with_http_info(batch_input_simple_public_object_batch_input, **kw)

    fake = Outage(portal(250))
    changes = [FieldChange(str(100 + i), "dealname", "x", expected=f"Deal {i}") for i in range(250)]
    hub = HubSpotConnector(
        config(),
        apis=Apis(**{n: fake if n == "deals_batch" else None for n in Apis.__dataclass_fields__}),
        retry_policy=RetryPolicy(attempts=2, base=0.001, cap=0.001),
    )
    results = hub.apply(changes)
    assert [r.ok for r in results] == [True] * 100 + [False] * 150
    assert {r.error_code for r in results[100:]} == {"SERVER_ERROR"}
    assert len(fake.reads) == 2  # nothing more is sent once HubSpot is down


# -- list reads -------------------------------------------------------------------------------------------------


class FakeDeals:
    """The list endpoint: pages of deals in id order (modified times deliberately out of order)."""

    def __init__(self, pages: list[list[tuple[str, str]]], tokens: list[str | None]) -> None:
        self.pages, self.tokens, self.calls = pages, tokens, 0

    def get_page_with_http_info(self, **kwargs: Any) -> Answer:
        index = self.calls
        self.calls += 1
        assert kwargs["limit"] == 100
        assert isinstance(kwargs["properties"], list)
        results = [
            NS(
                id=i,
                properties={"dealname": i, "dealstage": "x", "hs_lastmodifieddate": stamp, "createdate": stamp},
                associations=None,
                created_at=None,
                updated_at=None,
                archived=kwargs["archived"],
            )
            for i, stamp in self.pages[index]
        ]
        token = self.tokens[index]
        paging = NS(next=NS(after=token)) if token else None
        return NS(results=results, paging=paging), 200, {}


SCHEMA = Schema(
    stages={},
    fields=frozenset(),
    multi_currency=False,
    corporate_currency="USD",
    fx_rates={"USD": Decimal(1)},
    write_fields={},
    details={"owners": {}},
)


def test_full_pull_moves_the_cursor_only_with_the_last_page() -> None:
    fake = FakeDeals(
        [[("1", "2024-05-02T00:00:00Z"), ("2", "2024-01-01T00:00:00Z")], [("3", "2024-03-01T00:00:00Z")]], ["3", None]
    )
    until = datetime(2024, 6, 1, tzinfo=UTC)
    pages = list(connector(deals=fake).pull(SCHEMA, None, until))
    assert [p.cursor for p in pages] == [None, Cursor(datetime(2024, 5, 2, tzinfo=UTC), "1")]


def test_the_cursor_never_passes_until() -> None:
    fake = FakeDeals([[("1", "2024-07-02T00:00:00Z")]], [None])
    until = datetime(2024, 6, 1, tzinfo=UTC)
    (page,) = connector(deals=fake).pull(SCHEMA, None, until)
    assert page.cursor == Cursor(until, "")


def test_a_repeated_paging_token_raises_instead_of_looping() -> None:
    fake = FakeDeals([[("1", "2024-01-01T00:00:00Z")]] * 3, ["7", "7", None])
    with pytest.raises(FatalError, match="twice"):
        list(connector(deals=fake).pull(SCHEMA, None, datetime(2024, 6, 1, tzinfo=UTC)))


def test_archived_sweep_yields_deleted_ids() -> None:
    fake = FakeDeals([[("1", "2024-01-01T00:00:00Z"), ("2", "2024-01-02T00:00:00Z")], []], ["5", None])
    pages = list(connector(deals=fake).deleted(SCHEMA, None, datetime(2024, 6, 1, tzinfo=UTC)))
    (page,) = pages
    assert (page.stream, page.deleted_ids, page.cursor) == ("deleted", ["1", "2"], None)
    assert all(d.deleted for d in page.deals)


def test_an_unknown_pipeline_in_the_filter_is_a_config_error() -> None:
    pipelines = NS(get_all_with_http_info=lambda **_: (NS(results=[NS(to_dict=lambda: {"id": "default"})]), 200, {}))
    hub = HubSpotConnector(
        config(pipelines=["sales"]),
        apis=Apis(**{name: pipelines if name == "pipelines" else None for name in Apis.__dataclass_fields__}),
    )
    with pytest.raises(ConfigError, match=r"pipelines names sales.*known pipeline ids: default"):
        hub.discover()


def test_rates_are_learned_from_deals_when_the_currencies_api_is_missing() -> None:
    class Converting(FakeDeals):
        def get_page_with_http_info(self, **kwargs: Any) -> Answer:
            answer, status, headers = super().get_page_with_http_info(**kwargs)
            for obj in answer.results:
                obj.properties.update(
                    {"deal_currency_code": "EUR", "amount": "100", "amount_in_home_currency": "108.50"}
                )
            return answer, status, headers

    schema = Schema(
        stages={},
        fields=frozenset(),
        multi_currency=False,
        corporate_currency="USD",
        fx_rates={"USD": Decimal(1)},
        write_fields={},
        details={"fx_source": "derived-from-deals"},
    )
    fake = Converting([[("1", "2024-01-01T00:00:00Z")]], [None])
    list(connector(deals=fake).pull(schema, None, datetime(2024, 6, 1, tzinfo=UTC)))
    assert schema.fx_rates == {"USD": Decimal(1), "EUR": Decimal("1.085")}


def test_the_sdk_client_has_our_host_and_ca_and_no_retries_of_its_own(tmp_path: Any) -> None:
    from dealsync.connectors.hubspot_sdk import build_apis, close_apis

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    apis = build_apis(config(base_url="https://hubspot.internal:8443/", ca_bundle=str(ca)))
    try:
        for api in apis.all():
            settings = api.api_client.configuration
            assert settings.host == "https://hubspot.internal:8443"
            assert settings.ssl_ca_cert == str(ca)
            assert settings.retries.total == 0
            assert getattr(settings, "access_token", None) is None  # the token goes with each request only
    finally:
        close_apis(apis)
