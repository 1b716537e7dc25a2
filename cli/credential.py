"""`cartera credential …`: receive credentials from issuers' offers, and read those kept
in the wallet, with their typed values.

`receive` answers an issuance offer (`wallet.sessions`: the offer's signature and expiry,
the issuer's registration of its key on the ledger, then blind issuance, the signature
checked over the holder secret before the credential is kept); `list` and `show` only
read. A credential is named by its id (`sha256:` + hex of its JSON) or a unique prefix of
at least 8 hex digits.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer

from attestations.schemas import Schema
from cli import render
from cli.errors import handle_errors
from cli.on_ledger import DEFAULT_LEDGER, LedgerUrl, LogKey, ledger_of
from cli.passphrase import AsJson, Home, PassphraseFile, unlocked
from wallet import StoredCredential
from wallet.session_http import SessionHttp
from wallet.sessions import fetch_offer, receive_offer

EXIT_CODES = (
    "Exit codes: 0 done; 1 a check failed or the issuer refused; 2 no wallet, wrong "
    "passphrase, unknown id, expired offer; 3 locked, or a service could not be reached."
)

app = typer.Typer(
    name="credential",
    help=f"Receive credentials, and read those kept in your wallet.\n\n{EXIT_CODES}",
    no_args_is_help=True,
)


def issuer_name(stored: StoredCredential) -> str:
    """The start of the issuer's BBS public key (base64url), enough for people to tell
    issuers apart; `--json` has the whole key."""
    return render.text(stored.credential.issuer.to_bytes())[:16] + "…"


def _types(schema: Schema) -> dict[str, str]:
    return {attribute.name: str(attribute.type) for attribute in schema.attributes}


def _as_json(stored: StoredCredential, today: datetime.date, *, full: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": stored.id,
        "label": stored.label,
        "schema": {"id": stored.schema.schema_id, "name": stored.schema.name},
        "issuer": stored.credential.issuer.to_bytes(),
        "expiry": stored.expiry,
        "expired": stored.is_expired(today),
        "received_at": stored.received_at,
    }
    if full:
        types = _types(stored.schema)
        shown["attributes"] = [
            {"name": name, "type": types[name], "value": value}
            for name, value in stored.attributes.items()
        ]
    return shown


@app.command(
    "list", epilog="Exit codes: 0 listed (perhaps none); 2 no wallet or wrong passphrase; 3 locked."
)
@handle_errors
def list_(
    home: Home = None, passphrase_file: PassphraseFile = None, as_json: AsJson = False
) -> None:
    """List the credentials in the wallet: id, schema, issuer, expiry."""
    with unlocked(home, passphrase_file) as wallet:
        kept = wallet.credentials.all()
    today = datetime.datetime.now(datetime.UTC).date()
    if as_json:
        render.emit_json({"credentials": [_as_json(c, today, full=False) for c in kept]})
        return
    rows = [
        (
            render.short_id(c.id),
            c.schema.name,
            issuer_name(c),
            f"{c.expiry.isoformat()}{' (expired)' if c.is_expired(today) else ''}",
            c.label,
        )
        for c in kept
    ]
    render.table("credentials", ("id", "schema", "issuer", "expires", "label"), rows)


@app.command(
    epilog="Exit codes: 0 shown; 2 no wallet, wrong passphrase, ID matches none or several; "
    "3 locked."
)
@handle_errors
def show(
    credential: Annotated[
        str, typer.Argument(metavar="ID", help="the credential's id or a unique prefix (8+ hex)")
    ],
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Show one credential: its attributes with their types and values, issuer, expiry."""
    with unlocked(home, passphrase_file) as wallet:
        stored = wallet.credentials.get(credential)
    _show(stored, as_json=as_json)


def _show(stored: StoredCredential, *, as_json: bool) -> None:
    today = datetime.datetime.now(datetime.UTC).date()
    if as_json:
        render.emit_json(_as_json(stored, today, full=True))
        return
    expired = " (expired)" if stored.is_expired(today) else ""
    render.fields(
        "credential",
        [
            ("id", stored.id),
            ("label", stored.label),
            ("schema", f"{stored.schema.name} ({stored.schema.schema_id})"),
            ("issuer", issuer_name(stored)),
            ("expires", f"{stored.expiry.isoformat()}{expired}"),
            ("received", stored.received_at),
        ],
    )
    types = _types(stored.schema)
    rows = [(name, types[name], value) for name, value in stored.attributes.items()]
    render.table("attributes", ("name", "type", "value"), rows)


@app.command(
    epilog="Exit codes: 0 received; 1 the issuer is not registered on the ledger for that key "
    "and schema, a signature or the blind signature does not verify, or the issuer refused "
    "(offer used, unknown); 2 expired offer, no wallet, wrong passphrase; 3 the issuer or "
    "the ledger could not be reached."
)
@handle_errors
def receive(
    offer_url: Annotated[
        str, typer.Argument(metavar="OFFER_URL", help="the offer's URL (from its QR code)")
    ],
    label: Annotated[str | None, typer.Option(help="a name of your own for the credential")] = None,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Receive a credential from an issuer's offer (single use), checked before it is kept.

    The issuer never sees your holder secret: the wallet sends a commitment to it.
    """
    with SessionHttp() as http:
        offer = fetch_offer(http, offer_url)
        with unlocked(home, passphrase_file) as wallet, ledger_of(wallet, ledger, log_key) as on:
            stored = receive_offer(wallet, on, http, offer, label=label)
    if not as_json:
        render.say(f"received from {offer.issuer_name} ({offer.issuer})", style="green")
    _show(stored, as_json=as_json)
