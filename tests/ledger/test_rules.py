"""Every rule of `ledger.rules`, accepted and refused, through a real sequencer on SQLite
and PostgreSQL. Each refusal is its own test, names its reason, and leaves the log as it
was (same size, same root)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from ledger import state
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.rules import Reason, Rejected, Rules
from ledger.sequencer import Appended, Sequencer
from ledger.storage import LedgerStore
from policies import Entry
from tests.ledger.entry_builders import OTHER_SCHEMA, T0, Clock, World
from tests.ledger.ledger_checks import check_log

ORIGIN = "cartera.test/ledger"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@dataclass
class Ledger:
    store: LedgerStore
    sequencer: Sequencer
    clock: Clock
    signer: SignerKey

    def append(self, doc: Entry | bytes, *, at: datetime | None = None) -> Appended:
        """Append at server time `at` (default: the entry's own `created_at`)."""
        if isinstance(doc, bytes):
            self.clock.now = at or self.clock.now
            return self.sequencer.append(doc)
        self.clock.now = at or doc.created_at
        return self.sequencer.append(doc.to_json())

    def refuses(self, doc: Entry | bytes, reason: Reason, *, at: datetime | None = None) -> str:
        """Assert the append is refused for `reason` and changes nothing; the detail."""
        size, root = self.store.size(), self.store.latest_checkpoint().root_hash
        with pytest.raises(Rejected) as refused:
            self.append(doc, at=at)
        assert refused.value.reason == reason, refused.value
        assert (self.store.size(), self.store.latest_checkpoint().root_hash) == (size, root)
        return refused.value.detail


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    engine = make_engine(db_url)
    state.create_tables(engine)
    store, clock, signer = LedgerStore(engine), Clock(), SignerKey.generate(ORIGIN)
    rules = Rules(clock=clock)
    seq = Sequencer(store, signer=signer, origin=ORIGIN, validate=rules.validate, apply=rules.apply)
    with seq:
        yield Ledger(store, seq, clock, signer)
    check_log(store, signer.verifier(), ORIGIN)
    engine.dispose()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def registered(ledger: Ledger, world: World) -> Ledger:
    """The issuer's key and both verifiers are on the ledger (indexes 0, 1, 2)."""
    ledger.append(world.issuer_register(T0))
    ledger.append(world.verifier_register(T0))
    ledger.append(world.verifier_register(T0, key=world.other_verifier, name="Biblioteca"))
    return ledger


# --- accepted -------------------------------------------------------------------------


def test_a_whole_consent_life_is_accepted(registered: Ledger, world: World) -> None:
    grant = world.grant(T0, max_uses=2)
    assert registered.append(grant).index == 3
    assert registered.append(world.access(grant, T0 + HOUR)).index == 4
    assert registered.append(world.revoke(grant, T0 + 2 * HOUR)).index == 5
    assert registered.append(world.issuer_revoke_key(T0 + 3 * HOUR)).index == 6
    with registered.store.read() as conn:
        known = state.grant(conn, grant_id=grant.id)
        assert (known.index, known.uses, known.revoked_index) == (3, 1, 5)
        assert state.grant_accesses(conn, grant_id=grant.id) == [4]
        [key] = state.issuer_keys(conn, issuer=world.issuer.did)
        assert key.revocation is not None and key.revocation.index == 6


def test_same_entry_twice_is_idempotent(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    first, again = registered.append(grant), registered.append(grant)
    assert (again.index, again.duplicate) == (first.index, True)
    again = registered.append(world.issuer_register(T0))  # a registration, too
    assert (again.index, again.duplicate) == (0, True)


def test_an_issuer_may_register_a_second_key(registered: Ledger, world: World) -> None:
    other = World().bbs
    assert registered.append(world.issuer_register(T0, bbs=other)).index == 3


def test_access_within_max_uses_and_window_edges(registered: Ledger, world: World) -> None:
    grant = world.grant(T0, max_uses=2)
    registered.append(grant)
    registered.append(world.access(grant, T0))  # not_before is inclusive
    registered.append(world.access(grant, T0 + DAY - timedelta(seconds=1)))


def test_access_before_a_revocation_that_takes_effect_later(
    registered: Ledger, world: World
) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    registered.append(world.revoke(grant, T0 + HOUR + timedelta(seconds=100)), at=T0 + HOUR)
    # Logged after the revocation, but it happened before the revocation took effect.
    registered.append(world.access(grant, T0 + HOUR + timedelta(seconds=50)))


# --- refused: the bytes ---------------------------------------------------------------


def test_not_json(registered: Ledger) -> None:
    assert "not JSON" in registered.refuses(b'{"type": consent', Reason.NOT_JSON)


def test_not_canonical(registered: Ledger, world: World) -> None:
    spaced = world.grant(T0).to_json().replace(b'","', b'", "', 1)
    assert "canonical" in registered.refuses(spaced, Reason.NOT_CANONICAL, at=T0)


def test_malformed(registered: Ledger, world: World) -> None:
    unknown = world.grant(T0).to_json().replace(b'"consent.grant"', b'"consent.gift"')
    assert "unknown type" in registered.refuses(unknown, Reason.MALFORMED, at=T0)


def test_bad_organisation_signature(registered: Ledger, world: World) -> None:
    tampered = world.verifier_register(T0, key=World().verifier, name="Bicing").to_json()
    tampered = tampered.replace(b'"name":"Bicing"', b'"name":"Bicinc"')
    registered.refuses(tampered, Reason.BAD_SIGNATURE, at=T0)


def test_bad_consent_signature(registered: Ledger, world: World) -> None:
    tampered = world.grant(T0).to_json().replace(b'"district"', b'"postal_code"')
    registered.refuses(tampered, Reason.BAD_SIGNATURE, at=T0)


@pytest.mark.parametrize("offset", [301, -301])
def test_clock_skew(registered: Ledger, world: World, offset: int) -> None:
    grant = world.grant(T0)
    detail = registered.refuses(grant, Reason.CLOCK_SKEW, at=T0 - timedelta(seconds=offset))
    assert "301 s" in detail and "bound 300 s" in detail
    registered.append(grant, at=T0 - timedelta(seconds=offset - 1 if offset > 0 else offset + 1))


# --- refused: registrations -----------------------------------------------------------


def test_issuer_key_registered_twice(registered: Ledger, world: World) -> None:
    later = world.issuer_register(T0 + HOUR)
    registered.refuses(later, Reason.ALREADY_REGISTERED)


def test_issuer_key_claimed_by_another_issuer(registered: Ledger, world: World) -> None:
    thief = world.issuer_register(T0, key=World().issuer)
    registered.refuses(thief, Reason.ALREADY_REGISTERED)


def test_verifier_registered_twice(registered: Ledger, world: World) -> None:
    again = world.verifier_register(T0 + HOUR, name="Bicing 2")
    assert "index 1" in registered.refuses(again, Reason.ALREADY_REGISTERED)


def test_revoke_unknown_key(registered: Ledger, world: World) -> None:
    registered.refuses(world.issuer_revoke_key(T0, bbs=World().bbs), Reason.UNKNOWN_KEY)


def test_revoke_another_issuers_key(registered: Ledger, world: World) -> None:
    registered.refuses(world.issuer_revoke_key(T0, key=World().issuer), Reason.UNKNOWN_KEY)


def test_revoke_key_twice(registered: Ledger, world: World) -> None:
    registered.append(world.issuer_revoke_key(T0))
    registered.refuses(world.issuer_revoke_key(T0 + HOUR), Reason.ALREADY_REVOKED)


# --- refused: grants and revocations --------------------------------------------------


def test_grant_to_unknown_verifier(registered: Ledger, world: World) -> None:
    stranger = World().verifier.did
    registered.refuses(world.grant(T0, verifier=stranger), Reason.UNKNOWN_VERIFIER)


def test_grant_of_unknown_schema(registered: Ledger, world: World) -> None:
    grant = world.grant(T0, schema=OTHER_SCHEMA.schema_id, attributes=["card_number"])
    registered.refuses(grant, Reason.UNKNOWN_SCHEMA)


def test_revoke_unknown_grant(registered: Ledger, world: World) -> None:
    never_logged = world.grant(T0)
    registered.refuses(world.revoke(never_logged, T0), Reason.GRANT_NOT_FOUND)


def test_revoke_by_another_pseudonym(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    registered.refuses(world.foreign_revoke(grant, T0 + HOUR), Reason.NOT_GRANT_HOLDER)


def test_revoke_twice(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    registered.append(world.revoke(grant, T0 + HOUR))
    registered.refuses(world.revoke(grant, T0 + 2 * HOUR), Reason.GRANT_REVOKED)


def test_revoke_backdated_before_an_access(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    registered.append(world.access(grant, T0 + HOUR))
    backdated = world.revoke(grant, T0 + HOUR - timedelta(seconds=60))
    registered.refuses(backdated, Reason.REVOKE_BACKDATED, at=T0 + HOUR)


# --- refused: accesses ----------------------------------------------------------------


def test_access_unknown_grant(registered: Ledger, world: World) -> None:
    registered.refuses(world.access("sha256:" + "ab" * 32, T0), Reason.GRANT_NOT_FOUND)


def test_access_by_another_verifier(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    other = world.access(grant, T0 + HOUR, key=world.other_verifier)
    registered.refuses(other, Reason.WRONG_VERIFIER)


def test_access_after_revocation(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    registered.append(world.revoke(grant, T0 + HOUR))
    registered.refuses(world.access(grant, T0 + HOUR), Reason.GRANT_REVOKED)  # effective at


def test_access_after_expiry(registered: Ledger, world: World) -> None:
    grant = world.grant(T0)
    registered.append(grant)
    assert "expired" in registered.refuses(world.access(grant, T0 + DAY), Reason.GRANT_EXPIRED)


def test_access_before_not_before(registered: Ledger, world: World) -> None:
    grant = world.grant(T0, not_before=T0 + HOUR)
    registered.append(grant)
    registered.refuses(world.access(grant, T0 + HOUR / 2), Reason.GRANT_NOT_YET_VALID)


def test_access_beyond_max_uses(registered: Ledger, world: World) -> None:
    grant = world.grant(T0, max_uses=1)
    registered.append(grant)
    registered.append(world.access(grant, T0 + HOUR))
    registered.refuses(world.access(grant, T0 + 2 * HOUR), Reason.MAX_USES_REACHED)
