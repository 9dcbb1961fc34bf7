"""The connector protocol: what any CRM must offer dealsync, and the values that cross the boundary.

A third CRM (Pipedrive, Dynamics) implements :class:`Connector` and registers its class in
``dealsync.connectors.registry``; nothing else changes. Connectors speak canonical values: they translate the
CRM's records into :class:`~dealsync.canonical.Deal` and their exceptions into ``dealsync.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from dealsync.canonical import Deal, StageInfo

WARNINGS_KEY = "_dealsync_warnings"  # in Deal.raw: values a connector could not parse, kept as None
T = TypeVar("T")


def parse_or_warn(parse: Callable[[Any], T | None], value: Any, field_name: str, warnings: list[str]) -> T | None:
    """A parsed CRM value, or None with a warning: a bad value never stops a pull, and nothing is lost."""
    try:
        return parse(value)
    except ValueError as exc:
        warnings.append(f"{field_name}: {exc}; kept as missing")
        return None


@dataclass(frozen=True)
class Cursor:
    """Where an incremental read resumes: inclusive lower bound ``(modified_at, id)``."""

    modified_at: datetime
    last_id: str


@dataclass(frozen=True)
class Schema:
    """What discovery learned about a CRM account."""

    stages: Mapping[str, StageInfo]  # CRM stage id -> metadata (won/lost/probability/order)
    fields: frozenset[str]  # readable deal fields / properties
    multi_currency: bool
    corporate_currency: str
    fx_rates: Mapping[str, Decimal]  # currency -> units of the corporate currency per unit
    write_fields: Mapping[str, bool]  # logical field (health_score) -> exists and is writable
    pipelines: Mapping[str, str] = field(default_factory=dict)  # pipeline id -> label
    details: Mapping[str, Any] = field(default_factory=dict)  # CRM-specific facts for `dealsync check`

    def to_json(self) -> dict[str, Any]:
        """What later steps need without the CRM (audit: currencies, stage probabilities), as JSON."""
        return {
            "multi_currency": self.multi_currency,
            "corporate_currency": self.corporate_currency,
            "fx_rates": {code: str(rate) for code, rate in sorted(self.fx_rates.items())},
            "pipelines": dict(self.pipelines),
            "stages": {
                s.id: {
                    "label": s.label,
                    "pipeline": s.pipeline,
                    "is_closed": s.is_closed,
                    "is_won": s.is_won,
                    "probability": None if s.probability is None else str(s.probability),
                    "display_order": s.display_order,
                }
                for s in self.stages.values()
            },
            "write_fields": dict(self.write_fields),
        }


@dataclass
class Page:
    """One committed unit of a pull: deals to upsert and the cursor that covers them."""

    deals: list[Deal]
    cursor: Cursor | None  # None: no cursor move with this page (e.g. mid-way through an unordered read)
    stream: str = "deals"
    deleted_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FieldChange:
    """One field of one record to set; ``expected`` is the value we read, for lost-update checks."""

    record_id: str
    field: str
    value: Any
    expected: Any = None


@dataclass(frozen=True)
class WriteResult:
    record_id: str
    ok: bool
    error_code: str | None = None
    message: str | None = None


@dataclass
class PullStats:
    """API usage a connector observed, for summaries and benchmarks."""

    requests: int = 0
    pages: int = 0
    records: int = 0
    retries: int = 0
    rate_limit_wait_seconds: float = 0.0


class Connector(Protocol):
    """A CRM account dealsync can read deals from and write fields back to."""

    name: str
    stats: PullStats

    def discover(self) -> Schema:
        """Stages with their metadata, fields, currencies, and whether the write-back fields exist."""

    def estimate(self, since: Cursor | None) -> int | None:
        """How many deals a pull from ``since`` would read, when the CRM can say cheaply."""

    def pull(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:
        """Deals modified at or after ``since`` (all when None), page by page, oldest first.

        Each page's cursor never passes ``until`` (the run's start), so nothing changed during the run is skipped.
        """

    def deleted(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:
        """Deals deleted or archived since ``since``, as pages of ``deleted_ids`` (stream ``deleted``)."""

    def apply(self, changes: Sequence[FieldChange]) -> list[WriteResult]:
        """Write field changes in the CRM's batches; one result per record, failures with the CRM's reason."""

    def close(self) -> None:
        """Release connections."""
