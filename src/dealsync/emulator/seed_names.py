"""Fixed data for the emulator's seed: word lists, stage and pipeline catalogs, currencies, HubSpot property
definitions, and Salesforce id making.

Nothing here draws random numbers except where a ``random.Random`` is passed in; stage and pipeline ids are the
same for every seed, so configs and tests can name them. ``seed.py`` combines all this with one seeded generator.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from dealsync.emulator.state import Row

# Company names are "<prefix> <core>" or "<core> <industry word>", then a legal suffix that fits the country.
COMPANY_PREFIXES: tuple[str, ...] = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Cyberdyne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Wonka",
    "Aperture",
    "Massive",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
    "Blue Yonder",
    "Red Rock",
    "Silver Lake",
    "Golden Gate",
    "Iron Bridge",
    "Evergreen",
    "Summit",
    "Pinnacle",
    "Harbor",
    "Keystone",
    "Lighthouse",
    "Meridian",
    "Nimbus",
    "Orion",
    "Polaris",
    "Quantum",
    "Redwood",
    "Sterling",
    "Titan",
    "Vertex",
    "Zenith",
    "Atlas",
    "Beacon",
    "Cascade",
    "Delta",
    "Everest",
    "Falcon",
    "Granite",
    "Horizon",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nova",
    "Oakridge",
    "Pioneer",
    "Bluebird",
    "Cobalt",
    "Crescent",
    "Driftwood",
    "Ember",
    "Fjord",
    "Glacier",
    "Highland",
    "Indigo",
    "Jade",
    "Kingfisher",
    "Lakeside",
    "Magnolia",
    "Northstar",
    "Obsidian",
    "Pacific",
    "Quarry",
    "Riverbend",
    "Saffron",
    "Tidewater",
    "Upland",
    "Vanguard",
    "Willow",
    "Yellowstone",
    "Arrow",
    "Bright",
    "Clearwater",
    "Dune",
    "Elm",
    "Foxglove",
)
COMPANY_CORES: tuple[str, ...] = (
    "Systems",
    "Logistics",
    "Analytics",
    "Foods",
    "Energy",
    "Health",
    "Capital",
    "Robotics",
    "Software",
    "Networks",
    "Pharma",
    "Textiles",
    "Motors",
    "Media",
    "Insurance",
    "Holdings",
    "Labs",
    "Solutions",
    "Industries",
    "Retail",
    "Consulting",
    "Materials",
    "Aerospace",
    "Biotech",
    "Telecom",
    "Shipping",
    "Dynamics",
    "Ventures",
    "Technologies",
    "Freight",
    "Hospitality",
    "Semiconductors",
    "Chemicals",
    "Payments",
    "Security",
    "Robotics Lab",
    "Water",
    "Outdoor",
    "Apparel",
    "Learning",
)
# a third word that makes a common name distinct, as real company registers are full of near-namesakes
COMPANY_QUALIFIERS: tuple[str, ...] = (
    "Group",
    "International",
    "Partners",
    "Global",
    "Europe",
    "North America",
    "Worldwide",
    "Services",
    "Holdings",
    "Technologies",
    "Direct",
    "Digital",
    "Pacific",
    "Atlantic",
    "Enterprises",
)
# (base name, country) pairs with accents and punctuation that break naive matching
ACCENTED_COMPANIES: tuple[tuple[str, str], ...] = (
    ("Société Générale d'Équipement", "FR"),
    ("Müller & Söhne", "DE"),
    ("Café Olé", "ES"),
    ("Björk Nordic", "SE"),
    ("Crème Brûlée Pâtisserie", "FR"),
    ("Zürcher Präzision", "CH"),
    ("São Paulo Trading", "BR"),
    ("Łódź Components", "PL"),
    ("Øresund Marine", "DK"),
    ("Ñandú Textil", "ES"),
    ("Château Lumière", "FR"),
    ("Göteborg Fjärrvärme", "SE"),
    ("O'Brien & Sons", "IE"),
    ("Smith-Jones", "GB"),
    ("Dr. Oetker-Weiß", "DE"),
    ("L'Oréal Partenaires", "FR"),
)
LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc", "Inc.", "LLC", "Corp", "Corporation", "Co."),
    "CA": ("Inc", "Ltd", "Corp"),
    "GB": ("Ltd", "PLC", "Limited"),
    "IE": ("Ltd", "Limited"),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "CH": ("AG", "GmbH", "SA"),
    "FR": ("SAS", "S.A.", "SARL"),
    "ES": ("S.A.", "S.L."),
    "BR": ("Ltda", "S.A."),
    "SE": ("AB",),
    "DK": ("A/S", "ApS"),
    "PL": ("Sp. z o.o.", "S.A."),
    "JP": ("K.K.", "Co., Ltd."),
}
COUNTRIES: tuple[str, ...] = ("US", "US", "US", "US", "CA", "GB", "GB", "DE", "FR", "ES", "JP", "CH", "IE")
# the currency a company in this country usually buys in
COUNTRY_CURRENCY: dict[str, str] = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "IE": "EUR",
    "DE": "EUR",
    "CH": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "BR": "USD",
    "SE": "EUR",
    "DK": "EUR",
    "PL": "EUR",
    "JP": "JPY",
}
TLD: dict[str, str] = {
    "US": "com",
    "CA": "ca",
    "GB": "co.uk",
    "IE": "ie",
    "DE": "de",
    "CH": "ch",
    "FR": "fr",
    "ES": "es",
    "BR": "com.br",
    "SE": "se",
    "DK": "dk",
    "PL": "pl",
    "JP": "co.jp",
}
INDUSTRIES: tuple[str, ...] = (
    "Technology",
    "Manufacturing",
    "Finance",
    "Healthcare",
    "Retail",
    "Energy",
    "Media",
    "Transportation",
)

PRODUCTS: tuple[str, ...] = (
    "Enterprise",
    "Platform",
    "Analytics Suite",
    "Data Cloud",
    "Starter",
    "Professional",
    "Premium Support",
    "Security Add-on",
    "API Access",
    "Managed Services",
    "Onboarding",
    "Training",
    "Integration Pack",
    "Mobile",
    "Compliance Module",
    "Global Rollout",
)
DEAL_KINDS: tuple[str, ...] = (
    "Renewal",
    "Expansion",
    "New Business",
    "Upsell",
    "Pilot",
    "Migration",
    "License",
    "Subscription",
)

FIRST_NAMES: tuple[str, ...] = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amélie",
    "Jürgen",
    "Sofia",
    "Mateo",
    "Aoife",
    "Hiroshi",
    "Priya",
    "Chen",
    "Fatima",
    "Lukas",
    "Zoë",
    "Ethan",
    "Chloé",
    "Siobhán",
    "Marco",
    "Ingrid",
)
LAST_NAMES: tuple[str, ...] = (
    "O'Brien",
    "Müller",
    "García",
    "Smith",
    "Nguyen",
    "Johansson",
    "Dubois",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Patel",
    "Okafor",
    "Schmidt",
    "Brown",
    "Lefèvre",
    "MacDonald",
    "Silva",
    "Kim",
    "Novák",
    "Andersen",
)

DESCRIPTIONS: tuple[str, ...] = (
    "Follow-up after the demo; champion is the VP of Operations.",
    "Budget approved for next fiscal year.",
    "Competing with an incumbent vendor; price sensitive.",
    "Procurement wants a 3-year term.",
    "Legal review of the MSA in progress.",
    "Introduced by a partner at the annual conference.",
    "Needs SSO and EU data residency.",
    "Pilot with 50 seats, expansion if successful.",
)
# strings that break naive SOQL/JSON/CSV/HTML handling
HOSTILE_DESCRIPTIONS: tuple[str, ...] = (
    'Spoke with Seán O\'Brien about the "enterprise" tier',
    "Path on their side: C:\\Users\\finance\\quotes\\Q3 — check again",
    "Contact: Zoë Lefèvre (Société Générale), prefers e-mail; naïve about pricing",
    "50% discount?! <b>not</b> approved & needs 'sign-off'",
    "Line one\nLine two\tTabbed; trailing backslash \\",
    "Emoji test 🚀 — déjà vu; 日本語の顧客メモ",
    "SELECT Id FROM Opportunity WHERE Name = 'x' OR '1'='1'",
    'Quote: "We\'ll sign by Friday" — CFO',
)


# ---- catalogs ---------------------------------------------------------------------------------------------
# canonical stage codes used by the seed (DESIGN.md §1 order); WON/LOST are the closed statuses
CANON_LABEL: dict[int, str] = {
    1: "prospecting",
    2: "qualification",
    3: "initial_contact",
    4: "proposal",
    5: "negotiation",
    6: "post_sale",
    7: "lost",
}
WON, LOST = 6, 7

# Salesforce default OpportunityStage picklist: (name, DefaultProbability, IsClosed, IsWon, ForecastCategoryName)
SF_STAGES: tuple[tuple[str, float, bool, bool, str], ...] = (
    ("Prospecting", 10.0, False, False, "Pipeline"),
    ("Qualification", 10.0, False, False, "Pipeline"),
    ("Needs Analysis", 20.0, False, False, "Pipeline"),
    ("Value Proposition", 50.0, False, False, "Pipeline"),
    ("Id. Decision Makers", 60.0, False, False, "Pipeline"),
    ("Perception Analysis", 70.0, False, False, "Pipeline"),
    ("Proposal/Price Quote", 75.0, False, False, "Pipeline"),
    ("Negotiation/Review", 90.0, False, False, "Pipeline"),
    ("Closed Won", 100.0, True, True, "Closed"),
    ("Closed Lost", 0.0, True, False, "Omitted"),
)
# custom open stages: no default mapping covers them (unmapped_stage)
SF_CUSTOM_STAGES: tuple[tuple[str, float, bool, bool, str], ...] = (
    ("Discovery", 15.0, False, False, "Pipeline"),
    ("Verbal Commit", 85.0, False, False, "Commit"),
)
SF_STAGE_INFO: dict[str, tuple[str, float, bool, bool, str]] = {s[0]: s for s in SF_STAGES + SF_CUSTOM_STAGES}
SF_BY_CANON: dict[int, tuple[str, ...]] = {
    1: ("Prospecting",),
    2: ("Qualification",),
    3: ("Needs Analysis", "Value Proposition", "Id. Decision Makers"),
    4: ("Perception Analysis", "Proposal/Price Quote"),
    5: ("Negotiation/Review",),
    WON: ("Closed Won",),
    LOST: ("Closed Lost",),
}
_FORECAST_API = {
    "Pipeline": "Pipeline",
    "Closed": "Closed",
    "Omitted": "Omitted",
    "Commit": "Forecast",
    "Best Case": "BestCase",
}

# HubSpot default pipeline: (id, label, probability, closed)
HS_DEFAULT_STAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)
HS_BY_CANON: dict[int, tuple[str, ...]] = {
    2: ("appointmentscheduled",),
    3: ("qualifiedtobuy",),
    4: ("presentationscheduled",),
    5: ("decisionmakerboughtin", "contractsent"),
    WON: ("closedwon",),
    LOST: ("closedlost",),
}
# a second, custom pipeline with numeric ids (as HubSpot gives custom pipelines); unmapped by default
RENEWALS_PIPELINE_ID = "4372781"
HS_RENEWAL_STAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("1234565", "Renewal Due", "0.3", False),
    ("1234566", "Renewal Discussion", "0.5", False),
    ("1234567", "Renewal Quote Sent", "0.7", False),
    ("1234568", "Renewed", "1.0", True),
    ("1234569", "Churned", "0.0", True),
)
HS_STAGE_INFO: dict[str, tuple[str, str, str, bool]] = {s[0]: s for s in HS_DEFAULT_STAGES + HS_RENEWAL_STAGES}

# Salesforce CurrencyType.ConversionRate: units of the currency per 1 USD (the corporate currency)
SF_RATES: dict[str, float] = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.2, "CAD": 1.36}
# HubSpot exchange rates: USD (home currency) per 1 unit, the same rates seen from the other side
HS_RATES: dict[str, float] = {code: round(1 / rate, 6) for code, rate in SF_RATES.items() if code != "USD"}

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, pod "5g", "0", 9 base-62 digits, then the case checksum.

    The checksum is Salesforce's: for each 5-character chunk of the 15-character id, the bit pattern of its
    uppercase letters indexes ``A-Z0-5``.
    """
    rest, d4 = divmod(number, _PAIR_COUNT)
    rest, d3 = divmod(rest, _PAIR_COUNT)
    rest, d2 = divmod(rest, _PAIR_COUNT)
    d0, d1 = divmod(rest, _PAIR_COUNT)
    digits = _B62[d0 % 62] + _PAIRS[d1] + _PAIRS[d2] + _PAIRS[d3] + _PAIRS[d4]
    flags = digits.translate(_UPPER_TO_BIT)
    head = _HEADS.get(prefix)
    if head is None:
        head = _HEADS[prefix] = _SUFFIX[int(f"{prefix}5g".translate(_UPPER_TO_BIT)[::-1], 2)]
    return f"{prefix}5g0{digits}{head}{_SUFFIX[int(flags[3::-1] + '0', 2)]}{_SUFFIX[int(flags[8:3:-1], 2)]}"


