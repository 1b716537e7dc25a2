"""The petition rules of docs/petitions.md through a real sequencer, on SQLite and
PostgreSQL, with the hooks the service uses (`validate` and `apply_batch`). Every
signature is a real presentation; each refusal names its reason and leaves the log as it
was (`Ledger.refuses`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from attestations.encoding import b64url_encode
from attestations.predicates import Member, Range, predicate_from_json
from ledger import state
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.petitions import signature_statements
from ledger.rules import Reason, Rejected, Rules
from ledger.sequencer import Sequencer
from ledger.state import petitions as petition_state
from ledger.state.petition_queries import petition_signatures
from ledger.storage import LedgerStore
from policies import PetitionSign, canonical_bytes, parse_entry, signing_bytes
from tests.ledger.entry_builders import Clock
from tests.ledger.ledger_checks import check_log
from tests.ledger.petition_builders import (
    AGED_16,
    CLOSES,
    IN_GRACIA_OR_SANTS,
    LIBRARY,
    RESIDENT,
    T0,
    PetitionWorld,
)
from tests.ledger.test_rules import Ledger

ORIGIN = "cartera.test/petitions"
HOUR = timedelta(hours=1)
DISTRICTS = predicate_from_json(IN_GRACIA_OR_SANTS.to_json_dict())


def open_ledger(store: LedgerStore, clock: Clock, signer: SignerKey) -> tuple[Ledger, Rules]:
    rules = Rules(clock=clock)
    sequencer = Sequencer(store, signer=signer, origin=ORIGIN, validate=rules.validate,
                          apply_batch=rules.apply_batch).start()  # fmt: skip
    return Ledger(store, sequencer, clock, signer), rules


@pytest.fixture
def store(db_url: str) -> Iterator[LedgerStore]:
    engine = make_engine(db_url)
    state.create_tables(engine)
    yield LedgerStore(engine)
    engine.dispose()


@pytest.fixture
def world() -> PetitionWorld:
    return PetitionWorld()


@pytest.fixture
def opened(store: LedgerStore, world: PetitionWorld) -> Iterator[tuple[Ledger, Rules]]:
    """The issuer registered (index 0) and the petition opened (index 1)."""
    ledger, rules = open_ledger(store, Clock(), SignerKey.generate(ORIGIN))
    with ledger.sequencer:
        ledger.append(world.register(T0))
        ledger.append(world.petition())
        yield ledger, rules
    check_log(store, ledger.signer.verifier(), ORIGIN)


@pytest.fixture
def ledger(opened: tuple[Ledger, Rules]) -> Ledger:
    return opened[0]


def tally(store: LedgerStore, petition_id: str) -> int:
    with store.read() as conn:
        found = petition_state.find_petition(conn, petition_id)
    assert found is not None
    return found.signatures


# --- accepted -----------------------------------------------------------------------------


def test_parse_entry_dispatches_both_petition_types(world: PetitionWorld) -> None:
    opened = world.petition()
    sign = world.sign(opened, world.citizen(), T0)
    assert parse_entry(opened.to_json()) == opened
    assert parse_entry(sign.to_json()) == sign


def test_signatures_are_counted_in_order(ledger: Ledger, world: PetitionWorld) -> None:
    petition = world.petition()
    signers = [world.citizen(), world.citizen(district="Sants-Montjuïc")]
    indexes = [ledger.append(world.sign(petition, c, T0 + HOUR)).index for c in signers]
    assert indexes == [2, 3]
    assert tally(ledger.store, petition.id) == 2
    with ledger.store.read() as conn:
        rows = petition_signatures(conn, petition_id=petition.id, start=0, stop=10)
        assert [r.index for r in rows] == [2, 3]
        assert petition_signatures(conn, petition_id=petition.id, start=1, stop=2)[0].index == 3


def test_window_edges_are_inclusive_then_exclusive(ledger: Ledger, world: PetitionWorld) -> None:
    petition = world.petition()
    ledger.append(world.sign(petition, world.citizen(), T0))
    last = CLOSES - timedelta(seconds=1)
    ledger.append(world.sign(petition, world.citizen(), last))
    assert tally(ledger.store, petition.id) == 2


def test_a_petition_may_ask_to_disclose_attributes(ledger: Ledger, world: PetitionWorld) -> None:
    petition = world.petition(attributes=["postal_code"], predicates=[AGED_16])
    ledger.append(petition)
    sign = world.sign(petition, world.citizen(), T0 + HOUR)
    assert set(sign.presentation.disclosed) == {"postal_code"}  # never expiry
    ledger.append(sign)


def test_open_and_sign_in_one_batch(store: LedgerStore, world: PetitionWorld) -> None:
    """A petition opened (and its issuer registered) in the batch that signs it: the
    signature is verified by `apply`, with what the batch wrote so far."""
    clock = Clock(T0)
    ledger, rules = open_ledger(store, clock, SignerKey.generate(ORIGIN))
    petition = world.petition()
    sign = world.sign(petition, world.citizen(), T0)
    with ledger.sequencer as sequencer:
        futures = [sequencer.submit(e.to_json()) for e in (world.register(T0), petition, sign)]
        assert [f.result().index for f in futures] == [0, 1, 2]
    assert not rules.petitions.verified(sign.id)  # validate did not know the petition yet
    assert tally(store, petition.id) == 1


def test_validate_verifies_signatures_of_known_petitions(
    opened: tuple[Ledger, Rules], world: PetitionWorld
) -> None:
    ledger, rules = opened
    petition = world.petition()
    sign = world.sign(petition, world.citizen(), T0 + HOUR)
    ledger.clock.now = sign.created_at
    assert rules.validate(sign.to_json()) == "petition.sign"
    assert rules.petitions.verified(sign.id)
    forged = world.sign(petition, world.citizen(), T0 + HOUR, disclose=("postal_code",))
    with pytest.raises(Rejected) as refused:  # refused before it is queued
        rules.validate(forged.to_json())
    assert refused.value.reason == Reason.BAD_SIGNATURE


# --- refused: petition.open ---------------------------------------------------------------


def test_open_by_an_unregistered_issuer(ledger: Ledger, world: PetitionWorld) -> None:
    stranger = PetitionWorld().issuer.did
    opened = world.petition(issuers=[stranger, world.issuer.did])
    assert stranger in ledger.refuses(opened, Reason.UNKNOWN_ISSUER)


def test_open_of_a_schema_the_issuer_does_not_sign(ledger: Ledger, world: PetitionWorld) -> None:
    opened = world.petition(schema=LIBRARY, predicates=[])
    assert LIBRARY.schema_id in ledger.refuses(opened, Reason.UNKNOWN_SCHEMA)


def test_open_with_a_bad_signature(ledger: Ledger, world: PetitionWorld) -> None:
    data = world.petition(title="Trees").to_json().replace(b'"Trees"', b'"Tress"')
    ledger.refuses(data, Reason.BAD_SIGNATURE, at=T0)


def test_open_with_a_predicate_no_signer_can_prove(ledger: Ledger, world: PetitionWorld) -> None:
    obj = json.loads(world.petition().to_json())
    obj["eligibility"]["predicates"] = [{"attribute": "district", "op": "<=", "value": 5}]
    obj["sig"] = b64url_encode(world.organiser.sign(signing_bytes(obj)))
    detail = ledger.refuses(canonical_bytes(obj), Reason.MALFORMED, at=T0)
    assert "does not fit string 'district'" in detail


# --- refused: petition.sign, in the order of the rules ------------------------------------


def test_sign_of_an_unknown_petition(ledger: Ledger, world: PetitionWorld) -> None:
    unopened = world.petition(title="Never opened")
    sign = world.sign(unopened, world.citizen(), T0 + HOUR)
    assert unopened.id in ledger.refuses(sign, Reason.PETITION_NOT_FOUND)


@pytest.mark.parametrize("at", [CLOSES, CLOSES + HOUR, T0 - timedelta(seconds=1)])
def test_sign_outside_the_window(ledger: Ledger, world: PetitionWorld, at: datetime) -> None:
    sign = world.sign(world.petition(), world.citizen(), at)
    ledger.refuses(sign, Reason.PETITION_CLOSED)


def test_sign_under_an_issuer_the_petition_does_not_count(
    ledger: Ledger, world: PetitionWorld
) -> None:
    other = PetitionWorld()
    ledger.append(other.register(T0))
    sign = other.sign(world.petition(), other.citizen(), T0 + HOUR)
    assert "does not count issuer" in ledger.refuses(sign, Reason.INELIGIBLE)


def test_sign_claiming_an_eligible_issuer_for_another_issuers_key(
    ledger: Ledger, world: PetitionWorld
) -> None:
    other = PetitionWorld()
    ledger.append(other.register(T0))
    sign = other.sign(world.petition(), other.citizen(), T0 + HOUR, issuer=world.issuer.did)
    assert "registered no such key" in ledger.refuses(sign, Reason.INELIGIBLE)


def test_sign_with_an_unregistered_key(ledger: Ledger, world: PetitionWorld) -> None:
    rogue = PetitionWorld(issuer=world.issuer)  # the eligible did, a key it never registered
    sign = rogue.sign(world.petition(), rogue.citizen(), T0 + HOUR)
    ledger.refuses(sign, Reason.INELIGIBLE)


def test_sign_with_a_revoked_key(ledger: Ledger, world: PetitionWorld) -> None:
    citizen = world.citizen()
    ledger.append(world.revoke_key(T0 + HOUR))
    sign = world.sign(world.petition(), citizen, T0 + 2 * HOUR)
    assert "revoked" in ledger.refuses(sign, Reason.INELIGIBLE)


def test_sign_after_the_key_registration_lapsed(store: LedgerStore, world: PetitionWorld) -> None:
    ledger, _ = open_ledger(store, Clock(), SignerKey.generate(ORIGIN))
    with ledger.sequencer:
        ledger.append(world.register(T0, until=T0 + 2 * HOUR))
        petition = world.petition()
        ledger.append(petition)
        ledger.append(world.sign(petition, world.citizen(), T0 + HOUR))
        late = world.sign(petition, world.citizen(), T0 + 3 * HOUR)
        assert "valid from" in ledger.refuses(late, Reason.INELIGIBLE)


def test_sign_with_a_key_registered_for_another_schema(
    ledger: Ledger, world: PetitionWorld
) -> None:
    other_key = PetitionWorld().bbs
    ledger.append(world.register(T0, bbs=other_key, schemas=(LIBRARY,)))
    sign = world.sign(world.petition(), world.citizen(bbs=other_key), T0 + HOUR)
    ledger.refuses(sign, Reason.INELIGIBLE)


def test_sign_with_a_credential_of_another_schema(ledger: Ledger, world: PetitionWorld) -> None:
    """A key registered for both schemas, a library card shown for a residents' petition."""
    both = PetitionWorld().bbs
    ledger.append(world.register(T0, bbs=both, schemas=(LIBRARY, RESIDENT)))
    card = world.citizen(bbs=both, schema=LIBRARY, expiry=date(2027, 1, 1), card_number="7")
    sign = world.sign(world.petition(), card, T0 + HOUR, predicates=())
    assert "another schema" in ledger.refuses(sign, Reason.BAD_SIGNATURE)


