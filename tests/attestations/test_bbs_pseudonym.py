"""Proofs carrying a per-verifier pseudonym (attestations.bbs.pseudonym), on a blindly issued
signature whose last message is the holder secret s."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from attestations.bbs import (
    SHA256,
    SHAKE256,
    Ciphersuite,
    Generators,
    core_proof_gen,
    core_proof_verify,
    key_gen,
    messages_to_scalars,
    sign,
    sk_to_pk,
)
from attestations.bbs.blind import (
    blind_api_id,
    blind_sign,
    commit,
    signature_generators,
    signed_messages,
)
from attestations.bbs.pseudonym import (
    calculate_pseudonym,
    proof_gen_with_pseudonym,
    proof_verify_with_pseudonym,
)
from attestations.curve import G1, R

HEADER, PH = b"cartera pseudonym header", b"verifier nonce"
BASE_DST = b"CARTERA-TEST-V01-VERIFIER-BASE_"
SHOWN = [0, 2]


@dataclass(frozen=True)
class Credential:
    suite: Ciphersuite
    api_id: bytes
    pk: bytes
    signature: bytes
    messages: list[int]  # the full signed vector, holder secret last
    generators: Generators

    @property
    def secret_index(self) -> int:
        return len(self.messages) - 1

    @property
    def secret(self) -> int:
        return self.messages[-1]

    def base(self, verifier_id: bytes) -> G1:
        return self.suite.hash_to_curve_g1(verifier_id, BASE_DST)

    def present(self, base: G1, ph: bytes = PH) -> tuple[bytes, bytes]:
        return proof_gen_with_pseudonym(
            self.pk, self.signature, HEADER, ph, self.messages, SHOWN,
            secret_index=self.secret_index, base=base, api_id=self.api_id,
            generators=self.generators, suite=self.suite,
        )  # fmt: skip

    def check(
        self,
        proof: bytes,
        pseudonym: bytes,
        base: G1,
        *,
        indexes: list[int] = SHOWN,
        secret_index: int | None = None,
    ) -> bool:
        shown = [self.messages[i] for i in indexes if i < len(self.messages)]
        return proof_verify_with_pseudonym(
            self.pk, proof, pseudonym, HEADER, PH, shown, indexes,
            secret_index=self.secret_index if secret_index is None else secret_index,
            base=base, api_id=self.api_id, generators=self.generators, suite=self.suite,
        )  # fmt: skip


def _issue(suite: Ciphersuite, secret: int) -> Credential:
    api_id = blind_api_id(suite)
    sk = key_gen(b"pseudonym issuer key material, 32+b", b"", None, suite)
    pk = sk_to_pk(sk, suite)
    issuer_messages = [11, 22, 33]
    commitment, prover_blind = commit([secret], api_id, suite=suite)
    signature = blind_sign(
        int.from_bytes(sk, "big"), pk, commitment, HEADER, issuer_messages, api_id, suite=suite
    )
    messages = signed_messages(issuer_messages, prover_blind, [secret])
    generators = signature_generators(len(issuer_messages), 1, api_id, suite)
    return Credential(suite, api_id, pk, signature, messages, generators)


@pytest.fixture(params=[SHA256, SHAKE256], ids=["sha256", "shake256"], scope="module")
def cred(request: pytest.FixtureRequest) -> Credential:
    suite: Ciphersuite = request.param
    return _issue(suite.with_backend("arkworks"), secrets.randbelow(R - 1) + 1)


def test_round_trip(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof, pseudonym = cred.present(base)
    assert pseudonym == calculate_pseudonym(cred.secret, base).to_bytes()
    assert cred.check(proof, pseudonym, base)


def test_same_verifier_same_pseudonym(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof1, nym1 = cred.present(base)
    proof2, nym2 = cred.present(base)
    assert nym1 == nym2 and proof1 != proof2
    assert cred.check(proof1, nym1, base) and cred.check(proof2, nym2, base)


def test_different_verifiers_different_pseudonyms(cred: Credential) -> None:
    _, nym_a = cred.present(cred.base(b"did:key:verifier-a"))
    _, nym_b = cred.present(cred.base(b"did:key:verifier-b"))
    assert nym_a != nym_b


def test_same_secret_across_credentials_same_pseudonym(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    other = _issue(cred.suite, cred.secret)
    assert other.present(base)[1] == cred.present(base)[1]


def test_tampered_pseudonym_fails(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof, pseudonym = cred.present(base)
    wrong = calculate_pseudonym((cred.secret + 1) % R, base).to_bytes()
    assert not cred.check(proof, wrong, base)
    assert not cred.check(proof, bytes([0xC0]) + bytes(47), base)  # identity
    assert not cred.check(proof, pseudonym[:-1], base)
    assert not cred.check(proof, b"\xff" * 48, base)
    assert not cred.check(proof, cred.base(b"another point entirely").to_bytes(), base)


def test_proof_bound_to_its_base(cred: Credential) -> None:
    base_a, base_b = cred.base(b"did:key:verifier-a"), cred.base(b"did:key:verifier-b")
    proof, pseudonym = cred.present(base_a)
    assert not cred.check(proof, pseudonym, base_b)
    # Even presenting the right pseudonym for B under A's proof fails.
    assert not cred.check(proof, calculate_pseudonym(cred.secret, base_b).to_bytes(), base_b)


def test_wrong_secret_index_or_disclosure_fails(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof, pseudonym = cred.present(base)
    assert not cred.check(proof, pseudonym, base, secret_index=1)
    assert not cred.check(proof, pseudonym, base, indexes=[0, 2, cred.secret_index])
    with pytest.raises(ValueError):
        proof_gen_with_pseudonym(
            cred.pk, cred.signature, HEADER, PH, cred.messages, [0, cred.secret_index],
            secret_index=cred.secret_index, base=base, api_id=cred.api_id,
            generators=cred.generators, suite=cred.suite,
        )  # fmt: skip


def test_pseudonym_proof_is_not_a_plain_proof(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof, pseudonym = cred.present(base)
    shown = [cred.messages[i] for i in SHOWN]
    args = (cred.pk, proof, cred.generators, HEADER, PH, shown, SHOWN, cred.api_id)
    assert not core_proof_verify(*args, suite=cred.suite)
    plain = core_proof_gen(
        cred.pk, cred.signature, cred.generators, HEADER, PH, cred.messages, SHOWN, cred.api_id,
        suite=cred.suite,
    )  # fmt: skip
    assert not cred.check(plain, pseudonym, base)


def test_other_presentation_header_fails(cred: Credential) -> None:
    base = cred.base(b"did:key:verifier-a")
    proof, pseudonym = cred.present(base, ph=b"another nonce")
    assert not cred.check(proof, pseudonym, base)


def test_plain_signature_with_default_generators() -> None:
    """Without `generators`, the plain Interface's create_generators(L + 1, api_id) is used."""
    suite = SHA256.with_backend("arkworks")
    sk = key_gen(b"plain issuer key material, 32 bytes", b"", None, suite)
    pk = sk_to_pk(sk, suite)
    octets = [b"Ada", b"Lovelace", secrets.token_bytes(32)]  # the last one plays s
    signature = sign(sk, pk, HEADER, octets, suite)
    messages = messages_to_scalars(octets, suite.api_id, suite)
    base = suite.hash_to_curve_g1(b"did:key:verifier-a", BASE_DST)
    proof, pseudonym = proof_gen_with_pseudonym(
        pk, signature, HEADER, PH, messages, [0],
        secret_index=2, base=base, api_id=suite.api_id, suite=suite,
    )  # fmt: skip
    assert proof_verify_with_pseudonym(
        pk, proof, pseudonym, HEADER, PH, [messages[0]], [0],
        secret_index=2, base=base, api_id=suite.api_id, suite=suite,
    )  # fmt: skip