_PAIRS = [a + b for a in _B62 for b in _B62]
_PAIR_COUNT = len(_PAIRS)
_UPPER_TO_BIT = str.maketrans({ch: ("1" if "A" <= ch <= "Z" else "0") for ch in _B62})
_HEADS: dict[str, str] = {}


def sf_checksum(body: str) -> str:
    """The 3-character suffix that turns a 15-character Salesforce id into its 18-character form."""
    return "".join(_SUFFIX[sum(1 << i for i, ch in enumerate(body[k : k + 5]) if "A" <= ch <= "Z")] for k in (0, 5, 10))


def _slow_sf_id(prefix: str, number: int) -> str:
    """The plain definition of ``sf_id``, kept for tests."""
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _B62[rest] + digits
    body = f"{prefix}5g0{digits}"
    return body + sf_checksum(body)


def _stage_json(sid: str, label: str, order: int, prob: str, closed: bool, stamp: str, epoch: str) -> Row:
    return {
        "id": sid,
        "label": label,
        "displayOrder": order,
        "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
        "createdAt": epoch,
        "updatedAt": stamp,
        "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }


def hs_pipelines(rng: random.Random) -> list[Row]:
    """Both deal pipelines in CRM v3 JSON, stages listed in no particular order (as HubSpot does)."""
    epoch = "1970-01-01T00:00:00Z"
    default = [_stage_json(s[0], s[1], i, s[2], s[3], epoch, epoch) for i, s in enumerate(HS_DEFAULT_STAGES)]
    made = "2023-02-14T10:31:07.412Z"
    renewals = [_stage_json(s[0], s[1], i, s[2], s[3], made, made) for i, s in enumerate(HS_RENEWAL_STAGES)]
    rng.shuffle(default)
    rng.shuffle(renewals)
    return [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": default,
            "createdAt": epoch,
            "updatedAt": "2023-01-09T16:02:44.118Z",
            "archived": False,
        },
        {
            "id": RENEWALS_PIPELINE_ID,
            "label": "Renewals",
            "displayOrder": 1,
            "stages": renewals,
            "createdAt": made,
            "updatedAt": made,
            "archived": False,
        },
    ]


