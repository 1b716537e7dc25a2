"""Wire encodings shared by every serialised object of `attestations` (and of `policies`).

Two things, both strict in the way DESIGN.md asks ("every decoder rejects what is not
canonical"):

- unpadded base64url (RFC 4648 §5) with one canonical text per byte string: no padding, no
  characters outside the alphabet, no length ≡ 1 (mod 4), no stray bits in the last
  character;
- RFC 8785 canonical JSON: `canonical_json` writes it; `load_canonical_json` accepts only
  bytes that are already canonical (so a document has exactly one accepted encoding, and
  what was signed is what was parsed), with no duplicate keys, and `expect_fields` checks
  an object's exact set of fields. Both use Python's C JSON encoder where it provably
  writes RFC 8785 (no floats, integers within ±(2^53 − 1), nothing beyond U+FFFF) and
  the `rfc8785` package, the reference, everywhere else: a ledger parses every entry.

Every failure on outside input is a `DecodeError` saying what was wrong. The package's one
constant-time comparison, `constant_time_equal`, lives here beside the encodings it compares.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

import rfc8785

from attestations.errors import DecodeError

__all__ = [
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "constant_time_equal",
    "expect_fields",
    "get_b64",
    "get_int",
    "get_str",
    "load_canonical_json",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url of `data`."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one canonical text for each byte string."""
    if not isinstance(text, str):
        raise DecodeError("base64url: expected a string")
    if _B64URL.fullmatch(text) is None:
        raise DecodeError("base64url: character outside the alphabet (or padding)")
    tail = len(text) % 4
    if tail == 1:
        raise DecodeError("base64url: impossible length")
    # The last character carries 2 (tail 2) or 4 (tail 3) data bits; the rest must be zero.
    if tail and _ALPHABET.index(text[-1]) & (0x0F if tail == 2 else 0x03):
        raise DecodeError("base64url: non-zero trailing bits")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # unreachable after the checks above; kept as a guard
        raise DecodeError("base64url: invalid") from exc


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """The one comparison of secret-derived or attacker-chosen encodings in `attestations`:
    its time depends on the lengths only, never on where the bytes first differ."""
    return hmac.compare_digest(a, b)


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 canonical bytes of `obj` (a caller passing non-JSON values gets ValueError)."""
    if _in_fast_domain(obj):
        fast = _fast_canonical(obj)
        if fast is not None:
            return fast
    try:
        return _rfc8785(obj)
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(f"cannot canonicalise: {exc}") from exc


def _rfc8785(value: Any) -> bytes:
    """`rfc8785.dumps`, refusing a lone surrogate in a key as it refuses one in a value: with
    a `CanonicalizationError` (its key sort lets a `UnicodeEncodeError` escape)."""
    try:
        return rfc8785.dumps(value)
    except UnicodeEncodeError as exc:
        raise rfc8785.CanonicalizationError("input contains non-UTF-8 codepoints") from exc


# The `rfc8785` package is the reference, written in Python (~18 µs to encode a ledger
# entry). Python's C encoder, with sorted keys, no white space and `ensure_ascii=False`,
# writes the same bytes on a smaller domain (~4 µs):
# 1. values are exactly dict (str keys), list, tuple, str, int, bool and None: what the
#    fast decoder returns and what `_in_fast_domain` admits. No floats (nor NaN):
#    ECMAScript's number spelling (RFC 8785 §3.2.2.3) is not `float.__repr__`;
# 2. integers within ±(2^53 − 1), written by both as their decimal digits (RFC 8785 refuses
#    the others);
# 3. strings: both escape exactly `"`, `\` and U+0000..U+001F, the latter as \b \f \n \r \t
#    or \u00xx in lower-case hex (RFC 8785 §3.2.2.2; CPython's `escape_unicode`), and write
#    every other character as itself in UTF-8. A lone surrogate cannot be written in UTF-8,
#    so `encode` fails, and the reference refuses it;
# 4. keys: RFC 8785 orders them by UTF-16 code units, `sort_keys` by code points, and the two
#    orders differ only for characters beyond U+FFFF, whose UTF-8 begins with a byte from
#    F0: output holding such a byte is left to the reference.
# Anything else goes to the reference, so what is accepted and every refusal are its own.
_MAX_SAFE_INTEGER = 2**53 - 1
#: Deleting these from UTF-8 leaves the lead bytes of characters beyond U+FFFF (a bytes
#: translate: ~0.5 µs for a 1 KB entry, where a regex search took ~4).
_BELOW_F0 = bytes(range(0xF0))
#: No `check_circular`: a decoded value has no cycles, and `_in_fast_domain` hands one to
#: `rfc8785` before this encoder could see it (the markers cost ~30% of the encoding).
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False
)


class _Unproven(Exception):
    """The fast decoder met a value outside the fast path's domain."""


def _unproven(text: str) -> Any:
    raise _Unproven


def _safe_int(text: str) -> int:
    # Longer than "-9007199254740991" is out of range (and may be too long for int()).
    if len(text) <= 17:
        value = int(text)
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return value
    raise _Unproven


