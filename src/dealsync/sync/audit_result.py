"""What an audit run returns: compact, plain values the reports render (json, csv, html, table).

Kept small on purpose: an audit of a million deals holds one :class:`ScoredDeal` per live deal and one
:class:`Flag` per finding, not the deals themselves.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dealsync.canonical import Stage, Status
from dealsync.store import DedupeCluster
from dealsync.sync.audit_inputs import FxPlan

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding about one deal (``rule`` starts with its family, DESIGN.md §5)."""

    connection: str
    id: str
    rule: str
    severity: str
    detail: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.connection, self.id)

    @property
    def family(self) -> str:
        return self.rule.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class ScoredDeal:
    """One live deal as the audit saw it, with its findings. ``health`` is None for closed deals; ``stage`` None
    when unmapped."""

    connection: str
    id: str
    name: str
    owner: str | None
    stage: Stage | None
    status: Status
    health: int | None
    reasons: tuple[str, ...] = ()
    findings: tuple[Flag, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.connection, self.id)


@dataclass(frozen=True)
class AuditResult:
    """Everything one audit run found. ``deals`` counts live deals; ``timings`` is seconds per step."""

    run_id: str
    generated_at: datetime
    deals: int
    scored: Sequence[ScoredDeal]
    clusters: Sequence[DedupeCluster]
    flags: Sequence[Flag]
    metrics: Mapping[str, Any]
    fx: FxPlan
    connections: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    def flags_by_rule(self) -> dict[str, int]:
        """Rule -> number of findings, most frequent first."""
        return dict(Counter(f.rule for f in self.flags).most_common())

    def flags_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.flags)
        return {s: counts[s] for s in sorted(counts, key=lambda s: (SEVERITY_ORDER.get(s, 9), s))}

    def summary(self) -> dict[str, Any]:
        """The run's summary as stored with it (``dealsync runs``)."""
        return {
            "deals": self.deals,
            "open_deals": sum(1 for d in self.scored if d.status is Status.OPEN),
            "flags": len(self.flags),
            "flags_by_severity": self.flags_by_severity(),
            "flags_by_rule": self.flags_by_rule(),
            "duplicate_clusters": len(self.clusters),
            "deals_in_clusters": sum(len(c.members) for c in self.clusters),
            "fx_base": self.fx.table.base,
            "connections": list(self.connections),
            "seconds": {step: round(s, 3) for step, s in self.timings.items()},
        }


def _order(flag: Flag) -> tuple[int, str, str, str]:
    return (SEVERITY_ORDER.get(flag.severity, 9), flag.rule, flag.connection, flag.id)


def by_severity(flags: Sequence[Flag], first: int | None = None) -> list[Flag]:
    """Findings, most severe first, then by rule and deal: the order reports list them in (only the ``first``
    ones when given, without sorting them all)."""
    if first is not None and first < len(flags):
        return heapq.nsmallest(first, flags, key=_order)
    return sorted(flags, key=_order)
