"""Schemas: validation, canonical JSON, identifiers and the value → message encoding."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attestations.curve import R
from attestations.curve.hash_to_curve import expand_message_xmd
from attestations.errors import DecodeError
from attestations.schemas import (
    INTEGER_MAX,
    INTEGER_MIN,
    INTEGER_OFFSET,
    Attribute,
    Schema,
)

RESIDENT = Schema.create(
    "resident",
    [
        ("given_name", "string"),
        ("family_name", "string"),
        ("birthdate", "date"),
        ("district", "string"),
        ("postcode", "integer"),
        ("registered", "boolean"),
    ],
)
VALUES = {
    "expiry": datetime.date(2031, 1, 1),
    "given_name": "Mercè",
    "family_name": "Rodoreda",
    "birthdate": datetime.date(1958, 10, 10),
    "district": "Gràcia",
    "postcode": 8012,
    "registered": True,
}


def _map(data: bytes) -> int:
    return int.from_bytes(expand_message_xmd(data, b"TEST-MAP-STRING", 48), "big") % R


def test_expiry_comes_first_and_the_secret_last() -> None:
    assert RESIDENT.names[0] == "expiry"
    assert RESIDENT.type_of("expiry") == "date"
    assert RESIDENT.message_count == len(RESIDENT.attributes) + 1 == 8
    assert RESIDENT.index("registered") == 6


def test_json_round_trip_and_identifier() -> None:
    data = RESIDENT.to_json()
    assert Schema.from_json(data) == RESIDENT
    assert RESIDENT.schema_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert data.startswith(b'{"attributes":[{"name":"expiry","type":"date"},')
    other = Schema.create("resident", [("given_name", "string")])
    assert other.schema_id != RESIDENT.schema_id


def test_messages() -> None:
    m = RESIDENT.to_messages(VALUES, _map)
    assert m[0] == (datetime.date(2031, 1, 1) - datetime.date(1970, 1, 1)).days + INTEGER_OFFSET
    assert m[1] == _map("Mercè".encode())
    assert m[3] == INTEGER_OFFSET - 4101  # 1958-10-10 is 4101 days before the epoch
    assert m[5] == 8012 + INTEGER_OFFSET
    assert m[6] == 1
    assert all(0 <= x < R for x in m)


@given(st.integers(INTEGER_MIN, INTEGER_MAX), st.integers(INTEGER_MIN, INTEGER_MAX))
def test_integer_encoding_keeps_order_and_stays_small(a: int, b: int) -> None:
    ma, mb = RESIDENT.to_message("postcode", a, _map), RESIDENT.to_message("postcode", b, _map)
    assert (a <= b) == (ma <= mb)
    assert 1 <= ma < 2**54


@given(st.dates(), st.dates())
def test_date_encoding_keeps_order(a: datetime.date, b: datetime.date) -> None:
    ma, mb = RESIDENT.to_message("birthdate", a, _map), RESIDENT.to_message("birthdate", b, _map)
    assert (a <= b) == (ma <= mb)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("postcode", True, TypeError),
        ("postcode", "8012", TypeError),
        ("postcode", INTEGER_MAX + 1, ValueError),
        ("postcode", INTEGER_MIN - 1, ValueError),
        ("registered", 1, TypeError),
        ("birthdate", datetime.datetime(1958, 10, 10), TypeError),
        ("birthdate", "1958-10-10", TypeError),
        ("district", b"Gracia", TypeError),
        ("district", "\ud800", ValueError),
    ],
)
def test_values_of_the_wrong_type_are_caller_errors(
    name: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        RESIDENT.to_message(name, value, _map)  # type: ignore[arg-type]


def test_check_values_wants_exactly_the_schema() -> None:
    assert list(RESIDENT.check_values(dict(reversed(VALUES.items())))) == list(RESIDENT.names)
    with pytest.raises(ValueError, match="missing"):
        RESIDENT.check_values({k: v for k, v in VALUES.items() if k != "expiry"})
    with pytest.raises(ValueError, match="unexpected"):
        RESIDENT.check_values({**VALUES, "nickname": "M"})


def test_value_json_round_trip() -> None:
    for name, value in VALUES.items():
        raw = RESIDENT.value_to_json(name, value)
        assert RESIDENT.value_from_json(name, raw) == value
    assert RESIDENT.value_to_json("birthdate", VALUES["birthdate"]) == "1958-10-10"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("birthdate", "19581010"),
        ("birthdate", "1958-13-01"),
        ("birthdate", "1958-10-10T00:00:00Z"),
        ("birthdate", 4101),
        ("postcode", 1.5),
        ("postcode", True),
        ("postcode", 2**53),
        ("registered", 1),
        ("district", None),
    ],
)
def test_value_from_json_rejects(name: str, raw: object) -> None:
    with pytest.raises(DecodeError):
        RESIDENT.value_from_json(name, raw)


@pytest.mark.parametrize(
    "attrs",
    [
        [("expiry", "date")],
        [("Given", "string")],
        [("a", "string"), ("a", "integer")],
        [("a", "float")],
        [("1a", "string")],
    ],
)
def test_create_rejects(attrs: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        Schema.create("resident", attrs)


def test_constructor_insists_on_expiry_first() -> None:
    with pytest.raises(ValueError):
        Schema("resident", (Attribute("given_name", "string"), Attribute("expiry", "date")))
    with pytest.raises(ValueError):
        Schema("Resident!", (Attribute("expiry", "date"),))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"attributes":[{"name":"expiry","type":"date"}],"name":"x","v":1}',
        b'{"attributes":[{"name":"expiry","type":"date","x":1}],"name":"x"}',
        b'{"attributes":[{"name":"given_name","type":"string"}],"name":"x"}',
        b'{"attributes":[{"name":"expiry","type":"float"}],"name":"x"}',
        b'{"attributes":{"name":"expiry"},"name":"x"}',
        b'{"name":"x","attributes":[{"name":"expiry","type":"date"}]}',
        b'{"attributes":[{"name":"expiry","type":"date"}],"name":7}',
    ],
)
def test_from_json_rejects(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        Schema.from_json(raw)
