"""Encrypted backups: the whole vault in one file, sealed as a whole.

    line 1   canonical JSON {"format": 1, "kdf": "argon2id13", "memlimit", "nonce",
             "opslimit", "salt", "type": "cartera.wallet-backup"} and "\\n"
    rest     XChaCha20-Poly1305 under Argon2id(backup passphrase, salt), with line 1 as
             associated data, of the canonical JSON
             {"header": <vault header>, "records": {table: [[id, nonce, ciphertext], …]},
              "type": "cartera.wallet-backup.contents"}

The records stay sealed under the vault's data key inside, and the vault header still wraps
that key under the vault passphrase, so restoring needs the backup passphrase to open the
file and the vault passphrase (as it was at export) to unlock the restored wallet. One tag
covers everything: a flipped, dropped or reordered byte anywhere fails the import before
anything is written (`WrongPassphrase`, opaque like any secret-dependent failure).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from attestations.encoding import (
    b64url_encode,
    canonical_json,
    expect_fields,
    get_b64,
    get_int,
    get_str,
    load_canonical_json,
)
from attestations.errors import DecodeError
from wallet import db
from wallet.crypto import (
    KDF_NAME,
    NONCE_BYTES,
    SALT_BYTES,
    TAG_BYTES,
    BadTag,
    KdfParams,
    SealedRow,
    derive_kek,
    open_sealed,
    seal,
)
from wallet.errors import UnsupportedFormat, VaultCorrupted, VaultExists, WrongPassphrase
from wallet.header import Header
from wallet.lock import DEFAULT_LOCK_TIMEOUT
from wallet.vault import Vault, install

__all__ = ["BACKUP_FORMAT", "export_backup", "import_backup"]

BACKUP_FORMAT = 1
_TYPE = "cartera.wallet-backup"
_MAX_HEADER_LINE = 1024
_ROW_ID = re.compile(r"[0-9a-f]{32}")


def export_backup(
    vault: Vault,
    destination: Path,
    passphrase: str | bytes,
    *,
    kdf: KdfParams = KdfParams.MODERATE,
    overwrite: bool = False,
) -> None:
    """Write the backup of `vault` to `destination` (mode 0600, written whole or not at
    all). Refuses a vault with a record that does not open, and an existing file unless
    `overwrite`."""
    problems = vault.problems()
    if problems:
        raise VaultCorrupted(f"will not back up a damaged vault: {problems[0]}")
    with vault.reading() as conn:
        rows = conn.execute(db.HEADER_TABLE.select()).mappings().all()
        header = Header.from_rows([dict(row) for row in rows])
        records = {
            table: [[rid, b64url_encode(n), b64url_encode(c)] for rid, n, c in raw]
            for table in db.RECORD_TABLES
            for raw in [vault.raw_rows(conn, table)]
        }
    contents = {"header": header.to_json_dict(), "records": records, "type": f"{_TYPE}.contents"}
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    line = _header_line(kdf, salt, nonce)
    key = derive_kek(passphrase, salt, kdf)
    _, sealed = seal(key, canonical_json(contents), line, nonce=nonce)
    _write_new(destination, line + sealed, overwrite)


def _header_line(kdf: KdfParams, salt: bytes, nonce: bytes) -> bytes:
    doc = {
        "format": BACKUP_FORMAT,
        "kdf": KDF_NAME,
        "memlimit": kdf.memlimit,
        "nonce": b64url_encode(nonce),
        "opslimit": kdf.opslimit,
        "salt": b64url_encode(salt),
        "type": _TYPE,
    }
    return canonical_json(doc) + b"\n"


def _write_new(destination: Path, data: bytes, overwrite: bool) -> None:
    tmp = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, destination)
        else:
            try:
                os.link(tmp, destination)  # fails if it exists: no check-then-write race
            except FileExistsError:
                raise VaultExists(f"{destination} exists (pass overwrite to replace it)") from None
    finally:
        tmp.unlink(missing_ok=True)


def import_backup(
    source: Path,
    directory: Path,
    passphrase: str | bytes,
    *,
    overwrite: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Restore the backup `source` as the vault in `directory`. Everything is checked before
    anything is written; an existing vault is replaced only with `overwrite`."""
    # 1. The outer header line.
    data = source.read_bytes()
    end = data.find(b"\n", 0, _MAX_HEADER_LINE)
    if end < 0:
        raise VaultCorrupted(f"backup {source}: no header line")
    line, body = data[: end + 1], data[end + 1 :]
    kdf, salt, nonce = _parse_header_line(line, source)
    # 2. One tag over all of it.
    key = derive_kek(passphrase, salt, kdf)
    try:
        plaintext = open_sealed(key, nonce, body, line)
    except BadTag:
        raise WrongPassphrase("backup") from None
    # 3. The contents: a vault header and sealed rows of known tables.
    header, rows = _parse_contents(plaintext, source)
    # 4. Write it as a new vault file, renamed into place.
    install(directory, header, rows, replace=overwrite, lock_timeout=lock_timeout)


