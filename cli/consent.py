"""`cartera consent …`: grant and revoke consent on the public ledger, list consents with
the ledger's status, and read who used what.

A grant is drafted as the least one that covers a verifier's request
(`policies.draft_grant`: exactly its attributes, predicates, schema and purpose, once,
over the request's window), or from flags; it is shown to the citizen, confirmed, signed
with the holder secret under the pseudonym at that verifier, appended to the ledger, and
kept in the wallet with its receipt. The ledger is reached through `wallet.ledger`,
whose verifying client starts from the wallet's kept checkpoint, so a ledger that
rewrote its history since the last contact (or answers with another key) is caught, and
the newest checkpoint seen is kept afterwards. These commands read options, make one
call of `wallet.ledger` and render its answer.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.errors import EXIT_CHECK_FAILED, bad_input, handle_errors
from cli.on_ledger import DEFAULT_LEDGER, LedgerUrl, LogKey, ledger_of
from cli.passphrase import AsJson, Home, PassphraseFile, unlocked
from cli.terms import (
    Flags,
    check_names,
    confirm,
    consent_json,
    items,
    parse_when,
    read_request,
    terms,
)
from ledger.client import GrantView, LedgerUnavailable
from policies import draft_grant, utc_seconds
from wallet import Access, ConsentState, StoredConsent, Wallet, consent_states

EXIT_CODES = (
    "Exit codes: 0 done; 1 declined, or a check failed (ledger refused the entry, a proof or "
    "signature did not verify); 2 bad input (request, flags, wrong passphrase, no wallet, "
    "unknown grant); 3 the ledger could not be reached."
)

app = typer.Typer(
    name="consent",
    help=f"Grant and revoke consent on the ledger; see who used what.\n\n{EXIT_CODES}",
    no_args_is_help=True,
)

_TERMS = "Terms (without REQUEST; --not-after and --max-uses also widen a REQUEST's)"


@app.command(
    epilog="Exit codes: 0 granted (or already covered); 1 declined, verifier not registered, "
    "ledger refused the grant, a proof did not verify; 2 bad input (request, options, "
    "passphrase, no wallet); 3 ledger unreachable."
)
@handle_errors
def grant(
    request_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="REQUEST",
            dir_okay=False,
            help="a verifier's presentation request (JSON); or give the terms as options",
            show_default=False,
        ),
    ] = None,
    verifier: Annotated[
        str | None, typer.Option(help="the verifier's did", rich_help_panel=_TERMS)
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option(
            help="schema id, or the name of a credential's schema", rich_help_panel=_TERMS
        ),
    ] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute", "-a", help="an attribute to share (repeat)", rich_help_panel=_TERMS
        ),
    ] = None,
    predicate: Annotated[
        list[str] | None,
        typer.Option(
            "--predicate",
            "-p",
            help="a condition to prove, e.g. 'birthdate <= 2007-11-22' (repeat)",
            rich_help_panel=_TERMS,
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(help="a DPV purpose, e.g. dpv:ServiceProvision", rich_help_panel=_TERMS),
    ] = None,
    not_after: Annotated[
        str | None,
        typer.Option(
            help="end of the grant: RFC 3339 UTC or 30d/12h/45m from now", rich_help_panel=_TERMS
        ),
    ] = None,
    max_uses: Annotated[
        int | None,
        typer.Option(min=1, help="how many accesses it allows (default 1)", rich_help_panel=_TERMS),
    ] = None,
    unlimited: Annotated[
        bool,
        typer.Option("--unlimited", help="no limit on the number of uses", rich_help_panel=_TERMS),
    ] = False,
    new: Annotated[
        bool, typer.Option("--new", help="sign a new grant even if a live one covers REQUEST")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Grant a verifier consent: drafted, shown, confirmed, signed, published, kept.

    With REQUEST, the grant covers exactly what it asks, once, until the request expires.
    """
    flags = Flags(verifier, schema, attribute or [], predicate or [], purpose, not_after,
                   max_uses, unlimited)  # fmt: skip
    if request_file is not None and (verifier or schema or attribute or predicate or purpose):
        raise bad_input("give a REQUEST file or the terms as options, not both")
    request = read_request(request_file) if request_file is not None else None
    with unlocked(home, passphrase_file) as wallet:
        now = utc_seconds(datetime.datetime.now(datetime.UTC))
        if request is not None:
            decision = wallet.consents.decide(request, now=now)
            if decision.allowed and not new:
                render.say(f"already {decision.explain()}; nothing signed (--new to sign another)")
                return
            end = parse_when(not_after, now) if not_after else None
            draft = draft_grant(
                request, now=now, not_after=end, max_uses=None if unlimited else (max_uses or 1)
            )
        else:
            draft = flags.draft(wallet, now)
        check_names(wallet, draft)
        names = {c.schema.schema_id: c.schema.name for c in wallet.credentials.all()}
        with ledger_of(wallet, ledger, log_key) as on_ledger:
            who = on_ledger.verifier(draft.verifier).name
            shown = terms(draft, who, names.get(draft.schema_id, draft.schema_id))
            render.fields("consent to grant", shown, stderr=as_json)
            render.note(
                "The ledger will show this publicly under a pseudonym only this verifier "
                "knows; never the values.",
                style="dim",
            )
            if not yes and not confirm("Sign and publish this grant?"):
                render.note("declined: nothing signed")
                raise typer.Exit(EXIT_CHECK_FAILED)
            stored = on_ledger.grant(draft, now=now)
    signed, receipt = stored.grant, stored.receipt
    assert receipt is not None
    if as_json:
        render.emit_json({"grant": consent_json(signed), "index": receipt.index,
                          "tree_size": receipt.tree.size})  # fmt: skip
        return
    render.say(f"granted {signed.id}")
    render.say(f"ledger entry {receipt.index} in the tree of size {receipt.tree.size}")


