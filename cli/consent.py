"""`cartera consent …`: grant and revoke consent on the public ledger, list consents with
the ledger's status, and read who used what.

A grant is drafted as the least one that covers a verifier's request
(`policies.draft_grant`: exactly its attributes, predicates, schema and purpose, once,
over the request's window), or from flags; it is shown to the citizen, confirmed, signed
with the holder secret under the pseudonym at that verifier, appended to the ledger, and
kept in the wallet with its receipt. The ledger is reached through the verifying
`ledger.client`; the wallet's kept checkpoint seeds its trust, so a ledger that rewrote
its history since the last contact (or answers with another key) is caught, and the
newest checkpoint seen is kept afterwards.

The ledger-facing steps below (`_publish`, `_ledger_status`, `_history`) are the ones
docs/wallet.md plans as wallet operations; they live here until the wallet has them.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import TypeAdapter, ValidationError

from cli import render
from cli.errors import EXIT_CHECK_FAILED, bad_input, handle_errors
from cli.passphrase import AsJson, Home, PassphraseFile, unlocked
from ledger import settings as ledger_settings
from ledger.client import AccessView, GrantView, LedgerClient, LedgerUnavailable
from ledger.errors import LedgerError, NotFound
from ledger.note import VerifierKey
from ledger.rules import Reason, Rejected
from policies import (
    ConsentGrant,
    ConsentRevoke,
    DocumentError,
    GrantDraft,
    Predicate,
    PresentationRequest,
    Purpose,
    draft_grant,
    parse_time,
    sign_consent_revoke,
    utc_seconds,
    verify_request,
)
from wallet import LedgerReceipt, PresentationRecord, StoredConsent, Wallet

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

DEFAULT_LEDGER = f"http://127.0.0.1:{ledger_settings.DEFAULT_PORT}"
LedgerUrl = Annotated[
    str,
    typer.Option(
        "--ledger",
        envvar="CARTERA_LEDGER_URL",
        help="the ledger's base URL",
        rich_help_panel="Ledger",
    ),
]
LogKey = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        envvar="CARTERA_LEDGER_LOG_KEY",
        help="the ledger's C2SP verifier key (else the one it announces, checked against "
        "the checkpoint the wallet kept)",
        show_default=False,
        rich_help_panel="Ledger",
    ),
]
_PREDICATE: TypeAdapter[Predicate] = TypeAdapter(Predicate)
_TERMS = "Terms (without REQUEST; --not-after and --max-uses also widen a REQUEST's)"


# -- the ledger, as this wallet knows it ---------------------------------------------------


def _announced_key(url: str) -> VerifierKey:
    where = f"ledger {url}: GET /v1/log"
    try:
        response = httpx.get(url.rstrip("/") + "/v1/log", timeout=10.0)
    except httpx.HTTPError as exc:
        raise LedgerUnavailable(f"{where}: {exc or type(exc).__name__}") from None
    if not response.is_success:
        raise LedgerUnavailable(f"{where}: answered {response.status_code}")
    try:
        return VerifierKey.from_text(str(response.json()["verifier_key"]))
    except (ValueError, KeyError, TypeError, LedgerError) as exc:
        raise LedgerError(f"{where}: no usable verifier_key ({exc})") from None


@contextmanager
def _ledger(wallet: Wallet, url: str, log_key: str | None) -> Iterator[LedgerClient]:
    """A verifying client of the ledger at `url`: it starts from the checkpoint the wallet
    kept for it, moves to the ledger's latest only over a consistency proof, and, when the
    block succeeds, leaves the newest checkpoint it trusted in the wallet."""
    key = VerifierKey.from_text(log_key) if log_key else _announced_key(url)
    client = LedgerClient(url, log_key=key, origin=key.name)
    try:
        kept = wallet.checkpoints.get(key.name)
        if kept is not None:
            try:
                client.advance(client.open(kept.note))
            except LedgerError as exc:
                raise LedgerError(
                    f"ledger {url} ({key.label}) does not sign the checkpoint this wallet "
                    f"kept for {key.name}: {exc}"
                ) from None
        elif log_key is None:
            render.note(
                f"warning: first contact with {key.name}: trusting the key it announces "
                f"({key.to_text()}); pass --log-key to check it"
            )
        client.checkpoint()  # the latest, proven consistent with what the wallet kept
        yield client
        if client.trusted is not None:
            wallet.checkpoints.advance(client.trusted.note)
    finally:
        client.close()


def _holder_scalar(wallet: Wallet) -> int:
    # `policies`' signing functions take the holder secret s as the scalar it is.
    return int.from_bytes(wallet.holder_secret.to_bytes(), "big")


def _publish(client: LedgerClient, entry: ConsentGrant | ConsentRevoke) -> LedgerReceipt:
    """Append `entry`; the client checked the answer's checkpoint, proof and consistency."""
    receipt = client.append(entry.to_json())
    return LedgerReceipt(receipt.index, receipt.note, receipt.proof)


