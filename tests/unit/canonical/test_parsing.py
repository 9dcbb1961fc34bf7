"""Amounts and dates as CRMs send them: strings, numbers, epoch milliseconds, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealsync.canonical.parsing import ensure_utc, parse_amount, parse_date, parse_timestamp

UTC_MINUS_8 = timezone(timedelta(hours=-8))
UTC_PLUS_10 = timezone(timedelta(hours=10))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("1234.50", Decimal("1234.50")),
        ("", None),
        ("   ", None),
        (None, None),
        ("1e3", Decimal("1000")),
        ("-250", Decimal("-250")),
        ("0", Decimal("0")),
        (480000.0, Decimal("480000.0")),
        (12, Decimal("12")),
        ("12,345,678.9", Decimal("12345678.9")),
    ],
)
def test_parse_amount_accepts_crm_shapes(raw: object, expected: Decimal | None) -> None:
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1,23", "NaN", "Infinity", "12 000", True])
def test_parse_amount_refuses_non_numbers_by_name(raw: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(raw)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12))
def test_parse_amount_round_trips_plain_and_grouped(value: Decimal) -> None:
    assert parse_amount(str(value)) == value
    assert parse_amount(f"{value:,}") == value


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_parse_amount_of_a_float_is_its_shortest_decimal(value: float) -> None:
    parsed = parse_amount(value)
    assert parsed is not None
    assert float(parsed) == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-05-27T13:59:29.000+0000", datetime(2021, 5, 27, 13, 59, 29, tzinfo=UTC)),
        ("2024-01-15T14:22:10.456Z", datetime(2024, 1, 15, 14, 22, 10, 456000, tzinfo=UTC)),
        ("2024-01-15T16:22:10+02:00", datetime(2024, 1, 15, 14, 22, 10, tzinfo=UTC)),
        ("1704067200000", datetime(2024, 1, 1, tzinfo=UTC)),
        (1704067200000, datetime(2024, 1, 1, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(raw: object, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["2024-01-15T14:22:10", "yesterday", "2024-13-01T00:00:00Z"])
def test_parse_timestamp_refuses_naive_or_garbage(raw: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        parse_timestamp(raw)


# Wire formats carry offsets, not zone names: draw any offset from UTC-12 to UTC+14, in minutes.
OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


# hypothesis takes naive bounds and attaches the drawn offset itself
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=OFFSETS))  # noqa: DTZ001
def test_timestamps_in_any_zone_become_the_same_utc_instant(moment: datetime) -> None:
    parsed = parse_timestamp(moment.isoformat())
    assert parsed == moment
    assert parsed is not None
    assert parsed.tzinfo is UTC
    millis = int(moment.timestamp() * 1000)
    from_epoch = parse_timestamp(str(millis))
    assert from_epoch is not None
    assert abs(from_epoch - moment) < timedelta(milliseconds=1)


def test_hubspot_midnight_utc_is_the_picked_day_in_any_portal_zone() -> None:
    # HubSpot stores a picked date as midnight UTC; a portal in UTC-8 must not see the day before.
    for zone in (UTC_MINUS_8, UTC_PLUS_10, None):
        assert parse_date("2024-03-31T00:00:00.000Z", zone) == date(2024, 3, 31)
        assert parse_date("1711843200000", zone) == date(2024, 3, 31)


def test_a_real_instant_takes_the_portal_zones_day() -> None:
    assert parse_date("2024-03-31T07:00:00Z", UTC_MINUS_8) == date(2024, 3, 30)
    assert parse_date("2024-03-31T20:00:00Z", UTC_PLUS_10) == date(2024, 4, 1)
    assert parse_date("2024-03-31T20:00:00Z") == date(2024, 3, 31)


@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2200, 12, 31)))
def test_dates_round_trip_as_iso_and_as_midnight_epoch(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert parse_date(str(int(midnight.timestamp() * 1000)), UTC_MINUS_8) == day


@pytest.mark.parametrize("raw", ["2024-02-30", "31/03/2024"])
def test_parse_date_refuses_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError, match=r"date|timestamp"):
        parse_date(raw)


def test_ensure_utc_refuses_naive() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        ensure_utc(datetime(2024, 1, 1))  # noqa: DTZ001 - the naive value is the point
