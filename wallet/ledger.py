"""The wallet's side of the consent ledger: publish grants and revocations, read the
status of its grants, the registrations it trusts, and who used what.

    with WalletLedger(wallet, "http://127.0.0.1:8470", log_key=vkey) as ledger:
        name = ledger.verifier(draft.verifier).name      # registered, or VerifierNotRegistered
        stored = ledger.grant(draft)                      # signed, appended, kept with its receipt
        decision = ledger.decide(request)                 # policies.evaluate on the ledger's word

Trust across contacts (DESIGN.md, "Ledger": a ledger that shows two views is caught): the
verifying `ledger.client` starts from the checkpoint this wallet kept for the ledger's
origin, moves to the ledger's latest only over a consistency proof, and when the block
ends without an error the newest checkpoint it trusted is kept in the vault. The log key
is the caller's (`log_key`), or the one the ledger announces: on first contact nothing
vouches for it (`on_first_contact` is told), afterwards the kept checkpoint pins it.

The connection is made at first use, so that `revoke` keeps its signed revocation in the
vault before the ledger is reached: if it cannot be, the next `revoke` sends that one.

Reads are proven reads (docs/ledger-api.md): one round trip each. A verifier's
registration never changes (the ledger takes one per did, and nothing revokes it), so
once proven it is kept for the life of this object; an issuer key's registration is read
each time, because its revocation may follow at any moment (the client proves the
registration's bytes once: `ledger.client`'s memo).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from types import TracebackType

import httpx

from ledger.client import (
    DEFAULT_TIMEOUT,
    GrantView,
    LedgerClient,
    announced_log,
)
from ledger.errors import LedgerError, NotFound
from ledger.note import VerifierKey
from ledger.rules import Reason, Rejected
from policies import (
    ConsentGrant,
    ConsentRevoke,
    Decision,
    GrantDraft,
    IssuerRegister,
    PresentationRequest,
    VerifierRegister,
    evaluate,
    format_time,
    sign_consent_revoke,
)
from wallet.contents import now_seconds
from wallet.errors import IssuerNotRegistered, VerifierNotRegistered
from wallet.ledger_views import Access
from wallet.receipt import LedgerReceipt
from wallet.records import StoredConsent
from wallet.wallet import Wallet

__all__ = ["OnFirstContact", "WalletLedger", "holder_scalar"]

OnFirstContact = Callable[[VerifierKey], None]
"""Told the key a ledger announced when the wallet has nothing to check it against."""


def holder_scalar(wallet: Wallet) -> int:
    """The holder secret `s` as the scalar `policies`' signing functions take."""
    return int.from_bytes(wallet.holder_secret.to_bytes(), "big")


