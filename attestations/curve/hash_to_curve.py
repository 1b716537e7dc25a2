"""RFC 9380 hashing to G1 of BLS12-381, written once above the backend interface.

The backends supply only the map (`CurveBackend.map_to_g1`: simplified SWU, the 11-isogeny
and cofactor clearing, RFC 9380 §6.6.3 and §7). Everything before the map is here, so both
BBS ciphersuites (XMD:SHA-256 and XOF:SHAKE-256) hash identically on every backend:

- `expand_message_xmd` (§5.3.1) and `expand_message_xof` (§5.3.2), with the oversize-DST
  rule of §5.3.3 applied to DSTs longer than 255 bytes;
- `hash_to_field_fp` (§5.2) for Fp, m = 1, L = 64;
- `hash_to_g1` (§3, the random-oracle `hash_to_curve`).
"""

from __future__ import annotations

import hashlib
from typing import Literal

from attestations.curve import get_backend
from attestations.curve.base import G1, CurveBackend, P

__all__ = [
    "Expand",
    "L",
    "expand_message",
    "expand_message_xmd",
    "expand_message_xof",
    "hash_to_field_fp",
    "hash_to_g1",
]

#: Which expander a suite uses: "xmd" is XMD:SHA-256, "xof" is XOF:SHAKE-256.
Expand = Literal["xmd", "xof"]

#: Bytes per field element in hash_to_field for BLS12-381 G1: ceil((381 + 128) / 8), §8.8.1.
L = 64

_MAX_DST = 255
_MAX_LEN = 65535
_OVERSIZE_PREFIX = b"H2C-OVERSIZE-DST-"


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _check_len(len_in_bytes: int) -> None:
    if not 0 <= len_in_bytes <= _MAX_LEN:
        raise ValueError(f"len_in_bytes must be in [0, {_MAX_LEN}], got {len_in_bytes}")


def expand_message_xmd(
    msg: bytes, dst: bytes, len_in_bytes: int, *, hash_name: str = "sha256"
) -> bytes:
    """RFC 9380 §5.3.1 with a Merkle–Damgård hash (SHA-256 unless `hash_name` says otherwise).

    A DST longer than 255 bytes is first shortened to H("H2C-OVERSIZE-DST-" || DST), §5.3.3.
    """
    _check_len(len_in_bytes)
    if len(dst) > _MAX_DST:
        dst = hashlib.new(hash_name, _OVERSIZE_PREFIX + dst).digest()
    probe = hashlib.new(hash_name)
    b_in_bytes, s_in_bytes = probe.digest_size, probe.block_size
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255:
        raise ValueError(f"len_in_bytes {len_in_bytes} needs {ell} > 255 {hash_name} blocks")
    dst_prime = dst + _i2osp(len(dst), 1)
    msg_prime = _i2osp(0, s_in_bytes) + msg + _i2osp(len_in_bytes, 2) + _i2osp(0, 1) + dst_prime
    b_0 = hashlib.new(hash_name, msg_prime).digest()
    b_i = hashlib.new(hash_name, b_0 + _i2osp(1, 1) + dst_prime).digest()
    blocks = [b_i]
    b_0_int = int.from_bytes(b_0, "big")  # XOR as one integer: a byte loop costs ~0.2 ms/verify
    for i in range(2, ell + 1):
        chained = (b_0_int ^ int.from_bytes(b_i, "big")).to_bytes(b_in_bytes, "big")
        b_i = hashlib.new(hash_name, chained + _i2osp(i, 1) + dst_prime).digest()
        blocks.append(b_i)
    return b"".join(blocks)[:len_in_bytes]


def _xof(name: str, data: bytes, length: int) -> bytes:
    if name == "shake_128":
        return hashlib.shake_128(data).digest(length)
    if name == "shake_256":
        return hashlib.shake_256(data).digest(length)
    raise ValueError(f"unsupported extendable-output function {name!r}")


def expand_message_xof(
    msg: bytes, dst: bytes, len_in_bytes: int, *, xof_name: str = "shake_256", k: int = 128
) -> bytes:
    """RFC 9380 §5.3.2 with an extendable-output function (SHAKE-256 unless `xof_name` says
    otherwise). `k` is the suite's security level: it fixes the length, ceil(2k/8), of the
    hash that replaces a DST longer than 255 bytes (§5.3.3). BLS12-381 suites use k = 128.
    """
    _check_len(len_in_bytes)
    if len(dst) > _MAX_DST:
        dst = _xof(xof_name, _OVERSIZE_PREFIX + dst, -(-2 * k // 8))
    dst_prime = dst + _i2osp(len(dst), 1)
    msg_prime = msg + _i2osp(len_in_bytes, 2) + dst_prime
    return _xof(xof_name, msg_prime, len_in_bytes)


def expand_message(msg: bytes, dst: bytes, len_in_bytes: int, expand: Expand) -> bytes:
    """The expander of a BLS12-381 G1 suite: XMD:SHA-256 or XOF:SHAKE-256 (k = 128)."""
    if expand == "xmd":
        return expand_message_xmd(msg, dst, len_in_bytes)
    if expand == "xof":
        return expand_message_xof(msg, dst, len_in_bytes)
    raise ValueError(f"unknown expander {expand!r}: choose 'xmd' or 'xof'")


def hash_to_field_fp(msg: bytes, count: int, dst: bytes, expand: Expand = "xmd") -> list[int]:
    """RFC 9380 §5.2 for Fp (m = 1): `count` field elements, each from L = 64 uniform bytes
    so that reducing mod p leaves a bias below 2^-128."""
    if count < 1:
        raise ValueError(f"count must be positive, got {count}")
    uniform = expand_message(msg, dst, count * L, expand)
    return [int.from_bytes(uniform[L * i : L * (i + 1)], "big") % P for i in range(count)]


def hash_to_g1(
    msg: bytes, dst: bytes, *, expand: Expand = "xmd", backend: CurveBackend | None = None
) -> G1:
    """RFC 9380 §3 hash_to_curve for BLS12381G1_{XMD:SHA-256,XOF:SHAKE-256}_SSWU_RO_.

    The RFC clears the cofactor once, on Q0 + Q1; `map_to_g1` clears it on each half, which
    gives the same point because cofactor clearing is a group homomorphism.
    """
    if backend is None:
        backend = get_backend()
    u0, u1 = hash_to_field_fp(msg, 2, dst, expand)
    return backend.map_to_g1(u0) + backend.map_to_g1(u1)
