"""The wallet's typed API: credentials, consents, presentations, checkpoints, transactions."""

from __future__ import annotations

import dataclasses
import datetime
import doctest
import os
from pathlib import Path

import pytest
from wallet_helpers import (
    KDF,
    NOW,
    ORIGIN,
    PASSPHRASE,
    SCHEMA,
    VALUES,
    VERIFIER,
    grant,
    note,
    receipt,
    receive,
    secret_int,
)

import wallet as wallet_package
from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Presentation,
    begin_issuance,
    issue,
    present,
    verify_presentation,
)
from policies import (
    OrgKey,
    Purpose,
    sign_access_record,
    sign_consent_revoke,
    sign_request,
)
from wallet import (
    CheckpointConflict,
    ConsentStatus,
    InvalidReceipt,
    IssuanceRejected,
    NotFound,
    Wallet,
    create,
    unlock,
)

# -- credentials -----------------------------------------------------------------------


def test_received_credential_lists_with_typed_attributes(wallet: Wallet, issuer: IssuerKey) -> None:
    stored = receive(wallet, issuer, label="padró")
    [listed] = wallet.credentials.all()
    assert listed.id == stored.id and listed.id.startswith("sha256:")
    assert dict(listed.attributes) == VALUES
    assert listed.label == "padró"
    assert listed.received_at == NOW
    assert listed.schema == SCHEMA
    assert listed.credential.issuer == issuer.public_key()
    assert not listed.is_expired(datetime.date(2099, 12, 31))
    assert listed.is_expired(datetime.date(2100, 1, 1))


