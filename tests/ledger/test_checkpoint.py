"""C2SP tlog-checkpoint: the checkpoint vectors and our own body rules."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import InvalidNoteSignature, LedgerError, MalformedCheckpoint
from ledger.note import SignedNote, SignerKey, VerifierKey
from tests.conftest import load_vector

ROOT = bytes(range(32))


def _checkpoint_cases() -> list[Any]:
    params = []
    for name in ("checkpoints.json", "c2sp_spec_examples.json"):
        for i, case in enumerate(load_vector(f"signed_note/{name}")["openCases"]):
            if "checkpoint" in case or "expectedOrigin" in case:
                params.append(pytest.param(case, id=f"{name}:{i}:{case['name'][:50]}"))
    return params


@pytest.mark.parametrize("case", _checkpoint_cases())
def test_checkpoint_vectors(case: dict[str, Any]) -> None:
    if "checkpoint" in case:
        want = case["checkpoint"]
        body = Checkpoint.from_text(SignedNote.from_text(case["note"]).text)
        assert body.origin == want["origin"]
        assert body.size == want["size"]
        assert body.root_hash == base64.b64decode(want["rootHash"])
        assert list(body.extensions) == want["extensionLines"]
        assert body.to_text() == case["expectText"]
    if case.get("parseOnly"):
        return
    log_key, *witnesses = (VerifierKey.from_text(k) for k in case["verifierKeys"])
    origin = case["expectedOrigin"]
    if not case["expectValid"]:
        with pytest.raises(LedgerError):
            open_checkpoint(case["note"], log_key, origin=origin, witness_keys=witnesses)
        return
    signed = open_checkpoint(case["note"], log_key, origin=origin, witness_keys=witnesses)
    assert signed.checkpoint.origin == origin
    assert len(signed.signatures.verified) == len(case["expectVerified"])
    assert len(signed.signatures.unverified) == len(case["expectUnverified"])


def test_sign_and_open_round_trip() -> None:
    signer = SignerKey.generate("cartera.example/ledger")
    cp = Checkpoint("cartera.example/ledger", 42, ROOT, ("ext one",))
    signed = open_checkpoint(cp.sign(signer), signer.verifier(), origin=cp.origin)
    assert signed.checkpoint == cp


def test_witness_alone_is_not_enough() -> None:
    log, witness = SignerKey.generate("log.example"), SignerKey.generate("witness.example")
    note = Checkpoint("log.example", 1, ROOT).sign(witness)
    with pytest.raises(InvalidNoteSignature, match="no signature from log key"):
        open_checkpoint(
            note, log.verifier(), origin="log.example", witness_keys=[witness.verifier()]
        )


def test_wrong_origin_names_both() -> None:
    log = SignerKey.generate("log.example")
    note = Checkpoint("log.example", 1, ROOT).sign(log)
    with pytest.raises(MalformedCheckpoint, match=r"got origin 'log\.example', want 'other'"):
        open_checkpoint(note, log.verifier(), origin="other")


ROOT_B64 = base64.b64encode(ROOT).decode()
BAD_BODIES = {
    "two-lines": ("o\n1\n", "want at least 3"),
    "empty-origin": (f"\n1\n{ROOT_B64}\n", "empty origin"),
    "leading-zero": (f"o\n01\n{ROOT_B64}\n", "leading zeroes"),
    "negative": (f"o\n-1\n{ROOT_B64}\n", "not decimal"),
    "too-big": (f"o\n{2**64}\n{ROOT_B64}\n", "want 0..2\\^64-1"),
    "huge": (f"o\n{'9' * 5000}\n{ROOT_B64}\n", "not decimal"),
    "root-not-base64": ("o\n1\n***\n", "not base64"),
    "root-short": ("o\n1\nAAAA\n", "3-byte root hash, want 32"),
    "empty-extension": (f"o\n1\n{ROOT_B64}\n\n", "empty extension"),
    "no-final-newline": (f"o\n1\n{ROOT_B64}", "newline"),
}


@pytest.mark.parametrize("text,message", BAD_BODIES.values(), ids=list(BAD_BODIES))
def test_malformed_bodies_say_why(text: str, message: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=message):
        Checkpoint.from_text(text)


def test_zero_size_is_written_as_0() -> None:
    assert Checkpoint.from_text(f"o\n0\n{ROOT_B64}\n").size == 0
