"""`cartera petition open|sign|tally`: anonymous petitions on the ledger (docs/petitions.md).

`open` signs a `petition.open` with the organiser's Ed25519 key (a file created 0600 at
first use) and appends it; its schema is taken from the eligible issuers' registrations
on the ledger, so signers and auditors judge every signature against the same definition.
`sign` is the citizen's: `wallet.petitions` checks everything before anything is signed,
the citizen sees what will be shown and proven, and approves. `tally` reads a petition
and its count, proven. The organiser's and the reader's ledger client keep the last
checkpoint they trusted per log (`HOME/petitions/`), so a ledger that rewrites history
between two runs is caught; the citizen's is the wallet's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.errors import bad_input, handle_errors
from cli.on_ledger import DEFAULT_LEDGER, LedgerUrl, LogKey, ledger_of
from cli.passphrase import AsJson, Home, PassphraseFile, unlocked
from cli.petition_input import (
    checked_id,
    closing_time,
    eligibility_predicates,
    home_dir,
    ledger_client,
    now,
    organiser_key,
    petition_text,
    resolve_schema,
)
from cli.terms import confirm
from ledger.client import PetitionView
from policies import sign_petition_open
from wallet import PetitionPlan, sign_petition
from wallet.petitions import Approve

EXIT_CODES = (
    "Exit codes: 0 done; 1 declined, not eligible, already signed, closed, or a check failed "
    "(the ledger refused, a proof did not verify); 2 bad input (options, an unknown petition "
    "or issuer, a key file others can read, wrong passphrase); 3 the ledger could not be "
    "reached."
)

app = typer.Typer(
    name="petition",
    help=f"Open, sign and count anonymous petitions on the ledger.\n\n{EXIT_CODES}",
    no_args_is_help=True,
)

PetitionId = Annotated[str, typer.Argument(metavar="PETITION_ID", help="sha256:… of the petition")]
_ELIGIBILITY = "Who may sign"


# -- open -----------------------------------------------------------------------------------


@app.command("open", epilog=EXIT_CODES)
@handle_errors
def open_(
    title: Annotated[str, typer.Option(help="the petition's title")],
    issuers: Annotated[
        list[str],
        typer.Option(
            "--issuer",
            metavar="DID",
            help="an issuer whose credentials count; repeat",
            rich_help_panel=_ELIGIBILITY,
        ),
    ],
    schema: Annotated[
        str,
        typer.Option(
            help="the credentials' schema: its name or id, as the issuers registered it",
            rich_help_panel=_ELIGIBILITY,
        ),
    ],
    text: Annotated[str | None, typer.Option(help="the petition's text")] = None,
    text_file: Annotated[
        Path | None, typer.Option("--text-file", dir_okay=False, help="read the text from FILE")
    ] = None,
    disclose: Annotated[
        list[str] | None,
        typer.Option(
            "--disclose",
            metavar="NAME",
            rich_help_panel=_ELIGIBILITY,
            help="an attribute every signature shows (default none but expiry)",
        ),
    ] = None,
    min_age: Annotated[
        int | None,
        typer.Option(
            "--min-age",
            min=0,
            max=150,
            rich_help_panel=_ELIGIBILITY,
            help="signers are N or older: birthdate <= today - N years, fixed now",
        ),
    ] = None,
    predicate: Annotated[
        list[str] | None,
        typer.Option(
            "--predicate",
            "-p",
            rich_help_panel=_ELIGIBILITY,
            help="a condition signers prove, e.g. 'district in Gràcia,Sants'; repeat",
        ),
    ] = None,
    closes: Annotated[
        str | None, typer.Option(help="closing time, RFC 3339 UTC (2025-06-30T00:00:00Z)")
    ] = None,
    days: Annotated[int | None, typer.Option(min=1, help="close N days from now [30]")] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            dir_okay=False,
            help="the organiser's key [HOME/organiser/organiser.key, made at first use]",
        ),
    ] = None,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Open a petition: signed with the organiser's key, appended to the ledger."""
    body = petition_text(text, text_file)
    at = now()
    closes_at = closing_time(closes, days, at)
    key = organiser_key(key_file or home_dir(home) / "organiser" / "organiser.key")
    with ledger_client(ledger, log_key, home) as client:
        definition = resolve_schema(client, issuers, schema)
        chosen = eligibility_predicates(predicate or [], min_age, definition)
        try:
            opened = sign_petition_open(
                key, title=title, text=body, issuers=issuers, schema=definition,
                attributes=disclose or [], predicates=chosen, closes_at=closes_at, created_at=at,
            )  # fmt: skip
        except ValueError as exc:
            raise bad_input(str(exc)) from None
        receipt = client.append(opened.to_json())
    shown = {"id": opened.id, "index": receipt.index, "tree_size": receipt.checkpoint.size,
             "organiser": key.did, "closes_at": opened.closes_at}  # fmt: skip
    if as_json:
        render.emit_json(shown)
        return
    render.fields(f"opened {title!r}", list(shown.items()))
    render.say(f"citizens sign with: cartera petition sign {opened.id}")