def test_sign_disclosing_more_than_the_petition_asks(ledger: Ledger, world: PetitionWorld) -> None:
    sign = world.sign(world.petition(), world.citizen(), T0 + HOUR, disclose=("postal_code",))
    assert "asks for exactly nothing" in ledger.refuses(sign, Reason.BAD_SIGNATURE)


def test_sign_proving_less_than_the_petition_asks(ledger: Ledger, world: PetitionWorld) -> None:
    young_bound = Range("birthdate", hi=date(2009, 3, 1))
    sign = world.sign(world.petition(), world.citizen(), T0 + HOUR, predicates=(young_bound,))
    ledger.refuses(sign, Reason.BAD_SIGNATURE)


def test_sign_of_a_citizen_too_young_cannot_be_forged(ledger: Ledger, world: PetitionWorld) -> None:
    """A 12-year-old cannot prove the petition's bound: a proof of a bound they do meet,
    relabelled with the petition's, does not verify."""
    petition, child = world.petition(), world.citizen(birthdate=date(2013, 1, 5))
    with pytest.raises(ValueError, match="outside the range"):
        world.sign(petition, child, T0 + HOUR)
    easy = (Range("birthdate", hi=date(2014, 1, 1)), DISTRICTS)
    obj = json.loads(world.sign(petition, child, T0 + HOUR, predicates=easy).to_json())
    proven = obj["presentation"]["predicates"]
    assert [p["value"] for p in proven if p["attribute"] == "birthdate"] == ["2014-01-01"]
    for p in proven:
        if p["attribute"] == "birthdate":
            p["value"] = AGED_16.value.isoformat()
    ledger.refuses(canonical_bytes(obj), Reason.BAD_SIGNATURE, at=T0 + HOUR)


