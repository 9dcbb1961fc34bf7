"""Mapping CRM stages to the canonical pipeline, and back, never guessing.

Won and lost come from the CRM's stage metadata (``is_closed``/``is_won``), never from a label. An open stage no
mapping covers resolves to ``stage=None`` with an ``unmapped`` message that names the stage, the pipeline and
the config key to add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from dealsync.canonical.models import Stage, Status

SALESFORCE_DEFAULT_MAP: Mapping[str, Stage] = {
    "Prospecting": Stage.PROSPECTING,
    "Qualification": Stage.QUALIFICATION,
    "Needs Analysis": Stage.INITIAL_CONTACT,
    "Value Proposition": Stage.INITIAL_CONTACT,
    "Id. Decision Makers": Stage.INITIAL_CONTACT,
    "Perception Analysis": Stage.PROPOSAL,
    "Proposal/Price Quote": Stage.PROPOSAL,
    "Negotiation/Review": Stage.NEGOTIATION,
    "Closed Won": Stage.POST_SALE,
}

HUBSPOT_DEFAULT_MAP: Mapping[str, Stage] = {
    "appointmentscheduled": Stage.QUALIFICATION,
    "qualifiedtobuy": Stage.INITIAL_CONTACT,
    "presentationscheduled": Stage.PROPOSAL,
    "decisionmakerboughtin": Stage.NEGOTIATION,
    "contractsent": Stage.NEGOTIATION,
    "closedwon": Stage.POST_SALE,
}

DEFAULT_MAPS: Mapping[str, Mapping[str, Stage]] = {
    "salesforce": SALESFORCE_DEFAULT_MAP,
    "hubspot": HUBSPOT_DEFAULT_MAP,
}


@dataclass(frozen=True)
class StageInfo:
    """One stage as the CRM describes it."""

    id: str
    label: str
    pipeline: str | None = None
    is_closed: bool = False
    is_won: bool = False
    probability: Decimal | None = None  # 0..1
    display_order: int = 0


@dataclass(frozen=True)
class StageResolution:
    """Where a CRM stage lands: a canonical stage (or None) and a status, with a message when unmapped."""

    stage: Stage | None
    status: Status
    unmapped: str | None = None


class StageMapper:
    """Per-connection stage mapping: the CRM type's defaults with the connection's ``stage_map`` merged over."""

    def __init__(
        self,
        connection: str,
        crm_type: str,
        stage_map: Mapping[str, Stage] | None = None,
        stage_write_map: Mapping[Stage, str] | None = None,
    ) -> None:
        self.connection = connection
        self.mapping: dict[str, Stage] = {**DEFAULT_MAPS.get(crm_type, {}), **(stage_map or {})}
        self.write_map: dict[Stage, str] = dict(stage_write_map or {})

    def resolve(self, info: StageInfo, last_open_stage: Stage | None = None) -> StageResolution:
        """Canonical stage and status of a deal in CRM stage ``info``.

        A won deal is in ``post_sale``. A lost deal keeps the last open canonical stage the store saw for it
        (``last_open_stage``), else ``negotiation`` (DESIGN.md §1).
        """
        if info.is_closed and info.is_won:
            return StageResolution(Stage.POST_SALE, Status.WON)
        if info.is_closed:
            return StageResolution(last_open_stage or Stage.NEGOTIATION, Status.LOST)
        stage = self.mapping.get(info.id)
        if stage is None:
            return StageResolution(None, Status.OPEN, self.unmapped_message(info))
        return StageResolution(stage, Status.OPEN)

    def unmapped_message(self, info: StageInfo) -> str:
        where = f" in pipeline {info.pipeline!r}" if info.pipeline else ""
        return (
            f"stage {info.label!r} (id {info.id!r}){where} of connection {self.connection!r} maps to no canonical "
            f"stage; add it under connections[{self.connection}].stage_map, e.g. "
            f'stage_map: {{"{info.id}": qualification}}'
        )

    def write_target(self, target: Stage, current: StageInfo | None, stages: Mapping[str, StageInfo]) -> str | None:
        """The CRM stage to write for canonical ``target``, or None when the deal is already there.

        ``stage_write_map`` wins; otherwise the first open stage (in display order) that maps to ``target``.
        """
        if current is not None and self.mapping.get(current.id) is target and not current.is_closed:
            return None
        if target in self.write_map:
            return self.write_map[target]
        candidates = [s for s in stages.values() if self.mapping.get(s.id) is target and not s.is_closed]
        if not candidates:
            return None
        return min(candidates, key=lambda s: (s.display_order, s.id)).id
