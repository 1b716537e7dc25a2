"""`wallet.ledger` against the real ledger service (in-process, behind a transport that can
lie like a network attacker would): grants and revocations kept with their receipts,
trust carried across contacts by the kept checkpoint, registrations, the ledger's word on
a request, and the history of accesses matched to what the wallet showed."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from wallet_helpers import SCHEMA, receive, secret_int

from attestations.credentials import IssuerKey
from ledger.client import LedgerForked, LedgerUnavailable
from ledger.errors import EntryRejected, LedgerError
from ledger.note import SignerKey, VerifierKey
from policies import (
    Ciphersuite,
    Entry,
    GrantDraft,
    OrgKey,
    PresentationRequest,
    Problem,
    Purpose,
    RevocationReason,
    SchemaRef,
    draft_grant,
    sign_access_record,
    sign_consent_grant,
    sign_issuer_register,
    sign_issuer_revoke_key,
    sign_request,
    sign_verifier_register,
    utc_seconds,
)
from tests.ledger.http_helpers import free_port
from tests.ledger.test_client_fixtures import BASE, Ledger, recorder, running, settings_for
from wallet import (
    ConsentStatus,
    IssuerNotRegistered,
    VerifierNotRegistered,
    Wallet,
    WalletLedger,
    consent_states,
)
from wallet.ledger import OnFirstContact


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


@dataclass
class Parties:
    """A running ledger on which an issuer and a verifier (Bicing) registered."""

    ledger: Ledger
    issuer: IssuerKey
    issuer_org: OrgKey
    verifier: OrgKey

    def on_ledger(
        self,
        wallet: Wallet,
        *,
        log_key: VerifierKey | Literal["the ledger's"] | None = "the ledger's",
        on_first_contact: OnFirstContact | None = None,
    ) -> WalletLedger:
        key = self.ledger.key if log_key == "the ledger's" else log_key
        return WalletLedger(
            wallet, BASE, log_key=key, on_first_contact=on_first_contact,
            transport=self.ledger.transport,
        )  # fmt: skip

    def append(self, document: Entry) -> int:
        with self.ledger.client() as client:
            return client.append(document.to_json()).index

    def request(self, **overrides: Any) -> PresentationRequest:
        at = now()
        fields: dict[str, Any] = {
            "schema": SCHEMA.schema_id,
            "attributes": ["district"],
            "predicates": [],
            "purpose": Purpose.SERVICE_PROVISION,
            "nonce": os.urandom(16),
            "trusted_issuers": [self.issuer_org.did],
            "created_at": at,
            "expires_at": at + datetime.timedelta(minutes=5),
        }
        return sign_request(self.verifier, **{**fields, **overrides})

    def draft(self, **overrides: Any) -> GrantDraft:
        return draft_grant(self.request(**overrides), now=now())


@pytest.fixture
def parties(tmp_path: Path) -> Iterator[Parties]:
    settings = settings_for(tmp_path / "ledger", f"sqlite:///{tmp_path / 'ledger.db'}")
    with running(settings) as ledger:
        built = Parties(ledger, IssuerKey.generate(), OrgKey.generate(), OrgKey.generate())
        at = now()
        built.append(
            sign_issuer_register(
                built.issuer_org,
                name="Padró",
                public_key=built.issuer.public_key().to_bytes(),
                ciphersuite=Ciphersuite.SHA256,
                schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)],
                valid_from=at,
                valid_until=at + datetime.timedelta(days=365),
                created_at=at,
            )
        )
        built.append(
            sign_verifier_register(
                built.verifier,
                name="Bicing",
                purposes=[Purpose.SERVICE_PROVISION],
                contact="dpo@bicing.example",
                created_at=at,
            )
        )
        yield built
        ledger.transport.edit = None


def tree_size(parties: Parties) -> int:
    with parties.ledger.client() as client:
        return client.checkpoint().size


# -- grant ----------------------------------------------------------------------------------


def test_grant_is_published_and_kept_with_its_receipt(wallet: Wallet, parties: Parties) -> None:
    before = tree_size(parties)
    with parties.on_ledger(wallet) as ledger:
        stored = ledger.grant(parties.draft())
    assert stored.receipt is not None and stored.receipt.index == before
    assert wallet.consents.get(stored.id).status(now()) is ConsentStatus.LIVE
    (kept,) = wallet.checkpoints.all()
    assert kept.size == before + 1 and kept.origin == parties.ledger.settings.origin
    assert stored.grant.pseudonym == wallet.pseudonym(parties.verifier.did)
    with parties.ledger.client() as client:
        assert client.grant(stored.id).status == "live"


def test_a_grant_the_ledger_refuses_is_not_kept(wallet: Wallet, parties: Parties) -> None:
    stranger = OrgKey.generate()  # not registered: the ledger refuses grants for it
    draft = parties.draft().model_copy(update={"verifier": stranger.did})
    with pytest.raises(EntryRejected), parties.on_ledger(wallet) as ledger:
        ledger.grant(draft)
    assert wallet.consents.all() == []
    assert wallet.checkpoints.all() == []  # the block failed: nothing kept


# -- trust across contacts ----------------------------------------------------------------


def test_first_contact_is_announced_once_then_pinned(wallet: Wallet, parties: Parties) -> None:
    told: list[VerifierKey] = []
    with parties.on_ledger(wallet, log_key=None, on_first_contact=told.append) as ledger:
        assert ledger.tree_size() == tree_size(parties)
    assert told == [parties.ledger.key]
    with parties.on_ledger(wallet, log_key=None, on_first_contact=told.append) as ledger:
        ledger.tree_size()
    assert told == [parties.ledger.key]  # the kept checkpoint vouches for the key now


def test_a_given_key_is_no_first_contact(wallet: Wallet, parties: Parties) -> None:
    told: list[VerifierKey] = []
    with parties.on_ledger(wallet, on_first_contact=told.append) as ledger:
        ledger.tree_size()
    assert told == []


def test_another_key_for_the_kept_checkpoint_is_refused(wallet: Wallet, parties: Parties) -> None:
    with parties.on_ledger(wallet) as ledger:
        ledger.grant(parties.draft())
    (kept,) = wallet.checkpoints.all()
    impostor = SignerKey.generate(parties.ledger.settings.origin).verifier()
    with (
        pytest.raises(LedgerError, match="does not sign the checkpoint this wallet kept"),
        parties.on_ledger(wallet, log_key=impostor) as ledger,
    ):
        ledger.tree_size()
    assert wallet.checkpoints.all() == [kept]


def test_a_ledger_that_rewrote_its_history_is_caught(
    wallet: Wallet, parties: Parties, tmp_path: Path
) -> None:
    """Same operator key and origin, another history: the kept checkpoint exposes it."""
    with parties.on_ledger(wallet) as ledger:
        ledger.grant(parties.draft())
    (kept,) = wallet.checkpoints.all()
    settings = settings_for(
        tmp_path / "fork",
        f"sqlite:///{tmp_path / 'fork.db'}",
        key_file=parties.ledger.settings.key_path,
    )
    with running(settings) as fork:
        fork_parties = Parties(fork, parties.issuer, parties.issuer_org, parties.verifier)
        for _ in range(kept.size + 1):
            fork_parties.append(
                sign_verifier_register(
                    OrgKey.generate(), name="Filler", purposes=[Purpose.SERVICE_PROVISION],
                    contact="x@example.org", created_at=now(),
                )
            )  # fmt: skip
        with pytest.raises(LedgerForked), fork_parties.on_ledger(wallet) as ledger:
            ledger.tree_size()
    assert wallet.checkpoints.all() == [kept]


def test_an_unreachable_ledger(wallet: Wallet) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LedgerUnavailable, match=down), WalletLedger(wallet, down) as ledger:
        ledger.tree_size()


# -- revoke ---------------------------------------------------------------------------------


def test_revoke(wallet: Wallet, parties: Parties) -> None:
    with parties.on_ledger(wallet) as ledger:
        stored = ledger.grant(parties.draft())
        done = ledger.revoke(stored)
    assert done.status(now()) is ConsentStatus.REVOKED
    assert done.revocation_receipt is not None
    with parties.ledger.client() as client:
        view = client.grant(stored.id)
    assert view.status == "revoked" and view.revoked_index == done.revocation_receipt.index
    size = tree_size(parties)
    down = f"http://127.0.0.1:{free_port()}"
    with WalletLedger(wallet, down) as unreachable:  # revoked already: nothing to send
        assert unreachable.revoke(done) == done
    assert tree_size(parties) == size


def test_revoke_keeps_the_revocation_when_the_ledger_is_down(
    wallet: Wallet, parties: Parties
) -> None:
    with parties.on_ledger(wallet) as ledger:
        stored = ledger.grant(parties.draft())
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LedgerUnavailable), WalletLedger(wallet, down) as unreachable:
        unreachable.revoke(stored)
    pending = wallet.consents.get(stored.id)
    assert pending.status(now()) is ConsentStatus.REVOKE_PENDING
    with parties.on_ledger(wallet) as ledger:
        done = ledger.revoke(pending)
    assert done.status(now()) is ConsentStatus.REVOKED
    assert done.revocation == pending.revocation  # the kept one was sent


# -- registrations -------------------------------------------------------------------------


def test_verifier_registration(wallet: Wallet, parties: Parties) -> None:
    stranger = OrgKey.generate()
    with parties.on_ledger(wallet) as ledger:
        assert ledger.verifier(parties.verifier.did).name == "Bicing"
        assert ledger.registered_name(stranger.did) is None
        with pytest.raises(VerifierNotRegistered, match="is not registered on the ledger"):
            ledger.verifier(stranger.did)
        # A registration, once proven, is kept: it never changes.
        calls: list[str] = []
        parties.ledger.transport.edit = recorder(calls)
        assert ledger.verifier(parties.verifier.did).name == "Bicing"
        assert ledger.registered_name(parties.verifier.did) == "Bicing"
        assert calls == []
        # An unknown did is asked about again: it may have registered since.
        parties.append(sign_verifier_register(
            stranger, name="Biblioteques", purposes=[Purpose.SERVICE_PROVISION],
            contact="x", created_at=now(),
        ))  # fmt: skip
        calls.clear()
        assert ledger.registered_name(stranger.did) == "Biblioteques"
        assert calls == [f"GET /v1/verifiers/{stranger.did}"]


def test_issuer_key_registration(wallet: Wallet, parties: Parties) -> None:
    key = parties.issuer.public_key().to_bytes()
    did = parties.issuer_org.did
    with parties.on_ledger(wallet) as ledger:
        found = ledger.issuer_key(did, key, SCHEMA.schema_id, now=now())
        assert found.name == "Padró"
        cases = [
            (OrgKey.generate().did, key, SCHEMA.schema_id, now(), "has not registered"),
            (did, IssuerKey.generate().public_key().to_bytes(), SCHEMA.schema_id, now(),
             "has not registered"),
            (did, key, "sha256:" + "0" * 64, now(), "did not register schema"),
            (did, key, SCHEMA.schema_id, now() + datetime.timedelta(days=400), "valid from"),
        ]  # fmt: skip
        for issuer, public_key, schema, at, words in cases:
            with pytest.raises(IssuerNotRegistered, match=words):
                ledger.issuer_key(issuer, public_key, schema, now=at)
        parties.append(
            sign_issuer_revoke_key(
                parties.issuer_org, public_key=key, reason=RevocationReason.KEY_COMPROMISE,
                effective_at=now(), created_at=now(),
            )
        )  # fmt: skip
        # The registration was proven above; its revocation is seen on the next look.
        later = now() + datetime.timedelta(seconds=1)
        with pytest.raises(IssuerNotRegistered, match="revoked"):
            ledger.issuer_key(did, key, SCHEMA.schema_id, now=later)
    with parties.on_ledger(wallet) as ledger, pytest.raises(IssuerNotRegistered, match="revoked"):
        ledger.issuer_key(did, key, SCHEMA.schema_id, now=now() + datetime.timedelta(seconds=1))


# -- the ledger's word on a request, and on every grant --------------------------------------


def test_decide_follows_the_ledger(wallet: Wallet, parties: Parties) -> None:
    request = parties.request()
    with parties.on_ledger(wallet) as ledger:
        assert ledger.decide(request).problems == (Problem.NO_GRANT,)
        stored = ledger.grant(draft_grant(request, now=now()))
        decision = ledger.decide(request)
        assert decision.allowed and decision.grant == stored.id
    parties.append(
        sign_access_record(
            parties.verifier, grant=stored.id, presentation=b"shown", created_at=now()
        )
    )
    with parties.on_ledger(wallet) as ledger:
        assert ledger.decide(request).problems == (Problem.EXHAUSTED,)  # max_uses 1, used
        ledger.revoke(stored)
        assert Problem.REVOKED in ledger.decide(request).problems


def test_decide_counts_a_grant_only_the_ledger_holds(wallet: Wallet, parties: Parties) -> None:
    """As after a crash between the ledger's acknowledgement and the vault write."""
    request = parties.request()
    lost = draft_grant(request, now=now()).sign(secret_int(wallet), created_at=now())
    parties.append(lost)
    with parties.on_ledger(wallet) as ledger:
        assert ledger.decide(request).grant == lost.id


