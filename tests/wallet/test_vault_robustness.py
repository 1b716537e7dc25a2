"""A damaged or tampered vault: every case is detected, named, and nothing is written over."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from wallet_helpers import (
    KDF,
    PASSPHRASE,
    VALUES,
    all_record_rows,
    db_file,
    flip,
    grant,
    receipt,
    receive,
    rows,
    sql,
    worker,
)

from attestations.credentials import IssuerKey
from wallet import (
    UnsupportedFormat,
    VaultCorrupted,
    VaultLocked,
    Wallet,
    WrongPassphrase,
    create,
    unlock,
)

# -- sealed records ----------------------------------------------------------------------


def _tamper(directory: Path, table: str, column: str, row_id: str, at: int = 5) -> bytes:
    [(value,)] = sql(directory, f"SELECT {column} FROM {table} WHERE id = ?", [row_id])
    bad = flip(value, at)
    sql(directory, f"UPDATE {table} SET {column} = ? WHERE id = ?", [bad, row_id])
    return bad


def test_tampered_ciphertext_names_table_and_record(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    receive(wallet, issuer)
    [(row_id, _, _)] = rows(wallet_dir, "vault_credential")
    _tamper(wallet_dir, "vault_credential", "ciphertext", row_id)
    with pytest.raises(VaultCorrupted, match=f"vault_credential record {row_id}: bad tag"):
        wallet.credentials.all()


def test_tampered_nonce_names_table_and_record(wallet: Wallet, wallet_dir: Path) -> None:
    wallet.presentations.record(verifier="v", credential_id="c", disclosed=[], presentation=b"p")
    [(row_id, _, _)] = rows(wallet_dir, "vault_presentation")
    _tamper(wallet_dir, "vault_presentation", "nonce", row_id, at=0)
    with pytest.raises(VaultCorrupted, match=f"vault_presentation record {row_id}"):
        wallet.presentations.all()


def test_rows_swapped_between_ids_are_detected(wallet: Wallet, wallet_dir: Path) -> None:
    for name in (b"one", b"two"):
        wallet.presentations.record(
            verifier="v", credential_id="c", disclosed=[], presentation=name
        )
    (a, na, ca), (b, nb, cb) = rows(wallet_dir, "vault_presentation")
    sql(wallet_dir, "UPDATE vault_presentation SET nonce=?, ciphertext=? WHERE id=?", [nb, cb, a])
    sql(wallet_dir, "UPDATE vault_presentation SET nonce=?, ciphertext=? WHERE id=?", [na, ca, b])
    with pytest.raises(VaultCorrupted, match="vault_presentation record"):
        wallet.presentations.all()


def test_row_moved_to_another_table_is_detected(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    receive(wallet, issuer)
    [(row_id, nonce, ciphertext)] = rows(wallet_dir, "vault_credential")
    sql(wallet_dir, "INSERT INTO vault_consent VALUES (?, ?, ?)", [row_id, nonce, ciphertext])
    with pytest.raises(VaultCorrupted, match=f"vault_consent record {row_id}: bad tag"):
        wallet.consents.all()


def test_tampered_record_is_not_overwritten(wallet: Wallet, wallet_dir: Path) -> None:
    doc = grant(wallet)
    wallet.consents.add(doc)
    [(row_id, _, _)] = rows(wallet_dir, "vault_consent")
    bad = _tamper(wallet_dir, "vault_consent", "ciphertext", row_id)
    with pytest.raises(VaultCorrupted, match=f"vault_consent record {row_id}"):
        wallet.consents.add(doc, receipt(doc.to_json()))  # would rewrite the record
    assert rows(wallet_dir, "vault_consent")[0][2] == bad


def test_verify_lists_every_damaged_record(
    wallet: Wallet, wallet_dir: Path, issuer: IssuerKey
) -> None:
    receive(wallet, issuer)
    wallet.presentations.record(verifier="v", credential_id="c", disclosed=[], presentation=b"p")
    wallet.verify()
    [(cred, _, _)] = rows(wallet_dir, "vault_credential")
    [(pres, _, _)] = rows(wallet_dir, "vault_presentation")
    _tamper(wallet_dir, "vault_credential", "ciphertext", cred)
    _tamper(wallet_dir, "vault_presentation", "ciphertext", pres)
    with pytest.raises(VaultCorrupted) as caught:
        wallet.verify()
    assert cred in str(caught.value) and pres in str(caught.value)


def test_sealed_record_that_does_not_parse_is_named(wallet: Wallet, wallet_dir: Path) -> None:
    keys = wallet._vault.keys  # a record sealed with the right key but holding nonsense
    row = keys.seal_record("vault_credential", "sha256:" + "0" * 64, b'{"type":"nonsense"}')
    sql(wallet_dir, "INSERT INTO vault_credential VALUES (?, ?, ?)", list(row))
    with pytest.raises(VaultCorrupted, match=f"vault_credential record {row[0]}: .*field"):
        wallet.credentials.all()


def test_tampered_identity_record_fails_unlock(wallet: Wallet, wallet_dir: Path) -> None:
    [(row_id, _, _)] = rows(wallet_dir, "vault_secret")
    _tamper(wallet_dir, "vault_secret", "ciphertext", row_id)
    with pytest.raises(VaultCorrupted, match=f"vault_secret record {row_id}: bad tag"):
        unlock(wallet_dir, PASSPHRASE)


def test_missing_identity_record_fails_unlock(wallet: Wallet, wallet_dir: Path) -> None:
    sql(wallet_dir, "DELETE FROM vault_secret")
    with pytest.raises(VaultCorrupted, match="identity record is missing"):
        unlock(wallet_dir, PASSPHRASE)


# -- the file ----------------------------------------------------------------------------


@pytest.fixture
def closed_vault(wallet: Wallet, wallet_dir: Path, issuer: IssuerKey) -> Path:
    """A vault of several pages, closed."""
    for district in ("Gràcia", "Sants", "Horta", "Les Corts"):
        receive(wallet, issuer, {**VALUES, "district": district})
    wallet.close()
    assert db_file(wallet_dir).stat().st_size >= 3 * 4096
    return wallet_dir


@pytest.mark.parametrize(
    "keep",
    [
        pytest.param(lambda size: size - 1000, id="mid-page"),
        pytest.param(lambda size: size - 4096, id="page-boundary"),
        pytest.param(lambda size: 50, id="inside-sqlite-header"),
        pytest.param(lambda size: 0, id="empty"),
    ],
)
def test_truncated_file_is_named(closed_vault: Path, keep: Callable[[int], int]) -> None:
    path = db_file(closed_vault)
    os.truncate(path, keep(path.stat().st_size))
    size = path.stat().st_size
    with pytest.raises(VaultCorrupted, match="is truncated"):
        unlock(closed_vault, PASSPHRASE)
    assert path.stat().st_size == size  # nothing written


def test_file_that_is_not_sqlite(closed_vault: Path) -> None:
    db_file(closed_vault).write_bytes(os.urandom(8192))
    with pytest.raises(VaultCorrupted, match="not a SQLite database"):
        unlock(closed_vault, PASSPHRASE)


def test_damaged_page_is_detected(closed_vault: Path) -> None:
    path = db_file(closed_vault)
    data = bytearray(path.read_bytes())
    data[4096 + 8 : 4096 + 40] = b"\xff" * 32  # a b-tree page header and cell pointers
    path.write_bytes(bytes(data))
    with pytest.raises(VaultCorrupted, match="is damaged: database disk image is malformed"):
        unlock(closed_vault, PASSPHRASE)


def test_missing_table_is_named(closed_vault: Path) -> None:
    sql(closed_vault, "DROP TABLE vault_checkpoint")
    with pytest.raises(VaultCorrupted, match="table vault_checkpoint is missing"):
        unlock(closed_vault, PASSPHRASE)


# -- the header --------------------------------------------------------------------------


def _flip_column(column: str) -> Callable[[Path], None]:
    def tamper(directory: Path) -> None:
        [(value,)] = sql(directory, f"SELECT {column} FROM vault_header")
        sql(directory, f"UPDATE vault_header SET {column} = ?", [flip(value, 3)])

    return tamper


def _set(column: str, value: object) -> Callable[[Path], object]:
    return lambda directory: sql(directory, f"UPDATE vault_header SET {column} = ?", [value])


@pytest.mark.parametrize(
    ("tamper", "error", "message"),
    [
        pytest.param(
            _flip_column("salt"), WrongPassphrase, "^wrong passphrase or corrupted key$", id="salt"
        ),
        pytest.param(_flip_column("key_nonce"), WrongPassphrase, "^wrong passphrase", id="nonce"),
        pytest.param(
            _flip_column("wrapped_key"), WrongPassphrase, "^wrong passphrase", id="wrapped-key"
        ),
        pytest.param(
            _set("opslimit", KDF.opslimit + 1), WrongPassphrase, "^wrong passphrase", id="opslimit"
        ),
        pytest.param(
            _set("memlimit", KDF.memlimit // 2), WrongPassphrase, "^wrong passphrase", id="memlimit"
        ),
        pytest.param(
            _set("memlimit", 2**40),
            VaultCorrupted,
            "header: memlimit .* outside",
            id="memlimit-huge",
        ),
        pytest.param(
            _set("opslimit", "two"),
            VaultCorrupted,
            "header: opslimit is not an integer",
            id="opslimit-text",
        ),
        pytest.param(
            _set("salt", b"\x00" * 15), VaultCorrupted, "header: salt has 15 bytes", id="salt-short"
        ),
        pytest.param(
            _set("format_version", 2),
            UnsupportedFormat,
            "format version 2, want 1",
            id="newer-format",
        ),
        pytest.param(_set("kdf", "scrypt"), UnsupportedFormat, "KDF 'scrypt'", id="other-kdf"),
        pytest.param(
            lambda d: sql(d, "DELETE FROM vault_header"),
            VaultCorrupted,
            "header: missing",
            id="no-row",
        ),
        pytest.param(
            lambda d: sql(
                d,
                "INSERT INTO vault_header SELECT 2, format_version, kdf, "
                "opslimit, memlimit, salt, key_nonce, wrapped_key "
                "FROM vault_header",
            ),
            VaultCorrupted,
            "header: 2 rows, want 1",
            id="two-rows",
        ),
        pytest.param(
            lambda d: sql(d, "DROP TABLE vault_header"),
            VaultCorrupted,
            "table vault_header is missing",
            id="no-table",
        ),
    ],
)
def test_header_tampering_is_detected(
    wallet: Wallet,
    wallet_dir: Path,
    tamper: Callable[[Path], object],
    error: type[Exception],
    message: str,
) -> None:
    wallet.close()
    records = all_record_rows(wallet_dir)
    tamper(wallet_dir)
    with pytest.raises(error, match=message):
        unlock(wallet_dir, PASSPHRASE)
    if "vault_header" in {r[0] for r in sql(wallet_dir, "SELECT name FROM sqlite_master")}:
        assert all_record_rows(wallet_dir) == records


# -- the lock ----------------------------------------------------------------------------


def test_writer_gives_up_on_a_lock_held_elsewhere(wallet_dir: Path) -> None:
    with create(wallet_dir, PASSPHRASE, kdf=KDF) as made:
        made.presentations.record(verifier="v", credential_id="c", disclosed=[], presentation=b"0")
    holder = worker("hold-lock", str(wallet_dir))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with unlock(wallet_dir, PASSPHRASE, lock_timeout=0.3) as opened:
            with pytest.raises(VaultLocked, match="held the wallet lock"):
                opened.presentations.record(
                    verifier="v", credential_id="c", disclosed=[], presentation=b"1"
                )
            assert len(opened.presentations.all()) == 1  # reading needs no lock
    finally:
        holder.kill()
        holder.wait()