# -- reading the citizen's input -------------------------------------------------------------

_RANGE = re.compile(r"\s*([a-z][a-z0-9_]*)\s*(>=|<=)\s*(\S+)\s*")
_BETWEEN = re.compile(r"\s*(\S+)\s*<=\s*([a-z][a-z0-9_]*)\s*<=\s*(\S+)\s*")
_MEMBER = re.compile(r"\s*([a-z][a-z0-9_]*)\s+in\s+\{(.*)\}\s*")
_RELATIVE = re.compile(r"(\d+)([dhm])")


def _bound(text: str) -> int | str:
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def parse_predicate(text: str) -> Predicate:
    """`birthdate <= 2007-11-22`, `age >= 18`, `12000 <= income <= 30000`,
    `district in {Gràcia, Sants}` (as `Predicate.describe` writes them), or JSON."""
    obj: Any
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise bad_input(f"--predicate {text!r}: not JSON ({exc.msg})") from None
    elif m := _BETWEEN.fullmatch(text):
        obj = {"attribute": m[2], "op": "between", "value": [_bound(m[1]), _bound(m[3])]}
    elif m := _RANGE.fullmatch(text):
        obj = {"attribute": m[1], "op": m[2], "value": _bound(m[3])}
    elif m := _MEMBER.fullmatch(text):
        members = sorted({v.strip() for v in m[2].split(",") if v.strip()})
        obj = {"attribute": m[1], "op": "in", "value": members}
    else:
        raise bad_input(
            f"--predicate {text!r}: want 'ATTR >= V', 'ATTR <= V', 'LOW <= ATTR <= HIGH' "
            "or 'ATTR in {A, B}'"
        )
    try:
        return _PREDICATE.validate_json(json.dumps(obj))
    except ValidationError as exc:
        raise bad_input(f"--predicate {text!r}: {exc.errors()[0]['msg']}") from None


def parse_when(text: str, now: datetime.datetime) -> datetime.datetime:
    """RFC 3339 UTC (`2025-06-30T00:00:00Z`) or from now: `30d`, `12h`, `45m`."""
    if m := _RELATIVE.fullmatch(text.strip()):
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m[2]]
        return now + datetime.timedelta(**{unit: int(m[1])})
    try:
        return parse_time(text)
    except DocumentError:
        raise bad_input(
            f"--not-after {text!r}: want RFC 3339 UTC (2025-06-30T00:00:00Z) or 30d/12h/45m"
        ) from None


def parse_purpose(text: str) -> Purpose:
    try:
        return Purpose(text if text.startswith("dpv:") else f"dpv:{text}")
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        raise bad_input(f"--purpose {text!r}: not a DPV purpose Cartera knows ({known})") from None


def _read_request(path: Path) -> PresentationRequest:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise bad_input(f"cannot read {path}: {exc.strerror}") from None
    request = PresentationRequest.from_json(data, canonical=False)
    verify_request(request)
    return request


def _schema_id(wallet: Wallet, schema: str) -> str:
    """A schema id as given, or the id of the schema of that name in the wallet."""
    if schema.startswith("sha256:"):
        return schema
    ids = {c.schema.schema_id for c in wallet.credentials.all() if c.schema.name == schema}
    if len(ids) != 1:
        found = "no credential" if not ids else "credentials of several schemas"
        raise bad_input(f"--schema {schema!r}: {found} of that name; give its sha256: id")
    return ids.pop()


def _check_names(wallet: Wallet, draft: GrantDraft) -> None:
    """Refuse attribute names that no credential of the grant's schema has."""
    schemas = [c.schema for c in wallet.credentials.all() if c.schema.schema_id == draft.schema_id]
    if not schemas:
        render.note(f"note: this wallet holds no credential of schema {draft.schema_id}")
        return
    names = set(schemas[0].names)
    for name in [*draft.attributes, *(p.attribute for p in draft.predicates)]:
        if name not in names:
            raise bad_input(f"schema {schemas[0].name!r} has no attribute {name!r}")


