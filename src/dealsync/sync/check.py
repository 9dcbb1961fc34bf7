"""``dealsync check`` for one connection: reach it, read from it, and say what a write-back would need."""

from __future__ import annotations

from dataclasses import dataclass, field

from dealsync.canonical import Stage, StageMapper
from dealsync.config import HubSpotConnection, SalesforceConnection
from dealsync.connectors.base import Connector, Schema
from dealsync.errors import DealsyncError

STAGE_CHOICES = " | ".join(s.value for s in Stage if s is not Stage.POST_SALE)


@dataclass
class UnmappedStage:
    id: str
    label: str
    pipeline: str | None
    config_line: str


@dataclass
class CheckReport:
    connection: str
    type: str
    ok: bool = False
    deals: int | None = None
    stages: int = 0
    multi_currency: bool | None = None
    corporate_currency: str | None = None
    unmapped: list[UnmappedStage] = field(default_factory=list)
    write_fields: dict[str, bool] = field(default_factory=dict)
    advice: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    error: str | None = None


def check_connection(
    connector: Connector, config: SalesforceConnection | HubSpotConnection, *, create_fields: bool = False
) -> CheckReport:
    """Discovery proves auth and read access; the schema tells which write-back targets exist."""
    report = CheckReport(connection=config.name, type=config.type)
    try:
        schema = connector.discover()
        report.deals = connector.estimate(None)
        creator = getattr(connector, "create_write_fields", None)
        if create_fields and creator is not None and creator(schema):
            report.created = [config.fields.health_score]
            schema = connector.discover()
    except DealsyncError as exc:
        report.error = str(exc)
        return report
    report.ok = True
    report.stages = len(schema.stages)
    report.multi_currency = schema.multi_currency
    report.corporate_currency = schema.corporate_currency
    report.unmapped = unmapped_stages(schema, config)
    report.write_fields = dict(schema.write_fields)
    report.advice = write_advice(schema, config)
    if report.unmapped:
        report.advice.insert(
            0,
            f"map {len(report.unmapped)} stage(s) under connections[{config.name}].stage_map "
            "(lines below); until then those deals are reported as unmapped_stage",
        )
    return report


def unmapped_stages(schema: Schema, config: SalesforceConnection | HubSpotConnection) -> list[UnmappedStage]:
    mapper = StageMapper(config.name, config.type, config.stage_map, config.stage_write_map)
    found = []
    for info in sorted(schema.stages.values(), key=lambda s: (s.pipeline or "", s.display_order, s.id)):
        if info.is_closed or info.id in mapper.mapping:
            continue
        line = f'"{info.id}": <{STAGE_CHOICES}>   # {info.label}'
        found.append(UnmappedStage(info.id, info.label, info.pipeline, line))
    return found


def write_advice(schema: Schema, config: SalesforceConnection | HubSpotConnection) -> list[str]:
    target = config.fields.health_score
    if schema.write_fields.get("health_score"):
        return []
    if isinstance(config, SalesforceConnection):
        return [
            f"the health score field {target} is missing or not editable on Opportunity: in Setup → Object Manager → "
            f"Opportunity → Fields & Relationships → New, create a Number(3, 0) field with API name {target}, and "
            "give the integration user's profile edit access to it (or set sync.write_health_score: false)"
        ]
    return [
        f"the deal property {target} is missing or read-only: run `dealsync check --create-fields` to create it "
        "(a number property in the 'dealinformation' group; needs the crm.schemas.deals.write scope), or create it "
        "in Settings → Properties → Deal properties (or set sync.write_health_score: false)"
    ]
