"""`cartera demo`: the whole life of a consent, told step by step, over real HTTP.

On embedded defaults, with no configuration and nothing beyond 127.0.0.1 (`cli.stage`):
a ledger, the city's population register (issuer of `resident` credentials) and a
bike-sharing service (verifier, asking for the district and postcode of residence, for
service provision) start as services; a citizen's wallet is created; then

1. the register issues her a credential (blind issuance, the issuer checked on the ledger);
2. the bike-sharing service asks; she grants a standing consent, published on the ledger;
3. she presents: accepted, and the service's access is recorded on the ledger;
4. she revokes the consent;
5. the service asks again: her wallet refuses, since the ledger shows the grant revoked;
   a wallet that ignored the revocation would be refused by the service itself;
6. an auditor replays the whole ledger, and the citizen reads her consent history.

Every step is the library the commands use (`wallet.sessions`, `wallet.ledger`, the
services' admin client, `ledger.audit`). The data stays in the directory it names.
"""

from __future__ import annotations

import datetime
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli import render
from cli.audit import show_report
from cli.consent import show_consents, show_history
from cli.errors import EXIT_CHECK_FAILED, bad_input, handle_errors
from cli.stage import World, stage
from ledger.audit import replay
from ledger.note import VerifierKey
from policies import GrantDraft, build_response
from wallet import (
    DeclinedByCitizen,
    KdfParams,
    StoredConsent,
    StoredCredential,
    VerifierRefused,
    Wallet,
    WalletLedger,
    consent_states,
    create,
)
from wallet.session_http import SessionHttp
from wallet.sessions import (
    answer,
    deliver,
    fetch_offer,
    fetch_request,
    prepare,
    receive_offer,
)

PASSPHRASE = "correct horse battery staple"
CITIZEN = {
    "given_name": "Núria",
    "family_name": "Puig i Ferrer",
    "birthdate": "1990-03-14",
    "district": "Gràcia",
    "postcode": 8012,
}
RESIDENCE = ["district", "postcode"]
PURPOSE = "dpv:ServiceProvision"
STANDING = datetime.timedelta(days=30)


def _act(number: int, title: str) -> None:
    Console(highlight=False).rule(f"[bold]{number}. {title}", align="left")


def _said(message: str) -> None:
    render.say(f"  {message}")


def _done(message: str) -> None:
    render.say(f"  ✔ {message}", style="green")


@dataclass
class _Scene:
    """What the acts share: the running services, Núria's wallet, her view of the ledger."""

    world: World
    wallet: Wallet
    ledger: WalletLedger
    http: SessionHttp

    @property
    def bikes(self) -> str:
        return self.world.verifier.did


def _stage(world: World, started: float) -> None:
    _act(0, "The stage: three services on 127.0.0.1")
    render.fields(None, [
        ("ledger", world.ledger_url),
        ("issuer", f"the population register, {world.issuer.url} ({world.issuer.did})"),
        ("verifier", f"Bicing, bike sharing, {world.verifier.url} ({world.verifier.did})"),
    ])  # fmt: skip
    _done(
        f"both registered themselves on the ledger as they started "
        f"({time.monotonic() - started:.1f} s)"
    )


def _issue(scene: _Scene) -> StoredCredential:
    _act(1, "The population register issues Núria a resident credential")
    with scene.world.issuer.admin() as admin:
        offer = admin.create_offer("resident", CITIZEN)
    _said(f"the register's clerk creates a single-use offer: {offer.url}")
    render.say(offer.qr_text)
    fetched = fetch_offer(scene.http, offer.url)
    _done(f"the offer is signed by {fetched.issuer_name} and has not expired")
    stored = receive_offer(scene.wallet, scene.ledger, scene.http, fetched, label="padró")
    _done("the ledger holds the register's key for schema 'resident', live")
    _done("the wallet sent only a commitment to its secret; the blind signature verifies")
    rows = [(name, render.text(value)) for name, value in stored.attributes.items()]
    render.table("Núria's credential", ("attribute", "value"), rows)
    return stored


def _grant(scene: _Scene) -> StoredConsent:
    _act(2, "Bicing asks for her residence; she grants a standing consent")
    with scene.world.verifier.admin() as admin:
        created = admin.create_request("resident", RESIDENCE, purpose=PURPOSE, prove_expiry=True)
    prepared = prepare(scene.wallet, scene.ledger, fetch_request(scene.http, created.url))
    _said(f"{prepared.verifier.name} asks for {', '.join(RESIDENCE)} for {PURPOSE}, and a "
          "proof that her credential is valid instead of its expiry date")  # fmt: skip
    _said(f"the ledger says: {prepared.decision.explain()}")
    assert prepared.draft is not None
    standing = prepared.draft.model_copy(
        update={"max_uses": None, "not_after": prepared.draft.not_before + STANDING}
    )
    _said("Núria widens the least grant to 30 days, any number of uses, and approves")
    stored = scene.ledger.grant(standing)
    assert stored.receipt is not None
    pseudonym = scene.wallet.pseudonym(scene.bikes).hex()[:16]
    _done(f"granted {render.short_id(stored.id)}: ledger entry {stored.receipt.index}, "
          f"under pseudonym {pseudonym}… that only Bicing sees")  # fmt: skip
    _present(scene, created.url)
    return stored


