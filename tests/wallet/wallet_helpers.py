"""Shared helpers of the wallet tests: issuing into a wallet, ledger receipts, raw SQLite."""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attestations.credentials import IssuerKey, issue
from attestations.schemas import Schema, Value
from ledger.checkpoint import Checkpoint
from ledger.merkle import inclusion_proof, leaf_hash, memory_source, root_hash
from ledger.note import SignerKey
from policies import ConsentGrant, Purpose, sign_consent_grant
from wallet import KdfParams, LedgerReceipt, StoredCredential, Wallet

PASSPHRASE = "correct horse battery staple"
KDF = KdfParams.INTERACTIVE
NOW = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
ORIGIN = "ledger.cartera.example/test"
VERIFIER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
WORKER = Path(__file__).with_name("wallet_worker.py")

SCHEMA = Schema.create(
    "resident",
    [("district", "string"), ("postcode", "integer"), ("birthdate", "date"), ("adult", "boolean")],
)
VALUES: dict[str, Value] = {
    "expiry": datetime.date(2099, 12, 31),
    "district": "Gràcia",
    "postcode": 8012,
    "birthdate": datetime.date(1990, 5, 17),
    "adult": True,
}


def receive(
    wallet: Wallet,
    issuer: IssuerKey,
    values: dict[str, Value] | None = None,
    *,
    label: str | None = None,
) -> StoredCredential:
    """Run blind issuance between `issuer` and `wallet`; the wallet keeps the result."""
    request, state = wallet.credentials.begin(issuer.public_key(), SCHEMA)
    response = issue(issuer, SCHEMA, values or VALUES, request)
    return wallet.credentials.receive(state, response, label=label, now=NOW)


def secret_int(wallet: Wallet) -> int:
    return int.from_bytes(wallet.holder_secret.to_bytes(), "big")


def grant(wallet: Wallet, *, verifier: str = VERIFIER, days: int = 30) -> ConsentGrant:
    return sign_consent_grant(
        secret_int(wallet),
        verifier=verifier,
        schema=SCHEMA.schema_id,
        attributes=["district"],
        predicates=[],
        purpose=Purpose.SERVICE_PROVISION,
        not_before=NOW,
        not_after=NOW + datetime.timedelta(days=days),
        created_at=NOW,
    )


def note(
    size: int, *, origin: str = ORIGIN, root: bytes | None = None, signer: SignerKey | None = None
) -> str:
    """A signed checkpoint note of `size` (root derived from the size unless given)."""
    root = root or hashlib.sha256(b"root %d" % size).digest()
    return Checkpoint(origin, size, root).sign(signer or SignerKey.generate(origin))


def receipt(
    entry: bytes, *, others: Sequence[bytes] = (b"a", b"b"), index: int = 1
) -> LedgerReceipt:
    """A receipt for `entry` placed at `index` among `others` in a fresh tree."""
    entries = [*others]
    entries.insert(index, entry)
    leaves = [leaf_hash(e) for e in entries]
    proof = inclusion_proof(index, len(leaves), memory_source(leaves))
    checkpoint = Checkpoint(ORIGIN, len(leaves), root_hash(leaves))
    return LedgerReceipt(index, checkpoint.sign(SignerKey.generate(ORIGIN)), tuple(proof))


# -- raw access to the vault file, as an attacker or a disk would ------------------------


def db_file(directory: Path) -> Path:
    return directory / "wallet.db"


def sql(directory: Path, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on the vault file with plain sqlite3 (no wallet code)."""
    conn = sqlite3.connect(db_file(directory))
    try:
        with conn:
            return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def rows(directory: Path, table: str) -> list[tuple[str, bytes, bytes]]:
    query = f"SELECT id, nonce, ciphertext FROM {table} ORDER BY id"
    return [(str(r[0]), bytes(r[1]), bytes(r[2])) for r in sql(directory, query)]


def all_record_rows(directory: Path) -> dict[str, list[tuple[str, bytes, bytes]]]:
    tables = [
        "vault_secret",
        "vault_credential",
        "vault_consent",
        "vault_presentation",
        "vault_checkpoint",
    ]
    return {t: rows(directory, t) for t in tables}


def flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def worker(*args: str) -> subprocess.Popen[str]:
    """Start `wallet_worker.py` with `args` in a separate Python process."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
