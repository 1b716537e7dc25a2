"""The vault on disk: what is sealed, what the header records, passphrase changes."""

from __future__ import annotations

import stat
import unicodedata
from pathlib import Path

import pytest
from wallet_helpers import (
    KDF,
    NOW,
    PASSPHRASE,
    all_record_rows,
    db_file,
    grant,
    receipt,
    receive,
    rows,
    sql,
)

from attestations.credentials import IssuerKey
from wallet import (
    KdfParams,
    VaultExists,
    VaultNotFound,
    Wallet,
    WrongPassphrase,
    create,
    default_path,
    unlock,
)


def test_files_are_private(wallet: Wallet, wallet_dir: Path) -> None:
    assert stat.S_IMODE(wallet_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_file(wallet_dir).stat().st_mode) == 0o600
    assert sorted(p.name for p in wallet_dir.iterdir()) == ["wallet.db", "wallet.lock"]


def test_nothing_readable_in_the_file(wallet: Wallet, wallet_dir: Path, issuer: IssuerKey) -> None:
    stored = receive(wallet, issuer)
    doc = grant(wallet)
    wallet.consents.add(doc, receipt(doc.to_json()))
    wallet.close()
    data = db_file(wallet_dir).read_bytes()
    for clear in (
        "Gràcia".encode(),
        stored.id.encode(),
        doc.id.encode(),
        doc.id[7:].encode(),
        wallet.holder_secret.to_bytes(),
        b"resident",
    ):
        assert clear not in data


def test_record_ids_are_keyed_hashes(wallet: Wallet, wallet_dir: Path, issuer: IssuerKey) -> None:
    receive(wallet, issuer)
    [(row_id, nonce, ciphertext)] = rows(wallet_dir, "vault_credential")
    assert len(row_id) == 32 and int(row_id, 16) >= 0
    assert len(nonce) == 24 and len(ciphertext) > 16


def test_header_records_the_kdf_limits(wallet: Wallet, wallet_dir: Path) -> None:
    [(version, kdf, ops, mem, salt)] = sql(
        wallet_dir, "SELECT format_version, kdf, opslimit, memlimit, salt FROM vault_header"
    )
    assert (version, kdf, ops, mem) == (1, "argon2id13", KDF.opslimit, KDF.memlimit)
    assert len(salt) == 16
    assert KDF != KdfParams.MODERATE  # and yet it opens with what the header says:
    wallet.close()
    unlock(wallet_dir, PASSPHRASE).close()


def test_default_limits_are_moderate() -> None:
    import inspect

    assert inspect.signature(create).parameters["kdf"].default == KdfParams.MODERATE


def test_create_refuses_an_existing_vault(wallet: Wallet, wallet_dir: Path) -> None:
    before = all_record_rows(wallet_dir)
    with pytest.raises(VaultExists):
        create(wallet_dir, "another passphrase", kdf=KDF)
    assert all_record_rows(wallet_dir) == before
    unlock(wallet_dir, PASSPHRASE).close()


def test_unlock_without_a_vault(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound, match="no wallet at"):
        unlock(tmp_path / "nowhere", PASSPHRASE)
    assert not (tmp_path / "nowhere").exists()


def test_wrong_passphrase_is_one_clear_error(wallet: Wallet, wallet_dir: Path) -> None:
    with pytest.raises(WrongPassphrase) as caught:
        unlock(wallet_dir, "Correct horse battery staple")
    assert str(caught.value) == "wrong passphrase or corrupted key"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_empty_passphrase_is_a_caller_mistake(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        create(tmp_path / "w", "", kdf=KDF)
    assert not (tmp_path / "w" / "wallet.db").exists()


def test_passphrase_is_unicode_normalised(tmp_path: Path) -> None:
    composed = unicodedata.normalize("NFC", "contrasenya Gràcia")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    create(tmp_path / "w", composed, kdf=KDF).close()
    unlock(tmp_path / "w", decomposed).close()


def test_cartera_home_sets_the_default_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTERA_HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / "wallet"
    with create(None, PASSPHRASE, kdf=KDF) as made:
        assert made.path == tmp_path / "home" / "wallet"
    unlock(None, PASSPHRASE).close()


def test_change_passphrase_rewraps_the_key_only(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    receive(wallet, issuer)
    wallet.presentations.record(
        verifier="did:example:a", credential_id="x", disclosed=[], presentation=b"p", now=NOW
    )
    records = all_record_rows(wallet_dir)
    header = sql(wallet_dir, "SELECT salt, key_nonce, wrapped_key FROM vault_header")
    wallet.change_passphrase(PASSPHRASE, "a new passphrase")
    assert all_record_rows(wallet_dir) == records
    new_header = sql(wallet_dir, "SELECT salt, key_nonce, wrapped_key FROM vault_header")
    assert all(a != b for a, b in zip(header[0], new_header[0], strict=True))
    with pytest.raises(WrongPassphrase):
        unlock(wallet_dir, PASSPHRASE)
    with unlock(wallet_dir, "a new passphrase") as again:
        assert len(again.credentials.all()) == 1


def test_change_passphrase_needs_the_old_one(wallet: Wallet, wallet_dir: Path) -> None:
    header = sql(wallet_dir, "SELECT * FROM vault_header")
    with pytest.raises(WrongPassphrase):
        wallet.change_passphrase("not it", "a new passphrase")
    assert sql(wallet_dir, "SELECT * FROM vault_header") == header
    unlock(wallet_dir, PASSPHRASE).close()


def test_change_passphrase_can_change_the_limits(wallet: Wallet, wallet_dir: Path) -> None:
    cheaper = KdfParams(1, 8 * 1024 * 1024)
    wallet.change_passphrase(PASSPHRASE, "a new passphrase", kdf=cheaper)
    assert sql(wallet_dir, "SELECT opslimit, memlimit FROM vault_header") == [(1, 8 * 1024 * 1024)]
    with unlock(wallet_dir, "a new passphrase") as again:
        assert again.info().kdf == cheaper


def test_kdf_limits_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="memlimit"):
        KdfParams(2, 2**40)
    with pytest.raises(ValueError, match="opslimit"):
        KdfParams(0, KdfParams.INTERACTIVE.memlimit)
