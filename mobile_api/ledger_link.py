"""The service's tie to the ledger: whose log it trusts, and its registration there.

Trust: the ledger's C2SP verifier key is `ledger_key` when set; otherwise the key kept in
`home/<role>/ledger-key`; otherwise, at first contact, the key the ledger announces, which
is then kept (trust on first use, said in the log). The last checkpoint trusted is kept in
`home/<role>/ledger-checkpoint` by `ledger.client`, which moves it forward only over a
consistency proof: a ledger that shows this service two views is caught.

Registration (at every start; nothing is appended when it is there already):
- an issuer needs a registration of its BBS key, live now, not revoked, listing every
  schema it issues; it appends `issuer.register` (the schemas in full, valid
  `REGISTRATION_DAYS` from now) if its key has none, and refuses to start if the key's
  registration is revoked, lapsed, or lacks a schema (a key registers only once);
- a verifier appends `verifier.register` unless its did has one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ledger.client import LedgerClient, announced_log
from ledger.errors import LedgerError, NotFound
from ledger.note import VerifierKey
from mobile_api.errors import SettingsError
from mobile_api.home import IssuerIdentity, VerifierIdentity
from mobile_api.settings import SessionSettings
from policies import (
    Ciphersuite,
    SchemaRef,
    sign_issuer_register,
    sign_verifier_register,
)

__all__ = ["REGISTRATION_DAYS", "connect", "register"]

REGISTRATION_DAYS = 5 * 365
_log = logging.getLogger("mobile_api")


def connect(settings: SessionSettings) -> LedgerClient:
    """A verifying client of the settings' ledger, its checkpoint brought up to date
    (`LedgerError` naming the ledger if it cannot be reached or does not check out)."""
    key = _ledger_key(settings)
    client = LedgerClient(
        settings.ledger_url,
        log_key=key,
        origin=settings.ledger_origin or key.name,
        state_path=settings.role_dir / "ledger-checkpoint",
    )
    try:
        client.checkpoint()
    except BaseException:
        client.close()
        raise
    return client


def _ledger_key(settings: SessionSettings) -> VerifierKey:
    if settings.ledger_key is not None:
        return VerifierKey.from_text(settings.ledger_key)
    path = settings.role_dir / "ledger-key"
    if path.exists():
        try:
            return VerifierKey.from_text(path.read_text(encoding="ascii").strip())
        except (LedgerError, ValueError) as exc:
            raise SettingsError(f"{path}: not a C2SP verifier key ({exc})") from None
    key = announced_log(settings.ledger_url).verifier_key
    _log.warning("first contact with ledger %s: trusting its key %s", settings.ledger_url,
                 key.to_text())  # fmt: skip
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(key.to_text() + "\n", encoding="ascii")
    return key


def register(
    client: LedgerClient, identity: IssuerIdentity | VerifierIdentity, *, now: datetime
) -> int | None:
    """Make sure the identity's registration is on the ledger; the index of the entry
    appended, or None when it was there already."""
    if isinstance(identity, IssuerIdentity):
        return _register_issuer(client, identity, now)
    return _register_verifier(client, identity, now)


def _register_issuer(client: LedgerClient, identity: IssuerIdentity, now: datetime) -> int | None:
    did, public = identity.key.did, identity.bbs.public_key().to_bytes()
    try:
        keys = client.issuer(did)
    except NotFound:
        keys = []
    mine = next((k for k in keys if k.public_key == public), None)
    if mine is None:
        entry = sign_issuer_register(
            identity.key, name=identity.name, public_key=public,
            ciphersuite=Ciphersuite.SHA256,
            schemas=[SchemaRef(id=s.schema_id, definition=s) for s in identity.schemas],
            valid_from=now, valid_until=now + timedelta(days=REGISTRATION_DAYS), created_at=now,
        )  # fmt: skip
        return client.append(entry.to_json()).index
    registration, where = (
        mine.registration.document,
        f"issuer {did} (entry {mine.registration.index})",
    )
    if mine.revocation is not None and mine.revocation.document.effective_at <= now:
        raise SettingsError(
            f"{where}: the ledger says this BBS key is revoked; a new home is needed"
        )
    if not registration.valid_from <= now < registration.valid_until:
        raise SettingsError(f"{where}: the key's registration is not valid now")
    listed = {ref.id for ref in registration.schemas}
    missing = [s.name for s in identity.schemas if s.schema_id not in listed]
    if missing:
        raise SettingsError(f"{where}: the key is not registered for schemas {missing}")
    return None


def _register_verifier(
    client: LedgerClient, identity: VerifierIdentity, now: datetime
) -> int | None:
    try:
        client.verifier(identity.key.did)
        return None
    except NotFound:
        pass
    entry = sign_verifier_register(
        identity.key, name=identity.name, purposes=identity.purposes,
        contact=identity.contact, created_at=now,
    )  # fmt: skip
    return client.append(entry.to_json()).index
