"""`cartera issuer keys …` and `cartera verifier keys …`: the admin API keys of a
service's home (`mobile_api.keys`), for the operator on the service's host.

One Typer group per role, built by `keys_app`: `list`, `add --label`, `revoke ID_OR_KEY`.
A key is shown once, when added; afterwards it is named by its id.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli import render
from cli.errors import handle_errors
from cli.session_service import AsJson, Home, settings_for
from mobile_api import Role
from mobile_api.keys import KeyInfo, add_key, list_keys, revoke_key

EXIT_CODES = "Exit codes: 0 done, 2 bad input (an unknown or ambiguous id, a bad label)."


def _row(key: KeyInfo) -> dict[str, str]:
    return {**asdict(key), "created_at": render.text(key.created_at)}


def keys_app(role: Role) -> typer.Typer:
    """The `keys` group of `role`'s commands."""
    app = typer.Typer(
        name="keys",
        help=f"The {role.value} service's admin API keys: list, add, revoke.\n\n{EXIT_CODES}",
        no_args_is_help=True,
    )

    @app.command("list", epilog=EXIT_CODES)
    @handle_errors
    def list_(home: Home = None, as_json: AsJson = False) -> None:
        """The admin keys the service accepts: id, label, when added."""
        found = [_row(key) for key in list_keys(settings_for(role, home))]
        if as_json:
            render.emit_json(found)
            return
        rows = [(k["id"], k["label"], k["created_at"]) for k in found]
        render.table(f"{role.value} admin keys", ["id", "label", "added"], rows)
        if not found:
            render.note("no admin key: the admin API refuses everyone (keys add makes one)")

    @app.command(epilog=EXIT_CODES)
    @handle_errors
    def add(
        label: Annotated[
            str, typer.Option("--label", help="who or what holds it, e.g. 'front desk'")
        ],
        home: Home = None,
        as_json: AsJson = False,
    ) -> None:
        """Make a new admin key; it is shown this once."""
        key, info = add_key(settings_for(role, home), label=label, now=datetime.now(UTC))
        if as_json:
            render.emit_json({"api_key": key, **_row(info)})
            return
        render.fields(f"admin key {info.id}", [("api key", key), ("label", info.label)])
        render.note("the key is shown once: hand it over now (the service keeps its hash)")

    @app.command(epilog=EXIT_CODES)
    @handle_errors
    def revoke(
        ref: Annotated[
            str, typer.Argument(metavar="ID_OR_KEY", help="the key's id (keys list) or the key")
        ],
        home: Home = None,
        as_json: AsJson = False,
    ) -> None:
        """Revoke an admin key: the running service refuses it from its next request."""
        info = revoke_key(settings_for(role, home), ref)
        if as_json:
            render.emit_json(_row(info))
            return
        render.say(f"revoked admin key {info.id} ({info.label})")

    return app
