"""SOQL semantics over a small hand-built org: filters, ordering, relationships, type checks, record JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from dealsync.emulator.salesforce.errors import SoqlError
from dealsync.emulator.salesforce.query import compile_soql
from dealsync.emulator.salesforce.records import JsonProjection, to_csv
from dealsync.emulator.state import Row, SalesforceOrg, utc_now

USERS = {"005A00000000001AAA": {"Id": "005A00000000001AAA", "Name": "Ada Lovelace", "IsActive": True}}
ACCOUNTS = {
    "001A00000000001AAA": {
        "Id": "001A00000000001AAA",
        "Name": "Acme Corp",
        "OwnerId": "005A00000000001AAA",
        "IsDeleted": False,
    },
    "001A00000000002AAA": {
        "Id": "001A00000000002AAA",
        "Name": "Globex",
        "OwnerId": "005A00000000001AAA",
        "IsDeleted": False,
    },
}


def opportunity(n: int, **fields: object) -> Row:
    row: Row = {
        "Id": f"006A0000000000{n}AAA",
        "Name": f"Deal {n}",
        "AccountId": None,
        "Amount": 1000.0 * n,
        "CurrencyIsoCode": "USD",
        "StageName": "Prospecting",
        "Probability": 10.0,
        "CloseDate": date(2024, 1, n),
        "OwnerId": "005A00000000001AAA",
        "IsDeleted": False,
        "IsClosed": False,
        "IsWon": False,
        "SystemModstamp": datetime(2024, 1, n, 12, 0, tzinfo=UTC),
        "DealSync_Health_Score__c": None,
    }
    row.update(fields)
    return row


def make_org(*, multi_currency: bool = True) -> SalesforceOrg:
    org = SalesforceOrg(multi_currency=multi_currency)
    rows = [
        opportunity(1, Name="acme renewal", AccountId="001A00000000001AAA"),
        opportunity(2, Name="ACME Expansion", AccountId="001A00000000001AAA", Amount=None),
        opportunity(
            3, Name="O'Brien deal", AccountId="001A00000000002AAA", StageName="Closed Won", IsClosed=True, IsWon=True
        ),
        opportunity(4, Name="100% off", IsDeleted=True),
        opportunity(5, Name="Globex pilot", AccountId="001A00000000002AAA", Amount=250.0),
    ]
    org.tables["Opportunity"] = {row["Id"]: row for row in rows}
    org.tables["Account"] = {k: dict(v) for k, v in ACCOUNTS.items()}
    org.tables["User"] = {k: dict(v) for k, v in USERS.items()}
    if multi_currency:
        org.tables["CurrencyType"] = {"01LA00000000001AAA": {"Id": "01LA00000000001AAA", "IsoCode": "USD"}}
    return org


def names(org: SalesforceOrg, soql: str, *, include_deleted: bool = False) -> list[str]:
    return [row["Name"] for row in compile_soql(org, soql).select(include_deleted)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'ACME RENEWAL'", ["acme renewal"]),
        ("Name != 'acme renewal'", ["ACME Expansion", "O'Brien deal", "Globex pilot"]),
        ("Name = 'O\\'Brien deal'", ["O'Brien deal"]),
        ("Name = '\\' OR Name != \\''", []),
        ("Amount = null", ["ACME Expansion"]),
        ("Amount != null AND Amount < 2500", ["acme renewal", "Globex pilot"]),
        ("Amount != 1000", ["ACME Expansion", "O'Brien deal", "Globex pilot"]),
        ("Amount >= 3000 OR Amount <= 250", ["O'Brien deal", "Globex pilot"]),
        ("StageName IN ('closed won', 'Negotiation/Review')", ["O'Brien deal"]),
        ("StageName NOT IN ('Closed Won')", ["acme renewal", "ACME Expansion", "Globex pilot"]),
        ("NOT (IsClosed = true OR Amount = null)", ["acme renewal", "Globex pilot"]),
        ("Name LIKE 'acme%'", ["acme renewal", "ACME Expansion"]),
        ("Name LIKE '%_pilot'", ["Globex pilot"]),
        ("Account.Name = 'Acme Corp'", ["acme renewal", "ACME Expansion"]),
        ("Account.Owner.Name LIKE 'Ada%' AND IsWon = true", ["O'Brien deal"]),
        ("AccountId = null", []),
        ("CloseDate > 2024-01-02 AND CloseDate <= 2024-01-05", ["O'Brien deal", "Globex pilot"]),
        ("SystemModstamp >= 2024-01-03T12:00:00Z", ["O'Brien deal", "Globex pilot"]),
        ("SystemModstamp < 2024-01-03T14:00:00+02:00", ["acme renewal", "ACME Expansion"]),
        ("Id = '006A00000000001'", ["acme renewal"]),
        (
            "CurrencyIsoCode = 'usd' AND DealSync_Health_Score__c = null",
            ["acme renewal", "ACME Expansion", "O'Brien deal", "Globex pilot"],
        ),
    ],
)
def test_where_semantics(where: str, expected: list[str]) -> None:
    assert names(make_org(), f"SELECT Name FROM Opportunity WHERE {where}") == expected  # noqa: S608


def test_query_hides_deleted_rows_and_query_all_shows_them() -> None:
    org = make_org()
    assert "100% off" not in names(org, "SELECT Name FROM Opportunity")
    assert names(org, r"SELECT Name FROM Opportunity WHERE Name LIKE '100\%%'", include_deleted=True) == ["100% off"]


def test_order_by_nulls_limit_offset_and_default_order_by_id() -> None:
    org = make_org()
    assert names(org, "SELECT Name FROM Opportunity") == [
        "acme renewal",
        "ACME Expansion",
        "O'Brien deal",
        "Globex pilot",
    ]
    assert names(org, "SELECT Name FROM Opportunity ORDER BY Amount") == [
        "ACME Expansion",
        "Globex pilot",
        "acme renewal",
        "O'Brien deal",
    ]
    assert names(org, "SELECT Name FROM Opportunity ORDER BY Amount DESC") == [
        "O'Brien deal",
        "acme renewal",
        "Globex pilot",
        "ACME Expansion",
    ]
    assert names(org, "SELECT Name FROM Opportunity ORDER BY Amount DESC NULLS FIRST LIMIT 2") == [
        "ACME Expansion",
        "O'Brien deal",
    ]
    assert names(org, "SELECT Name FROM Opportunity ORDER BY Account.Name DESC, Name LIMIT 2 OFFSET 1") == [
        "O'Brien deal",
        "ACME Expansion",
    ]
    assert names(org, "SELECT Name FROM Opportunity ORDER BY Name") == [  # text sorts case-insensitively
        "ACME Expansion",
        "acme renewal",
        "Globex pilot",
        "O'Brien deal",
    ]


def test_relative_dates() -> None:
    org = make_org()
    today = utc_now().date()
    rows = org.tables["Opportunity"]
    rows["006A00000000001AAA"]["CloseDate"] = today
    rows["006A00000000002AAA"]["CloseDate"] = today - timedelta(days=1)
    rows["006A00000000003AAA"]["SystemModstamp"] = utc_now() - timedelta(days=3)
    assert names(org, "SELECT Name FROM Opportunity WHERE CloseDate = TODAY") == ["acme renewal"]
    assert names(org, "SELECT Name FROM Opportunity WHERE CloseDate = YESTERDAY") == ["ACME Expansion"]
    assert names(org, "SELECT Name FROM Opportunity WHERE SystemModstamp = LAST_N_DAYS:7") == ["O'Brien deal"]
    before_the_window = names(org, "SELECT Name FROM Opportunity WHERE CloseDate < LAST_N_DAYS:7")
    assert before_the_window == ["O'Brien deal", "Globex pilot"]


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        (
            "SELECT Id, Bogus FROM Opportunity",
            "INVALID_FIELD",
            "No such column 'Bogus' on entity 'Opportunity'. If you are attempting to use a custom field, be sure to "
            "append the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
        ),
        (
            "SELECT Id FROM Opportunity WHERE Account.Bogus = 'x'",
            "INVALID_FIELD",
            "No such column 'Bogus' on entity 'Account'. If you are attempting to use a custom field, be sure to "
            "append the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
        ),
        (
            "SELECT Accnt.Name FROM Opportunity",
            "INVALID_FIELD",
            "Didn't understand relationship 'Accnt' in field path. If you are attempting to use a custom relationship, "
            "be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
        ),
        (
            "SELECT Id FROM Opportunityy",
            "INVALID_TYPE",
            "sObject type 'Opportunityy' is not supported. If you are attempting to use a custom object, be sure to "
            "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-01T00:00:00Z",
            "INVALID_FIELD",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate > '2024-01-01'",
            "INVALID_FIELD",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-01-01",
            "INVALID_FIELD",
            "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed "
            "in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE Amount > '5'",
            "INVALID_FIELD",
            "value of filter criterion for field 'Amount' must be of type double and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE IsWon = 'true'",
            "INVALID_FIELD",
            "value of filter criterion for field 'IsWon' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE Name = 5",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        ("SELECT Id, Name, id FROM Opportunity", "MALFORMED_QUERY", "duplicate field selected: Id"),
    ],
)
def test_binding_errors(soql: str, code: str, detail: str) -> None:
    with pytest.raises(SoqlError) as caught:
        compile_soql(make_org(), soql)
    assert (caught.value.code, caught.value.detail) == (code, detail)


def test_currency_exists_only_in_multi_currency_orgs() -> None:
    single = make_org(multi_currency=False)
    with pytest.raises(SoqlError) as caught:
        compile_soql(single, "SELECT Id, CurrencyIsoCode FROM Opportunity")
    assert caught.value.code == "INVALID_FIELD"
    with pytest.raises(SoqlError) as caught:
        compile_soql(single, "SELECT IsoCode FROM CurrencyType")
    assert caught.value.code == "INVALID_TYPE"
    assert compile_soql(make_org(), "SELECT IsoCode FROM CurrencyType").select(False) != []


def test_names_are_case_insensitive_and_output_is_canonical() -> None:
    compiled = compile_soql(make_org(), "select id, NAME, account.name, opportunity.amount from OPPORTUNITY")
    assert [c.path for c in compiled.columns] == ["Id", "Name", "Account.Name", "Amount"]
    assert compiled.obj.name == "Opportunity"


def test_count() -> None:
    org = make_org()
    compiled = compile_soql(org, "SELECT COUNT() FROM Opportunity WHERE Amount > 500")
    assert compiled.is_count
    assert len(compiled.select(False)) == 2
    assert len(compiled.select(True)) == 3


def test_json_records_match_the_rest_shape() -> None:
    org = make_org()
    org.tables["Opportunity"]["006A00000000001AAA"]["Probability"] = 10  # an int goes out as a double
    compiled = compile_soql(
        org,
        "SELECT Id, Name, Amount, Probability, CloseDate, SystemModstamp, IsWon, "
        "Account.Name, Account.Owner.Name FROM Opportunity WHERE Id IN "
        "('006A00000000001AAA', '006A00000000005AAA')",
    )
    rows = compiled.select(False)
    projection = JsonProjection(compiled.obj, compiled.columns, "59.0")
    texts = projection.json_records(rows, org.tables)
    first = json.loads(texts[0])
    assert list(first) == [
        "attributes",
        "Id",
        "Name",
        "Amount",
        "Probability",
        "CloseDate",
        "SystemModstamp",
        "IsWon",
        "Account",
    ]
    assert first["attributes"] == {
        "type": "Opportunity",
        "url": "/services/data/v59.0/sobjects/Opportunity/006A00000000001AAA",
    }
    assert first["Probability"] == 10.0
    assert isinstance(first["Probability"], float)
    assert (first["CloseDate"], first["SystemModstamp"]) == ("2024-01-01", "2024-01-01T12:00:00.000+0000")
    assert first["IsWon"] is False
    assert first["Account"] == {
        "attributes": {"type": "Account", "url": "/services/data/v59.0/sobjects/Account/001A00000000001AAA"},
        "Name": "Acme Corp",
        "Owner": {
            "attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/User/005A00000000001AAA"},
            "Name": "Ada Lovelace",
        },
    }
    org.tables["Opportunity"]["006A00000000005AAA"]["AccountId"] = None
    assert json.loads(projection.json_records(rows, org.tables)[1])["Account"] is None


def test_csv_has_relationship_headers_and_empty_nulls() -> None:
    org = make_org()
    compiled = compile_soql(
        org,
        "SELECT Id, Name, Amount, SystemModstamp, IsWon, Account.Name FROM Opportunity "
        "WHERE Amount = null OR Name LIKE 'O%'",
    )
    text = to_csv(compiled.columns, compiled.select(False), org.tables, ",", "\n")
    assert text.splitlines() == [
        "Id,Name,Amount,SystemModstamp,IsWon,Account.Name",
        "006A00000000002AAA,ACME Expansion,,2024-01-02T12:00:00.000+0000,false,Acme Corp",
        "006A00000000003AAA,O'Brien deal,3000.0,2024-01-03T12:00:00.000+0000,true,Globex",
    ]