def test_sign_with_an_expired_credential(ledger: Ledger, world: PetitionWorld) -> None:
    """An expired credential cannot prove `expiry >=` the day of signing; proving an earlier
    day, or showing the expiry date instead, is refused."""
    petition, expired = world.petition(), world.citizen(expiry=T0.date())
    at = T0 + timedelta(days=1)
    with pytest.raises(ValueError, match="outside"):
        world.sign(petition, expired, at)
    stale = signature_statements(petition.eligibility, T0)  # the day before signing
    sign = world.sign(petition, expired, at, predicates=stale)
    assert "does not verify" in ledger.refuses(sign, Reason.BAD_SIGNATURE)
    asked = [predicate_from_json(p.to_json_dict()) for p in petition.eligibility.predicates]
    shown = world.sign(petition, world.citizen(), T0 + HOUR, disclose=("expiry",),
                       predicates=tuple(asked))  # fmt: skip
    assert "asks for exactly nothing" in ledger.refuses(shown, Reason.BAD_SIGNATURE)


def test_sign_with_a_short_nonce(ledger: Ledger, world: PetitionWorld) -> None:
    sign = world.sign(world.petition(), world.citizen(), T0 + HOUR, nonce=bytes(16))
    assert "nonce is 16 bytes" in ledger.refuses(sign, Reason.BAD_SIGNATURE)


