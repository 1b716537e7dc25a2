"""The citizen's wallet as one object: create or unlock it, then use its collections.

    wallet = create(path, passphrase)          # or unlock(path, passphrase)
    request, state = wallet.credentials.begin(issuer_public_key, schema)
    stored = wallet.credentials.receive(state, issuer_answer)
    shown = wallet.present(stored.id, disclose=["district"], verifier_id=v, nonce=n,
                           predicates=[adult])   # policies predicates: proven, not shown
    with wallet.transaction():                 # several writes, all or nothing
        ...

`path` is the vault directory (`None`: `default_path()`, under `CARTERA_HOME`). Unlocking
costs one Argon2id run with the limits the vault was made with (MODERATE by default).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from attestations.credentials import HolderSecret, Presentation, present
from attestations.errors import AttestationError
from policies import OrgKey, PolicyError, Predicate, utc_seconds
from wallet import backup
from wallet.contents import Consents, Credentials
from wallet.crypto import KdfParams, VaultKeys
from wallet.errors import NotFound, VaultCorrupted
from wallet.header import Header
from wallet.history import Checkpoints, Presentations
from wallet.identity import IDENTITY_ID, IDENTITY_TABLE, Identity
from wallet.lock import DEFAULT_LOCK_TIMEOUT
from wallet.predicates import statements
from wallet.vault import (
    Vault,
    default_path,
    install,
    open_vault,
    open_with_keys,
)

__all__ = ["Wallet", "WalletInfo", "create", "import_backup", "unlock"]


@dataclass(frozen=True)
class WalletInfo:
    """What `cartera wallet info` shows: nothing secret."""

    path: Path
    format_version: int
    kdf: KdfParams
    created_at: datetime.datetime
    device_did: str
    credentials: int
    consents: int
    presentations: int
    checkpoints: int


class Wallet:
    """An unlocked wallet. Build with `create` or `unlock`; `close` (or `with`) when done."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        with vault.reading() as conn:
            payload = vault.get(conn, IDENTITY_TABLE, IDENTITY_ID)
        if payload is None:
            raise VaultCorrupted(f"{IDENTITY_TABLE}: the identity record is missing")
        try:
            self._identity = Identity.from_payload(payload)
        except (AttestationError, PolicyError, ValueError) as exc:
            raise VaultCorrupted(f"{IDENTITY_TABLE}: identity record: {exc}") from None
        self.credentials = Credentials(vault, self._identity)
        self.consents = Consents(vault, self._identity)
        self.presentations = Presentations(vault, self._identity)
        self.checkpoints = Checkpoints(vault, self._identity)

    @property
    def path(self) -> Path:
        return self._vault.directory

    @property
    def holder_secret(self) -> HolderSecret:
        return self._identity.holder_secret

    @property
    def device_key(self) -> OrgKey:
        return self._identity.device_key

    def pseudonym(self, verifier_id: str) -> bytes:
        """This wallet's pseudonym P_v at `verifier_id`."""
        return self._identity.pseudonym(verifier_id)

    def present(
        self,
        credential: str,
        *,
        disclose: Sequence[str],
        verifier_id: str,
        nonce: bytes,
        predicates: Sequence[Predicate] = (),
        purpose: str | None = None,
        grant_id: str | None = None,
        now: datetime.datetime | None = None,
    ) -> Presentation:
        """Build a presentation of credential `credential` (id or unique prefix) for
        `verifier_id` that discloses `disclose` (and `expiry`) and proves `predicates` on
        other attributes, and record both; the caller decided it may be shown (policy and
        ledger checks come before this call). ValueError for a predicate that does not fit
        the schema, is on a disclosed attribute, or is false for this credential."""
        stored = self.credentials.get(credential)
        shown = present(
            stored.credential,
            self.holder_secret,
            disclose=disclose,
            verifier_id=verifier_id,
            nonce=nonce,
            predicates=statements(predicates, stored.schema),
        )
        self.presentations.record(
            verifier=verifier_id,
            credential_id=stored.id,
            disclosed=tuple(shown.disclosed),
            presentation=shown.to_json(),
            predicates=predicates,
            purpose=purpose,
            grant_id=grant_id,
            now=now,
        )
        return shown

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all of them are stored, or (on an exception, or if the process
        dies) none. Holds the wallet's write lock for the whole block."""
        with self._vault.writing():
            yield

    def change_passphrase(
        self, old: str | bytes, new: str | bytes, *, kdf: KdfParams | None = None
    ) -> None:
        """Re-wrap the data key under `new` (with `kdf`, or the limits in use)."""
        self._vault.change_passphrase(old, new, kdf or self._vault.header.params)

    def export_backup(
        self,
        destination: Path,
        passphrase: str | bytes,
        *,
        kdf: KdfParams = KdfParams.MODERATE,
        overwrite: bool = False,
    ) -> None:
        """Write an encrypted backup file (see `wallet.backup`)."""
        backup.export_backup(self._vault, destination, passphrase, kdf=kdf, overwrite=overwrite)

    def verify(self) -> None:
        """Open every record; `VaultCorrupted` listing each one that does not open."""
        problems = self._vault.problems()
        if problems:
            raise VaultCorrupted("; ".join(problems))

    def info(self) -> WalletInfo:
        header = self._vault.header
        return WalletInfo(
            path=self.path,
            format_version=header.format_version,
            kdf=header.params,
            created_at=self._identity.created_at,
            device_did=self.device_key.did,
            credentials=self.credentials.count(),
            consents=self.consents.count(),
            presentations=self.presentations.count(),
            checkpoints=self.checkpoints.count(),
        )

    def close(self) -> None:
        self._vault.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Wallet({str(self.path)!r})"


