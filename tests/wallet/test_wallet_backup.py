"""Encrypted backups: round trip, refusals, and tampering that must write nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from wallet_helpers import (
    KDF,
    PASSPHRASE,
    all_record_rows,
    db_file,
    flip,
    grant,
    note,
    receipt,
    receive,
    rows,
    sql,
)

from attestations.credentials import IssuerKey
from wallet import (
    NotFound,
    UnsupportedFormat,
    VaultCorrupted,
    VaultExists,
    VaultReplaced,
    Wallet,
    WrongPassphrase,
    create,
    import_backup,
    unlock,
)

BACKUP_PASSPHRASE = "a different backup passphrase"


@pytest.fixture
def filled(wallet: Wallet, issuer: IssuerKey) -> Wallet:
    receive(wallet, issuer)
    doc = grant(wallet)
    wallet.consents.add(doc, receipt(doc.to_json()))
    wallet.presentations.record(verifier="v", credential_id="c", disclosed=[], presentation=b"p")
    wallet.checkpoints.advance(note(3))
    return wallet


@pytest.fixture
def backup_file(filled: Wallet, tmp_path: Path) -> Path:
    path = tmp_path / "wallet.backup"
    filled.export_backup(path, BACKUP_PASSPHRASE, kdf=KDF)
    return path


def test_round_trip_restores_every_record(
    filled: Wallet, wallet_dir: Path, backup_file: Path, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    import_backup(backup_file, restored, BACKUP_PASSPHRASE)
    assert all_record_rows(restored) == all_record_rows(wallet_dir)
    with unlock(restored, PASSPHRASE) as again:  # the vault passphrase, as at export
        assert again.holder_secret.to_bytes() == filled.holder_secret.to_bytes()
        assert [c.id for c in again.credentials.all()] == [c.id for c in filled.credentials.all()]
        assert again.consents.all() == filled.consents.all()
        assert again.presentations.all() == filled.presentations.all()
        assert again.checkpoints.all() == filled.checkpoints.all()


def test_backup_file_is_private_and_opaque(filled: Wallet, backup_file: Path) -> None:
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    data = backup_file.read_bytes()
    assert data.startswith(b'{"format":1,"kdf":"argon2id13",')
    for clear in ("Gràcia".encode(), b"vault_credential", b"wrapped_key", b"resident"):
        assert clear not in data


def test_export_refuses_an_existing_file(filled: Wallet, backup_file: Path) -> None:
    before = backup_file.read_bytes()
    with pytest.raises(VaultExists):
        filled.export_backup(backup_file, BACKUP_PASSPHRASE, kdf=KDF)
    assert backup_file.read_bytes() == before
    filled.export_backup(backup_file, BACKUP_PASSPHRASE, kdf=KDF, overwrite=True)
    assert backup_file.read_bytes() != before


def test_export_refuses_a_damaged_vault(filled: Wallet, wallet_dir: Path, tmp_path: Path) -> None:
    [(row_id, _, ciphertext)] = rows(wallet_dir, "vault_consent")
    sql(wallet_dir, "UPDATE vault_consent SET ciphertext = ?", [flip(ciphertext, 9)])
    with pytest.raises(VaultCorrupted, match=f"vault_consent record {row_id}"):
        filled.export_backup(tmp_path / "b", BACKUP_PASSPHRASE, kdf=KDF)
    assert not (tmp_path / "b").exists()


def test_import_refuses_an_existing_vault(backup_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    create(other, "other passphrase", kdf=KDF).close()
    before = all_record_rows(other)
    with pytest.raises(VaultExists):
        import_backup(backup_file, other, BACKUP_PASSPHRASE)
    assert all_record_rows(other) == before
    unlock(other, "other passphrase").close()


def test_import_with_overwrite_replaces_the_vault(
    filled: Wallet, wallet_dir: Path, backup_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    create(other, "other passphrase", kdf=KDF).close()
    import_backup(backup_file, other, BACKUP_PASSPHRASE, overwrite=True)
    assert all_record_rows(other) == all_record_rows(wallet_dir)
    with pytest.raises(WrongPassphrase):
        unlock(other, "other passphrase")
    unlock(other, PASSPHRASE).close()


def test_import_over_a_truncated_vault_recovers_it(
    wallet_dir: Path, backup_file: Path, filled: Wallet
) -> None:
    filled.close()
    os.truncate(db_file(wallet_dir), 1000)
    with pytest.raises(VaultCorrupted, match="truncated"):
        unlock(wallet_dir, PASSPHRASE)
    import_backup(backup_file, wallet_dir, BACKUP_PASSPHRASE, overwrite=True)
    with unlock(wallet_dir, PASSPHRASE) as again:
        assert len(again.credentials.all()) == 1


def test_wallet_open_during_an_import_refuses_to_write(
    filled: Wallet, wallet_dir: Path, backup_file: Path
) -> None:
    import_backup(backup_file, wallet_dir, BACKUP_PASSPHRASE, overwrite=True)
    with pytest.raises(VaultReplaced):
        filled.presentations.record(
            verifier="v", credential_id="c", disclosed=[], presentation=b"late"
        )
    with pytest.raises(VaultReplaced):
        filled.credentials.all()


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no backup file"):
        import_backup(tmp_path / "nothing", tmp_path / "w", BACKUP_PASSPHRASE)


# -- nothing is written when the backup does not open ------------------------------------


def _assert_nothing_written(directory: Path) -> None:
    assert not directory.exists()  # everything is checked before the directory is made


def test_wrong_backup_passphrase(backup_file: Path, tmp_path: Path) -> None:
    with pytest.raises(WrongPassphrase, match=r"^wrong passphrase or corrupted backup$"):
        import_backup(backup_file, tmp_path / "r", PASSPHRASE)
    _assert_nothing_written(tmp_path / "r")


@pytest.mark.parametrize("where", [-1, -17, -100], ids=["tag", "end", "body"])
def test_tampered_ciphertext(backup_file: Path, tmp_path: Path, where: int) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(flip(data, len(data) + where))
    with pytest.raises(WrongPassphrase, match="corrupted backup"):
        import_backup(backup_file, tmp_path / "r", BACKUP_PASSPHRASE)
    _assert_nothing_written(tmp_path / "r")


def test_truncated_backup(backup_file: Path, tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(WrongPassphrase, match="corrupted backup"):
        import_backup(backup_file, tmp_path / "r", BACKUP_PASSPHRASE)
    _assert_nothing_written(tmp_path / "r")


def test_tampered_header_line_limits(backup_file: Path, tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(data.replace(b'"opslimit":2', b'"opslimit":3', 1))
    with pytest.raises(WrongPassphrase, match="corrupted backup"):
        import_backup(backup_file, tmp_path / "r", BACKUP_PASSPHRASE)
    _assert_nothing_written(tmp_path / "r")


def test_tampered_backup_over_an_existing_vault_leaves_it(
    filled: Wallet, wallet_dir: Path, backup_file: Path
) -> None:
    before = all_record_rows(wallet_dir)
    data = backup_file.read_bytes()
    backup_file.write_bytes(flip(data, len(data) - 50))
    with pytest.raises(WrongPassphrase):
        import_backup(backup_file, wallet_dir, BACKUP_PASSPHRASE, overwrite=True)
    assert all_record_rows(wallet_dir) == before
    filled.presentations.record(verifier="v", credential_id="c", disclosed=[], presentation=b"q")


def test_not_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "b"
    path.write_bytes(os.urandom(4096).replace(b"\n", b" "))
    with pytest.raises(VaultCorrupted, match="no header line"):
        import_backup(path, tmp_path / "r", BACKUP_PASSPHRASE)
    _assert_nothing_written(tmp_path / "r")


def test_backup_of_another_type(backup_file: Path, tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(data.replace(b'"cartera.wallet-backup"', b'"cartera.other-backup"'))
    with pytest.raises(VaultCorrupted, match="not a Cartera wallet backup"):
        import_backup(backup_file, tmp_path / "r", BACKUP_PASSPHRASE)


def test_backup_of_a_newer_format(backup_file: Path, tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(data.replace(b'{"format":1,', b'{"format":2,', 1))
    with pytest.raises(UnsupportedFormat):
        import_backup(backup_file, tmp_path / "r", BACKUP_PASSPHRASE)