class WalletLedger:
    """The ledger at `url` as `wallet` knows it. Use as a context manager: the newest
    trusted checkpoint is kept in the wallet when the block succeeds."""

    def __init__(
        self,
        wallet: Wallet,
        url: str,
        *,
        log_key: VerifierKey | str | None = None,
        on_first_contact: OnFirstContact | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._wallet = wallet
        self._key = VerifierKey.from_text(log_key) if isinstance(log_key, str) else log_key
        self._on_first_contact = on_first_contact
        self._timeout = timeout
        self._transport = transport
        self._client: LedgerClient | None = None
        self._verifiers: dict[str, VerifierRegister] = {}

    def __enter__(self) -> WalletLedger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.keep()
        finally:
            self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- the verifying client, seeded from the wallet's checkpoint ---------------------------

    @property
    def client(self) -> LedgerClient:
        """The client, connected at first use: the ledger's latest checkpoint is fetched
        and proven consistent with the one the wallet kept."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> LedgerClient:
        pinned = self._key is not None
        key = (
            self._key
            or announced_log(
                self.url, transport=self._transport, timeout=self._timeout
            ).verifier_key
        )
        client = LedgerClient(
            self.url,
            log_key=key,
            origin=key.name,
            transport=self._transport,
            timeout=self._timeout,
        )
        try:
            kept = self._wallet.checkpoints.get(key.name)
            if kept is not None:
                try:
                    client.advance(client.open(kept.note))
                except LedgerError as exc:
                    raise LedgerError(
                        f"ledger {self.url} ({key.label}) does not sign the checkpoint this "
                        f"wallet kept for {key.name}: {exc}"
                    ) from None
            elif not pinned and self._on_first_contact is not None:
                self._on_first_contact(key)
            client.checkpoint()
        except BaseException:
            client.close()
            raise
        return client

    def keep(self) -> None:
        """Keep the newest checkpoint trusted so far in the wallet (done on leaving the
        block; call it to keep one earlier)."""
        if self._client is not None and self._client.trusted is not None:
            self._wallet.checkpoints.advance(self._client.trusted.note)

    def tree_size(self) -> int:
        """The size of the tree this wallet now trusts (connecting if need be)."""
        trusted = self.client.trusted
        return trusted.checkpoint.size if trusted is not None else 0

    # -- registrations -------------------------------------------------------------------

    def verifier(self, did: str) -> VerifierRegister:
        """The verifier's registration, proven in the log (once: module docstring);
        `VerifierNotRegistered` if none."""
        found = self._verifiers.get(did)
        if found is None:
            try:
                found = self.client.verifier(did).document
            except NotFound:
                raise VerifierNotRegistered(
                    f"verifier {did} is not registered on the ledger"
                ) from None
            self._verifiers[did] = found
        return found

    def registered_name(self, did: str) -> str | None:
        try:
            return self.verifier(did).name
        except VerifierNotRegistered:
            return None

    def issuer_key(
        self, did: str, public_key: bytes, schema_id: str, *, now: datetime.datetime
    ) -> IssuerRegister:
        """The registration by issuer `did` of BBS key `public_key` listing `schema_id`,
        valid at `now` and not revoked by then; `IssuerNotRegistered` naming what fails."""
        try:
            keys = self.client.issuer(did)
        except NotFound:
            keys = []
        found = [k for k in keys if k.public_key == public_key]
        if not found:
            raise IssuerNotRegistered(f"issuer {did} has not registered this BBS key on the ledger")
        (view,) = found  # the ledger registers a key once
        register = view.registration.document
        if view.revocation is not None and view.revocation.document.effective_at <= now:
            raise IssuerNotRegistered(f"issuer {did} revoked this BBS key on the ledger")
        if not register.valid_from <= now < register.valid_until:
            raise IssuerNotRegistered(
                f"issuer {did}'s registration of this key is valid from "
                f"{format_time(register.valid_from)} to {format_time(register.valid_until)}"
            )
        if schema_id not in {ref.id for ref in register.schemas}:
            raise IssuerNotRegistered(f"issuer {did} did not register schema {schema_id}")
        return register

    # -- consent: publish, grant, revoke ---------------------------------------------------

    def publish(self, entry: ConsentGrant | ConsentRevoke) -> LedgerReceipt:
        """Append `entry`; the client checked the answer's checkpoint, proof and consistency."""
        receipt = self.client.append(entry.to_json())
        return LedgerReceipt(receipt.index, receipt.note, receipt.proof)

    def grant(self, draft: GrantDraft, *, now: datetime.datetime | None = None) -> StoredConsent:
        """Sign `draft` with the holder secret under the pseudonym at its verifier, append
        it, and keep it with its receipt (and the receipt's checkpoint) in one transaction."""
        at = now_seconds(now)
        signed = draft.sign(holder_scalar(self._wallet), created_at=at)
        receipt = self.publish(signed)
        with self._wallet.transaction():
            stored = self._wallet.consents.add(signed, receipt, now=at)
            self._wallet.checkpoints.advance(receipt.checkpoint)
        return stored

    def revoke(
        self, stored: StoredConsent, *, now: datetime.datetime | None = None
    ) -> StoredConsent:
        """Revoke `stored`'s grant: the revocation is signed and kept before it is sent (or
        the one kept earlier is sent as it is), then appended and kept with its receipt.
        Already revoked with a receipt: returned as it is, nothing sent."""
        if stored.revocation_receipt is not None:
            return stored
        revocation = stored.revocation or self._keep_revocation(stored, now)
        try:
            receipt = self.publish(revocation)
        except Rejected as exc:
            if exc.reason is not Reason.CLOCK_SKEW:
                raise
            # Kept while the ledger was down, never logged, and now older than the ledger's
            # clock-skew bound: a fresh one takes its place.
            revocation = self._keep_revocation(stored, now)
            receipt = self.publish(revocation)
        with self._wallet.transaction():
            done = self._wallet.consents.add_revocation(revocation, receipt)
            self._wallet.checkpoints.advance(receipt.checkpoint)
        return done

    def _keep_revocation(
        self, stored: StoredConsent, now: datetime.datetime | None
    ) -> ConsentRevoke:
        revocation = sign_consent_revoke(
            holder_scalar(self._wallet), grant=stored.grant, created_at=now_seconds(now)
        )
        self._wallet.consents.add_revocation(revocation)
        return revocation

    # -- what the ledger says of this wallet's grants --------------------------------------

    def status(self, kept: Iterable[StoredConsent]) -> dict[str, GrantView]:
        """What the ledger says of every grant under this wallet's pseudonyms at the
        verifiers of `kept` (one query per verifier, each entry proven), by grant id."""
        views: dict[str, GrantView] = {}
        for verifier in sorted({c.grant.verifier for c in kept}):
            for view in self.client.grants(self._wallet.pseudonym(verifier), verifier):
                views[view.id] = view
        return views

    def decide(
        self, request: PresentationRequest, *, now: datetime.datetime | None = None
    ) -> Decision:
        """`policies.evaluate` of `request` against the grants the ledger holds under this
        wallet's pseudonym at the request's verifier, with the ledger's revocations and use
        counts (grants a crash kept out of the vault count too: they are ours)."""
        at = now_seconds(now)
        pseudonym = self._wallet.pseudonym(request.verifier)
        views = self.client.grants(pseudonym, request.verifier, at)
        return evaluate(
            request,
            [v.logged.document for v in views],
            at,
            revoked={v.id for v in views if v.revoked_at is not None},
            uses={v.id: v.uses for v in views},
            pseudonym=pseudonym,
        )

    def history(self) -> list[Access]:
        """The ledger's access records under our pseudonym at every verifier we granted or
        showed something to (each entry proven), matched to our grants and presentations,
        in ledger order. Reaches the ledger even when there is nothing to ask about: an
        empty history is the ledger's word, not the wallet's."""
        client = self.client
        consents = {c.id: c for c in self._wallet.consents.all()}
        shown = {p.id: p for p in self._wallet.presentations.all()}
        verifiers = {c.grant.verifier for c in consents.values()}
        verifiers |= {p.verifier for p in shown.values()}
        found = []
        for verifier in sorted(verifiers):
            accesses = client.accesses(self._wallet.pseudonym(verifier))
            name = self.registered_name(verifier) if accesses else None
            for view in accesses:
                made = shown.get(view.logged.document.presentation)
                found.append(Access(view, verifier, name, consents.get(view.grant), made))
        return sorted(found, key=lambda a: a.view.logged.index)
