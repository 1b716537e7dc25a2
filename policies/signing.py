"""Signing and checking ledger entries.

Organisation entries (`issuer.*`, `verifier.register`, `access.record`, `petition.open`)
are Ed25519 under the `did:key` the entry names. Consent entries (`consent.grant`,
`consent.revoke`) are the Schnorr signature of `attestations.consent` by the holder secret
`s` on the base point of the entry's verifier (`verifier_id` = the verifier's did), whose
public key is the entry's pseudonym `P_v`. A `petition.sign` carries no signature of its
own (see `verify_entry_signature`). Each `sign_*` takes times and randomness as arguments,
builds the entry's JSON, signs its canonical bytes without `sig`, and parses it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attestations.consent import Rng, sign_consent, verify_consent
from attestations.encoding import b64url_encode
from attestations.errors import DecodeError, InvalidSignature
from attestations.pseudonym import pseudonym
from policies.canonical import sha256_id
from policies.entries import (
    AccessRecord,
    Ciphersuite,
    ConsentGrant,
    ConsentRevoke,
    Entry,
    IssuerRegister,
    IssuerRevokeKey,
    PetitionOpen,
    PetitionSign,
    RevocationReason,
    SchemaRef,
    VerifierRegister,
)
from policies.errors import DocumentError, SignatureError
from policies.identity import OrgKey, verify_signature
from policies.predicates import Predicate, predicates_json
from policies.purposes import Purpose
from policies.times import format_time

__all__ = [
    "sign_access_record",
    "sign_consent_grant",
    "sign_consent_revoke",
    "sign_issuer_register",
    "sign_issuer_revoke_key",
    "sign_verifier_register",
    "verify_entry_signature",
]


def sign_issuer_register(
    key: OrgKey,
    *,
    name: str,
    public_key: bytes,
    ciphersuite: Ciphersuite | str,
    schemas: Iterable[SchemaRef],
    valid_from: datetime,
    valid_until: datetime,
    created_at: datetime,
) -> IssuerRegister:
    """Register BBS key `public_key` as issuer `key.did`."""
    fields = {
        "issuer": key.did,
        "name": name,
        "public_key": b64url_encode(public_key),
        "ciphersuite": Ciphersuite(ciphersuite).value,
        "schemas": [s.to_json_dict() for s in sorted(schemas, key=lambda s: s.id)],
        "valid_from": format_time(valid_from),
        "valid_until": format_time(valid_until),
        "created_at": format_time(created_at),
    }
    return IssuerRegister.build(fields, key.sign)


def sign_issuer_revoke_key(
    key: OrgKey,
    *,
    public_key: bytes,
    reason: RevocationReason | str,
    effective_at: datetime,
    created_at: datetime,
) -> IssuerRevokeKey:
    """Withdraw BBS key `public_key` of issuer `key.did` from `effective_at` on."""
    fields = {
        "issuer": key.did,
        "public_key": b64url_encode(public_key),
        "reason": RevocationReason(reason).value,
        "effective_at": format_time(effective_at),
        "created_at": format_time(created_at),
    }
    return IssuerRevokeKey.build(fields, key.sign)


def sign_verifier_register(
    key: OrgKey,
    *,
    name: str,
    purposes: Iterable[Purpose | str],
    contact: str,
    created_at: datetime,
) -> VerifierRegister:
    """Register verifier `key.did`."""
    fields = {
        "verifier": key.did,
        "name": name,
        "purposes": sorted({Purpose(p).value for p in purposes}),
        "contact": contact,
        "created_at": format_time(created_at),
    }
    return VerifierRegister.build(fields, key.sign)


def sign_consent_grant(
    secret: int,
    *,
    verifier: str,
    schema: str,
    attributes: Iterable[str],
    predicates: Iterable[Predicate],
    purpose: Purpose | str,
    not_before: datetime,
    not_after: datetime,
    created_at: datetime,
    max_uses: int | None = None,
    rng: Rng | None = None,
) -> ConsentGrant:
    """Grant `verifier` the listed items, signed by holder secret `secret` under its
    pseudonym at `verifier` (computed here: `P_v = secret·B_v`)."""
    fields = {
        "pseudonym": b64url_encode(pseudonym(secret, verifier)),
        "verifier": verifier,
        "schema": schema,
        "attributes": sorted(set(attributes)),
        "predicates": predicates_json(predicates),
        "purpose": Purpose(purpose).value,
        "not_before": format_time(not_before),
        "not_after": format_time(not_after),
        "max_uses": max_uses,
        "created_at": format_time(created_at),
    }
    return ConsentGrant.build(fields, lambda m: sign_consent(secret, verifier, m, rng=rng))


def sign_consent_revoke(
    secret: int, *, grant: ConsentGrant, created_at: datetime, rng: Rng | None = None
) -> ConsentRevoke:
    """Revoke `grant` from `created_at` on, signed under the grant's own pseudonym."""
    fields = {
        "grant": grant.id,
        "pseudonym": b64url_encode(grant.pseudonym),
        "verifier": grant.verifier,
        "created_at": format_time(created_at),
    }
    if pseudonym(secret, grant.verifier) != grant.pseudonym:
        raise ValueError("this secret is not the holder of the grant's pseudonym")
    return ConsentRevoke.build(fields, lambda m: sign_consent(secret, grant.verifier, m, rng=rng))


def sign_access_record(
    key: OrgKey, *, grant: str, presentation: bytes, created_at: datetime
) -> AccessRecord:
    """Record that verifier `key.did` accepted `presentation` (its bytes; only their
    SHA-256 goes on the ledger) under grant id `grant` at `created_at`."""
    fields = {
        "verifier": key.did,
        "grant": grant,
        "presentation": sha256_id(presentation),
        "created_at": format_time(created_at),
    }
    return AccessRecord.build(fields, key.sign)


def verify_entry_signature(entry: Entry) -> None:
    """Return if `entry` carries a valid signature of the key it names; raise
    `SignatureError` if not, `DocumentError` if a key in it does not even decode (a
    pseudonym off the curve, a signature scalar not below the group order).

    A `petition.sign` has no signature of its own: its presentation, parsed already, is
    checked against the petition and the issuer's registered key by the ledger's rules
    (`ledger.petitions`), which need the log."""
    if isinstance(entry, PetitionSign):
        return
    message = entry.signing_bytes()
    if isinstance(entry, IssuerRegister | IssuerRevokeKey):
        verify_signature(entry.issuer, message, entry.sig)
    elif isinstance(entry, VerifierRegister | AccessRecord):
        verify_signature(entry.verifier, message, entry.sig)
    elif isinstance(entry, PetitionOpen):
        verify_signature(entry.organiser, message, entry.sig)
    else:
        try:
            verify_consent(entry.pseudonym, entry.verifier, message, entry.sig)
        except DecodeError as exc:
            raise DocumentError(f"{entry.TYPE}: {exc}") from None
        except InvalidSignature:
            raise SignatureError("signature does not verify") from None