def create(
    path: Path | None,
    passphrase: str | bytes,
    *,
    kdf: KdfParams = KdfParams.MODERATE,
    now: datetime.datetime | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Wallet:
    """A new wallet at `path`: fresh holder secret, device key and data key, written whole
    or not at all. `VaultExists` if there is one already."""
    directory = path or default_path()
    created = utc_seconds(now or datetime.datetime.now(datetime.UTC))
    identity = Identity.generate(created)
    keys = VaultKeys.generate()
    header = Header.wrap(keys, passphrase, kdf)
    row = keys.seal_record(IDENTITY_TABLE, IDENTITY_ID, identity.payload())
    install(directory, header, {IDENTITY_TABLE: [row]}, lock_timeout=lock_timeout)
    return unlock_with_keys(directory, keys, lock_timeout=lock_timeout)


def unlock(
    path: Path | None, passphrase: str | bytes, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Wallet:
    """Open the wallet at `path`. `VaultNotFound`, `WrongPassphrase` (one line, nothing
    more), `VaultCorrupted` (naming what), `UnsupportedFormat`."""
    vault = open_vault(path or default_path(), passphrase, lock_timeout=lock_timeout)
    try:
        return Wallet(vault)
    except BaseException:
        vault.close()
        raise


def unlock_with_keys(directory: Path, keys: VaultKeys, *, lock_timeout: float) -> Wallet:
    """Open a vault whose data key is already at hand (just created): no second KDF run."""
    return Wallet(open_with_keys(directory, keys, lock_timeout=lock_timeout))


def import_backup(
    source: Path,
    path: Path | None,
    passphrase: str | bytes,
    *,
    overwrite: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Restore backup `source` (opened with its backup `passphrase`) as the wallet at `path`;
    unlock it afterwards with the vault passphrase it had when exported."""
    directory = path or default_path()
    if not source.is_file():
        raise NotFound(f"no backup file {source}")
    backup.import_backup(
        source, directory, passphrase, overwrite=overwrite, lock_timeout=lock_timeout
    )
