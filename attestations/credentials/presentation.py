"""Presentations: disclose some attributes to one verifier, under its pseudonym.

A presentation is a BBS proof (draft-irtf-cfrg-bbs-signatures §3.6.3) over the credential's
signed vector [attributes, prover_blind, s] that discloses the chosen attributes (and
`expiry`, see below), keeps `prover_blind` and `s` hidden, and reveals the pseudonym
P_v = s·B_v with a proof that it uses the signed `s` (attestations.bbs.pseudonym). The
presentation header binds the verifier id and its nonce, so a presentation cannot be
replayed elsewhere.

A credential is valid through its `expiry` day (UTC), which the verifier checks against
its own clock. Expiry is disclosed unless the presentation proves `expiry ≥ d` instead,
with `d` a day not yet past: a disclosed date is a small linkability cost (issuers should
use coarse, shared expiry dates), which presentations that must stay unlinkable, such as
petition signatures, avoid this way.

Predicates (`attestations.predicates`: `Range`, `Member`) on undisclosed attributes are
proven in the same presentation: a commitment to the hidden message, a Schnorr link inside
the BBS challenge and a zero-knowledge argument on the commitment (predicates/linked.py).
The `predicates` field is there only when there are predicates, so a presentation without
them, and its digest, are what they were before predicates existed.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from attestations.bbs import RandomScalars, calculate_random_scalars, octets_to_proof
from attestations.bbs.blind import signed_messages
from attestations.bbs.proof import undisclosed_indexes
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
from attestations.predicates.linked import (
    LinkedProver,
    PredicateProof,
    challenge_octets,
    link_points,
    verify_arguments,
)
from attestations.predicates.statements import (
    MAX_PREDICATES,
    Predicate,
    Range,
    check_predicates,
    predicate_key,
)
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
    predicates: tuple[PredicateProof, ...] = ()

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "disclosed": dict(self.disclosed),
            "issuer": b64url_encode(self.issuer.to_bytes()),
            "nonce": b64url_encode(self.nonce),
            "proof": b64url_encode(self.proof),
            "pseudonym": b64url_encode(self.pseudonym),
            "schema": self.schema_id,
            "type": "presentation",
            "verifier": self.verifier_id,
        }
        if self.predicates:
            doc["predicates"] = [p.to_json() for p in self.predicates]
        return canonical_json(doc)

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
        obj = load_canonical_json(data)
        raw_predicates = obj.pop("predicates", None) if isinstance(obj, dict) else None
        doc = open_document(obj, what, fields)
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
        predicates = () if raw_predicates is None else _predicates_from_json(raw_predicates)
        return cls(schema_id, issuer, disclosed, pseudonym, proof, verifier_id, nonce, predicates)


def _predicates_from_json(raw: Any) -> tuple[PredicateProof, ...]:
    """A present `predicates` field: 1..MAX_PREDICATES proofs, sorted by statement, no
    statement twice (so an empty list, which would be a second spelling, is refused)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PREDICATES:
        raise DecodeError(f"presentation: predicates must be a list of 1..{MAX_PREDICATES}")
    proofs = tuple(PredicateProof.from_json(item, SUITE.curve) for item in raw)
    keys = [predicate_key(p.predicate) for p in proofs]
    if any(a >= b for a, b in itertools.pairwise(keys)):
        raise DecodeError("presentation: predicates must be sorted, without repeats")
    return proofs


def _disclosed_indexes(schema: Schema, names: Sequence[str], *, expiry: bool) -> list[int]:
    if len(set(names)) != len(names):
        raise ValueError("an attribute is named twice in disclose")
    return sorted({schema.index(n) for n in (*names, *([EXPIRY] if expiry else []))})


def _proven_expiry(predicates: Sequence[Predicate]) -> datetime.date | None:
    """The lower bound that `predicates` put on `expiry`, if one does: a credential whose
    expiry is at least a day not yet past is as good as one that shows its expiry."""
    for p in predicates:
        if p.attribute == EXPIRY and isinstance(p, Range) and p.lo is not None:
            return cast(datetime.date, p.lo)
    return None