def test_status_and_consent_states(wallet: Wallet, parties: Parties) -> None:
    at = now()
    with parties.on_ledger(wallet) as ledger:
        live = ledger.grant(parties.draft())
        gone = ledger.revoke(ledger.grant(parties.draft()))
    lost = sign_consent_grant(
        secret_int(wallet), verifier=parties.verifier.did, schema=SCHEMA.schema_id,
        attributes=["postcode"], predicates=[], purpose=Purpose.SERVICE_PROVISION,
        not_before=at, not_after=at + datetime.timedelta(days=1), created_at=at,
    )  # fmt: skip
    parties.append(lost)
    kept = wallet.consents.all()
    with parties.on_ledger(wallet) as ledger:
        views = ledger.status(kept)
    assert {v: views[v].status for v in views} == {
        live.id: "live", gone.id: "revoked", lost.id: "live"
    }  # fmt: skip
    states = {s.grant.id: s for s in consent_states(kept, views, now())}
    assert states[lost.id].kept is None and states[live.id].kept is not None
    assert states[gone.id].revoked_at is not None and states[live.id].index is not None
    own = consent_states(kept, None, now())  # the ledger not reached: the wallet's word
    # Two grants made in the same second: the wallet's order between them is not fixed.
    assert {s.grant.id: s.status for s in own} == {live.id: "live", gone.id: "revoked"}
    only_live = {live.id: views[live.id]}
    assert {s.grant.id: s.status for s in consent_states(kept, only_live, now())} == {
        live.id: "live", gone.id: "missing from the ledger"
    }  # fmt: skip


# -- history --------------------------------------------------------------------------------


def test_history_matches_accesses_to_presentations(wallet: Wallet, parties: Parties) -> None:
    credential = receive(wallet, parties.issuer)
    with parties.on_ledger(wallet) as ledger:
        assert ledger.history() == []
        stored = ledger.grant(parties.draft())
    shown = wallet.present(
        credential.id, disclose=["district"], verifier_id=parties.verifier.did,
        nonce=os.urandom(16), grant_id=stored.id,
    )  # fmt: skip
    ours = parties.append(
        sign_access_record(
            parties.verifier, grant=stored.id, presentation=shown.to_json(), created_at=now()
        )
    )
    with parties.on_ledger(wallet) as ledger:
        (access,) = ledger.history()
    assert access.view.logged.index == ours and access.name == "Bicing"
    assert access.kept is not None and access.kept.id == stored.id
    assert access.shown is not None and access.shown.disclosed == ("expiry", "district")
    assert access.purpose == "dpv:ServiceProvision"
