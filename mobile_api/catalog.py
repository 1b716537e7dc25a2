"""Schemas an issuer can be set up with: the built-in ones, and a one-line spelling.

    resident                                        the built-in resident schema
    library_card:card_number=string,valid=boolean   a schema of your own

The built-in `resident` schema is the city register's (issue 5's demo): given_name,
family_name, birthdate, district, postcode; `expiry` comes first, as in every schema.
"""

from __future__ import annotations

import re

from attestations.schemas import Schema

__all__ = ["BUILTIN_SCHEMAS", "RESIDENT", "attribute_values", "parse_schema"]

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


def attribute_values(pairs: list[str], schema: Schema | None) -> dict[str, str | int | bool]:
    """`NAME=VALUE` pairs (from a command line) as the JSON values an offer carries.
    With the schema at hand, each value takes its attribute's type (`integer` → a number,
    `boolean` → true/false, `date` and `string` → text); without it, a value that reads
    as an integer or `true`/`false` is one, anything else is text. `ValueError` otherwise."""
    values: dict[str, str | int | bool] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"attribute {pair!r}: want NAME=VALUE")
        if name in values:
            raise ValueError(f"attribute {name!r} is given twice")
        kind = None if schema is None else schema.type_of(name)
        values[name] = _typed(name, text, kind)
    return values


def _typed(name: str, text: str, kind: str | None) -> str | int | bool:
    if kind in (None, "boolean") and text in ("true", "false"):
        return text == "true"
    # Without the schema, only JSON's own spelling of an integer is one ("08012" is text).
    pattern = r"-?[0-9]+" if kind == "integer" else r"-?(0|[1-9][0-9]*)"
    if kind in (None, "integer") and re.fullmatch(pattern, text):
        return int(text)
    if kind in ("integer", "boolean"):
        raise ValueError(f"attribute {name!r} is {'an' if kind == 'integer' else 'a'} {kind}")
    return text
