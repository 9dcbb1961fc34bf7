"""Property definitions: HubSpot's standard deal and company properties, and lookups over the portal's own.

A portal's ``deal_properties`` (from the seed) wins; when it is empty, the standard HubSpot-defined deal
properties below stand in, so a hand-built portal behaves like a fresh HubSpot account. Definitions use the
``ModelProperty`` shape of https://developers.hubspot.com/docs/api/crm/properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dealsync.emulator.state import HubSpotPortal

Json = dict[str, Any]

DEALS = "deals"
COMPANIES = "companies"

DEFAULT_LIST_PROPERTIES: dict[str, tuple[str, ...]] = {
    DEALS: (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    COMPANIES: ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}
DEFAULT_SEARCH_PROPERTIES: dict[str, tuple[str, ...]] = {
    DEALS: ("createdate", "dealname", "hs_lastmodifieddate", "hs_object_id"),
    COMPANIES: ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}
# Batch read with no properties asked for returns only these.
DEFAULT_BATCH_PROPERTIES = ("createdate", "hs_lastmodifieddate", "hs_object_id")
SEARCHABLE_TEXT: dict[str, tuple[str, ...]] = {DEALS: ("dealname",), COMPANIES: ("name", "domain", "website")}

# name, label, type, fieldType, read-only value, calculated
_DEAL_SPECS: tuple[tuple[str, str, str, str, bool, bool], ...] = (
    ("dealname", "Deal Name", "string", "text", False, False),
    ("amount", "Amount", "number", "number", False, False),
    ("closedate", "Close Date", "datetime", "date", False, False),
    ("pipeline", "Pipeline", "enumeration", "select", False, False),
    ("dealstage", "Deal Stage", "enumeration", "radio", False, False),
    ("createdate", "Create Date", "datetime", "date", True, False),
    ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", True, True),
    ("hs_object_id", "Record ID", "number", "number", True, True),
    ("hubspot_owner_id", "Deal owner", "enumeration", "select", False, False),
    ("deal_currency_code", "Currency", "enumeration", "select", False, False),
    ("amount_in_home_currency", "Amount in company currency", "number", "number", True, True),
    ("hs_deal_stage_probability", "Deal Stage Probability", "number", "number", True, True),
    ("hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", True, True),
    ("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", True, True),
    ("hs_projected_amount", "Weighted amount", "number", "calculation_equation", True, True),
    (
        "hs_projected_amount_in_home_currency",
        "Weighted amount in company currency",
        "number",
        "calculation_equation",
        True,
        True,
    ),
    ("notes_last_updated", "Last Activity Date", "datetime", "date", True, True),
    ("num_associated_contacts", "Number of Contacts", "number", "number", True, True),
    ("description", "Deal Description", "string", "textarea", False, False),
    ("dealtype", "Deal Type", "enumeration", "radio", False, False),
    ("hs_priority", "Priority", "enumeration", "select", False, False),
    ("hs_next_step", "Next step", "string", "textarea", False, False),
    ("closed_lost_reason", "Closed Lost Reason", "string", "textarea", False, False),
    ("closed_won_reason", "Closed Won Reason", "string", "textarea", False, False),
)
_DEAL_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "dealtype": (("newbusiness", "New Business"), ("existingbusiness", "Existing Business")),
    "hs_priority": (("low", "Low"), ("medium", "Medium"), ("high", "High")),
}
_COMPANY_TYPES: dict[str, str] = {
    "name": "string",
    "domain": "string",
    "website": "string",
    "industry": "enumeration",
    "city": "string",
    "state": "string",
    "country": "string",
    "phone": "string",
    "annualrevenue": "number",
    "numberofemployees": "number",
    "createdate": "datetime",
    "hs_lastmodifieddate": "datetime",
    "hs_object_id": "number",
    "hubspot_owner_id": "enumeration",
    "description": "string",
}
DEFINITION_EPOCH = "2019-08-06T02:43:01.930Z"


def model_property(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    *,
    read_only: bool = False,
    calculated: bool = False,
    options: tuple[tuple[str, str], ...] = (),
    group: str = "dealinformation",
    hubspot_defined: bool = True,
) -> Json:
    """One ``ModelProperty`` as ``GET /crm/v3/properties/deals`` returns it."""
    return {
        "updatedAt": DEFINITION_EPOCH,
        "createdAt": DEFINITION_EPOCH,
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": "",
        "groupName": group,
        "options": [
            {"label": lab, "value": val, "displayOrder": i, "hidden": False} for i, (val, lab) in enumerate(options)
        ],
        "displayOrder": -1,
        "calculated": calculated,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "formField": not read_only,
        "dataSensitivity": "non_sensitive",
        "archived": False,
    }


def standard_deal_properties() -> dict[str, Json]:
    """HubSpot's own deal properties, keyed by name (a seed may start from these)."""
    return {
        name: model_property(
            name, label, type_, field, read_only=ro, calculated=calc, options=_DEAL_OPTIONS.get(name, ())
        )
        for name, label, type_, field, ro, calc in _DEAL_SPECS
    }


_STANDARD_DEALS = standard_deal_properties()


def deal_definitions(portal: HubSpotPortal) -> Mapping[str, Json]:
    return portal.deal_properties or _STANDARD_DEALS


def property_type(portal: HubSpotPortal, kind: str, name: str) -> str:
    """``string``, ``number``, ``datetime``, ``date``, ``bool`` or ``enumeration``."""
    if kind == DEALS:
        definition = deal_definitions(portal).get(name) or _STANDARD_DEALS.get(name)
        return str(definition.get("type", "string")) if definition else "string"
    return _COMPANY_TYPES.get(name, "string")


def is_known(portal: HubSpotPortal, kind: str, name: str) -> bool:
    if kind == DEALS:
        return name in deal_definitions(portal)
    return name in _COMPANY_TYPES


def company_types() -> dict[str, str]:
    """Standard company properties and their types."""
    return dict(_COMPANY_TYPES)


def is_read_only(definition: Json) -> bool:
    metadata = definition.get("modificationMetadata") or {}
    return bool(metadata.get("readOnlyValue")) or bool(definition.get("calculated"))


def option_values(definition: Json) -> set[str]:
    return {str(option.get("value")) for option in definition.get("options") or []}
