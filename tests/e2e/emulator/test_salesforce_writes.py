"""Writes against the Salesforce emulator through simple-salesforce: single PATCH, collections, side effects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from dealsync.emulator import EmulatorHandle
from dealsync.emulator.state import Row

pytestmark = pytest.mark.e2e


@pytest.fixture
def sf(fresh_emulator: EmulatorHandle) -> Iterator[Salesforce]:
    session = requests.Session()
    session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override ``verify``
    session.verify = str(fresh_emulator.ca_bundle)
    yield Salesforce(
        instance_url=fresh_emulator.salesforce_url,
        session_id=fresh_emulator.credentials.salesforce_token,
        session=session,
    )
    session.close()


def open_rows(emulator: EmulatorHandle, count: int) -> list[Row]:
    rows = [
        r for r in emulator.state.salesforce.tables["Opportunity"].values() if not r["IsDeleted"] and not r["IsClosed"]
    ]
    return rows[:count]


def history_of(emulator: EmulatorHandle, opportunity_id: str) -> list[Row]:
    return [
        h
        for h in emulator.state.salesforce.tables["OpportunityHistory"].values()
        if h["OpportunityId"] == opportunity_id
    ]


def won_stage(emulator: EmulatorHandle) -> Row:
    return next(s for s in emulator.state.salesforce.tables["OpportunityStage"].values() if s["IsWon"])


def test_single_patch_updates_stamps_stage_flags_and_history(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    row = open_rows(fresh_emulator, 1)[0]
    before = sf.query(f"SELECT SystemModstamp FROM Opportunity WHERE Id = '{row['Id']}'")["records"][0]  # noqa: S608
    history_before = len(history_of(fresh_emulator, row["Id"]))
    stage = won_stage(fresh_emulator)
    assert sf.Opportunity.update(row["Id"], {"StageName": stage["ApiName"], "DealSync_Health_Score__c": 72.4}) == 204
    after = sf.Opportunity.get(row["Id"])
    assert datetime.fromisoformat(after["SystemModstamp"]) > datetime.fromisoformat(before["SystemModstamp"])
    assert after["LastModifiedDate"] == after["SystemModstamp"]
    assert after["SystemModstamp"].endswith("+0000")
    assert len(after["SystemModstamp"]) == 28
    assert (after["StageName"], after["IsClosed"], after["IsWon"]) == (stage["ApiName"], True, True)
    assert after["Probability"] == stage["DefaultProbability"]
    assert after["ForecastCategoryName"] == stage["ForecastCategoryName"]
    assert after["DealSync_Health_Score__c"] == 72.0  # precision 3, scale 0
    history = history_of(fresh_emulator, row["Id"])
    assert len(history) == history_before + 1
    assert history[-1]["StageName"] == stage["ApiName"]
    newer = sf.query_all(f"SELECT Id FROM Opportunity WHERE SystemModstamp > {before['SystemModstamp'][:23]}Z")  # noqa: S608
    assert row["Id"] in {r["Id"] for r in newer["records"]}
    assert fresh_emulator.stats.to_json()["writes"] == {"salesforce": 1}


def test_score_only_write_adds_no_history(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    row = open_rows(fresh_emulator, 1)[0]
    count = len(history_of(fresh_emulator, row["Id"]))
    assert sf.Opportunity.update(row["Id"], {"DealSync_Health_Score__c": 10}) == 204
    assert len(history_of(fresh_emulator, row["Id"])) == count


def test_if_unmodified_since(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    row = open_rows(fresh_emulator, 1)[0]
    read_at = row["LastModifiedDate"]
    fresh = format_datetime(read_at, usegmt=True)
    assert sf.Opportunity.update(row["Id"], {"Amount": 1234.5}, headers={"If-Unmodified-Since": fresh}) == 204
    with pytest.raises(SalesforceGeneralError) as caught:  # the record changed after read_at
        sf.Opportunity.update(row["Id"], {"Amount": 99}, headers={"If-Unmodified-Since": fresh})
    assert caught.value.status == 412
    assert caught.value.content[0]["errorCode"] == "PRECONDITION_FAILED"
    assert fresh_emulator.state.salesforce.tables["Opportunity"][row["Id"]]["Amount"] == 1234.5
    stale = format_datetime(read_at - timedelta(days=1), usegmt=True)
    with pytest.raises(SalesforceGeneralError):
        sf.Opportunity.update(row["Id"], {"Amount": 99}, headers={"If-Unmodified-Since": stale})
    with pytest.raises(SalesforceMalformedRequest):
        sf.Opportunity.update(row["Id"], {"Amount": 99}, headers={"If-Unmodified-Since": "yesterday"})


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Bogus__c": 1}, "INVALID_FIELD", None),
        (
            {"IsWon": True, "SystemModstamp": "2024-01-01T00:00:00Z"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["IsWon", "SystemModstamp"],
        ),
        ({"DealSync_Health_Score__c": 1000}, "NUMBER_OUTSIDE_VALID_RANGE", ["DealSync_Health_Score__c"]),
        ({"Amount": "lots"}, "JSON_PARSER_ERROR", None),
        ({"CloseDate": None}, "REQUIRED_FIELD_MISSING", ["CloseDate"]),
        ({"CloseDate": "2024-13-45"}, "JSON_PARSER_ERROR", None),
        ({"CurrencyIsoCode": "XYZ"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["CurrencyIsoCode"]),
        ({"AccountId": "001000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
        ({"Name": "x" * 121}, "STRING_TOO_LONG", ["Name"]),
    ],
)
def test_invalid_writes(
    fresh_emulator: EmulatorHandle, sf: Salesforce, body: dict[str, object], code: str, fields: list[str] | None
) -> None:
    row = open_rows(fresh_emulator, 1)[0]
    stamp = row["SystemModstamp"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Opportunity.update(row["Id"], body)
    error = caught.value.content[0]
    assert error["errorCode"] == code
    assert error.get("fields") == fields
    assert row["SystemModstamp"] == stamp


def test_patch_of_deleted_or_unknown_records(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    gone = next(r for r in fresh_emulator.state.salesforce.tables["Opportunity"].values() if r["IsDeleted"])
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Opportunity.update(gone["Id"], {"Amount": 1})
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Opportunity.update("006000000000000AAA", {"Amount": 1})
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def collection(records: list[dict[str, object]], *, all_or_none: bool) -> dict[str, object]:
    return {"allOrNone": all_or_none, "records": [{"attributes": {"type": "Opportunity"}, **r} for r in records]}


def test_collection_update_with_one_failure(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    first, second = open_rows(fresh_emulator, 2)
    gone = next(r for r in fresh_emulator.state.salesforce.tables["Opportunity"].values() if r["IsDeleted"])
    body = collection(
        [
            {"id": first["Id"], "DealSync_Health_Score__c": 55},
            {"id": "006000000000000AAA", "DealSync_Health_Score__c": 1},
            {"Id": second["Id"], "Amount": 777.0},
            {"id": gone["Id"], "Amount": 1},
            {"id": "not-an-id", "Amount": 1},
        ],
        all_or_none=False,
    )
    results = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert results == [
        {"id": first["Id"], "success": True, "errors": []},
        {
            "id": "006000000000000AAA",
            "success": False,
            "errors": [
                {"statusCode": "INVALID_CROSS_REFERENCE_KEY", "message": "invalid cross reference id", "fields": []}
            ],
        },
        {"id": second["Id"], "success": True, "errors": []},
        {
            "id": gone["Id"],
            "success": False,
            "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}],
        },
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "MALFORMED_ID",
                    "fields": ["Id"],
                    "message": "Opportunity ID: id value of incorrect type: not-an-id",
                }
            ],
        },
    ]
    assert first["DealSync_Health_Score__c"] == 55.0
    assert second["Amount"] == 777.0
    assert fresh_emulator.stats.to_json()["writes"] == {"salesforce": 2}


def test_collection_all_or_none_rolls_back(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    first, second = open_rows(fresh_emulator, 2)
    stamps = (first["SystemModstamp"], second["SystemModstamp"])
    body = collection(
        [
            {"id": first["Id"], "DealSync_Health_Score__c": 55},
            {"id": second["Id"], "IsWon": True},
        ],
        all_or_none=True,
    )
    results = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert results[0] == {
        "id": first["Id"],
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": (
                    "Record rolled back because not all records were valid and the request was using AllOrNone header"
                ),
                "fields": [],
            }
        ],
    }
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert (first["SystemModstamp"], second["SystemModstamp"]) == stamps
    assert first["DealSync_Health_Score__c"] is None


def test_collection_over_200_records_is_refused(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    row = open_rows(fresh_emulator, 1)[0]
    body = collection([{"id": row["Id"], "DealSync_Health_Score__c": 1}] * 201, all_or_none=False)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="PATCH", json=body)
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert row["DealSync_Health_Score__c"] is None


def test_reset_invalidates_open_cursors(fresh_emulator: EmulatorHandle, sf: Salesforce) -> None:
    first = sf.query("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=200"})
    assert not first["done"]
    fresh_emulator.reset()
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
