"""Base58btc (the Bitcoin alphabet), as multibase prefix `z` uses it in `did:key`.

Written here rather than pulled in because it is twenty lines and decoding must be strict:
only the alphabet's characters, and one text per byte string (each leading zero byte is a
leading `1`, so `decode` then `encode` gives the input back).
"""

from __future__ import annotations

from policies.errors import DocumentError

__all__ = ["b58decode", "b58encode"]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58btc text of `data`."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_ALPHABET[digit])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str, *, max_length: int = 128) -> bytes:
    """Bytes of base58btc `text`; `DocumentError` for a character outside the alphabet.
    `max_length` bounds the work an attacker can ask for (decoding is quadratic)."""
    if len(text) > max_length:
        raise DocumentError(f"base58: longer than {max_length} characters")
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise DocumentError(f"base58: {char!r} is not in the base58btc alphabet")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body
