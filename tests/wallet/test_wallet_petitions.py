"""`wallet.petitions` against the real ledger service (in-process, SQLite and PostgreSQL):
a citizen signs once, what is shown and proven is exactly the petition's, the wallet
refuses a second signature and the ledger refuses one from another copy of the secret,
and a citizen who is not eligible is told why before anything is signed."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from wallet_helpers import KDF, PASSPHRASE

from attestations.credentials import IssuerKey, issue
from attestations.schemas import Schema, Value
from ledger.errors import NotFound
from policies import PetitionOpen, Predicate, utc_seconds
from tests.ledger.petition_builders import ADULT_VALUES, LIBRARY, RESIDENT, PetitionWorld
from tests.ledger.test_client_fixtures import BASE, Ledger, running, settings_for
from wallet import (
    AlreadySigned,
    DeclinedByCitizen,
    NotEligible,
    PetitionClosed,
    StoredCredential,
    Wallet,
    WalletLedger,
    import_backup,
    prepare_signature,
    sign_petition,
    unlock,
)


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


@dataclass
class Town:
    """A running ledger where an issuer registered and an organiser opened a petition."""

    ledger: Ledger
    world: PetitionWorld
    petition: PetitionOpen

    def on_ledger(self, wallet: Wallet) -> WalletLedger:
        return WalletLedger(wallet, BASE, log_key=self.ledger.key,
                            transport=self.ledger.transport)  # fmt: skip

    def open(self, **overrides: object) -> PetitionOpen:
        opened = self.world.petition(now(), **overrides)
        with self.ledger.client() as client:
            client.append(opened.to_json())
        return opened

    def tally(self, petition: PetitionOpen | None = None) -> int:
        with self.ledger.client() as client:
            return client.petition((petition or self.petition).id).signatures


@pytest.fixture
def town(db_url: str, tmp_path: Path) -> Iterator[Town]:
    with running(settings_for(tmp_path / "ledger", db_url)) as ledger:
        world, t = PetitionWorld(), now()
        petition = world.petition(t)
        with ledger.client() as client:
            client.append(world.register(t).to_json())
            client.append(petition.to_json())
        yield Town(ledger, world, petition)


def receive(
    wallet: Wallet, bbs: IssuerKey, *, schema: Schema = RESIDENT, **values: Value
) -> StoredCredential:
    wanted = {**ADULT_VALUES, **values} if schema is RESIDENT else dict(values)
    request, state = wallet.credentials.begin(bbs.public_key(), schema)
    return wallet.credentials.receive(state, issue(bbs, schema, wanted, request))


def _proves_the_petition_and_expiry(
    proven: tuple[Predicate, ...], asked: tuple[Predicate, ...]
) -> None:
    """The petition's predicates, and `expiry >=` the day of signing (UTC: today, or
    yesterday if the test ran across midnight)."""
    assert tuple(p for p in proven if p.attribute != "expiry") == asked
    [valid] = [p for p in proven if p.attribute == "expiry"]
    today = datetime.datetime.now(datetime.UTC).date()
    assert valid.op == ">=" and valid.value in (today, today - datetime.timedelta(days=1))


def test_a_citizen_signs_once(town: Town, wallet: Wallet) -> None:
    stored = receive(wallet, town.world.bbs)
    with town.on_ledger(wallet) as ledger:
        plan = prepare_signature(wallet, ledger, town.petition.id)
        assert plan.document == town.petition
        assert (plan.credential.id, plan.issuer) == (stored.id, town.world.issuer.did)
        assert dict(plan.shown) == {}  # not even expiry: it is proven, never shown
        _proves_the_petition_and_expiry(plan.proven, town.petition.eligibility.predicates)
        asked: list[object] = []
        signed = sign_petition(wallet, ledger, town.petition.id,
                               approve=lambda p: asked.append(p) or True)  # fmt: skip
    assert len(asked) == 1
    assert signed.entry.pseudonym == wallet.pseudonym(town.petition.id)
    assert town.tally() == 1
    with town.ledger.client() as client:
        [logged] = client.petition_signatures(town.petition.id)
    assert (logged.index, logged.document) == (signed.index, signed.entry)
    [record] = wallet.presentations.all(verifier=town.petition.id)
    assert record == signed.record
    assert record.disclosed == ()
    assert record.predicates == plan.proven
    kept = wallet.checkpoints.get(town.ledger.settings.origin)
    assert kept is not None and kept.size >= signed.index + 1

    with town.on_ledger(wallet) as ledger, pytest.raises(AlreadySigned, match="this wallet"):
        sign_petition(wallet, ledger, town.petition.id)
    assert town.tally() == 1


def test_the_ledger_refuses_a_second_copy_of_the_holder_secret(
    town: Town, wallet: Wallet, tmp_path: Path
) -> None:
    receive(wallet, town.world.bbs)
    wallet.export_backup(tmp_path / "backup", PASSPHRASE, kdf=KDF)
    with town.on_ledger(wallet) as ledger:
        sign_petition(wallet, ledger, town.petition.id)
    import_backup(tmp_path / "backup", tmp_path / "phone", PASSPHRASE)
    with unlock(tmp_path / "phone", PASSPHRASE) as phone, town.on_ledger(phone) as ledger:
        assert phone.presentations.all() == []  # the backup is older than the signature
        with pytest.raises(AlreadySigned, match="the ledger refused"):
            sign_petition(phone, ledger, town.petition.id)
        assert phone.presentations.all() == []
    assert town.tally() == 1


def test_what_a_petition_asks_to_disclose_is_shown(town: Town, wallet: Wallet) -> None:
    petition = town.open(attributes=["postal_code"], predicates=[])
    receive(wallet, town.world.bbs)
    with town.on_ledger(wallet) as ledger:
        plan = prepare_signature(wallet, ledger, petition.id)
        assert dict(plan.shown) == {"postal_code": "08012"}
        signed = sign_petition(wallet, ledger, petition.id)
    assert set(signed.entry.presentation.disclosed) == {"postal_code"}
    assert town.tally(petition) == 1


def test_declined_signs_nothing(town: Town, wallet: Wallet) -> None:
    receive(wallet, town.world.bbs)
    with town.on_ledger(wallet) as ledger, pytest.raises(DeclinedByCitizen):
        sign_petition(wallet, ledger, town.petition.id, approve=lambda _plan: False)
    assert wallet.presentations.all() == [] and town.tally() == 0


@pytest.mark.parametrize(
    ("values", "unmet"),
    [
        ({"birthdate": datetime.date(2013, 1, 5)}, "birthdate <= 2009-03-01"),
        ({"district": "Eixample"}, "district in {Gràcia, Sants-Montjuïc}"),
    ],
)
def test_a_predicate_that_does_not_hold_is_named(
    town: Town, wallet: Wallet, values: dict[str, Value], unmet: str
) -> None:
    petition = town.open(title="Aged 16 or more, in Gràcia or Sants")
    receive(wallet, town.world.bbs, **values)
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match=unmet):
        sign_petition(wallet, ledger, petition.id)
    assert town.tally(petition) == 0


def test_a_credential_of_an_issuer_the_petition_does_not_count(town: Town, wallet: Wallet) -> None:
    other = PetitionWorld()
    with town.ledger.client() as client:
        client.append(other.register(now()).to_json())
    receive(wallet, other.bbs)
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match="issuer"):
        prepare_signature(wallet, ledger, town.petition.id)


def test_a_credential_whose_key_was_revoked(town: Town, wallet: Wallet) -> None:
    receive(wallet, town.world.bbs)
    with town.ledger.client() as client:
        client.append(town.world.revoke_key(now()).to_json())
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match="issuer"):
        prepare_signature(wallet, ledger, town.petition.id)


def test_an_expired_credential(town: Town, wallet: Wallet) -> None:
    receive(wallet, town.world.bbs, expiry=now().date())
    tomorrow = now() + datetime.timedelta(days=1)
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match="expired"):
        prepare_signature(wallet, ledger, town.petition.id, now=tomorrow)


def test_a_credential_of_another_schema(town: Town, wallet: Wallet) -> None:
    card = receive(wallet, town.world.bbs, schema=LIBRARY, expiry=datetime.date(2099, 1, 1),
                   card_number="7")  # fmt: skip
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match="another schema"):
        prepare_signature(wallet, ledger, town.petition.id, credential=card.id)


def test_no_credential_at_all(town: Town, wallet: Wallet) -> None:
    with town.on_ledger(wallet) as ledger, pytest.raises(NotEligible, match="no credential"):
        prepare_signature(wallet, ledger, town.petition.id)


def test_a_closed_petition(town: Town, wallet: Wallet) -> None:
    receive(wallet, town.world.bbs)
    later = town.petition.closes_at
    with town.on_ledger(wallet) as ledger, pytest.raises(PetitionClosed):
        prepare_signature(wallet, ledger, town.petition.id, now=later)


def test_an_unknown_petition(town: Town, wallet: Wallet) -> None:
    receive(wallet, town.world.bbs)
    unknown = town.world.petition(now(), title="Never opened").id
    with town.on_ledger(wallet) as ledger, pytest.raises(NotFound):
        prepare_signature(wallet, ledger, unknown)
