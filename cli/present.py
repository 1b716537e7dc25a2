"""`cartera present URL_OR_FILE`: answer a verifier's presentation request.

The command shows who asks for what and for which purpose, with the values that would
be shown and, in plain words, each condition that would be proven without showing its
value (`birthdate ≤ 2008-11-22`); when no live grant on the ledger covers the request, it
shows the least grant that would (`policies.draft_grant`) and asks the citizen to approve
it (or `--yes`), then publishes it and answers. Every check before acting is
`wallet.sessions`' (the request's signature and expiry, the verifier's registration, the
credential's issuer on the ledger, its values against the predicates, the ledger's
decision); this module reads options, calls it, and renders.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.errors import EXIT_CHECK_FAILED, bad_input, handle_errors
from cli.on_ledger import DEFAULT_LEDGER, LedgerUrl, LogKey, ledger_of
from cli.passphrase import AsJson, Home, PassphraseFile, unlocked
from cli.predicate_syntax import condition, plain
from cli.terms import confirm, terms
from policies import GrantDraft, Predicate, PresentationRequest
from wallet import DeclinedByCitizen, VerifierRefused, WalletLedger
from wallet.session_http import SessionHttp
from wallet.sessions import (
    Accepted,
    Approve,
    Prepared,
    answer,
    fetch_request,
    load_request,
    prepare,
)

EXIT_CODES = (
    "Exit codes: 0 accepted; 1 refused by the verifier, declined, or a check failed (a "
    "signature, the verifier's or issuer's registration, no suitable credential, a "
    "condition the credential does not meet); 2 bad input (unreadable or malformed request, "
    "expired, one this wallet cannot answer as asked, passphrase, no wallet); 3 the ledger "
    "or the verifier could not be reached."
)


def _request(source: str, http: SessionHttp) -> PresentationRequest:
    """The request at a URL, or in a file; signature and expiry checked."""
    if source.startswith(("http://", "https://")):
        return fetch_request(http, source)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise bad_input(f"cannot read {source}: {exc.strerror}") from None
    return load_request(data)


def _proven(predicate: Predicate) -> str:
    return f"{plain(predicate)} — proven without showing your {predicate.attribute}"


def _show_request(prepared: Prepared, *, stderr: bool) -> None:
    """Who asks for what, why, what would be shown and what proven."""
    request, credential = prepared.request, prepared.credential
    values = credential.attributes
    asked = ", ".join(f"{name} = {render.text(values[name])}" for name in request.attributes)
    proves = [("proves" if i == 0 else "", _proven(p)) for i, p in enumerate(request.predicates)]
    covered = (
        f"yes, by grant {prepared.decision.grant}"
        if prepared.decision.allowed
        else f"no ({prepared.decision.explain().removeprefix('refused: ')})"
    )
    render.fields(
        "presentation request",
        [
            ("verifier", f"{prepared.verifier.name} ({request.verifier})"),
            ("purpose", request.purpose.value),
            ("asks for", asked or "no values (expiry only)"),
            *proves,
            ("credential", f"{credential.schema.name} {render.short_id(credential.id)}"),
            ("answer to", request.response_uri),
            ("expires", request.expires_at),
            ("consent", covered),
        ],
        stderr=stderr,
    )


def _approver(prepared: Prepared, *, yes: bool, stderr: bool) -> Approve:
    """Shows the draft grant and asks (or takes `--yes`)."""

    def approve(draft: GrantDraft) -> bool:
        shown = terms(draft, prepared.verifier.name, prepared.credential.schema.name)
        render.fields("consent to grant", shown, stderr=stderr)
        render.note(
            "The ledger will show this publicly under a pseudonym only this verifier "
            "knows; never the values.",
            style="dim",
        )
        return yes or confirm("Sign and publish this grant, and answer?")

    return approve


def _accepted_json(prepared: Prepared, accepted: Accepted) -> dict[str, Any]:
    request = prepared.request
    return {
        "status": "accepted",
        "request": accepted.request_id,
        "verifier": {"did": request.verifier, "name": prepared.verifier.name},
        "purpose": request.purpose.value,
        "disclosed": accepted.disclosed,
        "proven": [{**p.to_json_dict(), "text": plain(p)} for p in request.predicates],
        "grant": accepted.grant,
        "granted": accepted.granted is not None,
        "access": {"index": accepted.access_index, "tree_size": accepted.tree_size},
    }


def _show_refusal(refusal: VerifierRefused, *, as_json: bool) -> None:
    """The verifier's refusal: which of its checks failed, and why."""
    shown = {"check": refusal.check, "reason": refusal.reason, "detail": refusal.detail}
    if as_json:
        render.emit_json({"status": "refused", **shown, "http_status": refusal.status})
        return
    render.say("refused by the verifier", style="red")
    render.fields(None, shown.items())


@contextmanager
def _outcome(on_ledger: WalletLedger | None, *, as_json: bool) -> Iterator[None]:
    """A decline or a verifier's refusal, rendered, as exit 1 (the checkpoint trusted so far
    kept: a grant may have been published before the refusal)."""
    try:
        yield
    except (DeclinedByCitizen, VerifierRefused) as stopped:
        if on_ledger is not None:
            on_ledger.keep()
        if isinstance(stopped, VerifierRefused):
            _show_refusal(stopped, as_json=as_json)
        else:
            render.note(str(stopped))
        raise typer.Exit(EXIT_CHECK_FAILED) from None


@handle_errors
def present(
    source: Annotated[
        str,
        typer.Argument(
            metavar="URL_OR_FILE", help="the request's URL (from its QR code), or a JSON file"
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="approve the grant the request needs, unasked")
    ] = False,
    credential: Annotated[
        str | None,
        typer.Option(
            help="the credential to present (id or 8+ hex prefix); default: the newest that fits"
        ),
    ] = None,
    ledger: LedgerUrl = DEFAULT_LEDGER,
    log_key: LogKey = None,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """Answer a verifier's presentation request: show it, approve a grant if none covers
    it, present, and print what the verifier accepted (or why it refused).

    Only the attributes asked for are shown, and only to the answer address the
    verifier signed.
    """
    with SessionHttp() as http:
        with _outcome(None, as_json=as_json):
            request = _request(source, http)
        with unlocked(home, passphrase_file) as wallet, ledger_of(wallet, ledger, log_key) as on:
            prepared = prepare(wallet, on, request, credential=credential)
            _show_request(prepared, stderr=as_json)
            approve = _approver(prepared, yes=yes, stderr=as_json)
            with _outcome(on, as_json=as_json):
                accepted = answer(wallet, on, http, prepared, approve=approve)
    if as_json:
        render.emit_json(_accepted_json(prepared, accepted))
        return
    render.say(f"accepted by {prepared.verifier.name}", style="green")
    learned = [
        *accepted.disclosed.items(),
        *((p.attribute, f"{condition(p)} (proven; the value was not shown)")
          for p in prepared.request.predicates),
    ]  # fmt: skip
    render.table("the verifier learned", ("attribute", "value"), learned)
    if accepted.granted is not None:
        render.say(f"granted {accepted.granted.id}")
    render.say(
        f"access recorded on the ledger: entry {accepted.access_index} "
        f"(tree size {accepted.tree_size}), read back and checked"
    )
