"""Presentation requests: what a verifier asks a wallet for, signed with its Ed25519 key.

    {"type": "presentation.request", "verifier": "did:key:z6Mk...", "schema": "...",
     "attributes": ["postal_code"], "predicates": [{"attribute": "birthdate", ...}],
     "purpose": "dpv:ServiceProvision", "nonce": "<b64url, 16..64 bytes>",
     "trusted_issuers": ["did:key:z6Mk..."], "created_at": "...", "expires_at": "...",
     "response_uri": "https://...", "sig": "..."}

The signature binds everything the wallet shows the citizen and acts on: what is asked,
why, whose credentials count, and where the answer goes (`response_uri`, optional, so that
nobody in the middle can redirect a presentation). The `type` field keeps a request from
ever being mistaken for another document the same key signs (`access.record`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from attestations.encoding import b64url_encode
from policies.document import Document
from policies.entries import MAX_ATTRIBUTES, MAX_PREDICATES
from policies.fields import (
    AttributeName,
    Did,
    Nonce,
    SchemaId,
    Signature,
    Timestamp,
    sorted_unique,
)
from policies.identity import OrgKey, verify_signature
from policies.predicates import Predicate, predicate_key, predicates_json
from policies.purposes import Purpose
from policies.times import format_time

__all__ = ["PresentationRequest", "sign_request", "verify_request"]

_URI = re.compile(r"https?://[!-~]{1,2040}", re.ASCII)


def _uri(value: Any) -> str:
    if not isinstance(value, str) or _URI.fullmatch(value) is None:
        raise ValueError("response_uri: want an http(s) URL of printable ASCII")
    return value


class PresentationRequest(Document):
    """A verifier's signed request. Parse with `from_json`, check with `verify_request`,
    decide with `policies.evaluate.evaluate`."""

    TYPE: ClassVar[str] = "presentation.request"
    type: Literal["presentation.request"]
    verifier: Did
    schema_id: SchemaId = Field(alias="schema")
    attributes: tuple[AttributeName, ...] = Field(max_length=MAX_ATTRIBUTES)
    predicates: tuple[Predicate, ...] = Field(max_length=MAX_PREDICATES)
    purpose: Purpose
    nonce: Nonce
    trusted_issuers: tuple[Did, ...] = Field(min_length=1, max_length=32)
    created_at: Timestamp
    expires_at: Timestamp
    response_uri: Annotated[
        str | None, PlainValidator(_uri), WithJsonSchema({"type": "string", "format": "uri"})
    ] = None
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> PresentationRequest:
        sorted_unique(self.attributes, key=str, what="attributes")
        sorted_unique(self.predicates, key=predicate_key, what="predicates")
        sorted_unique(self.trusted_issuers, key=str, what="trusted_issuers")
        if not self.attributes and not self.predicates:
            raise ValueError("a request must ask for at least one attribute or predicate")
        if not self.created_at < self.expires_at:
            raise ValueError("created_at must be before expires_at")
        return self


def sign_request(
    key: OrgKey,
    *,
    schema: str,
    attributes: Iterable[str],
    predicates: Iterable[Predicate],
    purpose: Purpose | str,
    nonce: bytes,
    trusted_issuers: Iterable[str],
    created_at: datetime,
    expires_at: datetime,
    response_uri: str | None = None,
) -> PresentationRequest:
    """Build and sign a request as verifier `key.did`. `nonce` is the caller's fresh random
    bytes (16 or more; the caller keeps it to accept one answer only)."""
    fields = {
        "verifier": key.did,
        "schema": schema,
        "attributes": sorted(set(attributes)),
        "predicates": predicates_json(predicates),
        "purpose": Purpose(purpose).value,
        "nonce": b64url_encode(nonce),
        "trusted_issuers": sorted(set(trusted_issuers)),
        "created_at": format_time(created_at),
        "expires_at": format_time(expires_at),
        "response_uri": response_uri,
    }
    return PresentationRequest.build(fields, key.sign)


def verify_request(request: PresentationRequest) -> None:
    """Return if the request carries its verifier's signature; `SignatureError` otherwise.
    Expiry is a matter of time, which `evaluate` judges against its `now`."""
    verify_signature(request.verifier, request.signing_bytes(), request.sig)