# No duplicate-key hook: `load_canonical_json` compares bytes, which finds duplicates too.
_FAST_DECODER = json.JSONDecoder(
    parse_float=_unproven, parse_int=_safe_int, parse_constant=_unproven
)


def _in_fast_domain(value: Any, depth: int = 0) -> bool:
    """Whether `value` is made only of the types and integers of point 1 and 2 above, at
    most `MAX_JSON_NESTING` deep (deeper, or a cycle, is left to `rfc8785`, whose pure
    Python recursion ends in a RecursionError where this walk could overflow C's stack)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER)
    if depth >= MAX_JSON_NESTING:
        return False
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _in_fast_domain(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_in_fast_domain(item, depth + 1) for item in value)
    return False


def _fast_canonical(value: Any) -> bytes | None:
    """RFC 8785 bytes of `value`, which must be in the fast domain, by the C encoder; None
    where that is not proven to be them (points 3 and 4 above)."""
    try:
        out = _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return None
    if out.isascii() or not out.translate(None, _BELOW_F0):
        return out
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DecodeError(f"json: duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise DecodeError(f"json: {name} is not JSON")


#: Deeper JSON is refused before parsing: the C decoder recurses per level and a deeply
#: nested input can overflow a thread's stack and kill the process, not just raise.
MAX_JSON_NESTING = 64
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_nesting(text: str, limit: int = MAX_JSON_NESTING) -> None:
    """Refuse JSON text whose arrays/objects nest deeper than `limit` (`DecodeError`)."""
    # The depth never exceeds the number of opening brackets: counting them runs at C speed
    # (under a microsecond for a ledger entry, against ~20 µs for the scan), and the scan,
    # which skips brackets inside strings, is needed only when that bound is not enough.
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                raise DecodeError(f"json: nested more than {limit} levels deep")
        elif token in "]}":
            depth -= 1


def parse_json(text: str, *, parse_float: Callable[[str], Any] | None = None) -> Any:
    """Parse JSON text refusing what no Cartera format holds: nesting past
    `MAX_JSON_NESTING`, duplicate keys, NaN/Infinity (`DecodeError`). No canonical check."""
    check_nesting(text)
    return _parse(text, parse_float)


def _parse(text: str, parse_float: Callable[[str], Any] | None) -> Any:
    """`parse_json` once `check_nesting` has passed."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=parse_float,
        )
    except json.JSONDecodeError as exc:
        raise DecodeError(f"json: malformed ({exc.msg})") from exc
    except ValueError as exc:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise DecodeError("json: malformed (a number with too many digits)") from exc


def load_canonical_json(data: bytes | str) -> Any:
    """Parse JSON that is already in RFC 8785 canonical form; `DecodeError` otherwise."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("json: not UTF-8") from exc
    check_nesting(text)
    try:
        value = _FAST_DECODER.decode(text)
    except (_Unproven, ValueError):  # a float, a big integer, NaN, malformed: see below
        pass
    else:
        # Equal bytes also rule out duplicate keys: the re-encoding writes each key once.
        if _fast_canonical(value) == raw:
            return value
    # Outside the fast path's domain, or refused: `rfc8785` decides, with its messages.
    value = _parse(text, None)
    try:
        canonical = _rfc8785(value)
    except rfc8785.CanonicalizationError as exc:
        raise DecodeError(f"json: outside the canonical domain ({exc})") from exc
    if canonical != raw:
        raise DecodeError("json: not in RFC 8785 canonical form")
    return value


def expect_fields(
    obj: Any, required: Collection[str], optional: Collection[str] = (), *, what: str = "object"
) -> dict[str, Any]:
    """Return `obj` if it is a JSON object with all `required` and no other fields but
    `optional`; `DecodeError` naming the first offending field otherwise."""
    if not isinstance(obj, dict):
        raise DecodeError(f"{what}: expected a JSON object")
    for key in required:
        if key not in obj:
            raise DecodeError(f"{what}: missing field {key!r}")
    allowed = set(required) | set(optional)
    for key in obj:
        if key not in allowed:
            raise DecodeError(f"{what}: unexpected field {key!r}")
    return obj


def get_str(obj: Mapping[str, Any], key: str, *, what: str = "object") -> str:
    """The string field `key`; `DecodeError` if it is anything else."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise DecodeError(f"{what}: field {key!r} must be a string")
    return value


def get_int(obj: Mapping[str, Any], key: str, *, what: str = "object") -> int:
    """The integer field `key` (booleans are not integers here); `DecodeError` otherwise."""
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DecodeError(f"{what}: field {key!r} must be an integer")
    return value


def get_b64(
    obj: Mapping[str, Any], key: str, *, length: int | None = None, what: str = "object"
) -> bytes:
    """The base64url field `key`, decoded, of exactly `length` bytes when given."""
    try:
        data = b64url_decode(get_str(obj, key, what=what))
    except DecodeError as exc:
        raise DecodeError(f"{what}: field {key!r}: {exc}") from exc
    if length is not None and len(data) != length:
        raise DecodeError(f"{what}: field {key!r} has {len(data)} bytes, want {length}")
    return data
