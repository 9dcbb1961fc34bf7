"""The bare baseline: page through every deal of both CRMs with only the two client libraries, writing nothing.

It proves the emulator serves the real clients unchanged (``dealsync emulator serve --deals 5000``, then run
this with the printed URLs), and it is the yardstick dealsync's own pull is timed against.

    python benchmarks/baseline_pull.py --deals 5000                 # starts an emulator in-process
    python benchmarks/baseline_pull.py --salesforce-url https://127.0.0.1:PORT --hubspot-url http://127.0.0.1:PORT2 \\
        --ca-bundle /tmp/.../emulator-ca.pem
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import requests
from hubspot import HubSpot
from simple_salesforce.api import Salesforce
from urllib3.util.retry import Retry

SF_TOKEN = "emulator-sf-session-token"  # noqa: S105 - the emulator's public fixed token
HS_TOKEN = "emulator-hs-private-app-token"  # noqa: S105
SF_FIELDS = (
    "Id, Name, AccountId, Account.Name, Amount, CurrencyIsoCode, StageName, Probability, CloseDate, OwnerId, "
    "CreatedDate, LastModifiedDate, SystemModstamp, LastActivityDate, IsDeleted, IsClosed, IsWon"
)
HS_PROPERTIES = [
    "dealname",
    "amount",
    "closedate",
    "pipeline",
    "dealstage",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
    "hubspot_owner_id",
    "deal_currency_code",
    "amount_in_home_currency",
    "hs_deal_stage_probability",
    "notes_last_updated",
    "hs_is_closed",
    "hs_is_closed_won",
]


@dataclass
class Count:
    records: int = 0
    pages: int = 0
    seconds: float = 0.0


def salesforce_pages(url: str, ca_bundle: str) -> Iterator[list[dict[str, object]]]:
    session = requests.Session()
    session.verify = ca_bundle
    session.trust_env = False  # else REQUESTS_CA_BUNDLE silently replaces `verify` (the trap dealsync pins against)
    sf = Salesforce(instance_url=url, session_id=SF_TOKEN, session=session, version="60.0", parse_float=Decimal)
    headers = {"Sforce-Query-Options": "batchSize=2000"}
    result = sf.query(f"SELECT {SF_FIELDS} FROM Opportunity ORDER BY SystemModstamp, Id", headers=headers)  # noqa: S608
    while True:
        yield result["records"]
        if result["done"]:
            return
        result = sf.query_more(result["nextRecordsUrl"], identifier_is_url=True, headers=headers)


def hubspot_pages(url: str) -> Iterator[list[object]]:
    client = HubSpot(access_token=HS_TOKEN, host=url, retry=Retry(total=3, backoff_factor=0.2))
    after = None
    while True:
        page = client.crm.deals.basic_api.get_page(
            limit=100, after=after, properties=HS_PROPERTIES, associations=["companies"], archived=False
        )
        yield page.results
        if page.paging is None or page.paging.next is None:
            return
        after = page.paging.next.after


def timed(pages: Iterator[list[object]] | Iterator[list[dict[str, object]]]) -> Count:
    count = Count()
    started = time.perf_counter()
    for page in pages:
        count.pages += 1
        count.records += len(page)
    count.seconds = time.perf_counter() - started
    return count


def run(sf_url: str, hs_url: str, ca_bundle: str) -> dict[str, dict[str, float]]:
    out = {}
    for name, pages in (("salesforce", salesforce_pages(sf_url, ca_bundle)), ("hubspot", hubspot_pages(hs_url))):
        count = timed(pages)
        out[name] = {
            "records": count.records,
            "pages": count.pages,
            "seconds": round(count.seconds, 3),
            "pages_per_second": round(count.pages / count.seconds, 1) if count.seconds else 0.0,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=5000)
    parser.add_argument("--salesforce-url")
    parser.add_argument("--hubspot-url")
    parser.add_argument("--ca-bundle")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.salesforce_url:
            sf_url, hs_url, ca = args.salesforce_url, args.hubspot_url, args.ca_bundle
        else:
            from dealsync.emulator import run_emulator

            handle = stack.enter_context(run_emulator(deals=args.deals, seed=42))
            sf_url, hs_url, ca = handle.salesforce_url, handle.hubspot_url, str(handle.ca_bundle)
        print(json.dumps(run(sf_url, hs_url, ca), indent=2))


if __name__ == "__main__":
    main()
