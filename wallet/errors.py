"""The exception family of `wallet`.

Caller mistakes (an empty passphrase, a grant under someone else's pseudonym) stay
`ValueError`/`TypeError`. What the vault file, a backup or another process does to us is a
`WalletError`, so a front end maps the whole package with one handler. Failures that depend
on a secret are opaque on purpose: a wrong passphrase and a tampered wrapped key (or a
tampered backup) look alike and say only `WrongPassphrase`'s one line.
"""

from __future__ import annotations

__all__ = [
    "CheckpointConflict",
    "IssuanceRejected",
    "NotFound",
    "UnsupportedFormat",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "VaultReplaced",
    "WalletError",
    "WrongPassphrase",
]


class WalletError(Exception):
    """Base class of every error raised by `wallet`."""


class WrongPassphrase(WalletError):
    """The passphrase does not open the key (or the key or backup was tampered with)."""

    def __init__(self, what: str = "key") -> None:
        super().__init__(f"wrong passphrase or corrupted {what}")


class VaultCorrupted(WalletError):
    """The vault or backup file is damaged; the message names where (header field, table
    and record id, truncated file, bad tag). Nothing was written over it."""


class UnsupportedFormat(WalletError):
    """The vault or backup was written by a newer (or unknown) format version."""


class VaultLocked(WalletError):
    """Another process held the wallet's write lock for longer than we agreed to wait."""


class VaultExists(WalletError):
    """Creating or importing would overwrite an existing vault and that was not asked for."""


class VaultReplaced(WalletError):
    """The vault file was replaced (by an import) after this `Wallet` was unlocked."""


class NotFound(WalletError):
    """A record (credential, consent, checkpoint) that the caller named is not there."""


class VaultNotFound(NotFound):
    """There is no vault at the given path."""


class IssuanceRejected(WalletError):
    """An issuance answer does not verify over our holder secret; nothing was stored."""


class CheckpointConflict(WalletError):
    """A ledger showed two different trees of the same size: keep both notes as evidence."""
