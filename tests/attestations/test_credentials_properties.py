"""Properties of presentations: any disclosed subset verifies; any change to a proof fails;
and the backends agree on every byte the holder and the issuer compute."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attestations.bbs import seeded_random_scalars
from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuerKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.errors import DecodeError, InvalidProof
from attestations.schemas import Schema

SCHEMA = Schema.create(
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
    "expiry": datetime.date(2031, 1, 31),
    "given_name": "Joan",
    "family_name": "Miró",
    "birthdate": datetime.date(1893, 4, 20),
    "district": "Ciutat Vella",
    "postcode": -8001,
    "registered": False,
}
NOW = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
VERIFIER = "did:key:z6MkBicing"
NONCE = b"0123456789abcdef"
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def setup() -> tuple[IssuerKey, HolderSecret, Credential]:
    issuer, secret = IssuerKey.generate(), HolderSecret.generate()
    request, state = begin_issuance(secret, issuer.public_key(), SCHEMA)
    return issuer, secret, finish_issuance(state, issue(issuer, SCHEMA, VALUES, request, now=NOW))


def _verify(p: Presentation, issuer: IssuerKey) -> dict[str, object]:
    return dict(
        verify_presentation(
            p, issuer.public_key(), SCHEMA, verifier_id=VERIFIER, nonce=NONCE, now=NOW
        )
    )


@SLOW
@given(subset=st.sets(st.sampled_from(SCHEMA.names[1:])))
def test_any_disclosed_subset_verifies(
    setup: tuple[IssuerKey, HolderSecret, Credential], subset: set[str]
) -> None:
    issuer, secret, credential = setup
    shown = present(credential, secret, disclose=sorted(subset), verifier_id=VERIFIER, nonce=NONCE)
    got = _verify(Presentation.from_json(shown.to_json()), issuer)
    assert got == {n: VALUES[n] for n in SCHEMA.names if n in subset or n == "expiry"}


@pytest.fixture(scope="module")
def shown(setup: tuple[IssuerKey, HolderSecret, Credential]) -> Presentation:
    _, secret, credential = setup
    return present(credential, secret, disclose=["district"], verifier_id=VERIFIER, nonce=NONCE)


@SLOW
@given(data=st.data())
def test_any_single_byte_change_to_the_proof_fails(
    setup: tuple[IssuerKey, HolderSecret, Credential], shown: Presentation, data: st.DataObject
) -> None:
    issuer = setup[0]
    index = data.draw(st.integers(0, len(shown.proof) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    proof = bytearray(shown.proof)
    proof[index] ^= flip
    tampered = dataclasses.replace(shown, proof=bytes(proof))
    with pytest.raises((InvalidProof, DecodeError)):
        _verify(Presentation.from_json(tampered.to_json()), issuer)


@SLOW
@given(data=st.data())
def test_any_single_byte_change_to_the_serialised_proof_fails(
    setup: tuple[IssuerKey, HolderSecret, Credential], shown: Presentation, data: st.DataObject
) -> None:
    # The same, through the wire format: change one character of the proof's base64url.
    issuer = setup[0]
    text = shown.to_json()
    start = text.index(b'"proof":"') + len(b'"proof":"')
    end = text.index(b'"', start)
    index = data.draw(st.integers(start, end - 1), label="index")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    new = data.draw(st.sampled_from([c for c in alphabet if c != text[index]]), label="char")
    with pytest.raises((InvalidProof, DecodeError)):
        _verify(Presentation.from_json(text[:index] + bytes([new]) + text[index + 1 :]), issuer)


def test_a_proof_missing_one_response_fails(
    setup: tuple[IssuerKey, HolderSecret, Credential], shown: Presentation
) -> None:
    # Still a well-formed proof (one scalar fewer), so it parses, and must not verify.
    for cut in (shown.proof[:-32], shown.proof[:-64] + shown.proof[-32:]):
        parsed = Presentation.from_json(dataclasses.replace(shown, proof=cut).to_json())
        with pytest.raises(InvalidProof):
            _verify(parsed, setup[0])


@pytest.mark.slow
def test_backends_agree_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue and present with fixed randomness on each backend: identical bytes; and a
    presentation made on one backend verifies on the other."""
    outputs = []
    for name in ("arkworks", "pyecc"):
        monkeypatch.setenv("CARTERA_CURVE_BACKEND", name)
        issuer = IssuerKey.generate(rng=lambda n: b"\x11" * n)
        secret = HolderSecret.generate(rng=lambda n: b"\x22" * n)

        def rng(n: int) -> list[int]:
            return seeded_random_scalars(b"cartera-test-seed", b"TEST-DST", n)

        request, state = begin_issuance(secret, issuer.public_key(), SCHEMA, rng=rng)
        response = issue(issuer, SCHEMA, VALUES, request, now=NOW)
        credential = finish_issuance(state, response)
        shown = present(
            credential, secret, disclose=["postcode"], verifier_id=VERIFIER, nonce=NONCE, rng=rng
        )
        outputs.append((issuer, request.to_json(), response.to_json(), shown.to_json()))
    (ark_issuer, *ark), (_, *ref) = outputs
    assert ark == ref
    monkeypatch.setenv("CARTERA_CURVE_BACKEND", "pyecc")
    got = _verify(Presentation.from_json(ark[2]), ark_issuer)
    assert got == {"expiry": VALUES["expiry"], "postcode": -8001}