def _parse_header_line(line: bytes, source: Path) -> tuple[KdfParams, bytes, bytes]:
    what = f"backup {source}"
    try:
        fields = ["format", "kdf", "memlimit", "nonce", "opslimit", "salt", "type"]
        doc = expect_fields(load_canonical_json(line[:-1]), fields, what=what)
        if get_str(doc, "type", what=what) != _TYPE:
            raise DecodeError(f"{what}: not a Cartera wallet backup")
        if get_int(doc, "format", what=what) != BACKUP_FORMAT or doc["kdf"] != KDF_NAME:
            raise UnsupportedFormat(f"{what}: format {doc['format']} / {doc['kdf']!r}")
        salt = get_b64(doc, "salt", length=SALT_BYTES, what=what)
        nonce = get_b64(doc, "nonce", length=NONCE_BYTES, what=what)
        ops, mem = get_int(doc, "opslimit", what=what), get_int(doc, "memlimit", what=what)
    except DecodeError as exc:
        raise VaultCorrupted(str(exc)) from None
    try:
        return KdfParams(ops, mem), salt, nonce
    except ValueError as exc:
        raise VaultCorrupted(f"{what}: {exc}") from None


def _parse_contents(plaintext: bytes, source: Path) -> tuple[Header, dict[str, list[SealedRow]]]:
    what = f"backup {source}"
    try:
        doc = expect_fields(load_canonical_json(plaintext), ["header", "records", "type"])
        if doc["type"] != f"{_TYPE}.contents":
            raise DecodeError("wrong contents type")
        header = Header.from_json_dict(doc["header"])
        records = expect_fields(doc["records"], list(db.RECORD_TABLES), what="records")
        rows = {table: [_row(raw, table) for raw in _list(records[table])] for table in records}
    except DecodeError as exc:
        raise VaultCorrupted(f"{what}: {exc}") from None
    if not rows["vault_secret"]:
        raise VaultCorrupted(f"{what}: no identity record")
    return header, rows


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise DecodeError("a table's records must be a list")
    return value


def _row(raw: Any, table: str) -> SealedRow:
    if not (isinstance(raw, list) and len(raw) == 3 and all(isinstance(x, str) for x in raw)):
        raise DecodeError(f"{table}: a record is [id, nonce, ciphertext]")
    row_id = raw[0]
    if _ROW_ID.fullmatch(row_id) is None:
        raise DecodeError(f"{table}: record id {row_id[:40]!r} is not 32 hex digits")
    nonce, ciphertext = get_b64({"n": raw[1]}, "n"), get_b64({"c": raw[2]}, "c")
    if len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
        raise DecodeError(f"{table} record {row_id}: nonce or ciphertext of the wrong length")
    return row_id, nonce, ciphertext
