"""The `predicates` field of a presentation: one canonical spelling, and a `DecodeError`
for every malformed case (the rest of the presentation is test_credentials_json's)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Member,
    Presentation,
    Range,
    begin_issuance,
    finish_issuance,
    issue,
    present,
)
from attestations.curve import R
from attestations.encoding import b64url_decode, b64url_encode, canonical_json
from attestations.errors import DecodeError
from attestations.predicates import MAX_PREDICATES, Predicate
from attestations.schemas import Schema, Value
from tests.attestations.test_credentials_json import (
    G1_IDENTITY,
    G1_OFF_CURVE,
    G1_OUTSIDE_SUBGROUP,
)

SCHEMA = Schema.create("resident", [("birthdate", "date"), ("district", "string")])
VALUES: dict[str, Value] = {
    "expiry": datetime.date(2031, 1, 31),
    "birthdate": datetime.date(1990, 6, 15),
    "district": "Gràcia",
}
NOW = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
ASKED: list[Predicate] = [
    Range("birthdate", hi=datetime.date(2008, 5, 1)),
    Member("district", ["Gràcia", "Sants"]),
]
Change = Callable[[dict[str, Any]], object]


@pytest.fixture(scope="module")
def shown() -> bytes:
    issuer, secret = IssuerKey.generate(), HolderSecret.generate()
    request, state = begin_issuance(secret, issuer.public_key(), SCHEMA)
    credential = finish_issuance(state, issue(issuer, SCHEMA, VALUES, request, now=NOW))
    p = present(credential, secret, disclose=[], predicates=ASKED, verifier_id="v", nonce=bytes(16))
    return p.to_json()


def _edit(data: bytes, change: Change) -> bytes:
    """Re-encode the presentation canonically after `change` edits it in place."""
    obj = json.loads(data)
    change(obj)
    return canonical_json(obj)


def _list(change: Callable[[list[Any]], object]) -> Change:
    return lambda obj: change(obj["predicates"])


def _set(i: int, field: str, value: Any) -> Change:
    return lambda obj: obj["predicates"][i].__setitem__(field, value)


def _pop(i: int, field: str) -> Change:
    return lambda obj: obj["predicates"][i].pop(field)


def _splice(i: int, field: str, at: int, value: bytes) -> Change:
    def change(obj: dict[str, Any]) -> None:
        entry = obj["predicates"][i]
        raw = b64url_decode(entry[field])
        entry[field] = b64url_encode(raw[:at] + value + raw[at + len(value) :])

    return change


def _resize(i: int, field: str, delta: int) -> Change:
    def change(obj: dict[str, Any]) -> None:
        entry = obj["predicates"][i]
        raw = b64url_decode(entry[field])
        entry[field] = b64url_encode(raw + bytes(delta) if delta > 0 else raw[:delta])

    return change


def test_round_trip_and_layout(shown: bytes) -> None:
    p = Presentation.from_json(shown)
    assert p.to_json() == shown
    entries = json.loads(shown)["predicates"]
    assert [e["attribute"] for e in entries] == ["birthdate", "district"]
    assert set(entries[0]) == {"attribute", "commitment", "op", "proof", "response", "value"}
    # 4 points and 2 + 2N scalars: N = 22 bits for a one-sided date range, 2 members.
    assert len(b64url_decode(entries[0]["proof"])) == 4 * 48 + (2 + 44) * 32
    assert len(b64url_decode(entries[1]["proof"])) == 4 * 48 + (2 + 4) * 32


CASES: dict[str, Change] = {
    "empty-list": _list(lambda ps: ps.clear()),
    "not-a-list": lambda obj: obj.__setitem__("predicates", {"0": obj["predicates"][0]}),
    "unsorted": _list(lambda ps: ps.reverse()),
    "repeated": _list(lambda ps: ps.__setitem__(1, ps[0])),
    "too-many": _list(lambda ps: ps.extend([ps[0]] * MAX_PREDICATES)),
    "entry-not-object": _list(lambda ps: ps.__setitem__(0, "x")),
    "missing-commitment": _pop(0, "commitment"),
    "missing-proof": _pop(0, "proof"),
    "missing-response": _pop(0, "response"),
    "missing-value": _pop(0, "value"),
    "unexpected-field": _set(0, "note", "x"),
    "unknown-op": _set(0, "op", "<"),
    "bound-not-a-date": _set(0, "value", "2008-5-1"),
    "members-unsorted": _set(1, "value", ["Sants", "Gràcia"]),
    "one-member": _set(1, "value", ["Gràcia"]),
    "commitment-identity": _set(0, "commitment", b64url_encode(G1_IDENTITY)),
    "commitment-off-curve": _set(0, "commitment", b64url_encode(G1_OFF_CURVE)),
    "commitment-outside-subgroup": _set(0, "commitment", b64url_encode(G1_OUTSIDE_SUBGROUP)),
    "commitment-short": _resize(0, "commitment", -1),
    "commitment-padded-base64url": lambda obj: obj["predicates"][0].__setitem__(
        "commitment", obj["predicates"][0]["commitment"] + "="
    ),
    "response-zero": _set(0, "response", b64url_encode(bytes(32))),
    "response-is-r": _set(0, "response", b64url_encode(R.to_bytes(32, "big"))),
    "response-long": _resize(0, "response", 1),
    "proof-truncated": _resize(0, "proof", -32),
    "proof-extended": _resize(0, "proof", 32),
    "proof-of-another-size": _set(1, "proof", "AA"),
    "proof-A-identity": _splice(0, "proof", 0, G1_IDENTITY),
    "proof-S-off-curve": _splice(0, "proof", 48, G1_OFF_CURVE),
    "proof-T1-outside-subgroup": _splice(0, "proof", 96, G1_OUTSIDE_SUBGROUP),
    "proof-scalar-is-r": _splice(0, "proof", 192, R.to_bytes(32, "big")),
    "proof-scalar-zero": _splice(1, "proof", 224, bytes(32)),
    "proof-not-a-string": _set(0, "proof", 5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_predicates_are_decode_errors(shown: bytes, name: str) -> None:
    with pytest.raises(DecodeError):
        Presentation.from_json(_edit(shown, CASES[name]))


def test_non_canonical_spelling_is_refused(shown: bytes) -> None:
    spaced = shown.replace(b'"predicates":[', b'"predicates": [')
    with pytest.raises(DecodeError):
        Presentation.from_json(spaced)
