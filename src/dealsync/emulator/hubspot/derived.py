"""HubSpot's calculated deal properties, recomputed when the properties they depend on change.

``amount_in_home_currency`` follows ``amount`` and ``deal_currency_code`` through the portal's exchange rates;
``hs_deal_stage_probability``, ``hs_is_closed`` and ``hs_is_closed_won`` follow ``dealstage`` through the stage
metadata of the deal's pipeline; the weighted (projected) amounts follow both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dealsync.emulator.hubspot.serialize import format_number, parse_number
from dealsync.emulator.state import HubSpotPortal

Json = dict[str, Any]
Props = Mapping[str, str | None]

STAGE_INPUTS = frozenset({"dealstage", "pipeline"})
AMOUNT_INPUTS = frozenset({"amount", "deal_currency_code"}) | STAGE_INPUTS


def find_pipeline(portal: HubSpotPortal, pipeline_id: str | None) -> Json | None:
    return next((p for p in portal.pipelines if p.get("id") == pipeline_id), None)


def find_stage(portal: HubSpotPortal, pipeline_id: str | None, stage_id: str | None) -> Json | None:
    """The stage in the deal's pipeline, or (pipeline unknown) in any pipeline."""
    pipeline = find_pipeline(portal, pipeline_id)
    pipelines = [pipeline] if pipeline else portal.pipelines
    for candidate in pipelines:
        for stage in candidate.get("stages", []):
            if stage.get("id") == stage_id:
                return dict(stage)
    return None


def stage_fields(portal: HubSpotPortal, props: Props) -> dict[str, str | None]:
    stage = find_stage(portal, props.get("pipeline"), props.get("dealstage"))
    if stage is None:
        return {}
    metadata = stage.get("metadata") or {}
    raw = str(metadata.get("probability", ""))
    probability = parse_number(raw)
    closed = str(metadata.get("isClosed", "false")).lower() == "true"
    won = closed and probability is not None and probability >= 1.0
    return {
        "hs_deal_stage_probability": None if probability is None else raw,
        "hs_is_closed": "true" if closed else "false",
        "hs_is_closed_won": "true" if won else "false",
    }


def home_rate(portal: HubSpotPortal, currency: str | None) -> float | None:
    """Units of the home currency one unit of ``currency`` is worth (1 for the home currency)."""
    if not currency or currency == portal.home_currency:
        return 1.0
    return portal.exchange_rates.get(currency)


def amount_fields(portal: HubSpotPortal, props: Props) -> dict[str, str | None]:
    amount = parse_number(props.get("amount") or "")
    rate = home_rate(portal, props.get("deal_currency_code"))
    home = None if amount is None or rate is None else round(amount * rate, 2)
    fields: dict[str, str | None] = {"amount_in_home_currency": None if home is None else format_number(home)}
    probability = parse_number(props.get("hs_deal_stage_probability") or "")
    if probability is not None:
        fields["hs_projected_amount"] = None if amount is None else format_number(amount * probability)
        fields["hs_projected_amount_in_home_currency"] = None if home is None else format_number(home * probability)
    return fields


def recompute(portal: HubSpotPortal, props: Props, changed: set[str]) -> dict[str, str | None]:
    """The calculated properties whose inputs are in ``changed``, evaluated on the updated ``props``."""
    derived: dict[str, str | None] = {}
    if changed & STAGE_INPUTS:
        derived.update(stage_fields(portal, props))
    if changed & AMOUNT_INPUTS:
        derived.update(amount_fields(portal, {**props, **derived}))
    return derived