# -- rendering ------------------------------------------------------------------------------


def _items(grant: ConsentGrant | GrantDraft) -> str:
    shown = [*grant.attributes, *(p.describe() for p in grant.predicates)]
    return ", ".join(shown)


def _terms(draft: GrantDraft, verifier_name: str, schema_name: str) -> list[tuple[str, Any]]:
    uses = "unlimited" if draft.max_uses is None else f"at most {draft.max_uses}"
    return [
        ("verifier", f"{verifier_name} ({draft.verifier})"),
        ("schema", schema_name),
        ("attributes", ", ".join(draft.attributes) or "—"),
        ("predicates", ", ".join(p.describe() for p in draft.predicates) or "—"),
        ("purpose", draft.purpose.value),
        ("valid", f"{render.text(draft.not_before)} to {render.text(draft.not_after)}"),
        ("uses", uses),
    ]


def _consent_json(grant: ConsentGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "verifier": grant.verifier,
        "schema": grant.schema_id,
        "attributes": list(grant.attributes),
        "predicates": [p.to_json_dict() for p in grant.predicates],
        "purpose": grant.purpose.value,
        "not_before": grant.not_before,
        "not_after": grant.not_after,
        "max_uses": grant.max_uses,
        "created_at": grant.created_at,
    }


# -- grant ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Flags:
    verifier: str | None
    schema: str | None
    attributes: Sequence[str]
    predicates: Sequence[str]
    purpose: str | None
    not_after: str | None
    max_uses: int | None
    unlimited: bool

    def draft(self, wallet: Wallet, now: datetime.datetime) -> GrantDraft:
        missing = [
            flag
            for flag, value in (
                ("--verifier", self.verifier),
                ("--schema", self.schema),
                ("--purpose", self.purpose),
                ("--not-after", self.not_after),
            )
            if value is None
        ]
        if missing or not (self.attributes or self.predicates):
            wanted = [*missing, *([] if self.attributes or self.predicates else ["--attribute"])]
            raise bad_input(f"without a REQUEST file, give {', '.join(wanted)}")
        assert self.verifier and self.schema and self.purpose and self.not_after
        end = parse_when(self.not_after, now)
        if end <= now:
            raise bad_input("--not-after must lie in the future")
        return GrantDraft(
            verifier=self.verifier,
            schema_id=_schema_id(wallet, self.schema),
            attributes=tuple(sorted(set(self.attributes))),
            predicates=tuple(parse_predicate(p) for p in self.predicates),
            purpose=parse_purpose(self.purpose),
            not_before=now,
            not_after=utc_seconds(end),
            max_uses=None if self.unlimited else (self.max_uses or 1),
        )


def _verifier_name(client: LedgerClient, did: str) -> str:
    try:
        return client.verifier(did).document.name
    except NotFound:
        render.note(f"error: verifier {did} is not registered on the ledger", style="red")
        raise typer.Exit(EXIT_CHECK_FAILED) from None


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
    flags = _Flags(verifier, schema, attribute or [], predicate or [], purpose, not_after,
                   max_uses, unlimited)  # fmt: skip
    if request_file is not None and (verifier or schema or attribute or predicate or purpose):
        raise bad_input("give a REQUEST file or the terms as options, not both")
    request = _read_request(request_file) if request_file is not None else None
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
        _check_names(wallet, draft)
        names = {c.schema.schema_id: c.schema.name for c in wallet.credentials.all()}
        with _ledger(wallet, ledger, log_key) as client:
            who = _verifier_name(client, draft.verifier)
            terms = _terms(draft, who, names.get(draft.schema_id, draft.schema_id))
            render.fields("consent to grant", terms, stderr=as_json)
            render.note(
                "The ledger will show this publicly under a pseudonym only this verifier "
                "knows; never the values.",
                style="dim",
            )
            if not yes and not _confirm("Sign and publish this grant?"):
                render.note("declined: nothing signed")
                raise typer.Exit(EXIT_CHECK_FAILED)
            signed = draft.sign(_holder_scalar(wallet), created_at=now)
            receipt = _publish(client, signed)
            with wallet.transaction():  # the grant with its receipt, and the checkpoint
                wallet.consents.add(signed, receipt, now=now)
                wallet.checkpoints.advance(receipt.checkpoint)
    if as_json:
        render.emit_json({"grant": _consent_json(signed), "index": receipt.index,
                          "tree_size": receipt.tree.size})  # fmt: skip
        return
    render.say(f"granted {signed.id}")
    render.say(f"ledger entry {receipt.index} in the tree of size {receipt.tree.size}")


