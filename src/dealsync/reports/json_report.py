"""The audit JSON (DESIGN.md §5, a contract): written as a stream, one deal per line, so a million fit.

Keys the contract fixes: ``run_id``, ``generated_at``, ``deals``, ``deals_scored``, ``duplicates``, ``flags``,
``metrics``. Extra keys: ``summary`` (counts per rule and severity), ``fx`` (the base currency and rates used),
``connections``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from dealsync.store import DedupeCluster
from dealsync.sync.audit_result import AuditResult, Flag, ScoredDeal

GOLDEN_KEYS = ("name", "amount", "currency", "close_date")


def to_jsonable(value: Any) -> Any:
    """``json.dumps`` default: decimals as exact strings, dates ISO 8601, enums by value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def iso_utc(moment: datetime) -> str:
    """``2026-01-31T12:00:00Z``: UTC, whole seconds, as the contract shows."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def scored_item(deal: ScoredDeal) -> dict[str, Any]:
    return {
        "connection": deal.connection,
        "id": deal.id,
        "canonical_stage": None if deal.stage is None else deal.stage.value,
        "status": deal.status.value,
        "health_score": deal.health,
        "reasons": list(deal.reasons),
        "name": deal.name,
        "owner": deal.owner,
    }


def duplicate_item(cluster: DedupeCluster) -> dict[str, Any]:
    golden = {key: cluster.golden.get(key) for key in GOLDEN_KEYS}
    golden.update({k: v for k, v in cluster.golden.items() if k not in golden})
    return {
        "cluster_id": cluster.id,
        "confidence": round(float(cluster.confidence), 4),
        "members": [{"connection": m.connection, "id": m.id} for m in cluster.members],
        "golden": golden,
        "reasons": list(cluster.reasons),
    }


def flag_item(flag: Flag) -> dict[str, Any]:
    return {
        "connection": flag.connection,
        "id": flag.id,
        "rule": flag.rule,
        "severity": flag.severity,
        "detail": flag.detail,
    }


_ENCODER = json.JSONEncoder(default=to_jsonable, ensure_ascii=False, separators=(", ", ": "))


def _dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _array(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    first = True
    for item in items:
        yield ("\n    " if first else ",\n    ") + _dump(item)
        first = False
    yield "\n  ]" if not first else "]"


def write_json(result: AuditResult, out: TextIO) -> None:
    """Write the report to ``out`` without building it in memory."""
    head = {"run_id": result.run_id, "generated_at": iso_utc(result.generated_at), "deals": result.deals}
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {_dump(value)},\n")
    sections: list[tuple[str, Iterable[dict[str, Any]]]] = [
        ("deals_scored", map(scored_item, result.scored)),
        ("duplicates", map(duplicate_item, result.clusters)),
        ("flags", map(flag_item, result.flags)),
    ]
    for key, items in sections:
        out.write(f'  "{key}": [')
        out.writelines(_array(items))
        out.write(",\n")
    tail = {
        "metrics": result.metrics,
        "summary": result.summary(),
        "fx": result.fx.to_json(),
        "connections": list(result.connections),
    }
    out.write(",\n".join(f"  {json.dumps(k)}: {_dump(v)}" for k, v in tail.items()))
    out.write("\n}\n")


def report_dict(result: AuditResult) -> dict[str, Any]:
    """The report as a dict (small audits and tests); the same content ``write_json`` streams."""
    buffer = io.StringIO()
    write_json(result, buffer)
    loaded: dict[str, Any] = json.loads(buffer.getvalue())
    return loaded
