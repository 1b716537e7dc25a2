"""The ledger's HTTP service (docs/ledger-api.md), a FastAPI app built by a factory.

    >>> from ledger.service import create_app
    >>> from ledger.settings import load
    >>> app = create_app(load(home="/tmp/cartera-doctest"))
    >>> [path for path in app.openapi()["paths"] if path.startswith("/v1/entries")]
    ['/v1/entries', '/v1/entries/{index}']

Nothing is opened until the app's lifespan starts (uvicorn, or `app.router.lifespan_context`
in tests): then the key, the database and the sequencer.

Modules: `app` (factory and lifespan), `deps` (typed dependencies, the size-limited
body), `routes` (the `/v1` routes), `reads` (what the GET routes answer), `models` (the
JSON bodies), `problems` (RFC 9457 errors, mapped once).
"""

from ledger.service.app import create_app, open_log

__all__ = ["create_app", "open_log"]
