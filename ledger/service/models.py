"""The JSON bodies of the ledger API (docs/ledger-api.md), as pydantic models.

They exist for the OpenAPI schema and for serialising answers; the service builds them
from `ledger.storage` and `ledger.state` values. Binary values are unpadded base64url,
times RFC 3339 UTC.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ledger.state import GrantStatus

B64 = Field(description="unpadded base64url")
Hashes = list[str]


class Problem(BaseModel):
    """An RFC 9457 problem document; `reason` is a stable machine-readable code."""

    type: str = Field(description="urn:cartera:ledger:<reason>")
    title: str
    status: int
    detail: str
    reason: str


class Appended(BaseModel):
    """The answer to an append, sent only after its batch committed."""

    index: int
    leaf_hash: str = B64
    tree_size: int = Field(description="the size of `checkpoint`'s tree")
    checkpoint: str = Field(description="the signed C2SP checkpoint note")
    inclusion_proof: Hashes = Field(description="RFC 9162 path to the checkpoint's root")
    duplicate: bool = Field(description="the entry was already logged at `index`")


class LoggedEntry(BaseModel):
    index: int
    entry: str = Field(description="the entry's canonical bytes, unpadded base64url")


class EntryRange(BaseModel):
    entries: list[LoggedEntry]


class EntryWithHash(LoggedEntry):
    leaf_hash: str = B64


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    proof: Hashes


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: Hashes


class Grant(BaseModel):
    """A grant with its status at the time asked about."""

    id: str
    index: int
    entry: str = B64
    status: GrantStatus
    uses: int
    revoked_at: str | None = Field(description="when its revocation took effect")


class Grants(BaseModel):
    grants: list[Grant]


class GrantDetail(Grant):
    revoked_index: int | None = Field(description="the index of its consent.revoke")
    accesses: list[int] = Field(description="the indexes of its access.record entries")


class Access(LoggedEntry):
    grant: str
    at: str


class Accesses(BaseModel):
    accesses: list[Access]


class IssuerKey(LoggedEntry):
    """One BBS key: its `issuer.register` entry and its `issuer.revoke_key`, if any."""

    public_key: str = B64
    revocation: LoggedEntry | None


class Issuer(BaseModel):
    did: str
    keys: list[IssuerKey]


class Verifier(LoggedEntry):
    did: str


class LogInfo(BaseModel):
    origin: str
    verifier_key: str = Field(description="the operator's C2SP verifier key")
    tree_size: int


class Health(BaseModel):
    status: Literal["ok"]
    tree_size: int
