"""Times are RFC 3339 UTC with `Z` in whole seconds; dates are YYYY-MM-DD. One spelling each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import DocumentError, format_time, parse_time, utc_seconds
from policies.times import format_date, parse_date


def test_parse_known_time() -> None:
    assert parse_time("2025-03-01T09:30:05Z") == datetime(2025, 3, 1, 9, 30, 5, tzinfo=UTC)


def test_format_known_time() -> None:
    assert format_time(datetime(2025, 3, 1, 9, 30, 5, tzinfo=UTC)) == "2025-03-01T09:30:05Z"


def test_format_converts_other_offsets_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    assert format_time(datetime(2025, 3, 1, 10, 30, tzinfo=cet)) == "2025-03-01T09:30:00Z"


def test_years_before_1000_keep_four_digits() -> None:
    moment = datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_time(moment) == "0005-01-02T03:04:05Z"
    assert parse_time("0005-01-02T03:04:05Z") == moment


@given(st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)))
def test_round_trip(moment: datetime) -> None:
    text = format_time(moment)
    assert parse_time(text) == moment
    assert format_time(parse_time(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-03-01T09:30:00.5Z", "fractional seconds"),
        ("2025-03-01T09:30:00.000Z", "fractional seconds"),
        ("2025-03-01T09:30:00", "no time zone"),
        ("2025-03-01T09:30:00+01:00", "has an offset"),
        ("2025-03-01T09:30:00+00:00", "has an offset"),
        ("2025-03-01T09:30:00-00:00", "has an offset"),
        ("2025-03-01t09:30:00Z", "upper-case"),
        ("2025-03-01T09:30:00z", "upper-case"),
        ("2025-03-01 09:30:00Z", "upper-case"),
        ("2025-02-30T09:30:00Z", "no such date"),
        ("2025-03-01T24:00:00Z", "no such date"),
        ("0000-01-01T00:00:00Z", "no such date"),
        ("2025-13-01T00:00:00Z", "no such date"),
        ("2016-12-31t23:59:60Z", "upper-case"),
        ("2016-12-31T23:59:60Z", "leap second"),
        ("2025-3-1T09:30:00Z", "not an RFC 3339"),
        ("2025-03-01", "not an RFC 3339"),
        ("20250301T093000Z", "not an RFC 3339"),
        ("２０２５-03-01T09:30:00Z", "not an RFC 3339"),
        ("", "not an RFC 3339"),
    ],
)
def test_malformed_times_each_have_their_reason(text: str, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        parse_time(text)


def test_non_string_time_is_refused() -> None:
    with pytest.raises(DocumentError, match="expected an RFC 3339 string"):
        parse_time(1740821400)


def test_format_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2025, 3, 1, 9, 30))


def test_format_refuses_fractions_of_a_second() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        format_time(datetime(2025, 3, 1, 9, 30, 0, 1, tzinfo=UTC))


def test_utc_seconds_truncates_and_converts() -> None:
    cet = timezone(timedelta(hours=1))
    moment = datetime(2025, 3, 1, 10, 30, 0, 999_999, tzinfo=cet)
    assert utc_seconds(moment) == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert utc_seconds(moment).tzinfo is UTC


def test_dates_round_trip() -> None:
    assert parse_date("2007-03-01") == date(2007, 3, 1)
    assert format_date(date(2007, 3, 1)) == "2007-03-01"


@pytest.mark.parametrize("text", ["2007-3-1", "2007-02-29", "20070301", "2007-03-01T00:00:00Z"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(DocumentError, match="date"):
        parse_date(text)


def test_format_date_refuses_datetimes() -> None:
    with pytest.raises(TypeError):
        format_date(datetime(2007, 3, 1, tzinfo=UTC))


@given(
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 59),
)
def test_fields_are_checked_as_strptime_checks_them(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> None:
    # parse_time reads the fields by position; strptime is the reference for which
    # combinations name a real moment (month 13, 30 February, hour 24 and year 0 do not).
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
    try:
        want = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        with pytest.raises(DocumentError, match="names no such date or time"):
            parse_time(text)
    else:
        assert parse_time(text) == want
