"""Small helpers shared by the repositories: the clock, chunking, JSON encoding."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from itertools import islice
from typing import Any, TypeVar

from dealsync.canonical import DealRef

T = TypeVar("T")

# Keeps every statement under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
IN_CHUNK = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ids_by_connection(refs: Iterable[DealRef]) -> dict[str, list[str]]:
    """Distinct ids grouped by connection, so reads can use ``connection = ? AND id IN (…)``."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for ref in dict.fromkeys(refs):
        grouped[ref.connection].append(ref.id)
    return dict(grouped)


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be stored as JSON")


def json_dumps(value: Any) -> str:
    """The store's JSON encoder: compact, Decimals and dates as strings, anything else unknown refused."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False)
