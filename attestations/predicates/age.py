"""Age conditions as date predicates, computed from the verifier's own clock.

"At least 18" is `birthdate <= today − 18 years`: the latest birthdate of someone whose
18th birthday is today or past. Subtracting years keeps the month and day; when that day
does not exist (today is 29 February and the year `years` earlier is not a leap year) the
bound is 28 February. So someone born on 29 February comes of age on 1 March in common
years: on 28 February 2026 the 18-year bound is 2008-02-28, which excludes 2008-02-29; on
1 March it is 2008-03-01, which includes it. "Today" is the UTC date, the same clock the
verifier checks `expiry` against.
"""

from __future__ import annotations

import datetime

from attestations.predicates.statements import Range

__all__ = ["minimum_age", "years_before"]


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same month and day `years` (≥ 0) earlier; 29 February becomes 28 February in a
    year without it. ValueError before year 1."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 0:
        raise ValueError("years must be a non-negative integer")
    if day.year - years < 1:
        raise ValueError(f"{years} years before {day} is before year 1")
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def minimum_age(attribute: str, years: int, *, today: datetime.date | None = None) -> Range:
    """The predicate "`attribute` (a birthdate) shows an age of at least `years` on
    `today`" (default: the current UTC date): `attribute <= years_before(today, years)`."""
    if today is None:
        today = datetime.datetime.now(datetime.UTC).date()
    return Range(attribute, hi=years_before(today, years))
