"""Full 2000-record query pages of a wide SELECT through simple-salesforce (pages/s: benchmarks/bench_emulator.py)."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce

from dealsync.emulator import run_emulator

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDE_SELECT = (
    "SELECT Id, Name, AccountId, Account.Name, Amount, CurrencyIsoCode, StageName, Probability, CloseDate, "
    "OwnerId, Owner.Name, CreatedDate, LastModifiedDate, SystemModstamp, LastActivityDate, IsDeleted, "
    "IsClosed, IsWon, ForecastCategoryName, Type, LeadSource, Description, DealSync_Health_Score__c "
    "FROM Opportunity"
)


def test_a_wide_select_comes_in_full_pages() -> None:
    with run_emulator(deals=8200, seed=3) as emulator, requests.Session() as session:
        session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override ``verify``
        session.verify = str(emulator.ca_bundle)
        sf = Salesforce(
            instance_url=emulator.salesforce_url, session_id=emulator.credentials.salesforce_token, session=session
        )
        result = sf.query_all(WIDE_SELECT)
    pages = emulator.stats.to_json()["requests"]["salesforce GET query/next"] + 1
    assert pages == 4
    assert result["totalSize"] == len(result["records"]) > 6000
