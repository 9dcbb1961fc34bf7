"""Parsing the values CRMs send: amounts as strings or numbers, dates as ISO strings or epoch milliseconds.

Every parser raises ``ValueError`` with a message that names the value; "missing" is ``None``, never zero.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

CURRENCY_PATTERN = r"^[A-Z]{3}$"
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EPOCH_MS = re.compile(r"^-?\d{10,14}$")
_EPOCH_ORIGIN = datetime(1970, 1, 1, tzinfo=UTC)


def parse_amount(value: object) -> Decimal | None:
    """An amount from a CRM: ``None``/``""`` are missing; ``"1,234.50"``, ``"1e3"``, ``-5`` and floats parse."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"amount {value!r} is a boolean, not a number")
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)), value)
    text = str(value).strip()
    if not text:
        return None
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a number") from None
    return _finite(number, value)


def _finite(number: Decimal, original: object) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"amount {original!r} is not a finite number")
    return number


def ensure_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; a naive one is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp {value.isoformat()} has no time zone")
    return value.astimezone(UTC)


def parse_timestamp(value: object) -> datetime | None:
    """A UTC instant from ISO 8601 (``Z``, ``+0000``, ``+02:00``) or epoch milliseconds (int or digit string)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_epoch_ms(value)
    text = str(value).strip()
    if not text:
        return None
    if _EPOCH_MS.match(text):
        return _from_epoch_ms(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"timestamp {value!r} is neither ISO 8601 nor epoch milliseconds") from None
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone; expected e.g. 2024-03-31T00:00:00Z")
    return parsed.astimezone(UTC)


def _from_epoch_ms(millis: int) -> datetime:
    return _EPOCH_ORIGIN + timedelta(milliseconds=millis)


def parse_date(value: object, local_tz: tzinfo | None = None) -> date | None:
    """A calendar date from ``YYYY-MM-DD``, or from a timestamp.

    HubSpot stores a date the user picked as midnight UTC of that day (``2024-03-31T00:00:00.000Z`` or its
    epoch milliseconds), so midnight UTC means "that UTC day" whatever the portal's time zone. Any other
    instant is a real moment, and its date is the calendar day in ``local_tz`` (the portal's zone) when given:
    ``2024-03-31T07:00:00Z`` is March 30 in UTC-8 and March 31 in UTC+10.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _calendar_day(ensure_utc(value), local_tz)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"date {value!r} is not a valid calendar date") from None
    stamp = parse_timestamp(text)
    return None if stamp is None else _calendar_day(stamp, local_tz)


def _calendar_day(stamp: datetime, local_tz: tzinfo | None) -> date:
    is_utc_midnight = stamp.hour == stamp.minute == stamp.second == stamp.microsecond == 0
    if local_tz is None or is_utc_midnight:
        return stamp.date()
    return stamp.astimezone(local_tz).date()
