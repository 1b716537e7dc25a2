"""The HTTP face of issuers and verifiers: issuance and verification sessions (FastAPI).

One app factory serves one role per process (docs/sessions-api.md fixes the wire):

    >>> import datetime, tempfile
    >>> from mobile_api import create_app, init_issuer, load
    >>> from mobile_api.catalog import RESIDENT
    >>> settings = load(role="issuer", home=tempfile.mkdtemp())
    >>> now = datetime.datetime.now(datetime.UTC)
    >>> identity, api_key = init_issuer(settings, name="Padró", schemas=[RESIDENT], now=now)
    >>> api_key.startswith("cak_"), identity.key.did.startswith("did:key:z6Mk")
    (True, True)
    >>> app = create_app(settings)          # nothing opened until its lifespan starts
    >>> sorted(p for p in app.openapi()["paths"] if "offers" in p)
    ['/v1/issuer/offers', '/v1/issuer/offers/{offer_id}', '/v1/offers/{token}']

At start (uvicorn, or `app.router.lifespan_context` in tests) the service reads its home,
opens its database, connects to the ledger (`ledger_url`; its key trusted on first use)
and registers there. `AdminClient` is the admins' client of a running service (what
`cartera issuer offer` and `cartera verifier request` use).

Modules: `settings` (CARTERA_SESSIONS_*), `home` (identity files, `init_*`), `store`
(tables, single use), `issuer` and `verifier` (the sessions), `checks` (a verifier's
checks, in order), `routes`, `app`, `problems`, `limits` (body size, rate), `auth`
(admin keys), `ledger_link` (trust and registration), `admin` (the admin client).

Everything below is imported on first use (PEP 562), so that `import mobile_api.errors`
(what the CLI's error mapping needs) does not load FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobile_api.admin import AdminClient, admin_key
    from mobile_api.app import create_app, start
    from mobile_api.errors import ServiceRefused, ServiceUnavailable, SessionError, SettingsError
    from mobile_api.home import (
        IssuerIdentity,
        VerifierIdentity,
        init_issuer,
        init_verifier,
        read_identity,
    )
    from mobile_api.settings import Role, SessionSettings, load

_HOMES = {
    "mobile_api.admin": ["AdminClient", "admin_key"],
    "mobile_api.app": ["create_app", "start"],
    "mobile_api.errors": ["ServiceRefused", "ServiceUnavailable", "SessionError", "SettingsError"],
    "mobile_api.home": [
        "IssuerIdentity",
        "VerifierIdentity",
        "init_issuer",
        "init_verifier",
        "read_identity",
    ],
    "mobile_api.settings": ["Role", "SessionSettings", "load"],
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AdminClient",
    "IssuerIdentity",
    "Role",
    "ServiceRefused",
    "ServiceUnavailable",
    "SessionError",
    "SessionSettings",
    "SettingsError",
    "VerifierIdentity",
    "admin_key",
    "create_app",
    "init_issuer",
    "init_verifier",
    "load",
    "read_identity",
    "start",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mobile_api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
