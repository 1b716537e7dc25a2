"""Field types of Cartera documents: each parses one wire spelling and serialises it back.

Every type here is an `Annotated` pydantic type whose validator accepts exactly the
canonical JSON form (and, for code building documents, the Python value it stands for) and
whose serialiser writes that form again, so `parse → serialise` is the identity on valid
documents. Failures are `ValueError`s whose text names the rule; `policies.document` turns
them into `DocumentError`s with the field's path in front.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from attestations.encoding import b64url_decode, b64url_encode
from attestations.errors import DecodeError
from policies.canonical import check_id
from policies.errors import DocumentError
from policies.identity import public_key_from_did
from policies.times import format_date, format_time, parse_date, parse_time

__all__ = [
    "MAX_SAFE_INTEGER",
    "AttributeName",
    "BbsPublicKey",
    "Day",
    "Did",
    "DocId",
    "Nonce",
    "Pseudonym",
    "SchemaId",
    "Signature",
    "Timestamp",
    "b64_bytes",
    "display_text",
    "sorted_unique",
]

#: I-JSON's integer range, which RFC 8785 serialises exactly.
MAX_SAFE_INTEGER = 2**53 - 1
_T = TypeVar("_T")


def _wire(parse: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """Pydantic reports only ValueErrors with their field path; ours are DocumentErrors."""

    def validator(value: Any) -> _T:
        try:
            return parse(value)
        except (DocumentError, DecodeError) as exc:
            raise ValueError(str(exc)) from None

    return validator


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None or value.microsecond:
            raise ValueError("time: want an aware datetime in whole seconds")
        return value.astimezone(UTC)
    return parse_time(value)


Timestamp = Annotated[
    datetime,
    PlainValidator(_wire(_timestamp)),
    PlainSerializer(format_time, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": "^[0-9T:-]{19}Z$"}),
]


def _day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_date(value)


Day = Annotated[
    date,
    PlainValidator(_wire(_day)),
    PlainSerializer(format_date, return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]


def b64_bytes(*, length: int | None = None, min_length: int = 1, max_length: int = 1024) -> Any:
    """Validator of bytes written as unpadded base64url, of exactly `length` bytes or within
    the bounds; use as `Annotated[bytes, b64_bytes(...), B64]`."""

    def parse(value: Any) -> bytes:
        data = value if isinstance(value, bytes) else b64url_decode(value)
        if length is not None and len(data) != length:
            raise ValueError(f"base64url: {len(data)} bytes, want {length}")
        if not min_length <= len(data) <= max_length:
            raise ValueError(f"base64url: {len(data)} bytes, want {min_length}..{max_length}")
        return data

    return PlainValidator(_wire(parse))


_B64_OUT = PlainSerializer(b64url_encode, return_type=str)
_B64_SCHEMA = WithJsonSchema({"type": "string", "contentEncoding": "base64url"})

#: A 64-byte signature: Ed25519 (RFC 8032) or the consent Schnorr signature (c ‖ z).
Signature = Annotated[bytes, b64_bytes(length=64), _B64_OUT, _B64_SCHEMA]
#: A pseudonym `P_v`: a compressed G1 point (checked on the curve when a signature is).
Pseudonym = Annotated[bytes, b64_bytes(length=48), _B64_OUT, _B64_SCHEMA]
#: A BBS public key: a compressed G2 point.
BbsPublicKey = Annotated[bytes, b64_bytes(length=96), _B64_OUT, _B64_SCHEMA]
#: A verifier's request nonce: 16 to 64 random bytes.
Nonce = Annotated[bytes, b64_bytes(min_length=16, max_length=64), _B64_OUT, _B64_SCHEMA]


def _did(value: Any) -> str:
    public_key_from_did(value)
    return str(value)


Did = Annotated[
    str,
    PlainValidator(_wire(_did)),
    WithJsonSchema({"type": "string", "pattern": "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$"}),
]

DocId = Annotated[
    str,
    PlainValidator(_wire(check_id)),
    WithJsonSchema({"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}),
]
#: A schema id is the SHA-256 of the schema's canonical JSON (`attestations.schemas`).
SchemaId = DocId


def _pattern(regex: str, what: str) -> Any:
    compiled = re.compile(regex, re.ASCII)

    def parse(value: Any) -> str:
        if not isinstance(value, str) or compiled.fullmatch(value) is None:
            raise ValueError(f"{what} {str(value)[:40]!r} does not match {regex}")
        return value

    return PlainValidator(parse)


_ATTRIBUTE = r"[a-z][a-z0-9_]{0,63}"
#: Attribute names as `attestations.schemas` allows them (`birthdate`, `postal_code`).
AttributeName = Annotated[
    str,
    _pattern(_ATTRIBUTE, "attribute name"),
    WithJsonSchema({"type": "string", "pattern": f"^{_ATTRIBUTE}$"}),
]

# Characters that could rewrite what a terminal or a web page shows: C0/C1 controls, line
# and paragraph separators, bidirectional overrides and isolates.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def display_text(max_length: int) -> Any:
    """Validator of a name or contact shown to people (`Annotated[str, display_text(n)]`):
    1..max_length characters, no control characters, no leading or trailing white space."""

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("text: expected a string")
        if not value or len(value) > max_length:
            raise ValueError(f"text: want 1..{max_length} characters")
        if value != value.strip():
            raise ValueError("text: leading or trailing white space")
        if _HIDDEN.search(value):
            raise ValueError("text: control or bidirectional formatting character")
        return value

    return PlainValidator(parse)


def sorted_unique(values: Sequence[_T], key: Callable[[_T], Any], what: str) -> None:
    """Lists that are really sets are written sorted and without repeats, so that a set has
    one canonical spelling; `ValueError` otherwise (builders sort before they build)."""
    keys = [key(value) for value in values]
    for before, after in itertools.pairwise(keys):
        if before == after:
            raise ValueError(f"{what}: duplicate entry")
        if before > after:
            raise ValueError(f"{what}: must be sorted")
