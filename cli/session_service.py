"""What `cartera issuer …` and `cartera verifier …` share: their options, `serve`, the
admin client, and how a new offer or request is shown.

A session service's settings are `mobile_api.settings` (CARTERA_SESSIONS_* and
CARTERA_HOME); the options here override them. Admin commands reach the running service
at `--url` (default: where `serve` listens with the same settings) with the admin key from
`--api-key`, else `CARTERA_API_KEY`, else the key file `init` wrote in the home.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from mobile_api import AdminClient, Role, SessionSettings, admin_key, load
from mobile_api.models import OfferCreated, RequestCreated

__all__ = [
    "EXIT_CODES",
    "ApiKey",
    "AsJson",
    "Home",
    "ServiceUrl",
    "admin",
    "run_service",
    "settings_for",
    "show_link",
]

EXIT_CODES = (
    "Exit codes: 0 done; 1 the service refused (a check failed, an offer used or expired); "
    "2 bad input (options, settings, home files, a wrong API key, an unknown id, values the "
    "service refused); 3 the service or the ledger could not be reached."
)

Home = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="CARTERA_HOME",
        file_okay=False,
        help="Cartera's data directory; the service's home is HOME/issuer or HOME/verifier",
        show_default=False,
    ),
]
ServiceUrl = Annotated[
    str | None,
    typer.Option(
        "--url", help="the running service's base URL [http://127.0.0.1:PORT]", show_default=False
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="CARTERA_API_KEY",
        help="the admin API key (else the one `init` kept in the home)",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document instead")]


def settings_for(role: Role, home: Path | None, **overrides: Any) -> SessionSettings:
    return load(role=role, home=home, **overrides)


@contextmanager
def admin(
    role: Role, home: Path | None, url: str | None, api_key: str | None
) -> Iterator[AdminClient]:
    """A client of the running service, authenticated as its admin."""
    settings = settings_for(role, home)
    with AdminClient(url or settings.base_url, api_key=admin_key(settings, api_key)) as client:
        yield client


def run_service(role: Role, home: Path | None, **overrides: Any) -> None:
    """Check that the service can start (home, database, ledger, registration), say so,
    then serve it under uvicorn until interrupted."""
    import uvicorn

    from mobile_api import create_app, start

    settings = settings_for(role, home, **overrides)
    started = start(settings, now=datetime.now(UTC))
    started.close()
    registered = (
        f"registered at ledger entry {started.registered}"
        if started.registered is not None
        else "registration found on the ledger"
    )
    render.fields(
        f"{role.value} {started.identity.name}",
        [
            ("did", started.identity.key.did),
            ("ledger", f"{settings.ledger_url} ({registered})"),
            ("database", settings.url),
            ("public URL", settings.base_url),
            ("listening on", f"http://{settings.host}:{settings.listen_port}"),
        ],
    )
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.listen_port, log_level="warning")


def serve_command(role: Role, *, port: int, links: str) -> Callable[..., None]:
    """The `serve` command of `role`'s group (the issuer's and the verifier's differ only
    in their role, default port and what their links are)."""

    def serve(
        host: str | None = None,
        port: int | None = None,
        public_url: str | None = None,
        db: str | None = None,
        ledger: str | None = None,
        home: Path | None = None,
    ) -> None:
        run_service(role, home, host=host, port=port, public_url=public_url,
                    database_url=db, ledger_url=ledger)  # fmt: skip

    # Typer reads the options from the annotations; these name this role's port and links
    # (set as objects: the module's string annotations cannot see this function's locals).
    serve.__annotations__ = {
        "host": Annotated[str | None, typer.Option(help="address to listen on [127.0.0.1]")],
        "port": Annotated[int | None, typer.Option(help=f"port [{port}]")],
        "public_url": Annotated[
            str | None, typer.Option("--public-url", help=f"what {links} and QR codes point at")
        ],
        "db": Annotated[str | None, typer.Option("--db", help="sqlite:///file or postgresql://…")],
        "ledger": Annotated[
            str | None,
            typer.Option("--ledger", envvar="CARTERA_LEDGER_URL", help="the ledger's URL"),
        ],
        "home": Home,
        "return": None,
    }
    serve.__doc__ = (
        f"Run the {role.value}'s session service (settings: CARTERA_SESSIONS_* and CARTERA_HOME)."
    )
    return serve


def show_init(title: str, shown: dict[str, Any], kept_in: Path, as_json: bool) -> None:
    """What `init` made, with the admin key shown this once (and where it is kept)."""
    if as_json:
        render.emit_json(shown)
        return
    render.fields(title, list(shown.items()))
    render.note(f"the admin key is shown once; it is also kept in {kept_in}")


def show_link(created: OfferCreated | RequestCreated, what: str, as_json: bool) -> None:
    """A new offer's or request's URL and QR code (or, with --json, the whole answer)."""
    if as_json:
        render.emit_json(created.model_dump())
        return
    render.say(f"{what} {created.id}, valid until {created.expires_at}")
    render.say(created.url)
    print(created.qr_text, end="", flush=True)
