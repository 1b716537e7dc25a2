"""Session documents: what an issuer offers a wallet, and what a wallet answers a verifier.

    {"type": "issuance.offer", "issuer": "did:key:z6Mk...", "issuer_name": "...",
     "public_key": "<b64url BBS key>", "schema": {<schema document>},
     "attributes": {"expiry": "2027-11-22", ...}, "created_at": "...Z", "expires_at": "...Z",
     "response_uri": "http://127.0.0.1:8471/v1/offers/<token>", "sig": "..."}

    {"type": "presentation.response", "issuer": "did:key:z6Mk...", "grant": "sha256:...",
     "presentation": {<attestations Presentation document>}}

An offer is signed with the issuer's Ed25519 key, so the wallet knows who offers which
values under which BBS key and where its commitment goes (`response_uri` is signed, like a
request's). The wallet checks the BBS key against the issuer's `issuer.register` on the
ledger before it answers. A response is not signed: the presentation inside is the proof,
bound to the verifier and the request's nonce; `issuer` says whose registration to look up,
`grant` which consent to check it under. docs/sessions-api.md fixes the exchanges.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from attestations.credentials import IssuerPublicKey, Presentation
from attestations.encoding import b64url_encode, canonical_json
from attestations.errors import DecodeError
from attestations.schemas import Schema, Value
from policies.document import Document
from policies.entries import SchemaDocument
from policies.errors import DocumentError
from policies.fields import BbsPublicKey, Did, DocId, Signature, Timestamp, display_text
from policies.identity import OrgKey, verify_signature
from policies.request import _uri
from policies.times import format_time

__all__ = [
    "IssuanceOffer",
    "PresentationResponse",
    "build_response",
    "sign_offer",
    "verify_offer",
]

ResponseUri = Annotated[
    str, PlainValidator(_uri), WithJsonSchema({"type": "string", "format": "uri"})
]


def _presentation(value: Any) -> Presentation:
    if isinstance(value, Presentation):
        return value
    if not isinstance(value, dict):
        raise ValueError("presentation: expected a JSON object")
    try:
        return Presentation.from_json(canonical_json(value))
    except (DecodeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


#: An `attestations` presentation, nested as its JSON object (parsed by its own decoder).
PresentationDocument = Annotated[
    Presentation,
    PlainValidator(_presentation),
    PlainSerializer(lambda shown: json.loads(shown.to_json())),
    WithJsonSchema({"type": "object", "required": ["type", "proof", "pseudonym", "disclosed"]}),
]


class IssuanceOffer(Document):
    """An issuer's signed offer of a credential. Parse with `from_json`, check with
    `verify_offer`; `values()` gives the attribute values typed by the schema."""

    TYPE: ClassVar[str] = "issuance.offer"
    type: Literal["issuance.offer"]
    issuer: Did
    issuer_name: Annotated[str, display_text(200)]
    public_key: BbsPublicKey
    credential_schema: SchemaDocument = Field(alias="schema")
    attributes: dict[str, str | int | bool]
    created_at: Timestamp
    expires_at: Timestamp
    response_uri: ResponseUri
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> IssuanceOffer:
        try:
            IssuerPublicKey(self.public_key)  # on the curve, in the subgroup, not identity
            self.values()
        except DecodeError as exc:
            raise ValueError(str(exc)) from None
        if not self.created_at < self.expires_at:
            raise ValueError("created_at must be before expires_at")
        return self

    def values(self) -> dict[str, Value]:
        """Every attribute of the schema (`expiry` included), typed, in schema order;
        `DecodeError` if the offer's values are not exactly the schema's."""
        schema = self.credential_schema
        missing = set(schema.names) - set(self.attributes)
        extra = set(self.attributes) - set(schema.names)
        if missing or extra:
            raise DecodeError(f"attributes: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return {n: schema.value_from_json(n, self.attributes[n]) for n in schema.names}

    def issuer_public_key(self) -> IssuerPublicKey:
        """The BBS key the credential will verify under."""
        return IssuerPublicKey(self.public_key)


def sign_offer(
    key: OrgKey,
    *,
    issuer_name: str,
    public_key: IssuerPublicKey,
    schema: Schema,
    attributes: Mapping[str, Value],
    created_at: datetime,
    expires_at: datetime,
    response_uri: str,
) -> IssuanceOffer:
    """Build and sign an offer as issuer `key.did` of `attributes` (every attribute of
    `schema`, `expiry` included, as Python values) under BBS key `public_key`."""
    values = schema.check_values(attributes)
    fields = {
        "issuer": key.did,
        "issuer_name": issuer_name,
        "public_key": b64url_encode(public_key.to_bytes()),
        "schema": schema.to_document(),
        "attributes": {name: schema.value_to_json(name, value) for name, value in values.items()},
        "created_at": format_time(created_at),
        "expires_at": format_time(expires_at),
        "response_uri": response_uri,
    }
    return IssuanceOffer.build(fields, key.sign)


def verify_offer(offer: IssuanceOffer) -> None:
    """Return if the offer carries its issuer's signature; `SignatureError` otherwise.
    Expiry is a matter of time: compare `offer.expires_at` with your clock."""
    verify_signature(offer.issuer, offer.signing_bytes(), offer.sig)


class PresentationResponse(Document):
    """A wallet's answer to a presentation request. Unsigned (the presentation is the
    proof), so it has no `sig` or `created_at`; built with `build_response`."""

    TYPE: ClassVar[str] = "presentation.response"
    type: Literal["presentation.response"]
    issuer: Did
    grant: DocId
    presentation: PresentationDocument


def build_response(*, issuer: str, grant: str, presentation: Presentation) -> PresentationResponse:
    """The answer carrying `presentation` of a credential of issuer did `issuer`, under
    consent grant id `grant`. Invalid arguments are the caller's mistake: `ValueError`."""
    obj = {
        "type": PresentationResponse.TYPE,
        "issuer": issuer,
        "grant": grant,
        "presentation": json.loads(presentation.to_json()),
    }
    try:
        return PresentationResponse.from_object(obj)
    except DocumentError as exc:
        raise ValueError(str(exc)) from None
