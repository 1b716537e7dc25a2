"""The credential recipes end to end: blind issuance, presentation, verification, and the
attacks each step must refuse."""

from __future__ import annotations

import dataclasses
import datetime
import os

import pytest

from attestations.consent import verify_consent
from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuanceResponse,
    IssuerKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.errors import DecodeError, InvalidProof, InvalidSignature
from attestations.schemas import Schema

RESIDENT = Schema.create(
    "resident",
    [
        ("given_name", "string"),
        ("family_name", "string"),
        ("birthdate", "date"),
        ("district", "string"),
        ("postcode", "integer"),
    ],
)
VALUES = {
    "expiry": datetime.date(2031, 1, 31),
    "given_name": "Mercè",
    "family_name": "Rodoreda",
    "birthdate": datetime.date(1958, 10, 10),
    "district": "Gràcia",
    "postcode": 8012,
}
NOW = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
BIKES = "did:key:z6MkBicing"
LIBRARY = "did:key:z6MkBiblioteques"
NONCE = bytes(range(16))


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture(scope="module")
def secret() -> HolderSecret:
    return HolderSecret.generate()


@pytest.fixture(scope="module")
def credential(issuer: IssuerKey, secret: HolderSecret) -> Credential:
    request, state = begin_issuance(secret, issuer.public_key(), RESIDENT)
    return finish_issuance(state, issue(issuer, RESIDENT, VALUES, request, now=NOW))


def _present(credential: Credential, secret: HolderSecret, **kw: object) -> Presentation:
    args: dict[str, object] = {
        "disclose": ["district", "postcode"],
        "verifier_id": BIKES,
        "nonce": NONCE,
    }
    args.update(kw)
    return present(credential, secret, **args)  # type: ignore[arg-type]


