"""Presentations: disclose some attributes to one verifier, under its pseudonym.

A presentation is a BBS proof (draft-irtf-cfrg-bbs-signatures §3.6.3) over the credential's
signed vector [attributes, prover_blind, s] that discloses the chosen attributes and
`expiry`, keeps `prover_blind` and `s` hidden, and reveals the pseudonym P_v = s·B_v with a
proof that it uses the signed `s` (attestations.bbs.pseudonym). The presentation header
binds the verifier id and its nonce, so a presentation cannot be replayed elsewhere.

Expiry is always disclosed and checked by the verifier against its own clock: a credential
is valid through its `expiry` day (UTC). Disclosing a date is a small linkability cost, so
issuers should use coarse, shared expiry dates (e.g. the end of a month); a range
predicate `expiry ≥ today` can replace the disclosure once predicates exist.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from attestations.bbs import RandomScalars, calculate_random_scalars, octets_to_proof
from attestations.bbs.blind import signed_messages
from attestations.bbs.pseudonym import proof_gen_with_pseudonym, proof_verify_with_pseudonym
from attestations.credentials._common import (
    API_ID,
    MIN_NONCE_BYTES,
    SUITE,
    check_context,
    credential_header,
    generators,
    map_string,
    open_document,
    presentation_header,
    secret_index,
    today_utc,
)
from attestations.credentials.credential import (
    Credential,
    attributes_from_json,
    attributes_to_json,
    check_raw_attributes,
)
from attestations.credentials.keys import HolderSecret, IssuerPublicKey
from attestations.encoding import (
    b64url_encode,
    canonical_json,
    constant_time_equal,
    get_b64,
    get_str,
    load_canonical_json,
)
from attestations.errors import DecodeError, InvalidProof
from attestations.pseudonym import PSEUDONYM_BYTES, decode_pseudonym, verifier_base
from attestations.schemas import EXPIRY, Schema, Value

__all__ = ["Presentation", "present", "verify_presentation"]


@dataclass(frozen=True)
class Presentation:
    """What a verifier receives. Disclosed values stay in JSON form until
    `verify_presentation` types them against the verifier's own copy of the schema."""

    schema_id: str
    issuer: IssuerPublicKey
    disclosed: Mapping[str, Any]
    pseudonym: bytes
    proof: bytes
    verifier_id: str
    nonce: bytes

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "disclosed": dict(self.disclosed),
                "issuer": b64url_encode(self.issuer.to_bytes()),
                "nonce": b64url_encode(self.nonce),
                "proof": b64url_encode(self.proof),
                "pseudonym": b64url_encode(self.pseudonym),
                "schema": self.schema_id,
                "type": "presentation",
                "verifier": self.verifier_id,
            }
        )

    @property
    def digest(self) -> str:
        """`sha256:` + hex of the canonical JSON (what `access.record` names)."""
        return "sha256:" + hashlib.sha256(self.to_json()).hexdigest()

    @classmethod
    def from_json(cls, data: bytes | str) -> Presentation:
        """Parse a presentation; `DecodeError` unless canonical and well-formed (points in
        the subgroup, scalars below r, a non-identity pseudonym)."""
        what = "presentation"
        fields = ["disclosed", "issuer", "nonce", "proof", "pseudonym", "schema", "verifier"]
        doc = open_document(load_canonical_json(data), what, fields)
        disclosed = check_raw_attributes(doc["disclosed"], what)
        pseudonym = get_b64(doc, "pseudonym", length=PSEUDONYM_BYTES, what=what)
        decode_pseudonym(pseudonym, backend=SUITE.curve)
        proof = get_b64(doc, "proof", what=what)
        octets_to_proof(proof, SUITE)
        nonce = get_b64(doc, "nonce", what=what)
        verifier_id = get_str(doc, "verifier", what=what)
        if len(nonce) < MIN_NONCE_BYTES or not verifier_id:
            raise DecodeError(f"{what}: nonce too short or verifier empty")
        issuer = IssuerPublicKey(get_b64(doc, "issuer", length=96, what=what))
        schema_id = get_str(doc, "schema", what=what)
        return cls(schema_id, issuer, disclosed, pseudonym, proof, verifier_id, nonce)


