"""Credential schemas: typed attributes and their deterministic encoding as BBS messages.

A schema is a name and an ordered list of typed attributes. Its first attribute is always
`expiry` (a date); the issuer's attributes follow in the order the schema lists them; the
holder secret `s` is one more message after them, the last one (DESIGN.md). So a schema with
n attributes (counting `expiry`) signs n + 1 messages and message i is attribute i.

Values and their messages (scalars mod r):

| type      | Python value      | JSON value      | message                                  |
|-----------|-------------------|-----------------|------------------------------------------|
| `string`  | `str`             | string          | map_message_to_scalar_as_hash(UTF-8)     |
| `integer` | `int`, |v| < 2^53 | number          | v + 2^53                                 |
| `date`    | `datetime.date`   | "YYYY-MM-DD"    | days since 1970-01-01, + 2^53            |
| `boolean` | `bool`            | true / false    | 1 / 0                                    |

Integers and dates are encoded directly, not hashed, so that a later range proof can show
`birthdate ≤ today − 18y` on the message itself. The offset 2^53 makes every value of the
range a small non-negative scalar (in [1, 2^54)) and keeps the order of values, so a
predicate `a ≤ v ≤ b` is the plain range proof `a + 2^53 ≤ m ≤ b + 2^53` with no wrap-around
mod r; the bound 2^53 is the exact-integer range of JSON (RFC 8785), so every integer a
credential holds survives its JSON form. Dates before 1970 (birthdates!) are negative day
counts and need the offset as much as negative integers do.

A schema's identifier is `sha256:` + hex SHA-256 of its canonical JSON.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from attestations.encoding import canonical_json, expect_fields, get_str, load_canonical_json
from attestations.errors import DecodeError

__all__ = [
    "EXPIRY",
    "INTEGER_MAX",
    "INTEGER_MIN",
    "INTEGER_OFFSET",
    "Attribute",
    "AttributeType",
    "Schema",
    "Value",
]

AttributeType = Literal["string", "integer", "date", "boolean"]
Value = str | int | bool | datetime.date
#: Maps the UTF-8 bytes of a string attribute to its message (the BBS suite's hash).
StringMapper = Callable[[bytes], int]

_TYPES: tuple[AttributeType, ...] = ("string", "integer", "date", "boolean")
EXPIRY = "expiry"
INTEGER_MAX = 2**53 - 1
INTEGER_MIN = -INTEGER_MAX
INTEGER_OFFSET = 2**53
_EPOCH = datetime.date(1970, 1, 1)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_ATTRIBUTES = 64


@dataclass(frozen=True)
class Attribute:
    """One named, typed attribute of a schema."""

    name: str
    type: AttributeType


@dataclass(frozen=True)
class Schema:
    """An ordered list of typed attributes, `expiry` first. Build with `create` or
    `from_json`; both validate."""

    name: str
    attributes: tuple[Attribute, ...]

    def __post_init__(self) -> None:
        if not _SCHEMA_NAME.fullmatch(self.name):
            raise ValueError(f"schema name {self.name!r} must match {_SCHEMA_NAME.pattern}")
        if not 1 <= len(self.attributes) <= _MAX_ATTRIBUTES:
            raise ValueError(f"a schema has 1 to {_MAX_ATTRIBUTES} attributes")
        if self.attributes[0] != Attribute(EXPIRY, "date"):
            raise ValueError("the first attribute of a schema is always `expiry` (date)")
        seen: set[str] = set()
        for attr in self.attributes:
            if not _NAME.fullmatch(attr.name) or attr.name in seen:
                raise ValueError(f"attribute name {attr.name!r} is invalid or repeated")
            if attr.type not in _TYPES:
                raise ValueError(f"attribute type {attr.type!r} is not one of {_TYPES}")
            seen.add(attr.name)

    @classmethod
    def create(cls, name: str, attributes: Iterable[tuple[str, str]]) -> Schema:
        """A schema of `attributes` (name, type) pairs; `expiry` is added in front."""
        attrs = [Attribute(n, cast(AttributeType, t)) for n, t in attributes]
        if any(a.name == EXPIRY for a in attrs):
            raise ValueError("`expiry` is reserved: every schema has it already")
        return cls(name, (Attribute(EXPIRY, "date"), *attrs))

    @property
    def names(self) -> tuple[str, ...]:
        """Attribute names in message order."""
        return tuple(a.name for a in self.attributes)

    @property
    def message_count(self) -> int:
        """Messages a credential of this schema signs: its attributes and the holder secret."""
        return len(self.attributes) + 1

    def index(self, name: str) -> int:
        """Message index of attribute `name` (ValueError if the schema has none)."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"schema {self.name!r} has no attribute {name!r}") from None

    def type_of(self, name: str) -> AttributeType:
        return self.attributes[self.index(name)].type

    # -- values -------------------------------------------------------------------------

    def check_values(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """`values` in schema order, if they are exactly this schema's attributes with values
        of the right types (ValueError/TypeError otherwise: the issuer's own input)."""
        if set(values) != set(self.names):
            missing, extra = set(self.names) - set(values), set(values) - set(self.names)
            raise ValueError(f"attributes missing {sorted(missing)}, unexpected {sorted(extra)}")
        return {a.name: _check(a, values[a.name]) for a in self.attributes}

    def to_message(self, name: str, value: Value, map_string: StringMapper) -> int:
        """The message (scalar) of one attribute value."""
        attr = self.attributes[self.index(name)]
        value = _check(attr, value)
        if attr.type == "string":
            return map_string(cast(str, value).encode("utf-8"))
        if attr.type == "boolean":
            return int(cast(bool, value))
        if attr.type == "date":
            return (cast(datetime.date, value) - _EPOCH).days + INTEGER_OFFSET
        return cast(int, value) + INTEGER_OFFSET

    def to_messages(self, values: Mapping[str, Value], map_string: StringMapper) -> list[int]:
        """The messages of a full set of attribute values, in schema order (no holder secret)."""
        checked = self.check_values(values)
        return [self.to_message(n, v, map_string) for n, v in checked.items()]

    def value_to_json(self, name: str, value: Value) -> Any:
        """The JSON form of one attribute value."""
        value = _check(self.attributes[self.index(name)], value)
        return value.isoformat() if isinstance(value, datetime.date) else value

    def value_from_json(self, name: str, raw: Any) -> Value:
        """Parse the JSON form of attribute `name`; `DecodeError` unless exactly canonical."""
        kind = self.type_of(name)
        ok = {
            "string": isinstance(raw, str),
            "integer": isinstance(raw, int) and not isinstance(raw, bool),
            "boolean": isinstance(raw, bool),
            "date": isinstance(raw, str) and _DATE.fullmatch(raw) is not None,
        }[kind]
        if not ok:
            raise DecodeError(f"attribute {name!r}: not a {kind}")
        if kind == "date":
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError as exc:
                raise DecodeError(f"attribute {name!r}: invalid date") from exc
        if kind == "integer" and not INTEGER_MIN <= raw <= INTEGER_MAX:
            raise DecodeError(f"attribute {name!r}: integer outside ±(2^53 − 1)")
        return cast(Value, raw)

    # -- serialisation ------------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        """The JSON object: {"attributes": [{"name", "type"}, …], "name"}."""
        attrs = [{"name": a.name, "type": a.type} for a in self.attributes]
        return {"attributes": attrs, "name": self.name}

    def to_json(self) -> bytes:
        """Canonical JSON of `to_document()`."""
        return canonical_json(self.to_document())

    @classmethod
    def from_json(cls, data: bytes | str) -> Schema:
        """Parse canonical schema JSON; `DecodeError` on anything else."""
        return cls.from_document(load_canonical_json(data))

    @classmethod
    def from_document(cls, obj: Any) -> Schema:
        """Validate a parsed schema object (e.g. one nested in a credential)."""
        obj = expect_fields(obj, ["attributes", "name"], what="schema")
        raw_attrs = obj["attributes"]
        if not isinstance(raw_attrs, list):
            raise DecodeError("schema: attributes must be a list")
        attrs = []
        for raw in raw_attrs:
            expect_fields(raw, ["name", "type"], what="schema attribute")
            kind = get_str(raw, "type", what="schema attribute")
            attrs.append(Attribute(get_str(raw, "name"), cast(AttributeType, kind)))
        try:
            return cls(get_str(obj, "name", what="schema"), tuple(attrs))
        except ValueError as exc:
            raise DecodeError(f"schema: {exc}") from exc

    @property
    def schema_id(self) -> str:
        """`sha256:` + hex SHA-256 of the canonical JSON."""
        return "sha256:" + hashlib.sha256(self.to_json()).hexdigest()


def _check(attr: Attribute, value: Value) -> Value:
    """`value` if it fits `attr`'s type (TypeError/ValueError: a caller mistake)."""
    kind = attr.type
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(f"attribute {attr.name!r} is a string")
        value.encode("utf-8")  # lone surrogates raise UnicodeEncodeError (a ValueError)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError(f"attribute {attr.name!r} is a boolean")
    elif kind == "date":
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            raise TypeError(f"attribute {attr.name!r} is a date (datetime.date)")
    else:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"attribute {attr.name!r} is an integer")
        if not INTEGER_MIN <= value <= INTEGER_MAX:
            raise ValueError(f"attribute {attr.name!r} is outside ±(2^53 − 1)")
    return value
