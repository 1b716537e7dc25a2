"""`cartera verifier …`: set up a verifier, run its session service, ask for attributes.

`init` creates the verifier's home (its Ed25519 key, name, purposes, contact, trusted
issuers) and one admin key; `serve` runs `mobile_api` in the verifier role (registering it
on the ledger at first start); `request` asks the running service for a signed
presentation request (attributes to disclose, predicates to prove in the syntax of
`cli.predicate_syntax`, `--min-age N` as today's birthdate bound) and prints its URL and
QR code for the citizen's wallet (`cartera present URL`); `result` shows how the checks of
the answer ended.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from cli import render
from cli.admin_keys import keys_app
from cli.errors import EXIT_CHECK_FAILED, bad_input, handle_errors
from cli.predicate_syntax import minimum_age, parse_predicate
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
from mobile_api import Role, init_verifier
from mobile_api.home import admin_key_path
from mobile_api.models import RequestResult
from policies import Purpose

app = typer.Typer(
    name="verifier",
    help="Verify presentations: a verifier's home, its session service, its requests."
    f"\n\n{EXIT_CODES}",
    no_args_is_help=True,
)
app.add_typer(keys_app(Role.VERIFIER))

_SERVICE = Purpose.SERVICE_PROVISION.value
RESULT_CODES = (
    "Exit codes: 0 the answer was accepted, or none came yet; 1 the answer was refused; "
    "2 bad input, a wrong API key, an unknown request; 3 the service could not be reached."
)


@app.command(epilog=EXIT_CODES)
@handle_errors
def init(
    name: Annotated[str, typer.Option("--name", help="the service's name, shown to citizens")],
    purposes: Annotated[
        list[str] | None,
        typer.Option(
            "--purpose",
            metavar="DPV_TERM",
            help=f"a purpose it asks data for; repeatable [{_SERVICE}]",
            show_default=False,
        ),
    ] = None,
    trusted: Annotated[
        list[str] | None,
        typer.Option(
            "--trust",
            metavar="ISSUER_DID",
            help="an issuer whose credentials it accepts; repeatable",
            show_default=False,
        ),
    ] = None,
    contact: Annotated[
        str, typer.Option("--contact", help="how citizens reach its data protection officer")
    ] = "not given",
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Create the verifier's home: a fresh key, its purposes, trusted issuers, an admin key.

    The key is printed once, and kept in HOME/verifier/admin.key (mode 0600) for the
    commands run on this host.
    """
    settings = settings_for(Role.VERIFIER, home)
    try:
        identity, key = init_verifier(
            settings,
            name=name,
            purposes=purposes or [_SERVICE],
            contact=contact,
            trusted_issuers=trusted or [],
            now=datetime.now(UTC),
        )
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    shown = {
        "did": identity.key.did,
        "home": settings.role_dir,
        "api_key": key,
        "purposes": identity.purposes,
        "trusted_issuers": identity.trusted_issuers,
    }
    show_init(f"verifier {name}", shown, admin_key_path(settings), as_json)


app.command("serve", epilog=EXIT_CODES)(
    handle_errors(serve_command(Role.VERIFIER, port=8472, links="request URLs"))
)


@app.command(epilog=EXIT_CODES)
@handle_errors
def request(
    attributes: Annotated[
        list[str] | None,
        typer.Option("--attr", metavar="NAME", help="an attribute to disclose; repeatable"),
    ] = None,
    predicates: Annotated[
        list[str] | None,
        typer.Option(
            "--predicate",
            "-p",
            metavar="CONDITION",
            help="a condition proven without the value, e.g. 'district in Gràcia,Sants' or "
            "'birthdate <= 2008-11-22'; repeatable",
            show_default=False,
        ),
    ] = None,
    min_age: Annotated[
        int | None,
        typer.Option(
            "--min-age",
            metavar="YEARS",
            min=0,
            max=150,
            help="the citizen is at least YEARS old today: birthdate <= today − YEARS",
        ),
    ] = None,
    schema: Annotated[str, typer.Option("--schema", help="schema name or id")] = "resident",
    purpose: Annotated[str, typer.Option("--purpose", metavar="DPV_TERM")] = _SERVICE,
    trusted: Annotated[
        list[str] | None,
        typer.Option(
            "--trust",
            metavar="ISSUER_DID",
            help="accept this issuer; repeatable [the configured ones]",
            show_default=False,
        ),
    ] = None,
    ttl: Annotated[
        int | None, typer.Option("--ttl", min=1, help="seconds the request stays open [300]")
    ] = None,
    prove_expiry: Annotated[
        bool,
        typer.Option(
            "--prove-expiry",
            help="the credential is proven valid through the request's last day instead of "
            "showing its expiry date (a date could link the citizen across services)",
        ),
    ] = False,
    url: ServiceUrl = None,
    api_key: ApiKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Create a signed presentation request; print its URL and QR code.

    It asks for attributes to disclose (--attr), conditions proven without disclosing
    the value (--predicate, --min-age), or both; --prove-expiry hides the expiry date too.
    """
    try:
        Purpose(purpose)
    except ValueError:
        raise bad_input(f"purpose {purpose!r} is not a known DPV term") from None
    proven = [parse_predicate(text) for text in predicates or []]
    if min_age is not None:
        proven.append(minimum_age(min_age))
    if not (attributes or proven):
        raise bad_input("ask for something: --attr, --predicate or --min-age")
    with admin(Role.VERIFIER, home, url, api_key) as client:
        created = client.create_request(
            schema, attributes or [], purpose=purpose, predicates=proven,
            trusted_issuers=trusted, ttl_seconds=ttl, prove_expiry=prove_expiry,
        )  # fmt: skip
    show_link(created, "request", as_json)


@app.command(epilog=RESULT_CODES)
@handle_errors
def result(
    request_id: Annotated[str, typer.Argument(metavar="REQUEST_ID", help="the request's id")],
    url: ServiceUrl = None,
    api_key: ApiKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """How a request stands: pending, checking, accepted (what was disclosed, under which
    grant, where the access is recorded), refused (which check, why) or expired."""
    with admin(Role.VERIFIER, home, url, api_key) as client:
        found = client.request_result(request_id)
    if as_json:
        render.emit_json(found.model_dump(mode="json"))
    else:
        render.fields(f"request {found.id}", _result_fields(found))
    if found.status == "refused":
        raise typer.Exit(EXIT_CHECK_FAILED)


def _result_fields(found: RequestResult) -> list[tuple[str, object]]:
    """The result for people: the fields that apply, disclosed values as name=value."""
    shown: list[tuple[str, object]] = [("status", found.status), ("expires at", found.expires_at)]
    if found.answered_at is not None:
        shown.append(("answered at", found.answered_at))
    if found.check is not None or found.reason is not None:
        shown += [("check", found.check), ("reason", found.reason), ("detail", found.detail)]
    if found.disclosed is not None:
        shown.append(("disclosed", ", ".join(f"{k}={v}" for k, v in found.disclosed.items())))
    if found.proven:
        shown.append(("proven", ", ".join(p.describe() for p in found.proven)))
    if found.grant is not None:
        shown.append(("grant", found.grant))
    if found.access is not None:
        where = f"ledger entry {found.access.index} (tree size {found.access.tree_size})"
        shown.append(("access", where))
    return shown
