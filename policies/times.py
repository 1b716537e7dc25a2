"""Times and dates on the wire: RFC 3339 UTC with `Z`, whole seconds; ISO 8601 full dates.

One spelling per instant, so that a time survives parse → serialise byte for byte and the
canonical form of a document is unique: `2025-03-01T09:30:00Z`, never `+00:00`, never a
fraction, never a lower-case `t` or `z`. Each way of getting it wrong has its own message.
Dates (predicate bounds on `date` attributes) are `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from policies.errors import DocumentError

__all__ = ["format_date", "format_time", "parse_date", "parse_time", "utc_seconds"]

#: The one accepted spelling; every other text goes through `_SHAPE` to be told what is wrong.
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
_SHAPE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<t>[Tt ])(?P<hms>\d{2}:\d{2}:\d{2})"
    r"(?P<frac>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_time(text: object) -> datetime:
    """Parse `YYYY-MM-DDTHH:MM:SSZ` into an aware UTC datetime; `DocumentError` otherwise."""
    if not isinstance(text, str):
        raise DocumentError("time: expected an RFC 3339 string")
    if _CANONICAL.fullmatch(text) is None:
        raise DocumentError(_misspelling(text))
    if text[17:19] == "60":
        raise DocumentError(f"time: {text!r} is a leap second (not representable)")
    # The fields by position, not by `strptime` (a ledger parses three times per entry, and
    # strptime's locale machinery cost 5 µs of each); `datetime` refuses what names no day.
    try:
        return datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=UTC,
        )
    except ValueError:
        raise DocumentError(f"time: {text!r} names no such date or time") from None


def _misspelling(text: str) -> str:
    """What is wrong with a time that is not in the one accepted spelling."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        return f"time: {text!r} is not an RFC 3339 date-time"
    if match["frac"] is not None:
        return f"time: {text!r} has fractional seconds (whole seconds only)"
    if match["zone"] is None:
        return f"time: {text!r} has no time zone (want 'Z')"
    if match["zone"] not in ("Z", "z"):
        return f"time: {text!r} has an offset (want UTC written as 'Z')"
    return f"time: {text!r} must use upper-case 'T' and 'Z'"


def format_time(moment: datetime) -> str:
    """The one wire spelling of `moment` (aware, whole seconds; `ValueError` otherwise)."""
    if not isinstance(moment, datetime):
        raise TypeError("format_time takes a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware one (e.g. datetime.now(UTC))")
    if moment.microsecond:
        raise ValueError("documents carry whole seconds: round with utc_seconds() first")
    utc = moment.astimezone(UTC)
    return f"{utc.date().isoformat()}T{utc.time().isoformat()}Z"


def utc_seconds(moment: datetime) -> datetime:
    """`moment` in UTC, truncated to whole seconds: what a caller's clock reading becomes
    before it goes into a document."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware one (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC).replace(microsecond=0)


def parse_date(text: object) -> date:
    """Parse `YYYY-MM-DD`; `DocumentError` otherwise."""
    if not isinstance(text, str) or _DATE.fullmatch(text) is None:
        raise DocumentError(f"date: {text!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DocumentError(f"date: {text!r} names no such day") from None


def format_date(day: date) -> str:
    """`YYYY-MM-DD` of a date (not a datetime)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("format_date takes a date")
    return day.isoformat()
