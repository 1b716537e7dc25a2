"""Utility operations of draft-irtf-cfrg-bbs-signatures-06/07 §4.

- §4.1.1 `create_generators` (cached: the generator chain of each (api_id, suite) is computed
  once and extended on demand, as the draft allows), returning a `Generators` vector that
  also keeps its own serialization for `calculate_domain`;
- §4.1.2 `messages_to_scalars` (MapMessageToScalarAsHash);
- §4.2.1 `calculate_random_scalars` and, from the draft's test-vector section,
  `seeded_random_scalars` (the "mocked" random scalars of the fixtures);
- §4.2.2 `hash_to_scalar`; §4.2.3 `calculate_domain`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property, lru_cache

from attestations.bbs.serialization import i2osp, os2ip
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.curve import G1, R

__all__ = [
    "Generators",
    "RandomScalars",
    "calculate_domain",
    "calculate_random_scalars",
    "create_generators",
    "hash_to_scalar",
    "messages_to_scalars",
    "seeded_random_scalars",
]

#: A source of `count` uniformly random scalars (the draft's `calculate_random_scalars`).
RandomScalars = Callable[[int], Sequence[int]]

_MAX_DST = 255


class Generators:
    """The generator vector (Q_1, H_1, ..., H_L) the core operations take, with its
    serialization `point_to_octets_E1(Q_1) || ... || point_to_octets_E1(H_L)` computed once.

    Blind issuance appends the blind generators: `signer_gens + blind_gens`.
    """

    def __init__(self, points: Iterable[G1]) -> None:
        self.points: tuple[G1, ...] = tuple(points)
        if not self.points:
            raise ValueError("generators: need at least Q_1")

    @property
    def Q_1(self) -> G1:
        return self.points[0]

    @property
    def H(self) -> tuple[G1, ...]:
        """The message generators H_1, ..., H_L."""
        return self.points[1:]

    @cached_property
    def octets(self) -> bytes:
        return b"".join(p.to_bytes() for p in self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[G1]:
        return iter(self.points)

    def __add__(self, other: Generators) -> Generators:
        return Generators(self.points + other.points)

    @classmethod
    def of(cls, generators: Generators | Sequence[G1]) -> Generators:
        """`generators` itself, or a new vector holding the given points."""
        return generators if isinstance(generators, Generators) else cls(generators)


def hash_to_scalar(msg_octets: bytes, dst: bytes, suite: Ciphersuite = SHA256) -> int:
    """§4.2.2: OS2IP(expand_message(msg_octets, dst, expand_len)) mod r."""
    if len(dst) > _MAX_DST:
        raise ValueError(f"hash_to_scalar: dst of {len(dst)} bytes, at most {_MAX_DST}")
    return os2ip(suite.expand_message(msg_octets, dst, suite.expand_len)) % R


def messages_to_scalars(
    messages: Sequence[bytes], api_id: bytes, suite: Ciphersuite = SHA256
) -> list[int]:
    """§4.1.2: hash each octet-string message with dst api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"."""
    map_dst = api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    return [hash_to_scalar(bytes(msg), map_dst, suite) for msg in messages]


class _Chain:
    """The sequence generator_1, generator_2, ... of one (api_id, suite), grown on demand."""

    def __init__(self, suite: Ciphersuite, api_id: bytes) -> None:
        self.suite, self.lock = suite, threading.Lock()
        self.seed_dst = api_id + b"SIG_GENERATOR_SEED_"
        self.generator_dst = api_id + b"SIG_GENERATOR_DST_"
        generator_seed = api_id + b"MESSAGE_GENERATOR_SEED"
        self.v = suite.expand_message(generator_seed, self.seed_dst, suite.expand_len)
        self.points: list[G1] = []

    def take(self, count: int) -> tuple[G1, ...]:
        with self.lock:
            suite = self.suite
            for i in range(len(self.points) + 1, count + 1):
                self.v = suite.expand_message(self.v + i2osp(i, 8), self.seed_dst, suite.expand_len)
                self.points.append(suite.hash_to_curve_g1(self.v, self.generator_dst))
            return tuple(self.points[:count])


@lru_cache(maxsize=64)
def _chain(suite: Ciphersuite, api_id: bytes) -> _Chain:
    return _Chain(suite, api_id)


@lru_cache(maxsize=256)
def _generators(suite: Ciphersuite, api_id: bytes, count: int) -> Generators:
    return Generators(_chain(suite, api_id).take(count))


def create_generators(count: int, api_id: bytes, suite: Ciphersuite = SHA256) -> Generators:
    """§4.1.1: `count` generators hashed from a seed bound to `api_id` (cached)."""
    if not 1 <= count < 2**64:
        raise ValueError(f"create_generators: count {count} out of range")
    return _generators(suite.resolved(), bytes(api_id), count)


def calculate_domain(
    pk: bytes,
    generators: Generators | Sequence[G1],
    header: bytes,
    api_id: bytes,
    suite: Ciphersuite = SHA256,
) -> int:
    """§4.2.3 calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id).

    The draft passes Q_1 and the H points separately; here they come as one vector
    (Q_1, H_1, ..., H_L), whose serialization is cached.
    """
    gens = Generators.of(generators)
    if len(header) >= 2**64:
        raise ValueError("calculate_domain: header too long")
    dom_octs = i2osp(len(gens) - 1, 8) + gens.octets + api_id
    dom_input = bytes(pk) + dom_octs + i2osp(len(header), 8) + bytes(header)
    return hash_to_scalar(dom_input, api_id + b"H2S_", suite)


def calculate_random_scalars(count: int) -> list[int]:
    """§4.2.1: `count` scalars OS2IP(get_random(expand_len)) mod r from the OS CSPRNG."""
    return [os2ip(secrets.token_bytes(48)) % R for _ in range(count)]


def seeded_random_scalars(
    seed: bytes, dst: bytes, count: int, suite: Ciphersuite = SHA256
) -> list[int]:
    """The draft's mocked random scalars (§8 "Mocked Random Scalars"), for test vectors only:
    `count` scalars cut from one expand_message(seed, dst, count * expand_len)."""
    n = suite.expand_len
    if count * n > 65535:
        raise ValueError("seeded_random_scalars: count too large")
    v = suite.expand_message(seed, dst, count * n)
    return [os2ip(v[i * n : (i + 1) * n]) % R for i in range(count)]
