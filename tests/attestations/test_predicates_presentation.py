"""Predicates in presentations, end to end: an age range and a district set proven beside
the BBS proof; a holder outside the range or set cannot cheat (neither with a commitment
to another value nor with false bits); proofs bound to their presentation, nonce and
verifier; unlinkable; plain presentations unchanged byte for byte."""

from __future__ import annotations

import dataclasses
import datetime
import os

import pytest

from attestations.bbs import calculate_random_scalars, seeded_random_scalars
from attestations.bbs.blind import signed_messages
from attestations.bbs.pseudonym import proof_gen_with_pseudonym
from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuerKey,
    Member,
    Presentation,
    Range,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.credentials._common import (
    API_ID,
    SUITE,
    credential_header,
    generators,
    map_string,
    presentation_header,
    secret_index,
)
from attestations.curve import R
from attestations.errors import InvalidProof
from attestations.predicates import Predicate, minimum_age
from attestations.predicates.argument import prove
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.linked import PredicateProof, argument_context, challenge_octets
from attestations.predicates.relations import relation, witness
from attestations.pseudonym import verifier_base
from attestations.schemas import Schema, Value

D = datetime.date
RESIDENT = Schema.create(
    "resident", [("birthdate", "date"), ("district", "string"), ("income", "integer")]
)
BIRTHDATE = D(2008, 2, 29)
VALUES: dict[str, Value] = {
    "expiry": D(2031, 1, 31),
    "birthdate": BIRTHDATE,
    "district": "Gràcia",
    "income": 21000,
}
NOW = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
BIKES, LIBRARY, NONCE = "did:key:z6MkBicing", "did:key:z6MkBiblioteques", bytes(range(16))
DISTRICTS = Member("district", [f"district {i}" for i in range(9)] + ["Gràcia"])
ADULT = minimum_age("birthdate", 18, today=D(2026, 3, 1))  # born 2008-02-29: 18 on 1 March
ASKED: list[Predicate] = [ADULT, DISTRICTS]


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


def _present(
    credential: Credential,
    secret: HolderSecret,
    predicates: list[Predicate] = ASKED,
    **kw: object,
) -> Presentation:
    args: dict[str, object] = {"disclose": [], "verifier_id": BIKES, "nonce": NONCE}
    args.update(kw)
    return present(credential, secret, predicates=predicates, **args)  # type: ignore[arg-type]


def _verify(
    p: Presentation, issuer: IssuerKey, predicates: list[Predicate] = ASKED, **kw: object
) -> dict[str, Value]:
    args: dict[str, object] = {"verifier_id": BIKES, "nonce": NONCE, "now": NOW}
    args.update(kw)
    return verify_presentation(
        p,
        issuer.public_key(),
        RESIDENT,
        predicates=predicates,
        **args,  # type: ignore[arg-type]
    )


