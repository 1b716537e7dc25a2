"""The three parties of a session on loopback, with no configuration: a ledger, an issuer
and a verifier, each a real service over HTTP on a 127.0.0.1 port the kernel picks, each
with its home under one directory. `cartera demo` tells its story on this stage; the
end-to-end tests play theirs on it.

    with stage(directory, Cast()) as world:
        world.ledger_url, world.issuer.url, world.verifier.url
        world.issuer.admin().create_offer("resident", {...})

The issuer and the verifier register themselves on the ledger as they start (their own
lifespans do it, as under `cartera issuer serve`); the verifier trusts the issuer. Each
service pins the ledger's key, read from the operator's key file: nobody trusts on first
use here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from attestations.schemas import Schema
from cli.loopback import Bound, loopback_socket, serve
from ledger.note import SignerKey
from ledger.service import create_app as ledger_app
from ledger.settings import load as ledger_settings
from mobile_api import (
    AdminClient,
    Role,
    SessionSettings,
    create_app,
    init_issuer,
    init_verifier,
    read_identity,
)
from mobile_api import load as session_settings
from mobile_api.catalog import RESIDENT
from policies import Purpose

__all__ = ["Cast", "Party", "World", "stage"]


@dataclass(frozen=True)
class Cast:
    """Who plays: the issuer's name and schemas, the verifier's name, purposes, contact."""

    issuer_name: str = "Ajuntament de Barcelona: Padró Municipal d'Habitants"
    schemas: tuple[Schema, ...] = (RESIDENT,)
    verifier_name: str = "Bicing (bike sharing)"
    purposes: tuple[Purpose, ...] = (Purpose.SERVICE_PROVISION,)
    contact: str = "dpo@bicing.example"
    rate_limit_per_minute: int = 120


@dataclass(frozen=True)
class Party:
    """A running session service: where it listens, its did, and its admin key."""

    url: str
    did: str
    admin_key: str
    home: Path

    def admin(self) -> AdminClient:
        return AdminClient(self.url, api_key=self.admin_key)


@dataclass(frozen=True)
class World:
    """The running stage."""

    directory: Path
    ledger_url: str
    ledger_key: str
    """The ledger's C2SP verifier key (text), as its operator's key file holds it."""
    issuer: Party
    verifier: Party


@contextmanager
def stage(directory: Path, cast: Cast | None = None) -> Iterator[World]:
    """Start the ledger, then the issuer, then the verifier (each registers on the
    ledger); stop them in reverse order when the block ends."""
    cast = cast or Cast()
    now = datetime.datetime.now(datetime.UTC)
    with ExitStack() as stack:
        # 1. The ledger: its operator key is made at its first start. A handful of entries
        #    are checked in its own process (worker processes would cost more to start).
        bound = stack.enter_context(loopback_socket())
        operator = ledger_settings(home=directory, port=bound.port, workers=0)
        ledger_url = stack.enter_context(serve(ledger_app(operator), bound, name="ledger"))
        key = SignerKey.from_text(operator.key_path.read_text().strip()).verifier().to_text()

        def settings_for(role: Role, bound: Bound) -> SessionSettings:
            return session_settings(
                role=role, home=directory, port=bound.port, ledger_url=ledger_url,
                ledger_key=key, rate_limit_per_minute=cast.rate_limit_per_minute,
            )  # fmt: skip

        def party(settings: SessionSettings, admin_key: str, bound: Bound) -> Party:
            app = create_app(settings)
            url = stack.enter_context(serve(app, bound, name=settings.role.value))
            return Party(url, read_identity(settings).key.did, admin_key, settings.role_dir)

        # 2. The issuer.
        bound = stack.enter_context(loopback_socket())
        settings = settings_for(Role.ISSUER, bound)
        _, admin_key = init_issuer(settings, name=cast.issuer_name, schemas=cast.schemas, now=now)
        issuer = party(settings, admin_key, bound)
        # 3. The verifier, which trusts that issuer.
        bound = stack.enter_context(loopback_socket())
        settings = settings_for(Role.VERIFIER, bound)
        _, admin_key = init_verifier(
            settings, name=cast.verifier_name, purposes=cast.purposes, contact=cast.contact,
            trusted_issuers=[issuer.did], now=now,
        )  # fmt: skip
        verifier = party(settings, admin_key, bound)
        yield World(directory, ledger_url, key, issuer, verifier)