def _verify(p: Presentation, issuer: IssuerKey, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {"verifier_id": BIKES, "nonce": NONCE, "now": NOW}
    args.update(kw)
    return dict(verify_presentation(p, issuer.public_key(), RESIDENT, **args))  # type: ignore[arg-type]


# --- issuance --------------------------------------------------------------------------


def test_issuance_gives_the_issued_values(credential: Credential, issuer: IssuerKey) -> None:
    assert dict(credential.values) == VALUES
    assert credential.issuer == issuer.public_key()
    assert credential.expiry == VALUES["expiry"]


def test_commitments_to_one_secret_differ(issuer: IssuerKey, secret: HolderSecret) -> None:
    a, _ = begin_issuance(secret, issuer.public_key(), RESIDENT)
    b, _ = begin_issuance(secret, issuer.public_key(), RESIDENT)
    assert a.commitment != b.commitment
    assert secret.to_bytes() not in a.commitment


def test_issuer_refuses_a_tampered_commitment_proof(
    issuer: IssuerKey, secret: HolderSecret
) -> None:
    request, _ = begin_issuance(secret, issuer.public_key(), RESIDENT)
    # Change the response s^ to another valid scalar: the proof no longer verifies.
    s_hat = int.from_bytes(request.commitment[48:80], "big")
    bad = request.commitment[:48] + (s_hat ^ 1).to_bytes(32, "big") + request.commitment[80:]
    with pytest.raises(InvalidProof):
        issue(issuer, RESIDENT, VALUES, dataclasses.replace(request, commitment=bad), now=NOW)


def test_issuer_refuses_a_request_for_another_schema(
    issuer: IssuerKey, secret: HolderSecret
) -> None:
    other = Schema.create("library-card", [("district", "string")])
    request, _ = begin_issuance(secret, issuer.public_key(), other)
    with pytest.raises(DecodeError):
        issue(issuer, RESIDENT, VALUES, request, now=NOW)


def test_issuer_input_mistakes_are_value_errors(issuer: IssuerKey, secret: HolderSecret) -> None:
    request, _ = begin_issuance(secret, issuer.public_key(), RESIDENT)
    with pytest.raises(ValueError, match="expired"):
        issue(issuer, RESIDENT, VALUES, request, now=NOW.replace(year=2032))
    with pytest.raises(ValueError, match="missing"):
        partial = {k: v for k, v in VALUES.items() if k != "postcode"}
        issue(issuer, RESIDENT, partial, request, now=NOW)
    with pytest.raises(TypeError):
        issue(issuer, RESIDENT, {**VALUES, "postcode": "08012"}, request, now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        issue(issuer, RESIDENT, VALUES, request, now=NOW.replace(tzinfo=None))


def test_holder_refuses_a_response_that_does_not_verify(
    issuer: IssuerKey, secret: HolderSecret
) -> None:
    request, state = begin_issuance(secret, issuer.public_key(), RESIDENT)
    response = issue(issuer, RESIDENT, VALUES, request, now=NOW)
    tampered = dataclasses.replace(
        response, attributes={**response.attributes, "district": "Sants-Montjuïc"}
    )
    with pytest.raises(InvalidSignature):
        finish_issuance(state, tampered)
    # Signed by another issuer than the one the holder asked.
    other = IssuerKey.generate()
    with pytest.raises(InvalidSignature):
        finish_issuance(state, issue(other, RESIDENT, VALUES, request, now=NOW))
    # The right issuer's signature, but the holder's state holds another secret.
    wrong_state = dataclasses.replace(state, secret=HolderSecret.generate())
    with pytest.raises(InvalidSignature):
        finish_issuance(wrong_state, response)
    assert finish_issuance(state, response).values == response_values(response)


def response_values(response: IssuanceResponse) -> dict[str, object]:
    return {n: RESIDENT.value_from_json(n, v) for n, v in response.attributes.items()}


# --- presentation ----------------------------------------------------------------------


def test_present_and_verify(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    assert _verify(shown, issuer) == {
        "expiry": VALUES["expiry"],
        "district": "Gràcia",
        "postcode": 8012,
    }
    assert shown.pseudonym == secret.pseudonym(BIKES)


def test_expiry_is_always_disclosed_and_checked(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret, disclose=[])
    assert _verify(shown, issuer) == {"expiry": VALUES["expiry"]}
    last_day = datetime.datetime(2031, 1, 31, 23, 59, tzinfo=datetime.UTC)
    assert _verify(shown, issuer, now=last_day)
    with pytest.raises(InvalidProof):
        _verify(shown, issuer, now=last_day + datetime.timedelta(minutes=1))
    # Hiding expiry is not an option for a presentation the verifier accepts.
    without = dataclasses.replace(shown, disclosed={})
    with pytest.raises(InvalidProof):
        _verify(without, issuer)


def test_wrong_nonce_or_verifier(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    with pytest.raises(InvalidProof):
        _verify(shown, issuer, nonce=NONCE[::-1])
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, nonce=NONCE[::-1]), issuer, nonce=NONCE[::-1])
    with pytest.raises(InvalidProof):
        _verify(shown, issuer, verifier_id=LIBRARY)
    # Relabelled for the library, with the holder's library pseudonym: still bound to BIKES.
    moved = dataclasses.replace(shown, verifier_id=LIBRARY, pseudonym=secret.pseudonym(LIBRARY))
    with pytest.raises(InvalidProof):
        _verify(moved, issuer, verifier_id=LIBRARY)


def test_wrong_pseudonym(credential: Credential, secret: HolderSecret, issuer: IssuerKey) -> None:
    shown = _present(credential, secret)
    someone_else = HolderSecret.generate().pseudonym(BIKES)
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, pseudonym=someone_else), issuer)
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, pseudonym=secret.pseudonym(LIBRARY)), issuer)


def test_swapped_issuer_key(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    other = IssuerKey.generate()
    with pytest.raises(InvalidProof):
        _verify(shown, other)
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, issuer=other.public_key()), other)