def test_sign_with_a_tampered_proof(ledger: Ledger, world: PetitionWorld) -> None:
    obj = json.loads(world.sign(world.petition(), world.citizen(), T0 + HOUR).to_json())
    other = json.loads(world.sign(world.petition(), world.citizen(), T0 + HOUR).to_json())
    obj["presentation"]["proof"] = other["presentation"]["proof"]
    ledger.refuses(canonical_bytes(obj), Reason.BAD_SIGNATURE, at=T0 + HOUR)


# --- once per citizen -----------------------------------------------------------------------


def test_the_same_citizen_twice(ledger: Ledger, world: PetitionWorld) -> None:
    petition, citizen = world.petition(), world.citizen()
    first = ledger.append(world.sign(petition, citizen, T0 + HOUR))
    again = world.sign(petition, citizen, T0 + 2 * HOUR)  # another nonce, other bytes
    assert f"at index {first.index}" in ledger.refuses(again, Reason.ALREADY_SIGNED)
    assert tally(ledger.store, petition.id) == 1


def test_the_same_citizen_with_a_second_credential(ledger: Ledger, world: PetitionWorld) -> None:
    """The pseudonym is the holder secret's, whatever the credential."""
    petition, citizen = world.petition(), world.citizen()
    ledger.append(world.sign(petition, citizen, T0 + HOUR))
    twin = world.citizen(secret=citizen.secret, postal_code="08024")
    assert twin.credential != citizen.credential
    ledger.refuses(world.sign(petition, twin, T0 + HOUR), Reason.ALREADY_SIGNED)


def test_the_same_citizen_twice_across_a_restart(store: LedgerStore, world: PetitionWorld) -> None:
    petition, citizen, signer = world.petition(), world.citizen(), SignerKey.generate(ORIGIN)
    ledger, _ = open_ledger(store, Clock(), signer)
    with ledger.sequencer:
        ledger.append(world.register(T0))
        ledger.append(petition)
        ledger.append(world.sign(petition, citizen, T0 + HOUR))
    again, _ = open_ledger(store, Clock(), signer)  # new rules, nothing remembered
    with again.sequencer:
        again.refuses(world.sign(petition, citizen, T0 + 2 * HOUR), Reason.ALREADY_SIGNED)
    assert tally(store, petition.id) == 1


def test_the_same_citizen_twice_in_one_batch(ledger: Ledger, world: PetitionWorld) -> None:
    petition, citizen = world.petition(), world.citizen()
    ledger.clock.now = T0 + HOUR
    signs = [world.sign(petition, citizen, T0 + HOUR) for _ in range(2)]
    futures = [ledger.sequencer.submit(s.to_json()) for s in signs]
    outcomes = [f.exception() or f.result() for f in futures]
    refused = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(refused) == 1 and refused[0].reason == Reason.ALREADY_SIGNED
    assert tally(ledger.store, petition.id) == 1


