"""Predicates as people type and read them on the command line: one syntax for every
command that takes `--predicate` (`consent grant`, `verifier request`, `petition open`).

    birthdate <= 2008-11-22      birthdate ≤ 2008-11-22      age >= 18
    12000 <= income <= 30000     income between 12000 and 30000
    district in {Gràcia, Sants-Montjuïc}     district in Gràcia,Sants-Montjuïc
    {"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]}

`parse_predicate` reads any of these (what `Predicate.describe()` and `plain` print parse
back); bounds that are whole numbers are integers, anything else is left to the model (a
`YYYY-MM-DD` date). `minimum_age` is `--min-age N`: the birthdate bound it is today,
fixed in the request or petition that carries it. `plain` and `condition` are what the
citizen reads. Every mistake is `cli.errors.bad_input` (exit 2).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from attestations.predicates import years_before
from cli.errors import bad_input
from policies import AtLeast, AtMost, Between, MemberOf, Predicate

__all__ = ["AGE_ATTRIBUTE", "condition", "minimum_age", "parse_predicate", "plain"]

#: The attribute `--min-age` bounds.
AGE_ATTRIBUTE = "birthdate"

_PREDICATE: TypeAdapter[Predicate] = TypeAdapter(Predicate)
_NAME = r"([a-z][a-z0-9_]*)"
_LE = r"(?:<=|≤)"
_RANGE = re.compile(rf"\s*{_NAME}\s*(>=|<=|≥|≤)\s*(\S+)\s*")
_BETWEEN = re.compile(rf"\s*(\S+)\s*{_LE}\s*{_NAME}\s*{_LE}\s*(\S+)\s*")
_BETWEEN_WORDS = re.compile(rf"\s*{_NAME}\s+between\s+(\S+)\s+and\s+(\S+)\s*")
_MEMBER = re.compile(rf"\s*{_NAME}\s+in\s+(?:\{{(.*)\}}|([^{{}}]*))\s*")
_OPS = {">=": ">=", "<=": "<=", "≥": ">=", "≤": "<="}


def _bound(text: str) -> int | str:
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _members(text: str) -> list[str]:
    """Comma-separated members, trimmed, in the order `in` sets are written (UTF-16)."""
    found = {member.strip() for member in text.split(",") if member.strip()}
    return sorted(found, key=lambda member: member.encode("utf-16-be"))


def parse_predicate(text: str, *, option: str = "--predicate") -> Predicate:
    """`text` as a predicate (the forms of the module docstring); `bad_input` naming
    `option` and what is wrong otherwise."""
    obj: Any
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise bad_input(f"{option} {text!r}: not JSON ({exc.msg})") from None
    elif m := _BETWEEN.fullmatch(text):
        obj = {"attribute": m[2], "op": "between", "value": [_bound(m[1]), _bound(m[3])]}
    elif m := _BETWEEN_WORDS.fullmatch(text):
        obj = {"attribute": m[1], "op": "between", "value": [_bound(m[2]), _bound(m[3])]}
    elif m := _RANGE.fullmatch(text):
        obj = {"attribute": m[1], "op": _OPS[m[2]], "value": _bound(m[3])}
    elif m := _MEMBER.fullmatch(text):
        members = m[2] if m[2] is not None else m[3]
        obj = {"attribute": m[1], "op": "in", "value": _members(members)}
    else:
        raise bad_input(
            f"{option} {text!r}: want 'ATTR >= V', 'ATTR <= V', 'LOW <= ATTR <= HIGH', "
            "'ATTR between LOW and HIGH', 'ATTR in A,B' or 'ATTR in {A, B}'"
        )
    try:
        return _PREDICATE.validate_json(json.dumps(obj))
    except ValidationError as exc:
        raise bad_input(f"{option} {text!r}: {exc.errors()[0]['msg']}") from None


def minimum_age(years: int, *, today: datetime.date | None = None) -> AtMost:
    """`--min-age YEARS`: `birthdate <= today − YEARS` (today: the UTC date), as
    `attestations.predicates.minimum_age` computes it."""
    day = today or datetime.datetime.now(datetime.UTC).date()
    try:
        bound = years_before(day, years)
    except ValueError as exc:
        raise bad_input(f"--min-age {years}: {exc}") from None
    return AtMost(attribute=AGE_ATTRIBUTE, op="<=", value=bound)


def _text(value: int | datetime.date) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def condition(predicate: Predicate) -> str:
    """What the predicate says of its attribute: `≤ 2008-11-22`, `between 12000 and
    30000`, `in {Gràcia, Sants-Montjuïc}`."""
    if isinstance(predicate, AtMost):
        return f"≤ {_text(predicate.value)}"
    if isinstance(predicate, AtLeast):
        return f"≥ {_text(predicate.value)}"
    if isinstance(predicate, Between):
        low, high = predicate.value
        return f"between {_text(low)} and {_text(high)}"
    assert isinstance(predicate, MemberOf)
    return f"in {{{', '.join(predicate.value)}}}"


def plain(predicate: Predicate) -> str:
    """The predicate for people: `birthdate ≤ 2008-11-22`, `district in {Gràcia, …}`."""
    return f"{predicate.attribute} {condition(predicate)}"