def _present(scene: _Scene, url: str) -> None:
    _act(3, "She presents: Bicing checks the proof and the ledger")
    prepared = prepare(scene.wallet, scene.ledger, fetch_request(scene.http, url))
    _said(f"her wallet: {prepared.decision.explain()}")
    accepted = answer(scene.wallet, scene.ledger, scene.http, prepared, approve=_never)
    render.say("  accepted", style="bold green")
    learned = [*accepted.disclosed.items(),
               *((p.describe(), "proven") for p in prepared.request.predicates)]  # fmt: skip
    render.table("What Bicing learned", ("attribute", "value"), learned)
    _done(f"Bicing recorded its access: ledger entry {accepted.access_index}, read back by "
          "the wallet")  # fmt: skip


def _never(_draft: GrantDraft) -> bool:
    return False


def _revoke(scene: _Scene, grant: StoredConsent) -> None:
    _act(4, "Núria revokes the consent")
    done = scene.ledger.revoke(grant)
    assert done.revocation_receipt is not None
    _done(f"revoked {render.short_id(done.id)}: ledger entry {done.revocation_receipt.index}")


def _ask_again(scene: _Scene, credential: StoredCredential, grant: StoredConsent) -> str:
    """The refusals: her wallet's, then Bicing's to a wallet that ignored the revocation.
    Returns the verifier's reason."""
    _act(5, "Bicing asks again")
    with scene.world.verifier.admin() as admin:
        created = admin.create_request("resident", RESIDENCE, purpose=PURPOSE, prove_expiry=True)
    request = fetch_request(scene.http, created.url)
    prepared = prepare(scene.wallet, scene.ledger, request)
    _said(f"her wallet asks the ledger: {prepared.decision.explain()}")
    try:
        answer(scene.wallet, scene.ledger, scene.http, prepared, approve=_never)
    except DeclinedByCitizen:
        render.say("  refused by her wallet: no live grant, and she grants none: nothing shown",
                   style="bold red")  # fmt: skip
    _said("and a wallet that ignored the revocation, presenting under the revoked grant?")
    shown = scene.wallet.present(credential.id, disclose=request.attributes,
                                 verifier_id=request.verifier, nonce=request.nonce,
                                 predicates=request.predicates)  # fmt: skip
    response = build_response(issuer=scene.world.issuer.did, grant=grant.id, presentation=shown)
    try:
        deliver(scene.http, request, response)
    except VerifierRefused as refused:
        render.say(f"  refused by Bicing: check {refused.check}, reason {refused.reason}",
                   style="bold red")  # fmt: skip
        _said(f"its detail: {refused.detail}")
        return refused.reason
    render.say("  accepted under a revoked grant: this is a bug", style="bold red")
    raise typer.Exit(EXIT_CHECK_FAILED)


def _audit(scene: _Scene) -> bool:
    _act(6, "An auditor replays the whole ledger")
    key = VerifierKey.from_text(scene.world.ledger_key)
    report = replay(scene.world.ledger_url, log_key=key, origin=key.name, workers=0)
    show_report(report)
    return report.clean


def _history(scene: _Scene) -> None:
    _act(7, "Núria reads her consent history")
    kept = scene.wallet.consents.all()
    now = datetime.datetime.now(datetime.UTC)
    states = consent_states(kept, scene.ledger.status(kept), now)
    show_consents(states, title="her consents, as the ledger reports them")
    show_history(scene.ledger.history(), as_json=False)


def _directory(given: Path | None) -> Path:
    if given is None:
        return Path(tempfile.mkdtemp(prefix="cartera-demo-"))
    if given.exists() and any(given.iterdir()):
        raise bad_input(f"--dir {given}: not empty (the demo starts from nothing)")
    given.mkdir(parents=True, exist_ok=True)
    return given


@handle_errors
def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            file_okay=False,
            help="where the ledger, the services and the wallet keep their data (empty or "
            "new); default: a new temporary directory",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The life of a consent: issue, grant, present, revoke, refuse, audit. Loopback only."""
    started = time.monotonic()
    where = _directory(directory)
    render.say(f"Cartera demo: everything lives in {where}", style="bold")
    with stage(where) as world:
        _stage(world, started)
        wallet = create(where / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE)
        _said(f"Núria's wallet: {wallet.path} (Argon2id INTERACTIVE limits: fast, and "
              "weaker than the MODERATE default; fine for a demo)")  # fmt: skip
        with (
            wallet,
            WalletLedger(wallet, world.ledger_url, log_key=world.ledger_key) as ledger,
            SessionHttp() as http,
        ):
            scene = _Scene(world, wallet, ledger, http)
            credential = _issue(scene)
            grant = _grant(scene)
            _revoke(scene, grant)
            reason = _ask_again(scene, credential, grant)
            clean = _audit(scene)
            _history(scene)
    Console(highlight=False).rule()
    audit = "clean" if clean else "NOT CLEAN"
    took = time.monotonic() - started
    render.say(f"accepted, then refused after revocation ({reason}); audit {audit}; {took:.1f} s")
    render.say(f"the data stays in {where} (wallet passphrase: {PASSPHRASE!r})")
    if not clean:
        raise typer.Exit(EXIT_CHECK_FAILED)
