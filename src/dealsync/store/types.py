"""Column types that keep values exact across SQLite and PostgreSQL.

- ``UTCDateTime``: aware datetimes in, aware UTC datetimes out. SQLite has no time zones, so the value is stored
  as naive UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts as time does) and made aware again on the way out;
  PostgreSQL stores ``timestamptz``. A naive datetime is refused rather than guessed.
- ``ExactDecimal``: ``Decimal`` in, the same ``Decimal`` out. SQLite would store ``Numeric`` as a float, so there
  it is text (``Decimal("1234.50")`` comes back as ``Decimal("1234.50")``); PostgreSQL uses unbounded ``numeric``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine
from typing_extensions import override


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, always read back as an aware UTC ``datetime``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; the store keeps UTC instants only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` that round-trips exactly: text on SQLite, unbounded ``numeric`` on PostgreSQL."""

    impl = String(64)
    cache_ok = True

    @override
    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(64))

    @override
    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            raise ValueError(f"amount {value} is not a finite number")
        return value if dialect.name == "postgresql" else str(value)

    @override
    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def json_type() -> TypeEngine[Any]:
    """JSON everywhere, ``jsonb`` on PostgreSQL (indexable, compact)."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects.postgresql import JSONB

    return JSON().with_variant(JSONB(), "postgresql")
