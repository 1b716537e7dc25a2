"""The JSON bodies of the ledger API (docs/ledger-api.md), as pydantic models.

They exist for the OpenAPI schema and for serialising answers; the service builds them
from `ledger.storage` and `ledger.state` values. Binary values are unpadded base64url,
times RFC 3339 UTC.

The proof fields (`proof`, `inclusion_proof` of an entry) are optional: a read answers
them only when the request gives `trusted_size`, and the routes leave unset fields out
(`response_model_exclude_unset`), so an answer without proofs is what it always was.
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
    consistency_proof: Hashes | None = Field(
        default=None,
        description="RFC 9162 consistency proof from the request's `trusted_size` to "
        "`tree_size`; only when the request gave a `trusted_size` no larger than `tree_size`",
    )


INCLUSION = Field(
    default=None,
    description="RFC 9162 path from the entry to the root of `proof.checkpoint`; "
    "only when the request gave `trusted_size`",
)


class AnswerProof(BaseModel):
    """The checkpoint a read was answered at, proven consistent with the client's."""

    checkpoint: str = Field(
        description="the signed C2SP checkpoint note of the tree the answer was read from"
    )
    tree_size: int = Field(description="the size of `checkpoint`'s tree")
    consistency: Hashes = Field(
        description="RFC 9162 consistency proof from `trusted_size` to `tree_size` "
        "(empty when `trusted_size` is 0 or equals `tree_size`)"
    )


PROOF = Field(default=None, description="only when the request gave `trusted_size`")


class LoggedEntry(BaseModel):
    index: int
    entry: str = Field(description="the entry's canonical bytes, unpadded base64url")


class ProvenEntry(LoggedEntry):
    inclusion_proof: Hashes | None = INCLUSION


class EntryRange(BaseModel):
    entries: list[LoggedEntry]


class EntryWithHash(ProvenEntry):
    leaf_hash: str = B64
    proof: AnswerProof | None = PROOF


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    proof: Hashes


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: Hashes


class Grant(ProvenEntry):
    """A grant with its status at the time asked about."""

    id: str
    status: GrantStatus
    uses: int
    revoked_at: str | None = Field(description="when its revocation took effect")


class Grants(BaseModel):
    grants: list[Grant]
    proof: AnswerProof | None = PROOF


class GrantDetail(Grant):
    revoked_index: int | None = Field(description="the index of its consent.revoke")
    accesses: list[int] = Field(description="the indexes of its access.record entries")
    proof: AnswerProof | None = PROOF


class Access(ProvenEntry):
    grant: str
    at: str


class Accesses(BaseModel):
    accesses: list[Access]
    proof: AnswerProof | None = PROOF


class IssuerKey(ProvenEntry):
    """One BBS key: its `issuer.register` entry and its `issuer.revoke_key`, if any."""

    public_key: str = B64
    revocation: ProvenEntry | None


class Issuer(BaseModel):
    did: str
    keys: list[IssuerKey]
    proof: AnswerProof | None = PROOF


class Verifier(ProvenEntry):
    did: str
    proof: AnswerProof | None = PROOF


class LogInfo(BaseModel):
    origin: str
    verifier_key: str = Field(description="the operator's C2SP verifier key")
    tree_size: int


class Health(BaseModel):
    status: Literal["ok"]
    tree_size: int
