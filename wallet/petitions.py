"""Signing a petition anonymously (docs/petitions.md), every check made before signing.

    with WalletLedger(wallet, ledger_url) as ledger:
        plan = prepare_signature(wallet, ledger, petition_id)    # what will be shown, proven
        signed = sign_petition(wallet, ledger, petition_id, approve=ask_the_citizen)

1. this wallet has not signed the petition already (it keeps every signature it made,
   under the petition's id, with the presentations);
2. the petition is on the ledger (proven included in the trusted checkpoint) and takes
   signatures now, by the wallet's clock;
3. a credential of the petition's schema, not expired, whose BBS key one of the eligible
   issuers registered on the ledger (valid now, not revoked), is chosen (the newest, or
   the one named);
4. its values satisfy every predicate of the petition, checked here so that the citizen
   hears which one does not hold (a false predicate cannot be proven anyway);
5. the citizen approves what will be shown (the eligible attributes, never `expiry`) and
   proven (the petition's predicates and `expiry >=` today, UTC);
6. the presentation is made for `verifier_id` = the petition's id, with those predicates
   and 32 fresh random bytes as nonce, appended as a `petition.sign`, and kept with the
   receipt's checkpoint.

The ledger makes the same checks again (and refuses a second signature of this holder
secret, from any wallet holding it, as `already_signed`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from attestations.credentials import present
from attestations.schemas import Value
from ledger.client import PetitionView
from ledger.petitions import NONCE_BYTES
from ledger.rules import Reason, Rejected
from policies import PetitionOpen, PetitionSign, Predicate, build_petition_sign, format_time
from policies.predicates import proof_statements
from wallet.contents import now_seconds
from wallet.errors import DeclinedByCitizen, IssuerNotRegistered, WalletError
from wallet.ledger import WalletLedger
from wallet.predicates import holds
from wallet.records import PresentationRecord, StoredCredential
from wallet.wallet import Wallet

__all__ = [
    "AlreadySigned",
    "Approve",
    "NotEligible",
    "PetitionClosed",
    "PetitionError",
    "PetitionPlan",
    "SignedPetition",
    "prepare_signature",
    "sign_petition",
]


class PetitionError(WalletError):
    """A petition this wallet cannot sign; the subclasses say why. Nothing was signed."""


class AlreadySigned(PetitionError):
    """This wallet signed the petition already, or the ledger holds a signature under
    this holder's pseudonym there (from another device with the same secret)."""


class PetitionClosed(PetitionError):
    """The petition does not take signatures now (by the wallet's clock)."""


class NotEligible(PetitionError):
    """No credential of this wallet makes the citizen eligible: the message names what
    the best candidate lacks (schema, issuer, expiry, or a predicate that does not hold)."""


@dataclass(frozen=True)
class PetitionPlan:
    """What signing will do, before the citizen is asked: the petition as the ledger
    holds it, the credential and its issuer, what will be shown and what proven."""

    petition: PetitionView
    credential: StoredCredential
    issuer: str
    shown: Mapping[str, Value]
    proven: tuple[Predicate, ...]

    @property
    def document(self) -> PetitionOpen:
        return self.petition.document


@dataclass(frozen=True)
class SignedPetition:
    """A signature the ledger logged: the entry, where it is, and the wallet's record."""

    entry: PetitionSign
    index: int
    tree_size: int
    record: PresentationRecord


Approve = Callable[[PetitionPlan], bool]
"""Asked with the plan: True to sign."""


