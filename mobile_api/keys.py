"""Admin API keys of a service's home, for its operator: add, list, revoke.

`init` makes the first key; an operator adds one per person or script that administers
the service, and revokes a key that leaked or whose holder left. The store keeps only the
SHA-256 of each key (`mobile_api.auth`), so a key is shown once, when it is added, and is
named afterwards by the first hex digits of its hash (`KeyInfo.id`) or by its own text.
Changes act at once on a running service: it looks every request's key up in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from mobile_api.auth import hash_api_key, new_api_key, valid_api_key
from mobile_api.errors import SettingsError
from mobile_api.settings import SessionSettings
from mobile_api.store import ApiKeyRow, add_api_key, api_keys, open_store, remove_api_key

__all__ = ["ID_DIGITS", "KeyInfo", "add_key", "list_keys", "revoke_key"]

#: Hex digits of a key's hash that name it (enough to tell keys apart, never the key).
ID_DIGITS = 12


@dataclass(frozen=True)
class KeyInfo:
    """What the store knows of a key: its id (a hash prefix), label and creation time."""

    id: str
    label: str
    created_at: datetime

    @classmethod
    def of(cls, row: ApiKeyRow) -> KeyInfo:
        return cls(row.key_hash[:ID_DIGITS], row.label, datetime.fromtimestamp(row.created_at, UTC))


@contextmanager
def _store(settings: SessionSettings) -> Iterator[Engine]:
    engine = open_store(settings.url)
    try:
        yield engine
    finally:
        engine.dispose()


def add_key(settings: SessionSettings, *, label: str, now: datetime) -> tuple[str, KeyInfo]:
    """A new admin key (its text, to hand over once) and what the store keeps of it."""
    label = label.strip()
    if not 0 < len(label) <= 200:
        raise SettingsError("a key's label: 1 to 200 characters (who or what holds it)")
    key, at = new_api_key(), int(now.timestamp())
    key_hash = hash_api_key(key)
    with _store(settings) as engine:
        add_api_key(engine, key_hash=key_hash, label=label, now=at)
    return key, KeyInfo(key_hash[:ID_DIGITS], label, datetime.fromtimestamp(at, UTC))


def list_keys(settings: SessionSettings) -> list[KeyInfo]:
    """The service's admin keys, oldest first."""
    with _store(settings) as engine:
        return [KeyInfo.of(row) for row in api_keys(engine)]


def revoke_key(settings: SessionSettings, ref: str) -> KeyInfo:
    """Forget the key `ref` names: its text, or its id (`SettingsError` if it names no key,
    or more than one)."""
    ref = ref.strip()
    if valid_api_key(ref):
        prefix = hash_api_key(ref)  # the whole hash: that key only
    elif len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref):
        prefix = ref
    else:
        raise SettingsError(f"{ref!r}: give a key (cak_…) or its id (hex, as keys list shows)")
    with _store(settings) as engine:
        found = [row for row in api_keys(engine) if row.key_hash.startswith(prefix)]
        if not found:
            raise SettingsError(f"no admin key {ref!r} in this service's store")
        if len(found) > 1:
            raise SettingsError(f"{ref!r} names {len(found)} keys: give more of the id")
        remove_api_key(engine, key_hash=found[0].key_hash)
    return KeyInfo.of(found[0])
