"""The emulator's in-memory data: one Salesforce org and one HubSpot portal, plus the seed's ground truth.

Salesforce rows keep Python values (``str``, ``float``, ``date``, aware ``datetime``, ``bool``, ``None``) under
their API field names; the Salesforce app formats them on the way out. HubSpot objects keep property values
as strings (or ``None``) exactly as HubSpot sends them, so nothing is lost or re-formatted on the wire.
Every mutation happens under ``lock``: the server is threaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

Row = dict[str, Any]


@dataclass
class SalesforceOrg:
    """One Salesforce org. ``tables`` maps an sObject name to its rows keyed by Id.

    Tables: ``Opportunity``, ``Account``, ``User``, ``OpportunityStage``, ``CurrencyType`` (only when
    ``multi_currency``), ``OpportunityHistory`` (one row per stage/amount/close-date change, oldest first).
    Opportunity fields: Id, Name, AccountId, Amount (float|None), CurrencyIsoCode (only when multi_currency),
    StageName, Probability (0-100 float), CloseDate (date), OwnerId, CreatedDate, LastModifiedDate,
    SystemModstamp (aware datetimes), LastActivityDate (date|None), IsDeleted, IsClosed, IsWon,
    ForecastCategoryName, Type, LeadSource, Description, DealSync_Health_Score__c (float|None).
    """

    org_id: str = "00D5g000004DEMOEA4"
    multi_currency: bool = True
    corporate_currency: str = "USD"
    tables: dict[str, dict[str, Row]] = field(default_factory=dict)
    daily_api_max: int = 1_000_000
    api_used: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def table(self, name: str) -> dict[str, Row]:
        return self.tables.setdefault(name, {})


@dataclass
class HubSpotObject:
    """A CRM object as HubSpot stores it: string properties, creation and update instants, archive state."""

    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    archived_at: datetime | None = None
    # property name -> versions, newest first: {"value", "timestamp" (ISO string), "sourceType"}
    history: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class HubSpotPortal:
    """One HubSpot portal (account)."""

    portal_id: int = 4_242_424
    home_currency: str = "USD"
    time_zone: str = "America/New_York"  # IANA name, as account-info reports it
    # ISO code -> how many units of the home currency one unit is worth (as HubSpot's exchange rates)
    exchange_rates: dict[str, float] = field(default_factory=dict)
    deals: dict[str, HubSpotObject] = field(default_factory=dict)
    companies: dict[str, HubSpotObject] = field(default_factory=dict)
    deal_companies: dict[str, list[str]] = field(default_factory=dict)  # deal id -> company ids
    owners: dict[str, Row] = field(default_factory=dict)  # owner id -> owner JSON (CRM v3 owners shape)
    pipelines: list[Row] = field(default_factory=list)  # CRM v3 pipeline JSON, metadata values as strings
    deal_properties: dict[str, Row] = field(default_factory=dict)  # name -> property definition JSON
    next_id: int = 10_000_000_000
    # bumped by whoever edits objects directly rather than through the API (tests): drops cached searches
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def new_id(self) -> str:
        with self.lock:
            self.next_id += 1
            return str(self.next_id)


@dataclass
class GroundTruth:
    """What the seed planted, so tests and benchmarks can score the quality layer.

    Records are named ``{"system": "salesforce"|"hubspot", "id": ...}``: the emulator knows no connection names.
    ``duplicate_clusters`` lists groups of records that are the same real deal (within one CRM and across
    CRMs); ``flags`` lists planted problems as ``{"system", "id", "rule", "detail"}`` with rule ids from
    DESIGN.md §5 (``stale.no_activity``, ``mis_valued.zero_amount``, ...).
    """

    seed: int
    as_of: date
    duplicate_clusters: list[list[dict[str, str]]] = field(default_factory=list)
    flags: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "duplicate_clusters": self.duplicate_clusters,
            "flags": self.flags,
        }


@dataclass
class EmulatorState:
    salesforce: SalesforceOrg
    hubspot: HubSpotPortal
    truth: GroundTruth


def utc_now() -> datetime:
    """The emulator's clock, in one place so writes stamp consistent instants."""
    return datetime.now(UTC)