def _confirm(question: str) -> bool:
    try:
        return bool(typer.confirm(question, default=False, err=True))
    except typer.Abort:
        return False


# -- revoke ---------------------------------------------------------------------------------


def _sign_revocation(wallet: Wallet, stored: StoredConsent) -> ConsentRevoke:
    """A revocation of `stored`'s grant as of now, kept in the wallet before it is sent:
    if the ledger cannot be reached, the next `revoke` sends the same one (the ledger
    answers an entry it already holds with its first index)."""
    now = utc_seconds(datetime.datetime.now(datetime.UTC))
    revocation = sign_consent_revoke(_holder_scalar(wallet), grant=stored.grant, created_at=now)
    wallet.consents.add_revocation(revocation)
    return revocation


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
    with unlocked(home, passphrase_file) as wallet:
        stored = _find(wallet, grant_id)
        revocation, receipt = stored.revocation, stored.revocation_receipt
        if receipt is None:
            if revocation is None:
                revocation = _sign_revocation(wallet, stored)
            with _ledger(wallet, ledger, log_key) as client:
                try:
                    receipt = _publish(client, revocation)
                except Rejected as exc:
                    if exc.reason is not Reason.CLOCK_SKEW:
                        raise
                    # Kept while the ledger was down, never logged, and now older than the
                    # ledger's clock-skew bound: a fresh one takes its place.
                    revocation = _sign_revocation(wallet, stored)
                    receipt = _publish(client, revocation)
                with wallet.transaction():
                    wallet.consents.add_revocation(revocation, receipt)
                    wallet.checkpoints.advance(receipt.checkpoint)
    assert revocation is not None
    if as_json:
        shown = {"grant": stored.id, "revoked_at": revocation.created_at, "index": receipt.index}
        render.emit_json(shown)
        return
    render.say(f"revoked {stored.id} (ledger entry {receipt.index})")


# -- list -----------------------------------------------------------------------------------


def _ledger_status(
    client: LedgerClient, wallet: Wallet, kept: list[StoredConsent]
) -> dict[str, GrantView]:
    """What the ledger says of every grant under this wallet's pseudonyms at the verifiers
    it granted (one query per verifier, each entry proven in the trusted checkpoint)."""
    views: dict[str, GrantView] = {}
    for verifier in sorted({c.grant.verifier for c in kept}):
        for view in client.grants(wallet.pseudonym(verifier), verifier):
            views[view.id] = view
    return views


@dataclass(frozen=True)
class _Row:
    """One consent as listed: the grant, the wallet's record of it (None for a grant found
    only on the ledger), what the ledger says of it (None if not reached), its status."""

    grant: ConsentGrant
    kept: StoredConsent | None
    view: GrantView | None
    status: str

    def to_json(self, source: str) -> dict[str, Any]:
        kept, view = self.kept, self.view
        revoked_at = view.revoked_at if view else None
        if view is None and kept is not None and kept.revocation is not None:
            revoked_at = kept.revocation.created_at
        index = view.logged.index if view else None
        if view is None and kept is not None and kept.receipt is not None:
            index = kept.receipt.index
        return {
            **_consent_json(self.grant),
            "status": self.status,
            "source": source,
            "in_wallet": kept is not None,
            "uses": view.uses if view else None,
            "revoked_at": revoked_at,
            "index": index,
        }

    def cells(self) -> tuple[Any, ...]:
        g = self.grant
        limit = "∞" if g.max_uses is None else g.max_uses
        return (
            render.short_id(g.id),
            render.short_id(g.verifier, 10),
            g.purpose.value,
            _items(g),
            g.not_after,
            f"{self.view.uses if self.view else '?'}/{limit}",
            self.status if self.kept is not None else f"{self.status} (not in this wallet)",
        )


