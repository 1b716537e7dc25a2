"""`cartera issuer …`: set up an issuer, run its session service, offer credentials.

`init` creates the issuer's home (Ed25519 and BBS keys, name, schemas) and one admin key;
`serve` runs `mobile_api` in the issuer role (registering the key on the ledger at first
start); `offer` asks the running service for a single-use offer and prints its URL and QR
code for the citizen's wallet (`cartera credential receive URL`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from attestations.schemas import Schema
from cli import render
from cli.admin_keys import keys_app
from cli.errors import bad_input, handle_errors
from cli.session_service import (
    EXIT_CODES,
    ApiKey,
    AsJson,
    Home,
    ServiceUrl,
    admin,
    serve_command,
    settings_for,
    show_init,
    show_link,
)
from mobile_api import IssuerIdentity, Role, init_issuer, read_identity
from mobile_api.catalog import BUILTIN_SCHEMAS, attribute_values, parse_schema
from mobile_api.home import admin_key_path, identity_path

app = typer.Typer(
    name="issuer",
    help=f"Issue credentials: an issuer's home, its session service, its offers.\n\n{EXIT_CODES}",
    no_args_is_help=True,
)
app.add_typer(keys_app(Role.ISSUER))

_BUILTINS = ", ".join(sorted(BUILTIN_SCHEMAS))


@app.command(epilog=EXIT_CODES)
@handle_errors
def init(
    name: Annotated[str, typer.Option("--name", help="the issuer's name, shown to citizens")],
    schemas: Annotated[
        list[str] | None,
        typer.Option(
            "--schema",
            metavar="SCHEMA",
            help=f"a schema to issue: a built-in ({_BUILTINS}) or "
            "name:attr=type,… (types: string, integer, date, boolean); repeatable "
            "[resident]",
            show_default=False,
        ),
    ] = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Create the issuer's home: fresh keys, its schemas, one admin API key.

    The key is printed once, and kept in HOME/issuer/admin.key (mode 0600) for the
    commands run on this host.
    """
    try:
        chosen = [parse_schema(spec) for spec in schemas or ["resident"]]
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    settings = settings_for(Role.ISSUER, home)
    try:
        identity, key = init_issuer(settings, name=name, schemas=chosen, now=datetime.now(UTC))
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    shown = {
        "did": identity.key.did,
        "home": settings.role_dir,
        "api_key": key,
        "schemas": [s.name for s in identity.schemas],
    }
    show_init(f"issuer {name}", shown, admin_key_path(settings), as_json)


app.command("serve", epilog=EXIT_CODES)(
    handle_errors(serve_command(Role.ISSUER, port=8471, links="offer URLs"))
)


@app.command(epilog=EXIT_CODES)
@handle_errors
def offer(
    attributes: Annotated[
        list[str],
        typer.Option("--attr", metavar="NAME=VALUE", help="an attribute's value; repeatable"),
    ],
    schema: Annotated[str, typer.Option("--schema", help="schema name or id")] = "resident",
    expiry: Annotated[
        str | None,
        typer.Option("--expiry", metavar="YYYY-MM-DD", help="the credential's expiry [a year]"),
    ] = None,
    ttl: Annotated[
        int | None, typer.Option("--ttl", min=1, help="seconds the offer stays open [600]")
    ] = None,
    url: ServiceUrl = None,
    api_key: ApiKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Create a single-use offer of a credential; print its URL and QR code.

    Values take the types of the schema in the local home; without one, integers and
    true/false are sent as such and anything else as text.
    """
    try:
        day = None if expiry is None else date.fromisoformat(expiry)
        values = attribute_values(attributes, _local_schema(home, schema))
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    with admin(Role.ISSUER, home, url, api_key) as client:
        created = client.create_offer(schema, values, expiry=day, ttl_seconds=ttl)
    show_link(created, "offer", as_json)


def _local_schema(home: Path | None, ref: str) -> Schema | None:
    """Schema `ref` of the issuer's home on this host, if there is one."""
    settings = settings_for(Role.ISSUER, home)
    if not identity_path(settings).exists():
        return None
    identity = read_identity(settings)
    assert isinstance(identity, IssuerIdentity)
    return identity.schema(ref)


@app.command(epilog=EXIT_CODES)
@handle_errors
def status(
    offer_id: Annotated[str, typer.Argument(metavar="OFFER_ID", help="the offer's id")],
    url: ServiceUrl = None,
    api_key: ApiKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Whether an offer is pending, used or expired."""
    with admin(Role.ISSUER, home, url, api_key) as client:
        found = client.offer_status(offer_id)
    if as_json:
        render.emit_json(found.model_dump())
        return
    render.fields(f"offer {found.id}", [(k, v) for k, v in found.model_dump().items() if k != "id"])