def _options(pairs: list[tuple[str, str]]) -> list[Row]:
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
        for i, (value, label) in enumerate(pairs)
    ]


def hs_deal_properties() -> dict[str, Row]:
    """Definitions of the HubSpot-defined deal properties the seed fills (CRM v3 property JSON)."""
    stages = [(s[0], s[1]) for s in HS_DEFAULT_STAGES + HS_RENEWAL_STAGES]
    currencies = [(code, code) for code in SF_RATES]
    # name: (label, type, fieldType, calculated, readOnlyValue, options, description)
    specs: dict[str, tuple[str, str, str, bool, bool, list[Row], str]] = {
        "dealname": ("Deal Name", "string", "text", False, False, [], "The name given to this deal."),
        "amount": ("Amount", "number", "number", False, False, [], "The total amount of the deal."),
        "closedate": ("Close Date", "datetime", "date", False, False, [], "Date the deal was closed."),
        "createdate": ("Create Date", "datetime", "date", False, False, [], "Date the deal was created."),
        "dealstage": ("Deal Stage", "enumeration", "radio", False, False, _options(stages), "The stage of the deal."),
        "pipeline": (
            "Pipeline",
            "enumeration",
            "select",
            False,
            False,
            _options([("default", "Sales Pipeline"), (RENEWALS_PIPELINE_ID, "Renewals")]),
            "The pipeline the deal is in.",
        ),
        "hubspot_owner_id": ("Deal owner", "enumeration", "select", False, False, [], "User the deal is assigned to."),
        "deal_currency_code": (
            "Currency",
            "enumeration",
            "select",
            False,
            False,
            _options(currencies),
            "Currency code for the deal.",
        ),
        "amount_in_home_currency": (
            "Amount in company currency",
            "number",
            "calculation_equation",
            True,
            True,
            [],
            "The amount of the deal, in your company's currency.",
        ),
        "hs_deal_stage_probability": (
            "Deal probability",
            "number",
            "number",
            True,
            True,
            [],
            "The probability a deal will close, from its stage.",
        ),
        "hs_lastmodifieddate": (
            "Last Modified Date",
            "datetime",
            "date",
            False,
            True,
            [],
            "Most recent timestamp of any property update for this deal.",
        ),
        "hs_object_id": ("Record ID", "number", "number", False, True, [], "The unique ID for this record."),
        "notes_last_updated": (
            "Last Activity Date",
            "datetime",
            "date",
            False,
            True,
            [],
            "The last time a note, call, email, meeting or task was logged.",
        ),
        "hs_is_closed": (
            "Is Deal Closed?",
            "bool",
            "booleancheckbox",
            True,
            True,
            _options([("true", "True"), ("false", "False")]),
            "True if the deal is closed.",
        ),
        "hs_is_closed_won": (
            "Is Closed Won",
            "bool",
            "booleancheckbox",
            True,
            True,
            _options([("true", "True"), ("false", "False")]),
            "True if the deal was won.",
        ),
        "num_associated_contacts": (
            "Number of Associated Contacts",
            "number",
            "number",
            True,
            True,
            [],
            "The number of contacts associated with this deal.",
        ),
        "dealtype": (
            "Deal Type",
            "enumeration",
            "radio",
            False,
            False,
            _options([("newbusiness", "New Business"), ("existingbusiness", "Existing Business")]),
            "The type of deal.",
        ),
        "description": ("Deal Description", "string", "textarea", False, False, [], "Description of the deal."),
    }
    out: dict[str, Row] = {}
    for order, (name, (label, kind, field_type, calculated, read_only, options, text)) in enumerate(specs.items()):
        out[name] = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "groupName": "dealinformation",
            "description": text,
            "options": options,
            "displayOrder": order if not read_only else -1,
            "hidden": False,
            "formField": not read_only,
            "hubspotDefined": True,
            "calculated": calculated,
            "externalOptions": name == "hubspot_owner_id",
            "hasUniqueValue": name == "hs_object_id",
            "createdAt": "2019-08-06T02:41:08.306Z",
            "updatedAt": "2024-02-20T18:06:26.471Z",
            "archived": False,
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True, "readOnlyValue": read_only},
        }
    return out