def present(
    credential: Credential,
    secret: HolderSecret,
    *,
    disclose: Sequence[str],
    verifier_id: str,
    nonce: bytes,
    predicates: Sequence[Predicate] = (),
    rng: RandomScalars = calculate_random_scalars,
) -> Presentation:
    """Holder: a fresh, unlinkable proof disclosing `disclose` (and `expiry`, unless a
    predicate bounds it from below) to `verifier_id`, bound to its `nonce`, under the
    holder's pseudonym there, proving `predicates` on undisclosed attributes. ValueError
    for a predicate that does not fit the schema, is on a disclosed attribute or is false
    for this credential."""
    schema = credential.schema
    ph = presentation_header(verifier_id, nonce)
    wanted = check_predicates(predicates, schema)
    indexes = _disclosed_indexes(schema, disclose, expiry=_proven_expiry(wanted) is None)
    if any(schema.index(p.attribute) in indexes for p in wanted):
        raise ValueError("a predicate on a disclosed attribute (disclose it or prove it)")
    messages = signed_messages(credential.messages(), credential.prover_blind, [secret._s])
    linked = LinkedProver(
        wanted,
        schema,
        messages,
        presentation_header=ph,
        map_string=map_string,
        backend=SUITE.curve,
        rng=rng,
    )
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
        blindings=linked.blindings,
        extra_points=linked.extra_points,
        extra_octets=linked.extra_octets,
    )
    shown = {schema.names[i]: credential.values[schema.names[i]] for i in indexes}
    disclosed = attributes_to_json(schema, shown)
    return Presentation(
        schema.schema_id,
        credential.issuer,
        disclosed,
        pseudonym,
        proof,
        verifier_id,
        nonce,
        linked.finish(proof),
    )


def verify_presentation(
    presentation: Presentation,
    issuer: IssuerPublicKey,
    schema: Schema,
    *,
    verifier_id: str,
    nonce: bytes,
    now: datetime.datetime | None = None,
    predicates: Sequence[Predicate] = (),
) -> dict[str, Value]:
    """Verifier: the disclosed attributes, typed and in schema order, if `presentation` is a
    valid, unexpired proof for this issuer, schema, verifier and nonce that proves exactly
    `predicates`. Unexpired: `expiry` is disclosed and not past, or `predicates` bound it
    from below by a day not past (`expiry >= today` hides the date itself). Raises
    `DecodeError` for malformed disclosed values and `InvalidProof` for anything else;
    ValueError for `predicates` that do not fit the schema."""
    check_context(verifier_id, nonce)
    wanted = check_predicates(predicates, schema)
    proven_expiry = _proven_expiry(wanted)
    # 1. Context: the presentation names this schema, issuer, verifier and nonce.
    same = (
        presentation.schema_id == schema.schema_id
        and presentation.issuer == issuer
        and presentation.verifier_id == verifier_id
        and constant_time_equal(presentation.nonce, nonce)
    )
    if not same:
        raise InvalidProof("presentation does not verify")
    # 2. Disclosed values, typed by the verifier's schema; expiry among them unless a
    #    predicate proves it.
    values = attributes_from_json(schema, dict(presentation.disclosed), complete=False)
    if (EXPIRY in values) == (proven_expiry is not None):
        raise InvalidProof("presentation does not verify")
    indexes = [schema.index(n) for n in values]
    # 3. Predicates: exactly those asked for, none on a disclosed attribute, every
    #    argument valid; their links enter the BBS challenge below.
    proven = presentation.predicates
    ph = presentation_header(verifier_id, nonce)
    if [p.predicate for p in proven] != list(wanted) or any(p.attribute in values for p in wanted):
        raise InvalidProof("presentation does not verify")
    if not verify_arguments(
        proven, schema, presentation_header=ph, map_string=map_string, backend=SUITE.curve
    ):
        raise InvalidProof("presentation does not verify")
    try:
        decoded = octets_to_proof(presentation.proof, SUITE)
        hidden = undisclosed_indexes(indexes, len(decoded.commitments) + len(indexes))
        links = link_points(
            proven,
            schema,
            responses=dict(zip(hidden, decoded.commitments, strict=True)),
            challenge=decoded.challenge,
            backend=SUITE.curve,
        )
    except (DecodeError, KeyError, ValueError):  # undecodable, or too few responses
        raise InvalidProof("presentation does not verify") from None
    # 4. The BBS proof with the pseudonym under B_v, header and presentation header.
    ok = proof_verify_with_pseudonym(
        issuer.to_bytes(),
        decoded,
        presentation.pseudonym,
        credential_header(schema),
        ph,
        [schema.to_message(n, v, map_string) for n, v in values.items()],
        indexes,
        generators=generators(schema),
        secret_index=secret_index(schema),
        base=verifier_base(verifier_id, backend=SUITE.curve),
        api_id=API_ID,
        suite=SUITE,
        extra_points=links,
        extra_octets=challenge_octets([(p.predicate, p.proof) for p in proven]),
    )
    if not ok:
        raise InvalidProof("presentation does not verify")
    # 5. Expiry: valid through the expiry day (UTC), shown or proven.
    expiry = cast(datetime.date, values.get(EXPIRY, proven_expiry))
    if expiry < today_utc(now):
        if proven_expiry is not None:
            raise InvalidProof(f"presentation: expiry is proven only >= {expiry}, a past day")
        raise InvalidProof("presentation: the credential has expired")
    return values