def test_credential_survives_close_and_unlock(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    stored = receive(wallet, issuer)
    wallet.close()
    with unlock(wallet_dir, PASSPHRASE) as again:
        assert again.credentials.get(stored.id).credential.to_json() == stored.credential.to_json()
        assert again.holder_secret.to_bytes() == wallet.holder_secret.to_bytes()


def test_kept_credential_presents_under_the_wallet_pseudonym(
    wallet: Wallet, issuer: IssuerKey
) -> None:
    stored = receive(wallet, issuer)
    nonce = os.urandom(16)
    shown = present(
        stored.credential,
        wallet.holder_secret,
        disclose=["district"],
        verifier_id="bikes",
        nonce=nonce,
    )
    disclosed = verify_presentation(
        Presentation.from_json(shown.to_json()),
        issuer.public_key(),
        SCHEMA,
        verifier_id="bikes",
        nonce=nonce,
    )
    assert disclosed["district"] == "Gràcia"
    assert shown.pseudonym == wallet.pseudonym("bikes")


def test_credential_by_unique_prefix(wallet: Wallet, issuer: IssuerKey) -> None:
    stored = receive(wallet, issuer)
    assert wallet.credentials.get(stored.id[7:19]).id == stored.id
    assert wallet.credentials.get(stored.id[:19]).id == stored.id


def test_credential_prefix_too_short_is_not_found(wallet: Wallet, issuer: IssuerKey) -> None:
    stored = receive(wallet, issuer)
    with pytest.raises(NotFound, match="at least 8"):
        wallet.credentials.get(stored.id[7:10])


def test_unknown_credential_is_not_found(wallet: Wallet) -> None:
    with pytest.raises(NotFound, match="no credentials match"):
        wallet.credentials.get("sha256:" + "ab" * 32)


def test_remove_credential(wallet: Wallet, issuer: IssuerKey) -> None:
    first = receive(wallet, issuer)
    second = receive(wallet, issuer, {**VALUES, "district": "Sants"})
    wallet.credentials.remove(first.id)
    assert [c.id for c in wallet.credentials.all()] == [second.id]


def test_issuance_begun_with_another_secret_is_refused(wallet: Wallet, issuer: IssuerKey) -> None:
    request, state = begin_issuance(HolderSecret.generate(), issuer.public_key(), SCHEMA)
    response = issue(issuer, SCHEMA, VALUES, request)
    with pytest.raises(ValueError, match="another holder secret"):
        wallet.credentials.receive(state, response)
    assert wallet.credentials.all() == []


def test_issuance_answer_with_altered_attributes_is_rejected(
    wallet: Wallet, issuer: IssuerKey
) -> None:
    request, state = wallet.credentials.begin(issuer.public_key(), SCHEMA)
    response = issue(issuer, SCHEMA, VALUES, request)
    forged = dataclasses.replace(response, attributes={**response.attributes, "postcode": 8001})
    with pytest.raises(IssuanceRejected):
        wallet.credentials.receive(state, forged)
    assert wallet.credentials.all() == []


def test_issuance_answer_from_another_issuer_is_rejected(wallet: Wallet, issuer: IssuerKey) -> None:
    other = IssuerKey.generate()
    request, state = wallet.credentials.begin(issuer.public_key(), SCHEMA)
    with pytest.raises(IssuanceRejected):
        wallet.credentials.receive(state, issue(other, SCHEMA, VALUES, request))


# -- consents ----------------------------------------------------------------------------


def test_consent_with_receipt_is_live(wallet: Wallet) -> None:
    doc = grant(wallet)
    stored = wallet.consents.add(doc, receipt(doc.to_json()), now=NOW)
    assert stored.id == doc.id
    assert stored.status(NOW) is ConsentStatus.LIVE
    assert stored.status(NOW - datetime.timedelta(seconds=1)) is ConsentStatus.SCHEDULED
    assert stored.status(NOW + datetime.timedelta(days=30)) is ConsentStatus.EXPIRED
    assert wallet.consents.get(doc.id) == stored


def test_consent_without_receipt_is_pending_until_the_receipt_comes(wallet: Wallet) -> None:
    doc = grant(wallet)
    assert wallet.consents.add(doc, now=NOW).status(NOW) is ConsentStatus.PENDING
    the_receipt = receipt(doc.to_json(), index=0)
    later = wallet.consents.add(doc, the_receipt, now=NOW + datetime.timedelta(hours=1))
    assert later.receipt == the_receipt
    assert later.recorded_at == NOW  # the first record's time stays
    assert [c.status(NOW) for c in wallet.consents.all()] == [ConsentStatus.LIVE]


def test_consent_under_another_pseudonym_is_refused(wallet: Wallet, wallet_dir: Path) -> None:
    with create(wallet_dir.with_name("other"), PASSPHRASE, kdf=KDF) as other:
        foreign = grant(other)
    with pytest.raises(ValueError, match="pseudonym"):
        wallet.consents.add(foreign)
    assert wallet.consents.all() == []


def test_receipt_for_another_entry_is_refused(wallet: Wallet) -> None:
    doc = grant(wallet)
    with pytest.raises(InvalidReceipt, match="index 1"):
        wallet.consents.add(doc, receipt(b"some other entry"))
    assert wallet.consents.all() == []


def test_receipt_index_beyond_its_tree_is_refused() -> None:
    good = receipt(b"entry")
    with pytest.raises(InvalidReceipt, match="beyond tree size 3"):
        wallet_package.LedgerReceipt(3, good.checkpoint, good.proof)


def test_revocation_joins_its_grant(wallet: Wallet) -> None:
    doc = grant(wallet)
    wallet.consents.add(doc, receipt(doc.to_json()))
    revoke = sign_consent_revoke(secret_int(wallet), grant=doc, created_at=NOW)
    assert wallet.consents.add_revocation(revoke).status(NOW) is ConsentStatus.REVOKE_PENDING
    done = wallet.consents.add_revocation(revoke, receipt(revoke.to_json(), index=2))
    assert done.status(NOW) is ConsentStatus.REVOKED
    assert wallet.consents.get(doc.id).revocation == revoke


def test_revocation_of_unknown_grant_is_not_found(wallet: Wallet) -> None:
    doc = grant(wallet)
    revoke = sign_consent_revoke(secret_int(wallet), grant=doc, created_at=NOW)
    with pytest.raises(NotFound):
        wallet.consents.add_revocation(revoke)


def test_decide_uses_acknowledged_unrevoked_grants(wallet: Wallet) -> None:
    verifier = OrgKey.from_seed(bytes(32))
    request = sign_request(
        verifier,
        schema=SCHEMA.schema_id,
        attributes=["district"],
        predicates=[],
        purpose=Purpose.SERVICE_PROVISION,
        nonce=bytes(16),
        trusted_issuers=[verifier.did],
        created_at=NOW,
        expires_at=NOW + datetime.timedelta(minutes=5),
    )
    assert not wallet.consents.decide(request, now=NOW).allowed
    doc = grant(wallet, verifier=verifier.did)
    wallet.consents.add(doc)
    assert not wallet.consents.decide(request, now=NOW).allowed  # not on the ledger yet
    wallet.consents.add(doc, receipt(doc.to_json()))
    assert wallet.consents.decide(request, now=NOW).allowed
    revoke = sign_consent_revoke(secret_int(wallet), grant=doc, created_at=NOW)
    wallet.consents.add_revocation(revoke)
    assert not wallet.consents.decide(request, now=NOW).allowed


# -- presentations ----------------------------------------------------------------------


def test_presentation_record_id_is_the_access_record_digest(
    wallet: Wallet, issuer: IssuerKey
) -> None:
    stored = receive(wallet, issuer)
    shown = present(
        stored.credential,
        wallet.holder_secret,
        disclose=["district"],
        verifier_id=VERIFIER,
        nonce=bytes(16),
    )
    made = wallet.presentations.record(
        verifier=VERIFIER,
        credential_id=stored.id,
        disclosed=["district"],
        presentation=shown.to_json(),
        purpose="ServiceProvision",
        grant_id="sha256:" + "1" * 64,
        now=NOW,
    )
    access = sign_access_record(
        OrgKey.generate(), grant="sha256:" + "1" * 64, presentation=shown.to_json(), created_at=NOW
    )
    assert made.id == access.presentation
    assert wallet.presentations.get(made.id) == made


def test_present_builds_and_records(wallet: Wallet, issuer: IssuerKey) -> None:
    stored = receive(wallet, issuer)
    nonce = os.urandom(16)
    shown = wallet.present(
        stored.id[:20],
        disclose=["district"],
        verifier_id=VERIFIER,
        nonce=nonce,
        purpose="ServiceProvision",
        now=NOW,
    )
    verify_presentation(
        Presentation.from_json(shown.to_json()),
        issuer.public_key(),
        SCHEMA,
        verifier_id=VERIFIER,
        nonce=nonce,
    )
    [made] = wallet.presentations.all()
    assert made.id == shown.digest
    assert (made.verifier, made.credential_id, made.presented_at) == (VERIFIER, stored.id, NOW)
    assert set(made.disclosed) == {"district", "expiry"}
    assert made.purpose == "ServiceProvision" and made.grant_id is None


def test_presentations_filter_by_verifier_oldest_first(wallet: Wallet) -> None:
    for i, who in enumerate(["did:example:a", "did:example:b", "did:example:a"]):
        wallet.presentations.record(
            verifier=who,
            credential_id="sha256:" + "0" * 64,
            disclosed=["district"],
            presentation=b"p%d" % i,
            now=NOW + datetime.timedelta(minutes=10 - i),
        )
    shown = wallet.presentations.all(verifier="did:example:a")
    assert [p.presentation for p in shown] == [b"p2", b"p0"]
    assert len(wallet.presentations.all()) == 3


def test_unknown_presentation_is_not_found(wallet: Wallet) -> None:
    with pytest.raises(NotFound):
        wallet.presentations.get("sha256:" + "2" * 64)


# -- checkpoints -------------------------------------------------------------------------


def test_checkpoint_advances_and_never_moves_back(wallet: Wallet) -> None:
    assert wallet.checkpoints.get(ORIGIN) is None
    assert wallet.checkpoints.advance(note(5), now=NOW).size == 5
    assert wallet.checkpoints.advance(note(3)).size == 5
    assert wallet.checkpoints.advance(note(9)).size == 9
    kept = wallet.checkpoints.get(ORIGIN)
    assert kept is not None and kept.size == 9 and kept.origin == ORIGIN


def test_checkpoints_are_kept_per_origin(wallet: Wallet) -> None:
    wallet.checkpoints.advance(note(5))
    wallet.checkpoints.advance(note(2, origin="other.example/log"))
    assert [(c.origin, c.size) for c in wallet.checkpoints.all()] == [
        (ORIGIN, 5),
        ("other.example/log", 2),
    ]


def test_two_trees_of_one_size_conflict(wallet: Wallet) -> None:
    first = note(5)
    wallet.checkpoints.advance(first)
    with pytest.raises(CheckpointConflict, match="two trees of size 5"):
        wallet.checkpoints.advance(note(5, root=bytes(32)))
    kept = wallet.checkpoints.get(ORIGIN)
    assert kept is not None and kept.note == first


# -- transactions, info, the package example ---------------------------------------------


def test_transaction_keeps_all_writes(wallet: Wallet) -> None:
    with wallet.transaction():
        for i in range(3):
            wallet.presentations.record(
                verifier="did:example:a", credential_id="x", disclosed=[], presentation=b"%d" % i
            )
    assert len(wallet.presentations.all()) == 3


def test_transaction_that_raises_keeps_nothing(wallet: Wallet) -> None:
    with pytest.raises(RuntimeError, match="boom"), wallet.transaction():
        for i in range(3):
            wallet.presentations.record(
                verifier="did:example:a", credential_id="x", disclosed=[], presentation=b"%d" % i
            )
        raise RuntimeError("boom")
    assert wallet.presentations.all() == []


def test_info_counts_and_names_no_secret(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    receive(wallet, issuer)
    wallet.checkpoints.advance(note(1))
    info = wallet.info()
    assert (info.path, info.kdf, info.created_at) == (wallet_dir, KDF, NOW)
    assert (info.credentials, info.consents, info.presentations, info.checkpoints) == (1, 0, 0, 1)
    assert info.device_did == wallet.device_key.did and info.device_did.startswith("did:key:z")


def test_package_example_runs() -> None:
    result = doctest.testmod(wallet_package)
    assert result.attempted > 0 and result.failed == 0
