"""Injected faults as simple-salesforce sees them: rate limits, expired sessions, 5xx, rejections, a person's edits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from dealsync.emulator import EmulatorHandle, run_emulator
from dealsync.emulator.faults import FaultSettings

pytestmark = pytest.mark.e2e


@contextmanager
def client(**settings: Any) -> Iterator[tuple[EmulatorHandle, Salesforce]]:
    with (
        run_emulator(deals=40, seed=5, fault_settings=FaultSettings(**settings)) as emulator,
        https_session(emulator) as session,
    ):
        yield (
            emulator,
            Salesforce(
                instance_url=emulator.salesforce_url, session_id=emulator.credentials.salesforce_token, session=session
            ),
        )


def https_session(emulator: EmulatorHandle) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override ``verify``
    session.verify = str(emulator.ca_bundle)
    return session


def query_repeatedly(sf: Salesforce, times: int) -> None:
    for _ in range(times):
        sf.query("SELECT Id FROM Opportunity LIMIT 1")


def test_rate_limit_is_refused_request_limit_exceeded() -> None:
    with client(profile="rate-limit", salesforce_per_second=3) as (emulator, sf):
        with pytest.raises(SalesforceRefusedRequest) as caught:
            query_repeatedly(sf, 10)
        assert caught.value.status == 403
        assert caught.value.content == [
            {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
        assert emulator.stats.to_json()["rate_limited"] == {"salesforce": 1}


def test_expired_session_after_some_requests() -> None:
    with client(profile="expired-session", expire_after=2) as (_, sf):
        sf.query("SELECT Id FROM Opportunity LIMIT 1")
        sf.limits()
        with pytest.raises(SalesforceExpiredSession) as caught:
            sf.query("SELECT Id FROM Opportunity LIMIT 1")
        assert caught.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_server_errors_have_salesforce_bodies() -> None:
    with client(profile="flaky", server_error_rate=1.0, drop_rate=0.0, slow_rate=0.0) as (_, sf):
        for _ in range(4):
            with pytest.raises(SalesforceGeneralError) as caught:
                sf.query("SELECT Id FROM Opportunity LIMIT 1")
            assert caught.value.status in (500, 502, 503)
            code = caught.value.content[0]["errorCode"]
            assert code == ("UNKNOWN_EXCEPTION" if caught.value.status == 500 else "SERVER_UNAVAILABLE")


def test_partial_failure_rejects_with_real_codes() -> None:
    with client(profile="partial-failure", reject_rate=1.0) as (emulator, sf):
        ids = [r["Id"] for r in sf.query("SELECT Id FROM Opportunity LIMIT 4")["records"]]
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": "Opportunity"}, "id": i, "DealSync_Health_Score__c": 50} for i in ids],
        }
        results = sf.restful("composite/sobjects", method="PATCH", json=body)
        codes = [r["errors"][0]["statusCode"] for r in results]
        assert codes == ["FIELD_CUSTOM_VALIDATION_EXCEPTION", "UNABLE_TO_LOCK_ROW"] * 2
        assert results[0]["errors"][0]["fields"] == ["CloseDate"]
        assert not any(r["success"] for r in results)
        assert emulator.stats.to_json()["writes"] == {}


def test_a_person_edits_records_right_after_they_are_read() -> None:
    with client(profile="concurrent-edit", person_edit_rate=1.0) as (emulator, sf):
        table = emulator.state.salesforce.tables["Opportunity"]
        history = emulator.state.salesforce.tables["OpportunityHistory"]
        history_before = len(history)
        read = sf.query("SELECT Id, Name, Amount, CloseDate, LastModifiedDate FROM Opportunity")["records"]
        assert read
        changed = 0
        for record in read:
            row = table[record["Id"]]
            now = {"Name": row["Name"], "Amount": row["Amount"], "CloseDate": row["CloseDate"].isoformat()}
            changed += now != {k: record[k] for k in now}
            assert row["LastModifiedDate"].isoformat(timespec="milliseconds")[:23] > record["LastModifiedDate"][:23]
        assert changed == len(read)
        assert len(history) > history_before  # amount and close-date edits leave history
        assert emulator.stats.to_json()["writes"] == {}

    with client(profile="concurrent-edit", person_edit_rate=1.0) as (emulator, sf):
        record = sf.query("SELECT Id, LastModifiedDate FROM Opportunity LIMIT 1")["records"][0]
        row_id = record["Id"]
        seen = emulator.state.salesforce.tables["Opportunity"][row_id]
        header = {"If-Unmodified-Since": format_datetime(seen["CreatedDate"], usegmt=True)}
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.Opportunity.update(row_id, {"DealSync_Health_Score__c": 1}, headers=header)
        assert caught.value.status == 412


def test_daily_api_budget(fresh_emulator: EmulatorHandle) -> None:
    with https_session(fresh_emulator) as session:
        sf = Salesforce(
            instance_url=fresh_emulator.salesforce_url,
            session_id=fresh_emulator.credentials.salesforce_token,
            session=session,
        )
        org = fresh_emulator.state.salesforce
        sf.limits()
        org.daily_api_max = org.api_used + 1
        sf.limits()
        assert sf.api_usage["api-usage"].used == sf.api_usage["api-usage"].total
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.limits()
        assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
