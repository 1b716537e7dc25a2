"""What the ledger's checks rely on in `policies`: an entry parsed from canonical bytes
keeps them, and its signing bytes cut out of them equal the re-encoded ones, for every
entry type; documents that were not parsed from bytes, or were changed, encode again."""

from __future__ import annotations

import pytest

from policies import Entry, canonical_bytes, loads, parse_entry, signing_bytes
from policies.canonical import signing_bytes_of
from tests.ledger.entry_builders import T0, World


def _entries() -> list[Entry]:
    w = World()
    grant = w.grant(T0, max_uses=3)
    return [
        w.issuer_register(T0), w.issuer_revoke_key(T0), w.verifier_register(T0), grant,
        w.revoke(grant, T0), w.access(grant, T0),
    ]  # fmt: skip


@pytest.mark.parametrize("built", _entries(), ids=lambda e: e.TYPE)
def test_parsed_entries_keep_their_bytes(built: Entry) -> None:
    data = built.to_json()
    parsed = parse_entry(data)
    assert parsed.__dict__["_canonical_bytes"] is data  # kept, not encoded again
    assert parsed.to_json() == data
    assert parsed.signing_bytes() == signing_bytes(loads(data)) == built.signing_bytes()
    assert parsed == built and hash(parsed) == hash(built)  # the kept bytes are not fields


@pytest.mark.parametrize(
    "obj",
    [
        {"a": 1, "sig": "xyz"},  # sig last
        {"sig": "xyz", "type": "t"},  # sig first
        {"sig": "xyz"},  # sig alone
        {"a": 'x,"sig":"y"', "sig": "z", "zz": [1, {"sig": "n"}]},  # "sig" inside values
        {"\u00e9": 1, "\U0001f600": 2, "sig": "s", "\uff61": 3},  # keys sorted by UTF-16 units
        {"a": 1},  # no sig at all
    ],
)
def test_signing_bytes_cut_from_canonical_bytes(obj: dict[str, object]) -> None:
    data = canonical_bytes(obj)
    assert signing_bytes_of(data, obj) == signing_bytes(obj)


@pytest.mark.parametrize("tail", [b'"sig":"other"}', b'"sig":"xyz","z":2}', b'"sig":"xyz"}'])
def test_bytes_whose_tail_is_not_the_objects_are_encoded_again(tail: bytes) -> None:
    obj = {"a": 1, "sig": "xyz", "z": 1}
    assert signing_bytes_of(b'{"a":1,' + tail, obj) == signing_bytes(obj) == b'{"a":1,"z":1}'


def test_a_changed_copy_encodes_again() -> None:
    grant = parse_entry(World().grant(T0).to_json())
    changed = grant.model_copy(update={"max_uses": 7})
    assert "_canonical_bytes" not in changed.__dict__
    assert b'"max_uses":7' in changed.to_json() and b'"max_uses":7' in changed.signing_bytes()
    same = grant.model_copy()
    assert same.to_json() == grant.to_json()
