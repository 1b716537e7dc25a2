"""Canonical JSON of Cartera documents (RFC 8785) and document identifiers.

DESIGN.md fixes the rules: a document is a JSON object in RFC 8785 canonical form; its
signature covers the canonical bytes of the object without its `sig` field; its id is
`sha256:` + the hex SHA-256 of its canonical bytes, signature included.

On top of RFC 8785 Cartera documents use a smaller JSON: no floats (every number is an
integer within ±(2^53 − 1), the I-JSON range), no `null` (optional fields are omitted), no
duplicate keys, and nesting at most `MAX_DEPTH` deep. The ledger accepts only bytes that are
already canonical (`loads(data)`), so that what was signed, hashed and stored is one byte
string; `loads(data, canonical=False)` is for hand-written files, whose canonical bytes are
then recomputed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from attestations.encoding import canonical_json, load_canonical_json, parse_json
from attestations.errors import DecodeError
from policies.errors import DocumentError

__all__ = [
    "ID_PREFIX",
    "MAX_DEPTH",
    "canonical_bytes",
    "check_id",
    "loads",
    "sha256_id",
    "signing_bytes",
    "signing_bytes_of",
]

ID_PREFIX = "sha256:"
#: Documents are shallow; anything deeper is refused before it can cost anything.
MAX_DEPTH = 8
_ID = re.compile(r"sha256:[0-9a-f]{64}")


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of a JSON object built by the caller (`ValueError` if it is not one)."""
    if not isinstance(obj, Mapping):
        raise TypeError("a document is a JSON object")
    _check_values(obj, 0, error=ValueError)
    return canonical_json(dict(obj))


def signing_bytes(obj: Mapping[str, Any]) -> bytes:
    """What a document's signature covers: its canonical bytes without the `sig` field."""
    return canonical_bytes({key: value for key, value in obj.items() if key != "sig"})


# RFC 8785 §3.2.3 orders keys by UTF-16 code units; against an ASCII key such as this one,
# that is the order of `str` comparison (a character beyond U+FFFF, whose first code unit
# is a surrogate, sorts after every ASCII character in both).
_SIG = "sig"


def signing_bytes_of(data: bytes, obj: Mapping[str, Any]) -> bytes:
    """`signing_bytes(obj)`, cut out of `data`, which must be the canonical bytes of `obj`:
    `obj` as `loads(data)` returned it. RFC 8785 writes an object's members in key order,
    so `data` ends with the `sig` member followed by exactly the members whose keys sort
    after it: only those few are re-encoded to find where `sig` starts, instead of the
    whole document (~4 µs for a ledger entry instead of ~9 µs). Only that tail is
    compared with `obj` (if it differs, `obj` is encoded whole); the rest of `data` is
    trusted to encode `obj`, which is why only `loads`' own output may be passed."""
    if _SIG not in obj:
        return data
    after = {key: value for key, value in obj.items() if key > _SIG}
    tail = canonical_json(after)[1:]  # the members after `sig`, then "}"
    member = b'"sig":' + canonical_json(obj[_SIG])
    suffix = member + (b"," + tail if after else tail)
    if not data.endswith(suffix):  # not the canonical bytes of `obj`: encode it whole
        return signing_bytes(obj)
    head = data[: len(data) - len(suffix)]  # "{", or "{" + the members before `sig` + ","
    if not after and head.endswith(b","):
        head = head[:-1]
    return head + tail


def sha256_id(data: bytes) -> str:
    """`sha256:` + hex digest: the id of a document (given its canonical bytes) and the
    digest format of presentations in `access.record`."""
    return ID_PREFIX + hashlib.sha256(data).hexdigest()


def check_id(text: object) -> str:
    """Return `text` if it is a `sha256:` id in its one canonical spelling (lower-case hex)."""
    if not isinstance(text, str) or _ID.fullmatch(text) is None:
        raise DocumentError("not a document id: want 'sha256:' and 64 lower-case hex digits")
    return text


def loads(data: bytes, *, canonical: bool = True) -> dict[str, Any]:
    """Parse document bytes into a JSON object, refusing what Cartera documents never hold.

    With `canonical=True` (the default, and the ledger's rule) the bytes must already be the
    RFC 8785 form of the object they encode.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError("document bytes expected")
    try:
        value = load_canonical_json(bytes(data)) if canonical else _loads_lenient(bytes(data))
    except DecodeError as exc:
        raise DocumentError(f"document: {exc}") from None
    except RecursionError:
        raise DocumentError("document: nested too deeply") from None
    if not isinstance(value, dict):
        raise DocumentError("document: expected a JSON object")
    _check_values(value, 0, error=DocumentError)
    return value


def _loads_lenient(data: bytes) -> Any:
    def no_float(text: str) -> Any:
        # Refused here, before re-encoding could turn 1.0 into 1.
        raise DecodeError("numbers must be integers (floats are not allowed)")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("json: not UTF-8") from None
    value = parse_json(text, parse_float=no_float)
    # Re-encoding checks the rest of the canonical domain (integer range, lone surrogates).
    return load_canonical_json(_recanonicalise(value))


def _recanonicalise(value: Any) -> bytes:
    try:
        return canonical_json(value)
    except ValueError as exc:
        raise DecodeError(f"json: outside the canonical domain ({exc})") from None


#: The leaves that need no check, tested by exact type first: most of a document's values.
_PLAIN = frozenset({str, int, bool})


def _check_values(value: Any, depth: int, *, error: type[Exception]) -> None:
    if depth > MAX_DEPTH:
        raise error(f"document: nested more than {MAX_DEPTH} levels deep")
    if type(value) in _PLAIN:
        return
    if value is None:
        raise error("document: null is not used in Cartera documents (omit the field)")
    if isinstance(value, float):
        raise error("document: numbers must be integers (floats are not allowed)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise error("document: object keys must be strings")
            _check_values(item, depth + 1, error=error)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_values(item, depth + 1, error=error)
