"""`cli.predicate_syntax`: every form people type parses to the one predicate it means,
what `plain` and `Predicate.describe` print parses back, `--min-age` is today's bound, and
each malformed condition is one `error:` line and exit 2."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import typer

from cli.predicate_syntax import condition, minimum_age, parse_predicate, plain
from policies import AtLeast, AtMost, Between, MemberOf, Predicate

D = datetime.date
ADULT = AtMost(attribute="birthdate", op="<=", value=D(2008, 11, 22))
INCOME = Between(attribute="income", op="between", value=(12000, 30000))
DISTRICTS = MemberOf(attribute="district", op="in", value=("Gràcia", "Sants-Montjuïc"))


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("birthdate <= 2008-11-22", ADULT),
        ("birthdate≤2008-11-22", ADULT),
        ("age >= 18", AtLeast(attribute="age", op=">=", value=18)),
        ("age ≥ -3", AtLeast(attribute="age", op=">=", value=-3)),
        ("12000 <= income <= 30000", INCOME),
        ("12000 ≤ income ≤ 30000", INCOME),
        ("income between 12000 and 30000", INCOME),
        ("district in {Gràcia, Sants-Montjuïc}", DISTRICTS),
        ("district in Sants-Montjuïc,Gràcia", DISTRICTS),
        ("district in  Gràcia , Sants-Montjuïc, Gràcia ", DISTRICTS),
        ('{"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]}', DISTRICTS),
    ],
)
def test_each_form_means_one_predicate(text: str, meant: Predicate) -> None:
    assert parse_predicate(text) == meant


@pytest.mark.parametrize("predicate", [ADULT, INCOME, DISTRICTS])
def test_what_is_printed_parses_back(predicate: Predicate) -> None:
    assert parse_predicate(plain(predicate)) == predicate
    assert parse_predicate(predicate.describe()) == predicate


def test_plain_words() -> None:
    assert plain(ADULT) == "birthdate ≤ 2008-11-22"
    assert condition(INCOME) == "between 12000 and 30000"
    assert plain(DISTRICTS) == "district in {Gràcia, Sants-Montjuïc}"
    assert plain(AtLeast(attribute="postcode", op=">=", value=8001)) == "postcode ≥ 8001"


def test_min_age_is_todays_birthdate_bound() -> None:
    assert minimum_age(18, today=D(2026, 11, 22)) == ADULT
    leap = minimum_age(18, today=D(2028, 2, 29))  # 2010 has no 29 February
    assert leap.value == D(2010, 2, 28) and leap.attribute == "birthdate"


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: parse_predicate("district ~ Gràcia"), "want 'ATTR >= V'"),
        (lambda: parse_predicate("district in Gràcia"), "one member would reveal"),
        (lambda: parse_predicate("district in {}"), "want 2.."),
        (lambda: parse_predicate("30000 <= income <= 12000"), "want low < high"),
        (lambda: parse_predicate("birthdate <= 2008-13-01"), "neither an integer nor"),
        (lambda: parse_predicate("{not json", option="-p"), "-p '{not json': not JSON"),
        (lambda: parse_predicate('{"attribute": "x", "op": "<"}'), '\'{"attribute"'),
        (lambda: minimum_age(2027, today=D(2026, 1, 1)), "--min-age 2027: "),
    ],
    ids=["syntax", "one-member", "empty-set", "reversed", "bad-date", "json", "model", "age"],
)
def test_malformed_conditions_are_one_line_and_exit_2(
    call: Any, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        call()
    assert stopped.value.exit_code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and words in line, line