def prepare_signature(
    wallet: Wallet,
    ledger: WalletLedger,
    petition_id: str,
    *,
    credential: str | None = None,
    now: datetime.datetime | None = None,
) -> PetitionPlan:
    """Steps 1-4 of the module docstring."""
    at = now_seconds(now)
    # 1. Once per wallet.
    made = wallet.presentations.all(verifier=petition_id)
    if made:
        when = format_time(made[0].presented_at)
        raise AlreadySigned(f"this wallet signed petition {petition_id} already, at {when}")
    # 2. On the ledger, and open.
    view = ledger.client.petition(petition_id)
    petition = view.document
    if not petition.is_open(at):
        window = f"{format_time(petition.created_at)} to {format_time(petition.closes_at)}"
        raise PetitionClosed(f"petition {petition_id} takes signatures from {window}")
    # 3. A credential of an eligible issuer; 4. whose values satisfy the predicates.
    chosen, issuer = _choose(wallet, ledger, petition, credential, at)
    shown = {name: chosen.attributes[name] for name in petition.eligibility.attributes}
    proven = petition.eligibility.signature_predicates(at)
    return PetitionPlan(view, chosen, issuer, shown, proven)


def sign_petition(
    wallet: Wallet,
    ledger: WalletLedger,
    petition_id: str,
    *,
    approve: Approve | None = None,
    credential: str | None = None,
    now: datetime.datetime | None = None,
) -> SignedPetition:
    """Steps 1-6 of the module docstring; `approve` is asked with the plan (None: the
    caller has the citizen's approval already)."""
    at = now_seconds(now)
    plan = prepare_signature(wallet, ledger, petition_id, credential=credential, now=at)
    if approve is not None and not approve(plan):
        raise DeclinedByCitizen("declined: nothing signed")
    petition = plan.document
    shown = present(
        plan.credential.credential, wallet.holder_secret,
        disclose=petition.eligibility.attributes, verifier_id=petition_id,
        nonce=os.urandom(NONCE_BYTES),
        predicates=proof_statements(plan.proven, petition.eligibility.credential_schema),
    )  # fmt: skip
    entry = build_petition_sign(petition, issuer=plan.issuer, presentation=shown, created_at=at)
    try:
        receipt = ledger.client.append(entry.to_json())
    except Rejected as refused:
        if refused.reason is Reason.ALREADY_SIGNED:
            raise AlreadySigned(f"the ledger refused: {refused.detail}") from None
        raise
    with wallet.transaction():
        record = wallet.presentations.record(
            verifier=petition_id, credential_id=plan.credential.id,
            disclosed=tuple(shown.disclosed), presentation=shown.to_json(),
            predicates=plan.proven, now=at,
        )  # fmt: skip
        wallet.checkpoints.advance(receipt.note)
    return SignedPetition(entry, receipt.index, receipt.checkpoint.size, record)


def _choose(
    wallet: Wallet,
    ledger: WalletLedger,
    petition: PetitionOpen,
    ref: str | None,
    at: datetime.datetime,
) -> tuple[StoredCredential, str]:
    """The newest credential (or `ref`) that makes the citizen eligible, with its issuer;
    `NotEligible` naming what the last candidate lacks."""
    eligibility = petition.eligibility
    schema_id = eligibility.credential_schema.schema_id
    candidates = [wallet.credentials.get(ref)] if ref else wallet.credentials.all()[::-1]
    why = f"no credential of schema {eligibility.credential_schema.name!r} in this wallet"
    for stored in candidates:
        if stored.schema.schema_id != schema_id:
            why = f"credential {stored.id} is of another schema than the petition's"
            continue
        if stored.is_expired(at.date()):
            why = f"credential {stored.id} expired on {stored.expiry}"
            continue
        issuer = _eligible_issuer(ledger, stored, eligibility.issuers, schema_id, at)
        if issuer is None:
            why = f"credential {stored.id} is not from an issuer the petition counts"
            continue
        unmet = [p for p in eligibility.predicates if not holds(p, stored)]
        if unmet:
            why = f"credential {stored.id}: not {', '.join(p.describe() for p in unmet)}"
            continue
        return stored, issuer
    raise NotEligible(why)


def _eligible_issuer(
    ledger: WalletLedger,
    stored: StoredCredential,
    issuers: tuple[str, ...],
    schema_id: str,
    at: datetime.datetime,
) -> str | None:
    key = stored.credential.issuer.to_bytes()
    for did in issuers:
        try:
            ledger.issuer_key(did, key, schema_id, now=at)
        except IssuerNotRegistered:
            continue
        return did
    return None
