"""What dedupe takes (``DedupeSettings``) and returns (``Cluster``): plain frozen values."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dealsync.canonical import DealRef
from dealsync.quality.dedupe.blocking import BlockingSettings
from dealsync.quality.dedupe.golden import Survivorship
from dealsync.quality.dedupe.scoring import DEFAULT_COMPARISONS, DEFAULT_PRIOR, MEASURE_KINDS, Comparison


@dataclass(frozen=True)
class DedupeSettings:
    """How duplicates are found. The defaults reach F1 >= 0.95 on the emulator's data (benchmarks/RESULTS.md).

    ``threshold``: the match probability a pair needs to be linked. ``prior``: log2 odds that a pair found by
    blocking is a duplicate. ``comparisons`` and ``blocking``: the rules, as data (see scoring and blocking).
    ``survivorship``: how the golden record picks values; ``preferred_connection`` goes with
    ``Survivorship.PREFERRED_CONNECTION``.
    """

    threshold: float = 0.9
    prior: float = DEFAULT_PRIOR
    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    blocking: BlockingSettings = field(default_factory=BlockingSettings)
    survivorship: Survivorship = Survivorship.MOST_RECENT
    preferred_connection: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold {self.threshold} must be a probability strictly between 0 and 1")
        unknown = [c.field for c in self.comparisons if c.field not in MEASURE_KINDS]
        if unknown:
            raise ValueError(f"unknown comparison field(s) {unknown}; known: {sorted(MEASURE_KINDS)}")
        if (self.survivorship is Survivorship.PREFERRED_CONNECTION) != (self.preferred_connection is not None):
            raise ValueError("survivorship 'preferred_connection' needs preferred_connection, and only it does")


@dataclass(frozen=True)
class Cluster:
    """Deals judged to be one deal. ``members`` are sorted by (connection, id); ``confidence`` (0..1) is the
    match probability of the weakest link that holds the cluster together; ``reasons`` say why, in words."""

    id: str
    members: tuple[DealRef, ...]
    confidence: float
    reasons: tuple[str, ...]
    golden: Mapping[str, Any] = field(hash=False)

    def to_json(self) -> dict[str, Any]:
        """The cluster as in the audit JSON's ``duplicates`` list (DESIGN.md §5), with its reasons."""
        return {
            "cluster_id": self.id,
            "confidence": round(self.confidence, 4),
            "members": [{"connection": m.connection, "id": m.id} for m in self.members],
            "golden": dict(self.golden),
            "reasons": list(self.reasons),
        }


def cluster_id(members: Iterable[DealRef]) -> str:
    """A stable id: the same members give the same id, in any run ("dup_" + 20 hex digits of a BLAKE2b hash)."""
    text = "\n".join(f"{m.connection}\t{m.id}" for m in sorted(members, key=lambda m: (m.connection, m.id)))
    return "dup_" + hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