# -- revoke ---------------------------------------------------------------------------------


def _find(wallet: Wallet, ref: str) -> StoredConsent:
    """The consent whose grant id is `ref` or starts with it (8+ hex digits)."""
    prefix = ref if ref.startswith("sha256:") else f"sha256:{ref}"
    if len(prefix) < len("sha256:") + 8:
        raise bad_input(f"no consent {ref!r} (give at least 8 hex digits)")
    matches = [c for c in wallet.consents.all() if c.id.startswith(prefix)]
    if len(matches) != 1:
        raise bad_input(f"{len(matches) or 'no'} consents in this wallet match {ref!r}")
    return matches[0]


@app.command(
    epilog="Exit codes: 0 revoked (or already); 1 ledger refused the revocation, a proof did "
    "not verify; 2 bad input, unknown grant; 3 ledger unreachable (the signed revocation is "
    "kept: run the command again)."
)
@handle_errors
def revoke(
    grant_id: Annotated[
        str, typer.Argument(metavar="GRANT_ID", help="the grant's id or a unique prefix (8+ hex)")
    ],
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Revoke a grant: sign the revocation, publish it, keep it with its receipt.

    The signed revocation is kept before it is sent: if the ledger is down, run this again.
    """
    with unlocked(home, passphrase_file) as wallet, ledger_of(wallet, ledger, log_key) as on_ledger:
        done = on_ledger.revoke(_find(wallet, grant_id))
    revocation, receipt = done.revocation, done.revocation_receipt
    assert revocation is not None and receipt is not None
    if as_json:
        shown = {"grant": done.id, "revoked_at": revocation.created_at, "index": receipt.index}
        render.emit_json(shown)
        return
    render.say(f"revoked {done.id} (ledger entry {receipt.index})")


# -- list -----------------------------------------------------------------------------------


def _state_json(state: ConsentState, source: str) -> dict[str, Any]:
    return {
        **consent_json(state.grant),
        "status": state.status,
        "source": source,
        "in_wallet": state.kept is not None,
        "uses": state.view.uses if state.view else None,
        "revoked_at": state.revoked_at,
        "index": state.index,
    }


def _state_cells(state: ConsentState) -> tuple[Any, ...]:
    g = state.grant
    limit = "∞" if g.max_uses is None else g.max_uses
    return (
        render.short_id(g.id),
        render.short_id(g.verifier, 10),
        g.purpose.value,
        items(g),
        g.not_after,
        f"{state.view.uses if state.view else '?'}/{limit}",
        state.status if state.kept is not None else f"{state.status} (not in this wallet)",
    )


@app.command(
    "list",
    epilog="Exit codes: 0 listed; 1 a ledger answer did not verify; 2 bad input; "
    "3 ledger unreachable, with --require-ledger.",
)
@handle_errors
def list_(
    require_ledger: Annotated[
        bool,
        typer.Option(
            "--require-ledger", help="fail (exit 3) instead of showing the wallet's own status"
        ),
    ] = False,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """List your consents with their status as the ledger reports it (uses, revocation).

    If the ledger cannot be reached, the wallet's own status is shown, with a note.
    """
    now = utc_seconds(datetime.datetime.now(datetime.UTC))
    views: dict[str, GrantView] | None = None
    size: int | None = None
    with unlocked(home, passphrase_file) as wallet:
        kept = wallet.consents.all()
        try:
            with ledger_of(wallet, ledger, log_key) as on_ledger:
                size = on_ledger.tree_size()
                views = on_ledger.status(kept)
        except LedgerUnavailable as exc:
            if require_ledger:
                raise
            views = None
            render.note(f"note: {exc}: showing the wallet's own status, not the ledger's")
    states = consent_states(kept, views, now)
    source = "wallet" if views is None else "ledger"
    if as_json:
        reached = {"url": ledger, "reached": views is not None, "tree_size": size}
        render.emit_json({"ledger": reached, "consents": [_state_json(c, source) for c in states]})
        return
    where = f"the ledger at {ledger}" if views is not None else "the wallet (ledger unreachable)"
    show_consents(states, title=f"consents (status from {where})")


def show_consents(states: list[ConsentState], *, title: str) -> None:
    """Consents as `consent list` prints them (also the demo's last act)."""
    columns = ("grant", "verifier", "purpose", "shares", "until", "uses", "status")
    render.table(title, columns, [_state_cells(c) for c in states])


# -- history --------------------------------------------------------------------------------


def _what(access: Access) -> str:
    if access.shown is None:
        return "a presentation this wallet did not make"
    described = [p.describe() for p in access.shown.predicates]
    return ", ".join([*access.shown.disclosed, *described]) or "—"


def _access_json(access: Access) -> dict[str, Any]:
    shown = access.shown
    return {
        "index": access.view.logged.index,
        "at": access.view.at,
        "verifier": {"did": access.verifier, "name": access.name},
        "grant": access.view.grant,
        "purpose": access.purpose,
        "presentation": access.view.logged.document.presentation,
        "made_by_this_wallet": shown is not None,
        "disclosed": list(shown.disclosed) if shown else None,
        "predicates": [p.to_json_dict() for p in shown.predicates] if shown else None,
    }


def show_history(found: list[Access], *, as_json: bool) -> None:
    """The access history as `consent history` prints it (also the demo's last act)."""
    if as_json:
        render.emit_json({"accesses": [_access_json(a) for a in found]})
        return
    rows = [
        (
            a.view.at,
            a.name or render.short_id(a.verifier, 10),
            render.short_id(a.view.grant),
            a.purpose,
            _what(a),
            a.view.logged.index,
        )
        for a in found
    ]
    render.table(
        "accesses recorded on the ledger",
        ("when", "who", "grant", "purpose", "what", "entry"),
        rows,
    )


@app.command(
    epilog="Exit codes: 0 shown; 1 a ledger answer did not verify; 2 bad input; "
    "3 ledger unreachable."
)
@handle_errors
def history(
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Show who accessed what: the ledger's access records under your pseudonyms.

    Each is matched to the presentation this wallet made; one it never made is flagged.
    """
    with unlocked(home, passphrase_file) as wallet, ledger_of(wallet, ledger, log_key) as on_ledger:
        found = on_ledger.history()
    show_history(found, as_json=as_json)