def test_age_and_district_proven_without_disclosure(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    wire = Presentation.from_json(shown.to_json())
    assert wire == shown and wire.to_json() == shown.to_json()
    assert _verify(wire, issuer) == {"expiry": VALUES["expiry"]}
    assert shown.disclosed == {"expiry": "2031-01-31"} and b"2008-02-29" not in shown.to_json()
    # Beside disclosed attributes, and an integer range.
    shown = _present(credential, secret, [Range("income", 20000, 30000)], disclose=["district"])
    assert _verify(shown, issuer, [Range("income", 20000, 30000)])["district"] == "Gràcia"


def test_boundaries_of_the_holder(credential: Credential, secret: HolderSecret) -> None:
    """The bound is inclusive on both sides; one day or one unit beyond, the holder's own
    wallet refuses to prove it (a caller error: nothing is sent)."""
    for fine in (
        Range("birthdate", hi=BIRTHDATE),
        Range("birthdate", lo=BIRTHDATE),
        Range("income", 21000, 21001),
        Range("income", 20999, 21000),
    ):
        _present(credential, secret, [fine])
    for false in (
        minimum_age("birthdate", 18, today=D(2026, 2, 28)),
        Range("birthdate", lo=D(2008, 3, 1)),
        Range("income", 21001, 30000),
        Range("income", hi=20999),
        Member("district", ["Sants", "Sarrià"]),
    ):
        with pytest.raises(ValueError, match=r"outside|not in"):
            _present(credential, secret, [false])


def test_caller_errors(credential: Credential, secret: HolderSecret, issuer: IssuerKey) -> None:
    with pytest.raises(ValueError, match="disclosed"):
        _present(credential, secret, [ADULT], disclose=["birthdate"])
    with pytest.raises(ValueError, match="disclosed"):  # only `>=` replaces showing expiry
        _present(credential, secret, [Range("expiry", hi=D(2040, 1, 1))])
    with pytest.raises(ValueError):
        _present(credential, secret, [Range("district", lo=1)])
    with pytest.raises(ValueError):
        _present(credential, secret, [ADULT, ADULT])
    shown = _present(credential, secret)
    with pytest.raises(ValueError):
        _verify(shown, issuer, [Member("income", ["1", "2"])])


def test_verifier_gets_exactly_what_it_asked(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    wrong: list[list[Predicate]] = [
        [ADULT],  # fewer
        [ADULT, DISTRICTS, Range("income", lo=0)],  # more
        [minimum_age("birthdate", 16, today=D(2026, 3, 1)), DISTRICTS],  # another bound
        [ADULT, Member("district", [*DISTRICTS.values[:-1], "Sants"])],  # another set
        [],
    ]
    for asked in wrong:
        with pytest.raises(InvalidProof):
            _verify(shown, issuer, asked)
    plain = _present(credential, secret, [], disclose=["birthdate"])
    with pytest.raises(InvalidProof):
        _verify(plain, issuer, [ADULT])


def _forge(
    credential: Credential, secret: HolderSecret, predicate: Predicate, *, committed: int
) -> Presentation:
    """A cheating holder: commits to `committed` (a message) instead of its own value and
    proves the predicate with the bits of `committed` if it satisfies it, else with the
    bits of the nearest value that does; everything else as `present` does."""
    schema, curve = credential.schema, SUITE.curve
    ph = presentation_header(BIKES, NONCE)
    messages = signed_messages(credential.messages(), credential.prover_blind, [secret._s])
    rel = relation(predicate, schema, map_string)
    try:
        bits = witness(predicate, committed, rel)
    except ValueError:
        assert isinstance(predicate, Range)
        nearest = predicate.hi if predicate.hi is not None else predicate.lo
        assert nearest is not None
        bits = witness(predicate, schema.to_message(predicate.attribute, nearest, map_string), rel)
    gens = pedersen_generators(0, curve)
    m_tilde, gamma, gamma_tilde, *scalars = calculate_random_scalars(7 + 2 * rel.bits)
    v = curve.g1_msm([gens.g, gens.h], [committed, gamma])
    u = curve.g1_msm([gens.g, gens.h], [m_tilde, gamma_tilde])
    context = argument_context(ph, predicate)
    argument = prove(rel, bits, gamma, v, context, random_scalars=scalars, backend=curve)
    proof, pseudonym = proof_gen_with_pseudonym(
        credential.issuer.to_bytes(),
        credential.signature,
        credential_header(schema),
        ph,
        messages,
        [0],
        generators=generators(schema),
        secret_index=secret_index(schema),
        base=verifier_base(BIKES, backend=curve),
        api_id=API_ID,
        suite=SUITE,
        blindings={schema.index(predicate.attribute): m_tilde},
        extra_points=[v, u],
        extra_octets=challenge_octets([(predicate, argument)]),
    )
    response = (gamma_tilde + int.from_bytes(proof[-32:], "big") * gamma) % R
    linked = PredicateProof(predicate, v, response, argument)
    disclosed = {"expiry": "2031-01-31"}
    return Presentation(
        schema.schema_id, credential.issuer, disclosed, pseudonym, proof, BIKES, NONCE, (linked,)
    )


def test_a_holder_outside_the_range_cannot_cheat(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    own = RESIDENT.to_message("birthdate", BIRTHDATE, map_string)
    young = minimum_age("birthdate", 18, today=D(2026, 2, 28))  # one day short
    inside = RESIDENT.to_message("birthdate", young.hi, map_string)  # type: ignore[arg-type]
    # The forger is faithful when it does not cheat: its proof of a true predicate passes.
    _verify(_forge(credential, secret, ADULT, committed=own), issuer, [ADULT])
    # Own value committed, bits of the bound: the argument fails.
    with pytest.raises(InvalidProof):
        _verify(_forge(credential, secret, young, committed=own), issuer, [young])
    # A value inside committed, honest argument: the link to the signed value fails.
    with pytest.raises(InvalidProof):
        _verify(_forge(credential, secret, young, committed=inside), issuer, [young])


def test_bound_to_nonce_verifier_and_presentation(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    with pytest.raises(InvalidProof):
        _verify(shown, issuer, nonce=os.urandom(16))
    elsewhere = _present(credential, secret, verifier_id=LIBRARY, nonce=os.urandom(16))
    replayed = dataclasses.replace(
        elsewhere, verifier_id=BIKES, nonce=NONCE, pseudonym=shown.pseudonym
    )
    with pytest.raises(InvalidProof):
        _verify(replayed, issuer)
    # The predicate proofs of one presentation moved into another, same context.
    other = _present(credential, secret)
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(other, predicates=shown.predicates), issuer)
    moved = (shown.predicates[0], other.predicates[1])
    with pytest.raises(InvalidProof):
        _verify(dataclasses.replace(other, predicates=moved), issuer)


def test_swapped_commitments_and_forged_responses_fail(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    shown = _present(credential, secret)
    age, district = shown.predicates
    other = _present(credential, secret).predicates[0]
    g = pedersen_generators(0, SUITE.curve).g
    for forged in (
        (dataclasses.replace(age, commitment=district.commitment), district),
        (age, dataclasses.replace(district, commitment=age.commitment)),
        (dataclasses.replace(age, commitment=other.commitment), district),
        (dataclasses.replace(age, commitment=age.commitment + g), district),
        (dataclasses.replace(age, response=(age.response + 1) % R), district),
        (dataclasses.replace(age, response=other.response), district),
        (dataclasses.replace(age, proof=other.proof), district),
        (age, dataclasses.replace(district, proof=district.proof._replace(mu=1))),
    ):
        with pytest.raises(InvalidProof):
            _verify(dataclasses.replace(shown, predicates=forged), issuer)


def test_bbs_hooks_refuse_a_blinding_for_a_disclosed_message(
    credential: Credential, secret: HolderSecret
) -> None:
    messages = signed_messages(credential.messages(), credential.prover_blind, [secret._s])
    with pytest.raises(ValueError, match="disclosed"):
        proof_gen_with_pseudonym(
            credential.issuer.to_bytes(),
            credential.signature,
            credential_header(RESIDENT),
            presentation_header(BIKES, NONCE),
            messages,
            [0, 2],
            generators=generators(RESIDENT),
            secret_index=secret_index(RESIDENT),
            base=verifier_base(BIKES, backend=SUITE.curve),
            api_id=API_ID,
            suite=SUITE,
            blindings={2: 5},
        )


def test_a_proof_too_short_for_the_schema_is_invalid(
    credential: Credential, secret: HolderSecret, issuer: IssuerKey
) -> None:
    """A BBS proof with fewer responses than hidden messages: with a predicate on the
    last attribute and the one before it disclosed, the indexes no longer fit."""
    shown = _present(credential, secret, [Range("income", lo=0)], disclose=["district"])
    for keep in (0, 1, 3):
        cut = shown.proof[: 144 + 32 * (3 + keep)] + shown.proof[-32:]
        with pytest.raises(InvalidProof):
            _verify(dataclasses.replace(shown, proof=cut), issuer, [Range("income", lo=0)])


def _pieces(shown: Presentation) -> set[bytes]:
    """Every 48-byte point and 32-byte scalar of the BBS proof and the predicate proofs."""
    out = {shown.proof[i : i + 48] for i in range(0, 144, 48)}
    out |= {shown.proof[i : i + 32] for i in range(144, len(shown.proof), 32)}
    for p in shown.predicates:
        out |= {p.commitment.to_bytes(), p.response.to_bytes(32, "big")}
        proof = p.proof
        out |= {q.to_bytes() for q in (proof.A, proof.S, proof.T1, proof.T2)}
        out |= {k.to_bytes(32, "big") for k in (proof.tau_x, proof.mu, *proof.left, *proof.right)}
    return out


def test_unlinkable(credential: Credential, secret: HolderSecret) -> None:
    a, b = _present(credential, secret), _present(credential, secret)
    assert len(a.to_json()) == len(b.to_json())
    assert not _pieces(a) & _pieces(b)
    c = _present(credential, secret, verifier_id=LIBRARY, nonce=os.urandom(16))
    assert not _pieces(a) & _pieces(c)


def _seeded(n: int) -> list[int]:
    return seeded_random_scalars(b"cartera-test-seed", b"TEST-DST", n)


def _deterministic_credential() -> tuple[IssuerKey, HolderSecret, Credential]:
    issuer = IssuerKey.generate(rng=lambda n: b"\x11" * n)
    secret = HolderSecret.generate(rng=lambda n: b"\x22" * n)
    request, state = begin_issuance(secret, issuer.public_key(), RESIDENT, rng=_seeded)
    response = issue(issuer, RESIDENT, VALUES, request, now=NOW)
    return issuer, secret, finish_issuance(state, response)


def test_plain_presentations_are_unchanged() -> None:
    """Without predicates: no `predicates` field and the same digest as before predicates
    existed (computed with the code of commit d73f3b2)."""
    _, secret, credential = _deterministic_credential()
    shown = present(
        credential, secret, disclose=["district"], verifier_id=BIKES, nonce=NONCE, rng=_seeded
    )
    assert b"predicates" not in shown.to_json()
    assert shown.digest == "sha256:48e9b227518718e419ae5d6c6be30ba7e2f1ea16013829b8681a90caa7f26b7a"


@pytest.mark.slow
def test_backends_agree_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixed randomness, small predicates: the same presentation bytes on both backends,
    and each backend accepts the other's presentation."""
    asked: list[Predicate] = [
        Range("income", 20000, 21500),
        Member("district", ["Gràcia", "Sants"]),
    ]
    outputs = []
    for name in ("arkworks", "pyecc"):
        monkeypatch.setenv("CARTERA_CURVE_BACKEND", name)
        issuer, secret, credential = _deterministic_credential()
        shown = present(
            credential,
            secret,
            disclose=[],
            predicates=asked,
            verifier_id=BIKES,
            nonce=NONCE,
            rng=_seeded,
        )
        outputs.append(shown.to_json())
    assert outputs[0] == outputs[1]
    for name in ("pyecc", "arkworks"):
        monkeypatch.setenv("CARTERA_CURVE_BACKEND", name)
        _verify(Presentation.from_json(outputs[0]), issuer, asked)