def _rows(
    kept: list[StoredConsent], views: dict[str, GrantView] | None, now: datetime.datetime
) -> list[_Row]:
    """Every kept consent with the ledger's status (or the wallet's own, when `views` is
    None), then the grants the ledger holds under our pseudonyms that the wallet does not."""
    if views is None:
        return [_Row(c.grant, c, None, str(c.status(now))) for c in kept]
    rest = dict(views)
    rows = []
    for stored in kept:
        view = rest.pop(stored.id, None)
        if view is not None:
            status = view.status
        elif stored.receipt is not None:
            status = "missing from the ledger"
        else:
            status = str(stored.status(now))
        rows.append(_Row(stored.grant, stored, view, status))
    rows += [_Row(v.logged.document, None, v, v.status) for v in rest.values()]
    return rows


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
            with _ledger(wallet, ledger, log_key) as client:
                views = _ledger_status(client, wallet, kept)
                size = client.trusted.checkpoint.size if client.trusted else 0
        except LedgerUnavailable as exc:
            if require_ledger:
                raise
            render.note(f"note: {exc}: showing the wallet's own status, not the ledger's")
    rows = _rows(kept, views, now)
    source = "wallet" if views is None else "ledger"
    if as_json:
        reached = {"url": ledger, "reached": views is not None, "tree_size": size}
        render.emit_json({"ledger": reached, "consents": [r.to_json(source) for r in rows]})
        return
    where = f"the ledger at {ledger}" if views is not None else "the wallet (ledger unreachable)"
    columns = ("grant", "verifier", "purpose", "shares", "until", "uses", "status")
    render.table(f"consents (status from {where})", columns, [r.cells() for r in rows])


# -- history --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Access:
    """An `access.record` under one of our pseudonyms, with what the wallet knows of it:
    the verifier's registered name, our grant, and the presentation we made (None if the
    record names one this wallet never made)."""

    view: AccessView
    verifier: str
    name: str | None
    kept: StoredConsent | None
    shown: PresentationRecord | None

    def what(self) -> str:
        if self.shown is None:
            return "a presentation this wallet did not make"
        described = [p.describe() for p in self.shown.predicates]
        return ", ".join([*self.shown.disclosed, *described]) or "—"

    def to_json(self) -> dict[str, Any]:
        shown = self.shown
        return {
            "index": self.view.logged.index,
            "at": self.view.at,
            "verifier": {"did": self.verifier, "name": self.name},
            "grant": self.view.grant,
            "purpose": self.kept.grant.purpose.value if self.kept else None,
            "presentation": self.view.logged.document.presentation,
            "made_by_this_wallet": shown is not None,
            "disclosed": list(shown.disclosed) if shown else None,
            "predicates": [p.to_json_dict() for p in shown.predicates] if shown else None,
        }

    def cells(self) -> tuple[Any, ...]:
        return (
            self.view.at,
            self.name or render.short_id(self.verifier, 10),
            render.short_id(self.view.grant),
            self.kept.grant.purpose.value if self.kept else None,
            self.what(),
            self.view.logged.index,
        )


def _history(client: LedgerClient, wallet: Wallet) -> list[_Access]:
    """The ledger's access records under our pseudonym at every verifier we granted or
    showed something to (each entry proven), matched to our grants and presentations."""
    consents = {c.id: c for c in wallet.consents.all()}
    shown = {p.id: p for p in wallet.presentations.all()}
    verifiers = {c.grant.verifier for c in consents.values()} | {p.verifier for p in shown.values()}
    found = []
    for verifier in sorted(verifiers):
        accesses = client.accesses(wallet.pseudonym(verifier))
        name = _registered_name(client, verifier) if accesses else None
        for view in accesses:
            made = shown.get(view.logged.document.presentation)
            found.append(_Access(view, verifier, name, consents.get(view.grant), made))
    return sorted(found, key=lambda a: a.view.logged.index)


def _registered_name(client: LedgerClient, did: str) -> str | None:
    try:
        return client.verifier(did).document.name
    except NotFound:
        return None


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
    with unlocked(home, passphrase_file) as wallet, _ledger(wallet, ledger, log_key) as client:
        found = _history(client, wallet)
    if as_json:
        render.emit_json({"accesses": [a.to_json() for a in found]})
        return
    columns = ("when", "who", "grant", "purpose", "what", "entry")
    render.table("accesses recorded on the ledger", columns, [a.cells() for a in found])