# -- sign -----------------------------------------------------------------------------------


def _plan_fields(plan: PetitionPlan) -> list[tuple[str, Any]]:
    petition = plan.document
    return [
        ("petition", plan.petition.id),
        ("title", petition.title),
        ("organiser", petition.organiser),
        ("closes", petition.closes_at),
        ("credential", f"{plan.credential.schema.name} {render.short_id(plan.credential.id)}"),
        (
            "you show",
            ", ".join(f"{k} = {render.text(v)}" for k, v in plan.shown.items()) or "nothing",
        ),
        ("you prove", ", ".join(p.describe() for p in plan.proven) or "—"),
    ]


def _asker(as_json: bool, yes: bool) -> Approve:
    def approve(plan: PetitionPlan) -> bool:
        render.fields("petition to sign", _plan_fields(plan), stderr=as_json)
        if as_json:  # stdout is for the one JSON document
            render.note(plan.document.text, style="")
        else:
            render.say(plan.document.text)
        render.note(
            "The ledger will show your signature under a pseudonym used for this petition "
            "only: nobody can link it to you or to your other signatures.",
            style="dim",
        )
        return yes or confirm("Sign this petition?")

    return approve


@app.command(epilog=EXIT_CODES)
@handle_errors
def sign(
    petition_id: PetitionId,
    credential: Annotated[
        str | None, typer.Option(help="the credential to use (id or 8+ hex digits) [newest]")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Sign a petition anonymously: see what will be shown and proven, approve, sign."""
    wanted = checked_id(petition_id)
    with unlocked(home, passphrase_file) as wallet, ledger_of(wallet, ledger, log_key) as on:
        signed = sign_petition(wallet, on, wanted, approve=_asker(as_json, yes),
                               credential=credential)  # fmt: skip
    if as_json:
        render.emit_json({"petition": wanted, "index": signed.index,
                          "tree_size": signed.tree_size})  # fmt: skip
        return
    render.say(f"signed petition {wanted}")
    render.say(f"ledger entry {signed.index} in the tree of size {signed.tree_size}")


# -- tally ----------------------------------------------------------------------------------


def _tally_fields(view: PetitionView) -> dict[str, Any]:
    petition = view.document
    return {
        "id": view.id, "index": view.logged.index, "title": petition.title,
        "organiser": petition.organiser, "created_at": petition.created_at,
        "closes_at": view.closes_at, "status": view.status, "signatures": view.signatures,
    }  # fmt: skip


@app.command(epilog=EXIT_CODES)
@handle_errors
def tally(
    petition_id: PetitionId,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    as_json: AsJson = False,
) -> None:
    """Show a petition and how many signatures the ledger holds (its entry proven).

    `cartera audit replay` verifies every signature again and recounts.
    """
    wanted = checked_id(petition_id)
    with ledger_client(ledger, log_key, home) as client:
        view = client.petition(wanted)
    shown = _tally_fields(view)
    if as_json:
        render.emit_json(shown)
        return
    render.fields(view.document.title, list(shown.items()))
