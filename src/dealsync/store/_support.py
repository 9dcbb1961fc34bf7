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

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dealsync.canonical import DealRef
from dealsync.store.values import KeyRange

T = TypeVar("T")

# Execution option of a connection that will write: on SQLite its transaction starts with BEGIN IMMEDIATE.
WRITE_OPTION = "dealsync_write"

# Keeps every statement under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
IN_CHUNK = 500


def safe_url(url: str | URL) -> str:
    """The URL as it may be shown: password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable store URL>"
    return parsed.render_as_string(hide_password=True)


def error_reason(exc: BaseException, url: str | URL | None = None) -> str:
    """The first line of a database error (the driver's own message), with the URL's password masked."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    password = None
    if url is not None:
        try:
            password = make_url(url).password
        except ArgumentError:
            password = None
    return reason.replace(str(password), "***") if password else reason


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


def in_key_range(
    connection: ColumnElement[str], external_id: ColumnElement[str], keys: KeyRange
) -> list[ColumnElement[bool]]:
    """The conditions keeping rows whose ``(connection, external_id)`` lies in ``keys`` ."""
    key = tuple_(connection, external_id)
    conditions: list[ColumnElement[bool]] = []
    if keys.start is not None:
        conditions.append(key >= tuple_(*keys.start))
    if keys.stop is not None:
        conditions.append(key < tuple_(*keys.stop))
    return conditions