def test_the_same_citizen_raced_through_two_sequencers(db_url: str, world: PetitionWorld) -> None:
    """Two ledger processes' sequencers on one database (their own engines), each given
    a signature of the same citizen at once: the writers' lock orders the batches and
    exactly one is logged."""
    engines = [make_engine(db_url) for _ in range(2)]
    state.create_tables(engines[0])
    petition, citizen, signer = world.petition(), world.citizen(), SignerKey.generate(ORIGIN)
    first, _ = open_ledger(LedgerStore(engines[0]), Clock(), signer)
    with first.sequencer:
        first.append(world.register(T0))
        first.append(petition)
    ledgers = [open_ledger(LedgerStore(e), Clock(T0 + HOUR), signer)[0] for e in engines]
    signs = [world.sign(petition, citizen, T0 + HOUR) for _ in ledgers]
    outcomes: list[object] = [None, None]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = ledgers[i].sequencer.append(signs[i].to_json())
        except Rejected as exc:
            outcomes[i] = exc

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for ledger in ledgers:
            ledger.sequencer.close()
    refused = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(refused) == 1 and refused[0].reason == Reason.ALREADY_SIGNED, outcomes
    store = LedgerStore(engines[0])
    assert tally(store, petition.id) == 1
    check_log(store, signer.verifier(), ORIGIN)
    for engine in engines:
        engine.dispose()


def test_the_database_refuses_a_second_row_for_one_pseudonym(
    ledger: Ledger, world: PetitionWorld
) -> None:
    petition, citizen = world.petition(), world.citizen()
    ledger.append(world.sign(petition, citizen, T0 + HOUR))
    signatures = petition_state.SIGNATURES
    row = {"idx": 99, "petition": petition.id, "number": 1,
           "pseudonym": citizen.pseudonym(petition)}  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), ledger.store.write() as conn:
        conn.execute(sa.insert(signatures), row)
    assert tally(ledger.store, petition.id) == 1


# --- unlinkable -----------------------------------------------------------------------------


def _binary(sign: PetitionSign) -> list[bytes]:
    shown = sign.presentation
    return [shown.pseudonym, shown.proof, shown.nonce,
            *(p.commitment.to_bytes() for p in shown.predicates)]  # fmt: skip


def test_one_citizens_signatures_on_two_petitions_share_no_bytes(
    ledger: Ledger, world: PetitionWorld
) -> None:
    first, second = world.petition(), world.petition(title="A second petition")
    ledger.append(second)
    citizen = world.citizen()
    a = world.sign(first, citizen, T0 + HOUR)
    b = world.sign(second, citizen, T0 + HOUR)
    for sign in (a, b):
        ledger.append(sign)
    assert a.pseudonym != b.pseudonym
    windows = {blob[i : i + 8] for blob in _binary(a) for i in range(len(blob) - 7)}
    assert not any(blob[i : i + 8] in windows for blob in _binary(b) for i in range(len(blob) - 7))
    # What is alike is alike for everyone: the issuer, the schema, nothing disclosed.
    same = ("issuer", "schema", "disclosed")
    pa, pb = (json.loads(s.to_json())["presentation"] for s in (a, b))
    assert [pa[k] for k in same] == [pb[k] for k in same]
    assert pa["disclosed"] == {}


def test_signers_with_other_expiry_dates_sign_alike(ledger: Ledger, world: PetitionWorld) -> None:
    """Expiry is proven (>= the day of signing), never shown: two citizens whose credentials
    expire on different days leave signatures with the same visible fields."""
    petition = world.petition()
    early, late = world.citizen(expiry=date(2027, 1, 31)), world.citizen(expiry=date(2031, 6, 30))
    signs = [world.sign(petition, c, T0 + HOUR) for c in (early, late)]
    for sign in signs:
        ledger.append(sign)
    shown = [json.loads(s.to_json())["presentation"] for s in signs]
    assert [p["disclosed"] for p in shown] == [{}, {}]
    statements = [[(q["attribute"], q["op"], q["value"]) for q in p["predicates"]] for p in shown]
    assert statements[0] == statements[1]
    assert ("expiry", ">=", (T0 + HOUR).date().isoformat()) in statements[0]
    assert not any(b"2027-01-31" in s.to_json() or b"2031-06-30" in s.to_json() for s in signs)


def test_sign_of_a_citizen_of_another_district_cannot_be_forged(
    ledger: Ledger, world: PetitionWorld
) -> None:
    petition, outsider = world.petition(), world.citizen(district="Eixample")
    with pytest.raises(ValueError, match="not in the set"):
        world.sign(petition, outsider, T0 + HOUR)
    aged = predicate_from_json(AGED_16.to_json_dict())
    wider = (aged, Member("district", ["Eixample", "Gràcia"]))
    obj = json.loads(world.sign(petition, outsider, T0 + HOUR, predicates=wider).to_json())
    for p in obj["presentation"]["predicates"]:
        if p["attribute"] == "district":
            p["value"] = list(IN_GRACIA_OR_SANTS.value)
    ledger.refuses(canonical_bytes(obj), Reason.BAD_SIGNATURE, at=T0 + HOUR)
