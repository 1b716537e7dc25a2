"""Expiry shown or proven: a presentation may replace the disclosed `expiry` by a proof of
`expiry >= d`, and the verifier accepts it only while `d` is not a past day."""

from __future__ import annotations

import datetime

import pytest

from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuerKey,
    Presentation,
    Range,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.errors import InvalidProof
from attestations.predicates import Predicate
from attestations.schemas import Schema, Value

D = datetime.date
SCHEMA = Schema.create("resident", [("district", "string")])
EXPIRES = D(2031, 1, 31)
NOW = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
TODAY = NOW.date()
VERIFIER, NONCE = "did:key:z6MkPetition", bytes(range(32))
NOT_EXPIRED = Range("expiry", lo=TODAY)


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture(scope="module")
def secret() -> HolderSecret:
    return HolderSecret.generate()


def _credential(
    issuer: IssuerKey, secret: HolderSecret, expiry: D = EXPIRES, issued: datetime.datetime = NOW
) -> Credential:
    values: dict[str, Value] = {"expiry": expiry, "district": "Gràcia"}
    request, state = begin_issuance(secret, issuer.public_key(), SCHEMA)
    return finish_issuance(state, issue(issuer, SCHEMA, values, request, now=issued))


@pytest.fixture(scope="module")
def credential(issuer: IssuerKey, secret: HolderSecret) -> Credential:
    return _credential(issuer, secret)


def _present(c: Credential, s: HolderSecret, predicates: list[Predicate]) -> Presentation:
    return present(
        c, s, disclose=["district"], verifier_id=VERIFIER, nonce=NONCE, predicates=predicates
    )


def _verify(
    p: Presentation, issuer: IssuerKey, predicates: list[Predicate], now: datetime.datetime = NOW
) -> dict[str, Value]:
    return verify_presentation(
        p, issuer.public_key(), SCHEMA, verifier_id=VERIFIER, nonce=NONCE, now=now,
        predicates=predicates,
    )  # fmt: skip


def test_proven_expiry_is_not_disclosed(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = Presentation.from_json(_present(credential, secret, [NOT_EXPIRED]).to_json())
    assert shown.disclosed == {"district": "Gràcia"}
    assert EXPIRES.isoformat().encode() not in shown.to_json()
    assert _verify(shown, issuer, [NOT_EXPIRED]) == {"district": "Gràcia"}


def test_a_bound_that_has_become_a_past_day_is_refused(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    yesterday = Range("expiry", lo=TODAY - datetime.timedelta(days=1))
    shown = _present(credential, secret, [yesterday])
    with pytest.raises(InvalidProof, match="past day"):
        _verify(shown, issuer, [yesterday])
    # The same proof was fine the day it was made for.
    assert _verify(shown, issuer, [yesterday], now=NOW - datetime.timedelta(days=1))


def test_shown_and_proven_expiry_do_not_stand_in_for_each_other(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret, [])
    assert shown.disclosed["expiry"] == EXPIRES.isoformat()
    with pytest.raises(InvalidProof):  # the verifier asked for the proof
        _verify(shown, issuer, [NOT_EXPIRED])
    proven = _present(credential, secret, [NOT_EXPIRED])
    with pytest.raises(InvalidProof):  # the verifier asked for the date
        _verify(proven, issuer, [])


def test_a_bound_below_the_expiry_only_is_no_proof_of_validity(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    """`expiry <= d` says nothing about today: expiry is then shown, and the predicate on
    a shown attribute is the holder's mistake."""
    with pytest.raises(ValueError, match="disclosed"):
        _present(credential, secret, [Range("expiry", hi=D(2040, 1, 1))])


def test_an_expired_credential_cannot_prove_it_is_not(
    issuer: IssuerKey, secret: HolderSecret
) -> None:
    month_ago = NOW - datetime.timedelta(days=30)
    old = _credential(issuer, secret, expiry=TODAY - datetime.timedelta(days=1), issued=month_ago)
    with pytest.raises(ValueError, match="outside"):
        _present(old, secret, [NOT_EXPIRED])
