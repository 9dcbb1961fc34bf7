"""The Salesforce emulator's read side through the real simple-salesforce client over HTTPS.

These tests share the session-wide ``emulator`` and only read from it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from dealsync.emulator import EmulatorHandle

pytestmark = pytest.mark.e2e

OPPORTUNITY_FIELDS = (
    "Id, Name, AccountId, Account.Name, Owner.Name, Amount, CurrencyIsoCode, StageName, "
    "Probability, CloseDate, LastModifiedDate, SystemModstamp, IsDeleted, IsClosed, IsWon"
)
NEXT_URL = re.compile(r"^/services/data/v59\.0/(query|queryAll)/01g[0-9A-Za-z]{15}-(\d+)$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def https_session(emulator: EmulatorHandle) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override ``verify``
    session.verify = str(emulator.ca_bundle)
    return session


@pytest.fixture
def http(emulator: EmulatorHandle) -> Iterator[requests.Session]:
    session = https_session(emulator)
    yield session
    session.close()


@pytest.fixture
def sf(emulator: EmulatorHandle, http: requests.Session) -> Salesforce:
    return Salesforce(
        instance_url=emulator.salesforce_url, session_id=emulator.credentials.salesforce_token, session=http
    )


def live_ids(emulator: EmulatorHandle, *, deleted: bool = False) -> set[str]:
    rows = emulator.state.salesforce.tables["Opportunity"].values()
    return {row["Id"] for row in rows if deleted or not row["IsDeleted"]}


def test_query_all_pages_with_batch_size(emulator: EmulatorHandle, sf: Salesforce, http: requests.Session) -> None:
    expected = live_ids(emulator)
    assert len(expected) > 400
    headers = {**sf.headers, "Sforce-Query-Options": "batchSize=200"}
    url = f"{emulator.salesforce_url}/services/data/v59.0/query/"
    page = http.get(url, params={"q": "SELECT Id FROM Opportunity"}, headers=headers).json()
    seen: list[str] = []
    offsets = []
    while True:
        assert page["totalSize"] == len(expected)
        seen.extend(record["Id"] for record in page["records"])
        if page["done"]:
            assert "nextRecordsUrl" not in page
            break
        assert len(page["records"]) == 200
        match = NEXT_URL.match(page["nextRecordsUrl"])
        assert match is not None
        assert match.group(1) == "query"
        offsets.append(int(match.group(2)))
        page = http.get(emulator.salesforce_url + page["nextRecordsUrl"], headers=headers).json()
    assert offsets == list(range(200, len(expected), 200))
    assert len(seen) == len(set(seen))
    assert set(seen) == expected
    assert seen == sorted(seen)  # a stable order (by Id) without ORDER BY

    everything = sf.query_all("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=200"})
    assert [r["Id"] for r in everything["records"]] == seen


def test_query_hides_deleted_rows_query_all_includes_them(emulator: EmulatorHandle, sf: Salesforce) -> None:
    deleted = live_ids(emulator, deleted=True) - live_ids(emulator)
    assert deleted
    visible = sf.query_all("SELECT Id, IsDeleted FROM Opportunity")["records"]
    assert not {r["Id"] for r in visible} & deleted
    every = sf.query_all(
        "SELECT Id, IsDeleted FROM Opportunity", include_deleted=True, headers={"Sforce-Query-Options": "batchSize=250"}
    )["records"]
    assert {r["Id"] for r in every if r["IsDeleted"]} == deleted
    first = sf.query(
        "SELECT Id FROM Opportunity", include_deleted=True, headers={"Sforce-Query-Options": "batchSize=250"}
    )
    assert NEXT_URL.match(first["nextRecordsUrl"]).group(1) == "queryAll"  # type: ignore[union-attr]
    count = sf.query("SELECT COUNT() FROM Opportunity WHERE IsDeleted = true", include_deleted=True)
    assert (count["totalSize"], count["records"]) == (len(deleted), [])


def test_records_have_attributes_relationships_and_salesforce_formats(emulator: EmulatorHandle, sf: Salesforce) -> None:
    state = emulator.state.salesforce
    result = sf.query(f"SELECT {OPPORTUNITY_FIELDS} FROM Opportunity ORDER BY Amount DESC NULLS LAST LIMIT 300")  # noqa: S608
    assert result["done"]
    assert result["totalSize"] == 300
    with_account = without_account = 0
    for record in result["records"]:
        row = state.tables["Opportunity"][record["Id"]]
        assert record["attributes"] == {
            "type": "Opportunity",
            "url": f"/services/data/v59.0/sobjects/Opportunity/{record['Id']}",
        }
        assert DATETIME.match(record["SystemModstamp"])
        assert record["CloseDate"] == row["CloseDate"].isoformat()
        assert record["Owner"]["Name"] == state.tables["User"][row["OwnerId"]]["Name"]
        if row["AccountId"]:
            with_account += 1
            assert record["Account"]["attributes"]["type"] == "Account"
            assert record["Account"]["Name"] == state.tables["Account"][row["AccountId"]]["Name"]
        else:
            without_account += 1
            assert record["Account"] is None
    assert with_account
    assert without_account
    amounts = [r["Amount"] for r in result["records"] if r["Amount"] is not None]
    assert amounts == sorted(amounts, reverse=True)


def test_relationship_filter(emulator: EmulatorHandle, sf: Salesforce) -> None:
    state = emulator.state.salesforce
    row = next(r for r in state.tables["Opportunity"].values() if r["AccountId"] and not r["IsDeleted"])
    account = state.tables["Account"][row["AccountId"]]["Name"]
    escaped = account.replace("\\", "\\\\").replace("'", "\\'")
    result = sf.query_all(f"SELECT Id, Account.Name FROM Opportunity WHERE Account.Name = '{escaped}'")  # noqa: S608
    assert row["Id"] in {r["Id"] for r in result["records"]}
    assert {r["Account"]["Name"] for r in result["records"]} == {account}


def test_describe_lists_fields_stages_and_the_health_score(emulator: EmulatorHandle, sf: Salesforce) -> None:
    describe = sf.Opportunity.describe()
    assert (describe["name"], describe["queryable"], describe["updateable"]) == ("Opportunity", True, True)
    fields = {f["name"]: f for f in describe["fields"]}
    score = fields["DealSync_Health_Score__c"]
    assert (score["type"], score["precision"], score["scale"], score["custom"], score["updateable"]) == (
        "double",
        3,
        0,
        True,
        True,
    )
    assert fields["Amount"]["type"] == "currency"
    assert fields["CloseDate"]["soapType"] == "xsd:date"
    assert fields["IsWon"]["updateable"] is False
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    stages = [
        s["ApiName"]
        for s in sorted(emulator.state.salesforce.tables["OpportunityStage"].values(), key=lambda s: s["SortOrder"])
    ]
    assert [p["value"] for p in fields["StageName"]["picklistValues"]] == stages
    assert {"active", "defaultValue", "label", "validFor", "value"} == set(fields["StageName"]["picklistValues"][0])
    assert "CurrencyIsoCode" in fields
    assert sf.OpportunityStage.describe()["name"] == "OpportunityStage"


def test_query_errors_surface_as_malformed_request(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id, Bogus FROM Opportunity")
    assert caught.value.content == [
        {
            "message": "\nSELECT Id, Bogus FROM Opportunity\n           ^\nERROR at Row:1:Column:12\nNo such column "
            "'Bogus' on entity 'Opportunity'. If you are attempting to use a custom field, be sure to append "
            "the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
            "errorCode": "INVALID_FIELD",
        }
    ]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Opportunity WHERE Name = 'x' ORDER")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert caught.value.content[0]["message"].endswith("unexpected token: <EOF>")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-01-01")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01gAAAAAAAAAAAAAAA-200")
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_hostile_literal_stays_a_literal(sf: Salesforce) -> None:
    assert sf.query("SELECT Id FROM Opportunity WHERE Name = '\\' OR Name != \\''")["totalSize"] == 0


def test_incremental_filter_on_system_modstamp(emulator: EmulatorHandle, sf: Salesforce) -> None:
    rows = sorted(
        r["SystemModstamp"] for r in emulator.state.salesforce.tables["Opportunity"].values() if not r["IsDeleted"]
    )
    cutoff = rows[len(rows) // 2]
    literal = cutoff.strftime("%Y-%m-%dT%H:%M:%S") + f".{cutoff.microsecond // 1000:03d}Z"
    result = sf.query_all(f"SELECT Id FROM Opportunity WHERE SystemModstamp > {literal}")  # noqa: S608
    assert result["totalSize"] == sum(1 for stamp in rows if stamp > cutoff)


def test_limits_usage_header_and_versions(emulator: EmulatorHandle, sf: Salesforce, http: requests.Session) -> None:
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == emulator.state.salesforce.daily_api_max
    assert {"DailyBulkApiRequests", "DataStorageMB"} <= set(limits)
    usage = sf.api_usage["api-usage"]
    assert usage.total == emulator.state.salesforce.daily_api_max
    assert usage.used >= 1
    versions = http.get(f"{emulator.salesforce_url}/services/data/").json()  # public: no token
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions


def test_records_by_id(emulator: EmulatorHandle, sf: Salesforce) -> None:
    rows = emulator.state.salesforce.tables["Opportunity"].values()
    live = next(r for r in rows if not r["IsDeleted"])
    gone = next(r for r in rows if r["IsDeleted"])
    record = sf.Opportunity.get(live["Id"])
    assert (record["Id"], record["Name"]) == (live["Id"], live["Name"])
    assert "DealSync_Health_Score__c" in record
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Opportunity.get(gone["Id"])
    assert caught.value.content == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Opportunity.get("006000000000000AAA")
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def test_unknown_routes_and_methods(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.restful("nothing/here")
    assert caught.value.content == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
    with pytest.raises(SalesforceGeneralError) as general:
        sf.restful("limits", method="DELETE")
    assert general.value.status == 405
    assert general.value.content[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_bulk2_query_returns_every_row(emulator: EmulatorHandle, sf: Salesforce) -> None:
    pages = list(
        sf.bulk2.Opportunity.query(
            "SELECT Id, Name, Account.Name, SystemModstamp FROM Opportunity", max_records=150, wait=0
        )
    )
    assert len(pages) > 2
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(str(page)))]
    assert [r["Id"] for r in rows] == sorted(live_ids(emulator))
    state = emulator.state.salesforce
    for row in rows[:50]:
        stored = state.tables["Opportunity"][row["Id"]]
        assert row["Name"] == stored["Name"]
        account = state.tables["Account"].get(stored["AccountId"]) if stored["AccountId"] else None
        assert row["Account.Name"] == (account["Name"] if account else "")
        assert DATETIME.match(row["SystemModstamp"])
    deleted_too = list(sf.bulk2.Opportunity.query_all("SELECT Id FROM Opportunity", wait=0))
    assert sum(len(page.splitlines()) - 1 for page in deleted_too) == len(live_ids(emulator, deleted=True))


def test_bulk2_job_lifecycle_on_the_wire(emulator: EmulatorHandle, sf: Salesforce, http: requests.Session) -> None:
    base = f"{emulator.salesforce_url}/services/data/v59.0/jobs/query"
    created = http.post(
        base, json={"operation": "query", "query": "SELECT Id, Name FROM Account"}, headers=sf.headers
    ).json()
    assert created["state"] == "UploadComplete"
    assert (created["object"], created["operation"], created["contentType"]) == ("Account", "query", "CSV")
    assert created["id"].startswith("750")
    polled = http.get(f"{base}/{created['id']}", headers=sf.headers).json()
    assert polled["state"] == "JobComplete"
    accounts = len(emulator.state.salesforce.tables["Account"])
    assert polled["numberRecordsProcessed"] == accounts
    first = http.get(f"{base}/{created['id']}/results", params={"maxRecords": 10}, headers=sf.headers)
    assert first.headers["Content-Type"].startswith("text/csv")
    assert first.headers["Sforce-NumberOfRecords"] == "10"
    assert first.text.splitlines()[0] == "Id,Name"
    last = http.get(
        f"{base}/{created['id']}/results",
        headers=sf.headers,
        params={"maxRecords": accounts, "locator": first.headers["Sforce-Locator"]},
    )
    assert last.headers["Sforce-Locator"] == "null"
    assert int(last.headers["Sforce-NumberOfRecords"]) == accounts - 10
    other_version = http.get(
        f"{emulator.salesforce_url}/services/data/v58.0/jobs/query/{created['id']}/results", headers=sf.headers
    )
    assert other_version.status_code == 409
    assert http.delete(f"{base}/{created['id']}", headers=sf.headers).status_code == 204
    assert http.get(f"{base}/{created['id']}", headers=sf.headers).status_code == 404
    bad = http.post(base, json={"operation": "query", "query": "SELECT Nope FROM Account"}, headers=sf.headers)
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALIDJOB"


def test_describe_global_and_basic_info(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Opportunity", "Account", "User", "OpportunityStage", "OpportunityHistory", "CurrencyType"} <= names
    info = sf.Opportunity.metadata()
    assert info["objectDescribe"]["keyPrefix"] == "006"
    assert info["objectDescribe"]["urls"]["describe"] == "/services/data/v59.0/sobjects/Opportunity/describe"
