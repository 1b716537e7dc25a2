"""Schemas an issuer can be set up with: the built-in ones, and a one-line spelling.

    resident                                        the built-in resident schema
    library_card:card_number=string,valid=boolean   a schema of your own

The built-in `resident` schema is the city register's (issue 5's demo): given_name,
family_name, birthdate, district, postcode; `expiry` comes first, as in every schema.
"""

from __future__ import annotations

import re

from attestations.schemas import Schema

__all__ = ["BUILTIN_SCHEMAS", "RESIDENT", "parse_schema"]

RESIDENT = Schema.create(
    "resident",
    [
        ("given_name", "string"),
        ("family_name", "string"),
        ("birthdate", "date"),
        ("district", "string"),
        ("postcode", "integer"),
    ],
)
BUILTIN_SCHEMAS = {RESIDENT.name: RESIDENT}
_SPEC = re.compile(r"(?P<name>[^:\s]+):(?P<attributes>\S+)")


def parse_schema(spec: str) -> Schema:
    """The schema `spec` names (a built-in) or spells (`name:attr=type,…`); `ValueError`
    saying what is wrong otherwise."""
    if spec in BUILTIN_SCHEMAS:
        return BUILTIN_SCHEMAS[spec]
    match = _SPEC.fullmatch(spec)
    if match is None:
        known = ", ".join(sorted(BUILTIN_SCHEMAS))
        raise ValueError(f"schema {spec!r}: want a built-in ({known}) or name:attr=type,…")
    pairs = []
    for item in match["attributes"].split(","):
        name, sep, kind = item.partition("=")
        if not sep:
            raise ValueError(f"schema {spec!r}: {item!r} is not attr=type")
        pairs.append((name, kind))
    try:
        return Schema.create(match["name"], pairs)
    except ValueError as exc:
        raise ValueError(f"schema {spec!r}: {exc}") from None