def build_catalog(next_sf: Any) -> tuple[dict[str, Row], dict[str, Row]]:
    """OpportunityStage and CurrencyType rows keyed by Id; ``next_sf(prefix)`` hands out ids."""
    made = datetime(2022, 6, 1, 9, 0, tzinfo=UTC)
    stages: dict[str, Row] = {}
    for order, (name, prob, closed, won, forecast) in enumerate(SF_STAGES + SF_CUSTOM_STAGES, start=1):
        sid = next_sf("01J")
        stages[sid] = {
            "Id": sid,
            "ApiName": name,
            "MasterLabel": name,
            "IsActive": True,
            "IsClosed": closed,
            "IsWon": won,
            "DefaultProbability": prob,
            "ForecastCategory": _FORECAST_API[forecast],
            "ForecastCategoryName": forecast,
            "SortOrder": order,
            "Description": None,
            "CreatedDate": made,
            "LastModifiedDate": made,
            "SystemModstamp": made,
        }
    currencies: dict[str, Row] = {}
    for code, rate in SF_RATES.items():
        cid = next_sf("01L")
        currencies[cid] = {
            "Id": cid,
            "IsoCode": code,
            "ConversionRate": rate,
            "DecimalPlaces": 0 if code == "JPY" else 2,
            "IsActive": True,
            "IsCorporate": code == "USD",
            "CreatedDate": made,
            "LastModifiedDate": made,
            "SystemModstamp": made,
        }
    return stages, currencies