def test_wrong_schema(credential: Credential, secret: HolderSecret, issuer: IssuerKey) -> None:
    shown = _present(credential, secret)
    renamed = Schema("resident-v2", RESIDENT.attributes)
    with pytest.raises(InvalidProof):
        verify_presentation(
            dataclasses.replace(shown, schema_id=renamed.schema_id),
            issuer.public_key(),
            renamed,
            verifier_id=BIKES,
            nonce=NONCE,
            now=NOW,
        )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"district": "Sants-Montjuïc"}, id="changed-string"),
        pytest.param({"postcode": 8013}, id="changed-integer"),
        pytest.param({"expiry": "2040-01-31"}, id="extended-expiry"),
        pytest.param({"given_name": "Mercè"}, id="added-correct-guess"),
        pytest.param({"given_name": "Caterina"}, id="added-wrong-guess"),
    ],
)
def test_tampered_disclosed_values(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey, change: dict[str, object]
) -> None:
    shown = _present(credential, secret)
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, disclosed={**shown.disclosed, **change}), issuer)


def test_dropped_disclosed_value(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    fewer = {k: v for k, v in shown.disclosed.items() if k != "postcode"}
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(shown, disclosed=fewer), issuer)


def test_badly_typed_disclosed_value_is_a_decode_error(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    with pytest.raises(DecodeError):
        _verify(
            dataclasses.replace(shown, disclosed={**shown.disclosed, "postcode": "8012"}), issuer
        )


def test_presenting_without_the_secret_fails(credential: Credential, issuer: IssuerKey) -> None:
    # Everything the wallet stores about the credential, but a guessed secret.
    thief = HolderSecret.generate()
    stolen = Credential.from_json(credential.to_json())
    shown = _present(stolen, thief)
    assert shown.pseudonym == thief.pseudonym(BIKES)
    with pytest.raises(InvalidProof):
        _verify(shown, issuer)


def test_pseudonyms(credential: Credential, secret: HolderSecret, issuer: IssuerKey) -> None:
    a, b = _present(credential, secret), _present(credential, secret)
    c = _present(credential, secret, verifier_id=LIBRARY)
    assert a.pseudonym == b.pseudonym == secret.pseudonym(BIKES)
    assert c.pseudonym == secret.pseudonym(LIBRARY) != a.pseudonym
    _verify(c, issuer, verifier_id=LIBRARY)


def _chunks(proof: bytes) -> set[bytes]:
    points = [proof[i : i + 48] for i in range(0, 144, 48)]
    scalars = [proof[i : i + 32] for i in range(144, len(proof), 32)]
    return set(points) | set(scalars)


def test_two_presentations_share_nothing_beyond_the_disclosed(
    credential: Credential, secret: HolderSecret
) -> None:
    a, b = _present(credential, secret), _present(credential, secret)
    assert len(a.proof) == len(b.proof)
    assert not _chunks(a.proof) & _chunks(b.proof)
    # What the verifier sees besides the proof: the disclosed values, its own context, the
    # issuer, the schema and the pseudonym it is meant to see every time.
    c = _present(credential, secret, verifier_id=LIBRARY, nonce=os.urandom(16))
    assert not _chunks(a.proof) & _chunks(c.proof)
    assert a.pseudonym != c.pseudonym


def test_a_consent_signature_ties_to_the_presentation_pseudonym(
    credential: Credential, secret: HolderSecret
) -> None:
    shown = _present(credential, secret)
    grant = b'{"purpose":"dpv:ServiceProvision"}'
    verify_consent(shown.pseudonym, BIKES, grant, secret.sign_consent(BIKES, grant))


def test_presenting_caller_mistakes(credential: Credential, secret: HolderSecret) -> None:
    with pytest.raises(ValueError):
        _present(credential, secret, disclose=["nickname"])
    with pytest.raises(ValueError):
        _present(credential, secret, disclose=["district", "district"])
    with pytest.raises(ValueError):
        _present(credential, secret, nonce=b"short")
    with pytest.raises(ValueError):
        _present(credential, secret, verifier_id="")


def test_reloaded_credential_presents(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    again = Credential.from_json(credential.to_json())
    restored = HolderSecret.from_json(secret.to_json())
    shown = Presentation.from_json(_present(again, restored).to_json())
    assert _verify(shown, issuer)["district"] == "Gràcia"


def test_the_package_example_runs() -> None:
    import doctest

    import attestations.credentials

    result = doctest.testmod(attestations.credentials)
    assert result.attempted > 5 and result.failed == 0
