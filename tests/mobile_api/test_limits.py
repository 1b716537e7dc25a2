"""The rate limiter's arithmetic with a clock the test holds: a full bucket per client,
refilled evenly, `Retry-After` rounded up to whole seconds, memory bounded however many
addresses call; and the package's docstring example, which builds a real home."""

from __future__ import annotations

import doctest

import pytest

import mobile_api
from mobile_api.catalog import RESIDENT, attribute_values
from mobile_api.limits import MAX_BUCKETS, RateLimiter
from mobile_api.problems import Refused


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(limiter: RateLimiter, client: str) -> Refused:
    with pytest.raises(Refused) as caught:
        limiter.take(client)
    return caught.value


def test_each_client_has_its_own_bucket() -> None:
    ticks = Ticks()
    limiter = RateLimiter(6, clock=ticks)  # one call back every 10 s
    for _ in range(6):
        limiter.take("10.0.0.1")
    refused = refusal(limiter, "10.0.0.1")
    assert (refused.status, refused.reason) == (429, "rate-limited")
    assert refused.headers == {"Retry-After": "10"}
    limiter.take("10.0.0.2")  # another address is not held back
    ticks.now += 4
    assert refusal(limiter, "10.0.0.1").headers == {"Retry-After": "6"}
    ticks.now += 6
    limiter.take("10.0.0.1")
    ticks.now += 3600  # a bucket never holds more than a minute's worth
    for _ in range(6):
        limiter.take("10.0.0.1")
    refusal(limiter, "10.0.0.1")


def test_zero_lets_everything_through() -> None:
    limiter = RateLimiter(0, clock=Ticks())
    for _ in range(1000):
        limiter.take("10.0.0.1")


def test_memory_is_bounded_by_forgetting_full_buckets_first() -> None:
    ticks = Ticks()
    limiter = RateLimiter(60, clock=ticks)
    for n in range(MAX_BUCKETS):  # as many addresses as it keeps, none with a full bucket
        limiter.take(f"a{n}")
    limiter.take("late")  # nobody can be forgotten for free: the stalest half goes
    assert len(limiter) == MAX_BUCKETS // 2 + 1
    ticks.now += 60  # every bucket so far is full again: remembering it says nothing
    for n in range(MAX_BUCKETS // 2 - 1):
        limiter.take(f"b{n}")
    limiter.take("later")
    assert len(limiter) == MAX_BUCKETS // 2  # the b's and the later one


def test_cli_values_take_the_schemas_types() -> None:
    typed = attribute_values(["given_name=007", "postcode=08012", "birthdate=1990-05-17"], RESIDENT)
    assert typed == {"given_name": "007", "postcode": 8012, "birthdate": "1990-05-17"}
    guessed = attribute_values(["a=08012", "b=12", "c=true", "d=-3", "e=x=y"], None)
    assert guessed == {"a": "08012", "b": 12, "c": True, "d": -3, "e": "x=y"}
    for bad, message in [
        (["postcode=8o12"], "integer"),
        (["given_name"], "NAME=VALUE"),
        (["colour=red"], "no attribute"),
        (["=x"], "NAME=VALUE"),
    ]:
        with pytest.raises(ValueError, match=message):
            attribute_values(bad, RESIDENT)
    with pytest.raises(ValueError, match="twice"):
        attribute_values(["a=1", "a=2"], None)


def test_package_docstring_example_runs() -> None:
    result = doctest.testmod(mobile_api, raise_on_error=False, verbose=False)
    assert result.attempted >= 5 and result.failed == 0
