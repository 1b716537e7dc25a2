"""The wallet's collections of credentials and consents (history.py has the rest).

Each is a thin typed face over one vault table: it builds the value objects of
`wallet.records`, seals them under their natural ids, and opens them again, turning a
payload that does not parse into `VaultCorrupted` naming the table and record. Writes that
read first (a revocation joining its grant, a checkpoint that may only move forward) read
inside the same locked transaction, so two processes never lose each other's update.

The ledger-facing steps (sign and submit a grant, revoke over HTTP, read the history) will
build on these: they end in `consents.add(grant, receipt)`, `consents.add_revocation(...)`
and `checkpoints.advance(note)`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TypeVar

from attestations.credentials import (
    IssuanceRequest,
    IssuanceResponse,
    IssuanceState,
    IssuerPublicKey,
    begin_issuance,
    finish_issuance,
)
from attestations.encoding import constant_time_equal
from attestations.errors import AttestationError
from attestations.schemas import Schema
from policies import (
    ConsentGrant,
    ConsentRevoke,
    Decision,
    PolicyError,
    PresentationRequest,
    evaluate,
    utc_seconds,
    verify_entry_signature,
)
from wallet.errors import IssuanceRejected, NotFound, VaultCorrupted
from wallet.identity import Identity
from wallet.receipt import InvalidReceipt, LedgerReceipt
from wallet.records import (
    ConsentStatus,
    StoredConsent,
    StoredCredential,
    credential_id,
)
from wallet.vault import Vault

__all__ = ["Consents", "Credentials", "Table", "now_seconds"]

T = TypeVar("T")
_MIN_PREFIX = 8


def now_seconds(now: datetime.datetime | None) -> datetime.datetime:
    return utc_seconds(now or datetime.datetime.now(datetime.UTC))


class Table:
    """One vault table seen through one record type."""

    table: str

    def __init__(self, vault: Vault, identity: Identity) -> None:
        self._vault = vault
        self._identity = identity

    def _parse(self, row_id: str, payload: bytes, parse: Callable[[bytes], T]) -> T:
        try:
            return parse(payload)
        except (AttestationError, PolicyError, InvalidReceipt, ValueError) as exc:
            raise VaultCorrupted(f"{self.table} record {row_id}: {exc}") from None

    def _get(self, natural_id: str, parse: Callable[[bytes], T]) -> T | None:
        with self._vault.reading() as conn:
            payload = self._vault.get(conn, self.table, natural_id)
        if payload is None:
            return None
        return self._parse(self._vault.keys.record_id(self.table, natural_id), payload, parse)

    def _all(self, parse: Callable[[bytes], T]) -> list[T]:
        with self._vault.reading() as conn:
            rows = self._vault.scan(conn, self.table)
        return [self._parse(row_id, payload, parse) for row_id, payload in rows]

    def count(self) -> int:
        with self._vault.reading() as conn:
            return len(self._vault.raw_rows(conn, self.table))


class Credentials(Table):
    """Credentials received through blind issuance, bound to this wallet's holder secret."""

    table = "vault_credential"

    def begin(
        self, issuer: IssuerPublicKey, schema: Schema
    ) -> tuple[IssuanceRequest, IssuanceState]:
        """Step 1 of issuance: the request to send to `issuer` and the state to keep."""
        return begin_issuance(self._identity.holder_secret, issuer, schema)

    def receive(
        self,
        state: IssuanceState,
        response: IssuanceResponse,
        *,
        label: str | None = None,
        now: datetime.datetime | None = None,
    ) -> StoredCredential:
        """Step 3: keep the credential only if the issuer's answer verifies over our `s`."""
        ours = self._identity.holder_secret.to_bytes()
        if not constant_time_equal(state.secret.to_bytes(), ours):
            raise ValueError("this issuance was begun with another holder secret")
        try:
            credential = finish_issuance(state, response)
        except AttestationError as exc:
            raise IssuanceRejected(f"issuance answer refused: {exc}") from None
        stored = StoredCredential(credential_id(credential), credential, now_seconds(now), label)
        with self._vault.writing() as conn:
            self._vault.put(conn, self.table, stored.id, stored.payload())
        return stored

    def all(self) -> list[StoredCredential]:
        """Every credential, oldest first."""
        found = self._all(StoredCredential.from_payload)
        return sorted(found, key=lambda c: (c.received_at, c.id))

    def get(self, ref: str) -> StoredCredential:
        """The credential whose id is `ref`, or starts with it (at least 8 hex digits after
        `sha256:`); `NotFound` if none or several match."""
        exact = self._get(ref, StoredCredential.from_payload)
        if exact is not None:
            return exact
        prefix = ref if ref.startswith("sha256:") else f"sha256:{ref}"
        if len(prefix) < len("sha256:") + _MIN_PREFIX:
            raise NotFound(f"no credential {ref!r} (give at least {_MIN_PREFIX} hex digits)")
        matches = [c for c in self.all() if c.id.startswith(prefix)]
        if len(matches) != 1:
            raise NotFound(f"{len(matches) or 'no'} credentials match {ref!r}")
        return matches[0]

    def remove(self, ref: str) -> None:
        stored = self.get(ref)
        with self._vault.writing() as conn:
            self._vault.delete(conn, self.table, stored.id)


