"""Emulator throughput: pages per second for a 2,000-record Salesforce page and a 100-deal HubSpot page.

Measured two ways: through the real client libraries (what a pull sees), and with bare HTTP + json (what the
emulator itself costs). ``python benchmarks/bench_emulator.py [--deals 20000]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import requests

from benchmarks.baseline_pull import HS_PROPERTIES, HS_TOKEN, SF_FIELDS, SF_TOKEN, hubspot_pages, salesforce_pages
from dealsync.emulator import run_emulator


def rate(pages: Callable[[], int], seconds: float = 3.0) -> float:
    """Pages per second, over whole pulls repeated for at least ``seconds``."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        count += pages()
    return count / (time.perf_counter() - started)


def bare_salesforce(url: str, ca: str) -> int:
    session = requests.Session()
    session.trust_env = False
    headers = {"Authorization": f"Bearer {SF_TOKEN}", "Sforce-Query-Options": "batchSize=2000"}
    body = session.get(
        f"{url}/services/data/v60.0/query",
        params={"q": f"SELECT {SF_FIELDS} FROM Opportunity"},  # noqa: S608
        headers=headers,
        verify=ca,
        timeout=60,
    ).json()
    pages = 1
    while not body["done"]:
        body = session.get(url + body["nextRecordsUrl"], headers=headers, verify=ca, timeout=60).json()
        pages += 1
    return pages


def bare_hubspot(url: str) -> int:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {HS_TOKEN}"}
    params: dict[str, object] = {"limit": 100, "properties": HS_PROPERTIES}
    pages = 0
    while True:
        body = session.get(f"{url}/crm/v3/objects/deals", params=params, headers=headers, timeout=60).json()
        pages += 1
        if "paging" not in body:
            return pages
        params["after"] = body["paging"]["next"]["after"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=20_000)
    args = parser.parse_args()
    with run_emulator(deals=args.deals, seed=42) as h:
        ca = str(h.ca_bundle)
        results = {
            "deals_per_crm": args.deals,
            "salesforce_2000_record_pages_per_s_client": rate(
                lambda: sum(1 for _ in salesforce_pages(h.salesforce_url, ca))
            ),
            "salesforce_2000_record_pages_per_s_bare_http": rate(lambda: bare_salesforce(h.salesforce_url, ca)),
            "hubspot_100_deal_pages_per_s_client": rate(lambda: sum(1 for _ in hubspot_pages(h.hubspot_url))),
            "hubspot_100_deal_pages_per_s_bare_http": rate(lambda: bare_hubspot(h.hubspot_url)),
        }
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
