"""Petition entries: an organiser opens a petition, citizens sign it anonymously.

    {"type": "petition.open", "organiser": "did:key:z6Mk...", "title": "...", "text": "...",
     "eligibility": {"issuers": ["did:key:..."], "schema": {<schema document>},
                     "attributes": [], "predicates": [{"attribute": "birthdate", ...}]},
     "closes_at": "...Z", "created_at": "...Z", "sig": "..."}

    {"type": "petition.sign", "petition": "sha256:...", "issuer": "did:key:...",
     "presentation": {<presentation for verifier_id = the petition id>},
     "created_at": "...Z"}

A signature has no `sig` of its own: the presentation is the signature, bound to the
petition by its verifier id, and its pseudonym (scoped to the petition) is what makes a
second signature by the same citizen recognisable. docs/petitions.md gives the rules; this
module only parses and builds (no state, no proof verification).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from attestations.credentials import Presentation
from attestations.schemas import EXPIRY, Schema
from policies.canonical import canonical_bytes
from policies.document import Document, Model
from policies.entries import MAX_ATTRIBUTES, MAX_PREDICATES, SchemaDocument
from policies.errors import DocumentError
from policies.fields import (
    AttributeName,
    Did,
    DocId,
    Signature,
    Timestamp,
    display_text,
    sorted_unique,
)
from policies.identity import OrgKey
from policies.predicates import (
    Predicate,
    predicate_key,
    predicates_json,
    proof_statements,
    valid_on,
)
from policies.sessions import PresentationDocument
from policies.times import format_time

__all__ = [
    "MAX_PETITION_TEXT",
    "Eligibility",
    "PetitionOpen",
    "PetitionSign",
    "build_petition_sign",
    "sign_petition_open",
]

#: Characters of a petition's text (the ledger's 64 KiB body limit leaves room for it).
MAX_PETITION_TEXT = 20_000
_MAX_ISSUERS = 32


class Eligibility(Model):
    """Who may sign: holders of a `credential_schema` credential from one of `issuers`,
    showing exactly `attributes` and proving every one of `predicates`, and that the
    credential has not expired (`signature_predicates`: `expiry` is never shown, so that
    no expiry date tells one signer's signatures on two petitions apart)."""

    issuers: tuple[Did, ...] = Field(min_length=1, max_length=_MAX_ISSUERS)
    credential_schema: SchemaDocument = Field(alias="schema")
    attributes: tuple[AttributeName, ...] = Field(max_length=MAX_ATTRIBUTES)
    predicates: tuple[Predicate, ...] = Field(max_length=MAX_PREDICATES)

    @model_validator(mode="after")
    def _check(self) -> Eligibility:
        sorted_unique(self.issuers, key=str, what="issuers")
        sorted_unique(self.attributes, key=str, what="attributes")
        sorted_unique(self.predicates, key=predicate_key, what="predicates")
        names = set(self.credential_schema.names)
        named = set(self.attributes) | {p.attribute for p in self.predicates}
        if unknown := sorted(named - names):
            raise ValueError(f"not attributes of the schema: {', '.join(unknown)}")
        if both := sorted(set(self.attributes) & {p.attribute for p in self.predicates}):
            raise ValueError(f"both disclosed and proven by predicate: {', '.join(both)}")
        if EXPIRY in named:
            raise ValueError(
                f"{EXPIRY}: every signature proves {EXPIRY} >= the day it is signed; "
                "a petition does not name it"
            )
        try:  # of the attribute's type: a signer must be able to prove it
            proof_statements(self.predicates, self.credential_schema)
        except ValueError as exc:
            raise ValueError(f"predicates: {exc}") from None
        return self

    def signature_predicates(self, created_at: datetime) -> tuple[Predicate, ...]:
        """What a signature made at `created_at` proves: `predicates`, and `expiry` at least
        the UTC day of signing (one bound per day, alike for every signer that day)."""
        return tuple(sorted((*self.predicates, valid_on(created_at)), key=predicate_key))


class PetitionOpen(Document):
    """An organiser's petition: its words, who may sign, and until when."""

    TYPE: ClassVar[str] = "petition.open"
    type: Literal["petition.open"]
    organiser: Did
    title: Annotated[str, display_text(200)]
    text: str = Field(min_length=1, max_length=MAX_PETITION_TEXT)
    eligibility: Eligibility
    closes_at: Timestamp
    created_at: Timestamp
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> PetitionOpen:
        if not self.created_at < self.closes_at:
            raise ValueError("created_at must be before closes_at")
        return self

    def is_open(self, at: datetime) -> bool:
        """Whether a signature dated `at` counts: [created_at, closes_at)."""
        return self.created_at <= at < self.closes_at


class PetitionSign(Document):
    """One anonymous signature: a presentation for `verifier_id` = `petition`."""

    TYPE: ClassVar[str] = "petition.sign"
    type: Literal["petition.sign"]
    petition: DocId
    issuer: Did
    presentation: PresentationDocument
    created_at: Timestamp

    @model_validator(mode="after")
    def _check(self) -> PetitionSign:
        if self.presentation.verifier_id != self.petition:
            raise ValueError("presentation: made for another verifier than this petition")
        return self

    @property
    def pseudonym(self) -> bytes:
        """The signer's pseudonym on this petition (the same on every signature of theirs)."""
        return self.presentation.pseudonym

    def __reduce__(self) -> tuple[Callable[[bytes], PetitionSign], tuple[bytes]]:
        # Pickled as its canonical bytes, parsed again on loading: the presentation holds
        # curve points, which do not pickle (the ledger's worker processes send parsed
        # entries back to the service).
        return PetitionSign.from_json, (self.to_json(),)


def sign_petition_open(
    key: OrgKey,
    *,
    title: str,
    text: str,
    issuers: Iterable[str],
    schema: Schema,
    attributes: Iterable[str],
    predicates: Iterable[Predicate],
    closes_at: datetime,
    created_at: datetime,
) -> PetitionOpen:
    """Open a petition as organiser `key.did`."""
    fields = {
        "organiser": key.did,
        "title": title,
        "text": text,
        "eligibility": {
            "issuers": sorted(set(issuers)),
            "schema": schema.to_document(),
            "attributes": sorted(set(attributes)),
            "predicates": predicates_json(predicates),
        },
        "closes_at": format_time(closes_at),
        "created_at": format_time(created_at),
    }
    return PetitionOpen.build(fields, key.sign)


def build_petition_sign(
    petition: PetitionOpen | str, *, issuer: str, presentation: Presentation, created_at: datetime
) -> PetitionSign:
    """The entry for `presentation` (made with `verifier_id` = the petition's id)."""
    obj: dict[str, Any] = {
        "type": PetitionSign.TYPE,
        "petition": petition if isinstance(petition, str) else petition.id,
        "issuer": issuer,
        "presentation": json.loads(presentation.to_json()),
        "created_at": format_time(created_at),
    }
    try:
        return PetitionSign.from_object(obj, canonical_bytes(obj))
    except DocumentError as exc:
        raise ValueError(str(exc)) from None
