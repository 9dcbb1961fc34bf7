"""The sObjects the emulated org has, with the field metadata describe, SOQL and writes all rely on.

Field types and labels follow a real Opportunity describe (CumulusCI's recorded
``GET_sobjects_Opportunity_describe.yaml``) and the field reference pages:
https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunity.html
https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-opportunitystage.html
``CurrencyIsoCode`` and the ``CurrencyType`` object exist only in multi-currency orgs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from dealsync.emulator.state import SalesforceOrg

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "string": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "currency": "xsd:double",
    "double": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
STRING_TYPES = frozenset({"id", "reference", "string", "textarea", "picklist", "email", "phone", "url"})
NUMBER_TYPES = frozenset({"currency", "double", "percent", "int"})
FORECAST_CATEGORIES = ("Omitted", "Pipeline", "Best Case", "Commit", "Closed")


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    updateable: bool = False
    createable: bool = False
    custom: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    name_field: bool = False
    picklist: tuple[str, ...] = ()  # fixed values; StageName/CurrencyIsoCode come from the org

    @property
    def soap_type(self) -> str:
        return SOAP_TYPES.get(self.type, "xsd:anyType")


@dataclass(frozen=True)
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    updateable: bool = False
    has_currency: bool = False
    needs_multi_currency: bool = False


def _rw(name: str, label: str, ftype: str, **kw: Any) -> FieldDef:
    """A field the API may create and update."""
    return FieldDef(name, label, ftype, updateable=True, createable=True, **kw)


def _ro(name: str, label: str, ftype: str, **kw: Any) -> FieldDef:
    return FieldDef(name, label, ftype, **kw)


def _audit() -> tuple[FieldDef, ...]:
    return (
        _ro("CreatedDate", "Created Date", "datetime", nillable=False),
        _ro("LastModifiedDate", "Last Modified Date", "datetime", nillable=False),
        _ro("SystemModstamp", "System Modstamp", "datetime", nillable=False),
    )


def _id(label: str) -> FieldDef:
    return _ro("Id", label, "id", length=18, nillable=False)


def _deleted() -> FieldDef:
    return _ro("IsDeleted", "Deleted", "boolean", nillable=False)


OPPORTUNITY = ObjectDef(
    "Opportunity",
    "Opportunity",
    "Opportunities",
    "006",
    (
        _id("Opportunity ID"),
        _deleted(),
        _rw("AccountId", "Account ID", "reference", length=18, reference_to="Account", relationship_name="Account"),
        _rw("Name", "Name", "string", length=120, nillable=False, name_field=True),
        _rw("Description", "Description", "textarea", length=32000),
        _rw("StageName", "Stage", "picklist", length=255, nillable=False),
        _rw("Amount", "Amount", "currency", precision=18, scale=2),
        _rw("Probability", "Probability (%)", "percent", precision=3, scale=0),
        _rw("CloseDate", "Close Date", "date", nillable=False),
        _rw(
            "Type",
            "Opportunity Type",
            "picklist",
            length=255,
            picklist=(
                "Existing Customer - Upgrade",
                "Existing Customer - Replacement",
                "Existing Customer - Downgrade",
                "New Customer",
            ),
        ),
        _rw(
            "LeadSource",
            "Lead Source",
            "picklist",
            length=255,
            picklist=("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
        ),
        _ro("IsClosed", "Closed", "boolean", nillable=False),
        _ro("IsWon", "Won", "boolean", nillable=False),
        _rw("ForecastCategoryName", "Forecast Category", "picklist", length=255, picklist=FORECAST_CATEGORIES),
        _rw(
            "OwnerId",
            "Owner ID",
            "reference",
            length=18,
            nillable=False,
            reference_to="User",
            relationship_name="Owner",
        ),
        *_audit(),
        _ro("LastActivityDate", "Last Activity", "date"),
        _rw("DealSync_Health_Score__c", "DealSync Health Score", "double", precision=3, scale=0, custom=True),
    ),
    updateable=True,
    has_currency=True,
)

ACCOUNT = ObjectDef(
    "Account",
    "Account",
    "Accounts",
    "001",
    (
        _id("Account ID"),
        _deleted(),
        _rw("Name", "Account Name", "string", length=255, nillable=False, name_field=True),
        _rw(
            "Type",
            "Account Type",
            "picklist",
            length=255,
            picklist=(
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ),
        ),
        _rw("Industry", "Industry", "picklist", length=255),
        _rw("Website", "Website", "url", length=255),
        _rw("BillingCountry", "Billing Country", "string", length=80),
        _rw(
            "OwnerId",
            "Owner ID",
            "reference",
            length=18,
            nillable=False,
            reference_to="User",
            relationship_name="Owner",
        ),
        *_audit(),
    ),
    updateable=True,
    has_currency=True,
)

USER = ObjectDef(
    "User",
    "User",
    "Users",
    "005",
    (
        _id("User ID"),
        _rw("Username", "Username", "string", length=80, nillable=False),
        _rw("FirstName", "First Name", "string", length=40),
        _rw("LastName", "Last Name", "string", length=80, nillable=False),
        _ro("Name", "Full Name", "string", length=121, nillable=False, name_field=True),
        _rw("Email", "Email", "email", length=128, nillable=False),
        _rw("IsActive", "Active", "boolean", nillable=False),
        *_audit(),
    ),
)

OPPORTUNITY_STAGE = ObjectDef(
    "OpportunityStage",
    "Opportunity Stage",
    "Opportunity Stages",
    "01J",
    (
        _id("Opportunity Stage ID"),
        _ro("ApiName", "Api Name", "string", length=255, nillable=False),
        _ro("MasterLabel", "Master Label", "string", length=255, nillable=False, name_field=True),
        _ro("IsActive", "Is Active", "boolean", nillable=False),
        _ro("IsClosed", "Is Closed", "boolean", nillable=False),
        _ro("IsWon", "Is Won", "boolean", nillable=False),
        _ro("DefaultProbability", "Default Probability", "percent", precision=3, scale=0),
        _ro(
            "ForecastCategory",
            "Forecast Category",
            "picklist",
            length=40,
            nillable=False,
            picklist=("BestCase", "Closed", "Forecast", "MostLikely", "Omitted", "Pipeline"),
        ),
        _ro(
            "ForecastCategoryName",
            "Forecast Category Name",
            "picklist",
            length=40,
            nillable=False,
            picklist=("Best Case", "Closed", "Commit", "Most Likely", "Omitted", "Pipeline"),
        ),
        _ro("SortOrder", "Sort Order", "int", digits=9),
        _ro("Description", "Description", "string", length=255),
        *_audit(),
    ),
)

CURRENCY_TYPE = ObjectDef(
    "CurrencyType",
    "Currency",
    "Currencies",
    "01L",
    (
        _id("Currency ID"),
        _ro("IsoCode", "Currency ISO Code", "picklist", length=3, nillable=False),
        _ro("ConversionRate", "Conversion Rate", "double", precision=18, scale=6, nillable=False),
        _ro("DecimalPlaces", "Decimal Places", "int", digits=9, nillable=False),
        _ro("IsActive", "Active", "boolean", nillable=False),
        _ro("IsCorporate", "Corporate", "boolean", nillable=False),
        *_audit(),
    ),
    needs_multi_currency=True,
)

OPPORTUNITY_HISTORY = ObjectDef(
    "OpportunityHistory",
    "Opportunity History",
    "Opportunity History",
    "008",
    (
        _id("Opportunity History ID"),
        _deleted(),
        _ro(
            "OpportunityId",
            "Opportunity ID",
            "reference",
            length=18,
            nillable=False,
            reference_to="Opportunity",
            relationship_name="Opportunity",
        ),
        _ro(
            "CreatedById",
            "Created By ID",
            "reference",
            length=18,
            nillable=False,
            reference_to="User",
            relationship_name="CreatedBy",
        ),
        _ro("CreatedDate", "Created Date", "datetime", nillable=False),
        _ro("StageName", "Stage", "picklist", length=255, nillable=False),
        _ro("Amount", "Amount", "currency", precision=18, scale=2),
        _ro("ExpectedRevenue", "Expected Revenue", "currency", precision=18, scale=2),
        _ro("CloseDate", "Close Date", "date"),
        _ro("Probability", "Probability (%)", "percent", precision=3, scale=0),
        _ro("ForecastCategory", "Forecast Category", "picklist", length=40),
        _ro("SystemModstamp", "System Modstamp", "datetime", nillable=False),
    ),
    has_currency=True,
)

OBJECTS: tuple[ObjectDef, ...] = (
    OPPORTUNITY,
    ACCOUNT,
    USER,
    OPPORTUNITY_STAGE,
    CURRENCY_TYPE,
    OPPORTUNITY_HISTORY,
)
CURRENCY_FIELD = _rw("CurrencyIsoCode", "Currency ISO Code", "picklist", length=3, nillable=False)


@dataclass
class OrgSchema:
    """The objects and fields of one org: the static definitions plus what the org's data implies."""

    org: SalesforceOrg
    _objects: dict[str, ObjectDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for obj in OBJECTS:
            if obj.needs_multi_currency and not self.org.multi_currency:
                continue
            self._objects[obj.name.lower()] = self._complete(obj)

    def _complete(self, obj: ObjectDef) -> ObjectDef:
        fields = list(obj.fields)
        if obj.has_currency and self.org.multi_currency:
            fields.insert(_after(fields, "Name", "IsDeleted"), CURRENCY_FIELD)
        known = {f.name for f in fields} | {CURRENCY_FIELD.name}  # the currency field only with multi-currency
        sample = next(iter(self.org.tables.get(obj.name, {}).values()), None) or {}
        fields.extend(
            _inferred(key, value) for key, value in sample.items() if key not in known and key != "attributes"
        )
        return replace(obj, fields=tuple(fields))

    def find(self, name: str) -> ObjectDef | None:
        return self._objects.get(name.lower())

    def objects(self) -> list[ObjectDef]:
        return list(self._objects.values())


def _after(fields: list[FieldDef], *names: str) -> int:
    for name in names:
        for index, f in enumerate(fields):
            if f.name == name:
                return index + 1
    return len(fields)


def _inferred(name: str, value: Any) -> FieldDef:
    """A field the seed stores but the static schema does not list: typed from its Python value."""
    if isinstance(value, bool):
        ftype = "boolean"
    elif isinstance(value, int | float):
        ftype = "double"
    elif isinstance(value, datetime):
        ftype = "datetime"
    elif isinstance(value, date):
        ftype = "date"
    else:
        ftype = "string"
    return FieldDef(
        name,
        name,
        ftype,
        length=255 if ftype == "string" else 0,
        precision=18 if ftype == "double" else 0,
        custom=name.endswith("__c"),
    )


def field_map(obj: ObjectDef) -> dict[str, FieldDef]:
    """Fields by lower-cased name (SOQL and the REST API match names case-insensitively)."""
    return {f.name.lower(): f for f in obj.fields}


def relationship_map(obj: ObjectDef) -> dict[str, FieldDef]:
    return {f.relationship_name.lower(): f for f in obj.fields if f.relationship_name}
