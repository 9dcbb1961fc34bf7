"""Describe resources.

sObject Describe: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
sObject Basic Information: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_basic_info.htm
Describe Global: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_describeGlobal.htm
Field keys and values follow the real Opportunity describe recorded in CumulusCI's shared cassettes. The StageName
picklist comes from the org's OpportunityStage rows (custom stages included), CurrencyIsoCode's from CurrencyType.
"""

from __future__ import annotations

from typing import Any

from dealsync.emulator.salesforce.schema import FieldDef, ObjectDef, OrgSchema
from dealsync.emulator.salesforce.writes import stage_rows


def picklist_entry(value: str, label: str | None = None, active: bool = True) -> dict[str, Any]:
    return {"active": active, "defaultValue": False, "label": label or value, "validFor": None, "value": value}


def picklist_values(schema: OrgSchema, obj: ObjectDef, f: FieldDef) -> list[dict[str, Any]]:
    org = schema.org
    if f.name == "StageName":
        return [
            picklist_entry(
                str(s.get("ApiName") or s.get("MasterLabel")), str(s.get("MasterLabel")), bool(s.get("IsActive", True))
            )
            for s in stage_rows(org)
        ]
    if f.name == "CurrencyIsoCode" or (obj.name == "CurrencyType" and f.name == "IsoCode"):
        codes = sorted(str(c.get("IsoCode")) for c in org.tables.get("CurrencyType", {}).values())
        return [picklist_entry(code) for code in codes]
    return [picklist_entry(value) for value in f.picklist]


def describe_field(schema: OrgSchema, obj: ObjectDef, f: FieldDef) -> dict[str, Any]:
    text = f.type in ("string", "textarea", "picklist", "email", "phone", "url", "id", "reference")
    return {
        "aggregatable": f.type != "textarea",
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": f.length * 3 if text else 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": f.createable,
        "custom": f.custom,
        "defaultValue": None,
        "defaultValueFormula": None,
        "defaultedOnCreate": f.type in ("id", "boolean", "datetime") or f.name in ("OwnerId", "CurrencyIsoCode"),
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": f.digits,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": f.type != "textarea",
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": f.type not in ("textarea", "currency", "double", "percent", "datetime"),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.type == "id",
        "inlineHelpText": None,
        "label": f.label,
        "length": f.length,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": False,
        "nillable": f.nillable,
        "permissionable": f.nillable and f.updateable,
        "picklistValues": picklist_values(schema, obj, f) if f.type == "picklist" else [],
        "polymorphicForeignKey": False,
        "precision": f.precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [f.reference_to] if f.reference_to else [],
        "relationshipName": f.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": f.name == "CurrencyIsoCode",
        "scale": f.scale,
        "searchPrefilterable": False,
        "soapType": f.soap_type,
        "sortable": f.type != "textarea",
        "type": f.type,
        "unique": False,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def object_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    """The object-level keys shared by describe, basic information and describe global."""
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.updateable,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.updateable,
        "deprecatedAndHidden": False,
        "feedEnabled": obj.updateable,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": obj.updateable,
        "mergeable": False,
        "mruEnabled": obj.updateable,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": obj.updateable,
        "triggerable": obj.updateable,
        "undeletable": obj.updateable,
        "updateable": obj.updateable,
        "urls": {"rowTemplate": f"{base}/{{ID}}", "describe": f"{base}/describe", "sobject": base},
    }


def describe(schema: OrgSchema, obj: ObjectDef, version: str) -> dict[str, Any]:
    out = object_summary(obj, version)
    out.update(
        {
            "actionOverrides": [],
            "childRelationships": _children(schema, obj),
            "compactLayoutable": obj.updateable,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [],
            "searchLayoutable": obj.updateable,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [],
            "fields": [describe_field(schema, obj, f) for f in obj.fields],
        }
    )
    return dict(sorted(out.items()))


def _children(schema: OrgSchema, obj: ObjectDef) -> list[dict[str, Any]]:
    found = []
    for child in schema.objects():
        for f in child.fields:
            if f.reference_to == obj.name:
                found.append(
                    {
                        "cascadeDelete": child.name == "OpportunityHistory",
                        "childSObject": child.name,
                        "deprecatedAndHidden": False,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": _plural(child) if f.name != "OwnerId" else None,
                        "restrictedDelete": False,
                    }
                )
    return found


def _plural(child: ObjectDef) -> str:
    return "OpportunityHistories" if child.name == "OpportunityHistory" else child.label_plural.replace(" ", "")


def basic_info(obj: ObjectDef, version: str) -> dict[str, Any]:
    return {"objectDescribe": object_summary(obj, version), "recentItems": []}


def describe_global(schema: OrgSchema, version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(obj, version) for obj in schema.objects()],
    }