class Consents(Table):
    """Grants this wallet signed under its pseudonyms, with their ledger receipts."""

    table = "vault_consent"

    def add(
        self,
        grant: ConsentGrant,
        receipt: LedgerReceipt | None = None,
        *,
        now: datetime.datetime | None = None,
    ) -> StoredConsent:
        """Keep `grant` (and its receipt, once the ledger answered). Adding it again with a
        receipt completes the record; a revocation already kept stays."""
        # 1. Ours: under our pseudonym at its verifier, and validly signed.
        if grant.pseudonym != self._identity.pseudonym(grant.verifier):
            raise ValueError("the grant is not under this wallet's pseudonym")
        verify_entry_signature(grant)
        # 2. The receipt, if any, proves this grant into its checkpoint.
        if receipt is not None:
            receipt.verify_inclusion(grant.to_json())
        # 3. Merge with what is kept, under the lock.
        with self._vault.writing() as conn:
            old = self._get(grant.id, StoredConsent.from_payload)
            stored = StoredConsent(
                grant,
                receipt or (old.receipt if old else None),
                old.recorded_at if old else now_seconds(now),
                old.revocation if old else None,
                old.revocation_receipt if old else None,
            )
            self._vault.put(conn, self.table, grant.id, stored.payload())
        return stored

    def add_revocation(
        self, revocation: ConsentRevoke, receipt: LedgerReceipt | None = None
    ) -> StoredConsent:
        """Attach `revocation` (and its receipt) to the grant it revokes."""
        if receipt is not None:
            receipt.verify_inclusion(revocation.to_json())
        with self._vault.writing() as conn:
            old = self.get(revocation.grant)
            if revocation.pseudonym != old.grant.pseudonym:
                raise ValueError("the revocation is not under the grant's pseudonym")
            verify_entry_signature(revocation)
            stored = StoredConsent(
                old.grant,
                old.receipt,
                old.recorded_at,
                revocation,
                receipt or (old.revocation_receipt if old.revocation == revocation else None),
            )
            self._vault.put(conn, self.table, old.id, stored.payload())
        return stored

    def get(self, grant_id: str) -> StoredConsent:
        stored = self._get(grant_id, StoredConsent.from_payload)
        if stored is None:
            raise NotFound(f"no consent {grant_id!r} in this wallet")
        return stored

    def all(self) -> list[StoredConsent]:
        """Every consent, oldest first."""
        found = self._all(StoredConsent.from_payload)
        return sorted(found, key=lambda c: (c.grant.created_at, c.id))

    def decide(
        self, request: PresentationRequest, *, now: datetime.datetime | None = None
    ) -> Decision:
        """`policies.evaluate` of `request` against the grants kept here (use counts are
        the ledger's: until it is asked, `max_uses` is not enforced by this call)."""
        kept = self.all()
        revoked = {c.id for c in kept if c.revocation is not None}
        acknowledged = [
            c.grant for c in kept if c.status(now_seconds(now)) != ConsentStatus.PENDING
        ]
        return evaluate(request, acknowledged, now_seconds(now), revoked=revoked)
