"""The base of every signed Cartera document: parse strictly, serialise canonically.

A document class is a frozen pydantic model whose fields are `policies.fields` types. It is
built only through `from_json` (outside bytes) or the `sign_*` functions (which build the
JSON and parse it back, so a document in memory has always passed the same checks as one
from the wire). `from_json` works in four steps:

1. JSON: `policies.canonical.loads` (canonical bytes, no duplicates, floats or nulls);
2. type: the object's `type` field names this class;
3. fields: pydantic validation, whose first failure becomes a `DocumentError` naming the
   field path and the rule (`missing field 'purpose'`, `unknown field 'colour'`, ...);
4. round trip: serialising the model gives back the same object, so nothing was accepted
   in a second spelling (the check that keeps ids and signatures unambiguous).

A document parsed from canonical bytes keeps them, and its signing bytes cut out of them
(`policies.canonical.signing_bytes_of`), so `to_json`, `signing_bytes` and `id` do not
encode it again: a ledger checks thousands of entries a second, and re-encoding one cost
as much as parsing it. The two are kept in the instance `__dict__` under names that are not
fields, which pydantic's equality, hashing and serialisation ignore; `model_copy` drops
them (a copy with changes has other bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from attestations.encoding import b64url_encode
from policies.canonical import canonical_bytes, loads, sha256_id, signing_bytes, signing_bytes_of
from policies.errors import DocumentError

__all__ = ["Document", "Model", "describe_validation_error"]

# Pydantic puts a discriminated union's tag into error paths; these are ours (predicate ops).
_UNION_TAGS = frozenset({">=", "<=", "between", "in"})
# Where a parsed document keeps its bytes (instance `__dict__` keys that are not fields).
_CANONICAL, _SIGNING = "_canonical_bytes", "_signing_bytes"


class Model(BaseModel):
    """Frozen, strict, closed: the configuration of every wire object."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def to_json_dict(self) -> dict[str, Any]:
        """The object as JSON values, in wire spelling (optional fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Document(Model):
    """A signed document with a `type`, a `created_at` and a `sig` field."""

    #: The value of the `type` field; each concrete class sets it.
    TYPE: ClassVar[str]

    @classmethod
    def from_json(cls, data: bytes, *, canonical: bool = True) -> Self:
        """Parse and validate document bytes (see the module docstring for the steps)."""
        # 1. JSON.
        obj = loads(data, canonical=canonical)
        # 2. Type.
        if "type" not in obj:
            raise DocumentError(f"{cls.TYPE}: missing field 'type'")
        if obj["type"] != cls.TYPE:
            raise DocumentError(f"{cls.TYPE}: field 'type' is {obj['type']!r}, want {cls.TYPE!r}")
        return cls.from_object(obj, data if canonical else None)

    @classmethod
    def from_object(cls, obj: dict[str, Any], data: bytes | None = None) -> Self:
        """Steps 3 and 4 on an object already parsed by `policies.canonical.loads`
        (`data`: its canonical bytes, when the caller has them)."""
        # 3. Fields.
        try:
            document = cls.model_validate_json(data if data is not None else canonical_bytes(obj))
        except ValidationError as exc:
            raise DocumentError(f"{cls.TYPE}: {describe_validation_error(exc)}") from None
        # 4. Round trip.
        again = document.to_json_dict()
        if again != obj:
            field = next((k for k in obj if obj[k] != again.get(k)), "?")
            raise DocumentError(f"{cls.TYPE}: field {field!r} is not in canonical form")
        if data is not None:
            document.__dict__[_CANONICAL] = data
            document.__dict__[_SIGNING] = signing_bytes_of(data, obj)
        return document

    @classmethod
    def build(cls, fields: Mapping[str, Any], sign: Callable[[bytes], bytes]) -> Self:
        """Sign JSON-ready `fields` (None values left out) with `sign` and parse the result
        back, so a built document has passed the checks a received one passes. Building
        an invalid document is the caller's mistake: `ValueError`."""
        obj = {"type": cls.TYPE, **{k: v for k, v in fields.items() if v is not None}}
        obj["sig"] = b64url_encode(sign(signing_bytes(obj)))
        try:
            return cls.from_object(obj)
        except DocumentError as exc:
            raise ValueError(str(exc)) from None

    def to_json(self) -> bytes:
        """The canonical bytes: what the ledger stores and the id hashes."""
        kept: bytes | None = self.__dict__.get(_CANONICAL)
        return kept if kept is not None else canonical_bytes(self.to_json_dict())

    def signing_bytes(self) -> bytes:
        """What `sig` signs: the canonical bytes without the `sig` field."""
        kept: bytes | None = self.__dict__.get(_SIGNING)
        return kept if kept is not None else signing_bytes(self.to_json_dict())

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, without the kept bytes when `update` changes it."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy.__dict__.pop(_CANONICAL, None)
            copy.__dict__.pop(_SIGNING, None)
        return copy

    @property
    def id(self) -> str:
        """`sha256:` + hex of the canonical bytes, signature included."""
        return sha256_id(self.to_json())


def describe_validation_error(error: ValidationError) -> str:
    """One line for the first thing pydantic found wrong, naming the field path."""
    first: ErrorDetails = error.errors(include_url=False)[0]
    path = _path(first["loc"])
    kind = first["type"]
    if kind == "missing":
        return f"missing field {path!r}"
    if kind == "extra_forbidden":
        return f"unknown field {path!r}"
    if kind == "union_tag_invalid":
        return f"field {path!r}: unknown op {first.get('ctx', {}).get('tag')!r}"
    if kind == "union_tag_not_found":
        return f"missing field {path + '.op'!r}"
    if kind == "value_error":
        ctx = first.get("ctx", {})
        return f"field {path!r}: {ctx.get('error', first['msg'])}"
    return f"field {path!r}: {first['msg'][:1].lower()}{first['msg'][1:]}"


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (part in _UNION_TAGS and isinstance(previous, int)):
            text += f".{part}" if text else part
        previous = part
    return text or "(document)"