def _disclosed_indexes(schema: Schema, names: Sequence[str]) -> list[int]:
    if len(set(names)) != len(names):
        raise ValueError("an attribute is named twice in disclose")
    return sorted({schema.index(n) for n in (*names, EXPIRY)})


def present(
    credential: Credential,
    secret: HolderSecret,
    *,
    disclose: Sequence[str],
    verifier_id: str,
    nonce: bytes,
    rng: RandomScalars = calculate_random_scalars,
) -> Presentation:
    """Holder: a fresh, unlinkable proof disclosing `disclose` (and always `expiry`) to
    `verifier_id`, bound to its `nonce`, under the holder's pseudonym there."""
    schema = credential.schema
    ph = presentation_header(verifier_id, nonce)
    indexes = _disclosed_indexes(schema, disclose)
    messages = signed_messages(credential.messages(), credential.prover_blind, [secret._s])
    proof, pseudonym = proof_gen_with_pseudonym(
        credential.issuer.to_bytes(),
        credential.signature,
        credential_header(schema),
        ph,
        messages,
        indexes,
        generators=generators(schema),
        secret_index=secret_index(schema),
        base=verifier_base(verifier_id, backend=SUITE.curve),
        api_id=API_ID,
        suite=SUITE,
        rng=rng,
    )
    shown = {schema.names[i]: credential.values[schema.names[i]] for i in indexes}
    disclosed = attributes_to_json(schema, shown)
    return Presentation(
        schema.schema_id, credential.issuer, disclosed, pseudonym, proof, verifier_id, nonce
    )


def verify_presentation(
    presentation: Presentation,
    issuer: IssuerPublicKey,
    schema: Schema,
    *,
    verifier_id: str,
    nonce: bytes,
    now: datetime.datetime | None = None,
) -> dict[str, Value]:
    """Verifier: the disclosed attributes, typed and in schema order, if `presentation` is a
    valid, unexpired proof for this issuer, schema, verifier and nonce. Raises
    `DecodeError` for malformed disclosed values and `InvalidProof` for anything else."""
    check_context(verifier_id, nonce)
    # 1. Context: the presentation names this schema, issuer, verifier and nonce.
    same = (
        presentation.schema_id == schema.schema_id
        and presentation.issuer == issuer
        and presentation.verifier_id == verifier_id
        and constant_time_equal(presentation.nonce, nonce)
    )
    if not same:
        raise InvalidProof("presentation does not verify")
    # 2. Disclosed values, typed by the verifier's schema; expiry must be among them.
    values = attributes_from_json(schema, dict(presentation.disclosed), complete=False)
    if EXPIRY not in values:
        raise InvalidProof("presentation does not verify")
    indexes = [schema.index(n) for n in values]
    # 3. The BBS proof with the pseudonym under B_v, header and presentation header.
    ok = proof_verify_with_pseudonym(
        issuer.to_bytes(),
        presentation.proof,
        presentation.pseudonym,
        credential_header(schema),
        presentation_header(verifier_id, nonce),
        [schema.to_message(n, v, map_string) for n, v in values.items()],
        indexes,
        generators=generators(schema),
        secret_index=secret_index(schema),
        base=verifier_base(verifier_id, backend=SUITE.curve),
        api_id=API_ID,
        suite=SUITE,
    )
    if not ok:
        raise InvalidProof("presentation does not verify")
    # 4. Expiry: valid through the expiry day (UTC).
    if cast(datetime.date, values[EXPIRY]) < today_utc(now):
        raise InvalidProof("presentation: the credential has expired")
    return values
