"""C2SP signed-note vectors (../shared/vectors/signed_note): open, key and sign cases."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.checkpoint import open_checkpoint
from ledger.errors import InvalidNoteSignature, LedgerError, MalformedNote
from ledger.note import (
    NoteSignature,
    SignedNote,
    SignerKey,
    VerifiedNote,
    VerifierKey,
    key_id,
    open_note,
    sign,
)
from tests.conftest import load_vector

FILES = ["c2sp_spec_examples.json", "golang_mod_note_test.json", "checkpoints.json"]


def _cases(kind: str) -> list[Any]:
    params = []
    for name in FILES:
        doc = load_vector(f"signed_note/{name}")
        for i, case in enumerate(doc.get(kind, [])):
            params.append(pytest.param(case, id=f"{name}:{i}:{case.get('name', '')[:50]}"))
    return params


def _note(case: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(case["noteHex"]) if "noteHex" in case else case["note"]


def _open(case: dict[str, Any], keys: list[VerifierKey]) -> VerifiedNote:
    """Checkpoint cases carry the origin the caller expects: open them as checkpoints."""
    if "expectedOrigin" in case:
        log_key, *witnesses = keys
        origin = case["expectedOrigin"]
        return open_checkpoint(
            _note(case), log_key, origin=origin, witness_keys=witnesses
        ).signatures
    return open_note(_note(case), keys)


def _sigs(sigs: tuple[NoteSignature, ...]) -> list[dict[str, str]]:
    return [{"name": s.name, "keyId": f"{s.key_id:08x}", "base64": s.base64} for s in sigs]


@pytest.mark.parametrize("case", _cases("openCases"))
def test_open(case: dict[str, Any]) -> None:
    keys = [VerifierKey.from_text(k) for k in case["verifierKeys"]]
    if case.get("parseOnly"):
        parsed = SignedNote.from_text(_note(case))
        assert parsed.text == case["expectText"]
        assert _sigs(parsed.signatures) == case["expectUnverified"]
        with pytest.raises(InvalidNoteSignature, match="no verifiable signatures") as err:
            open_note(_note(case), keys)
        assert _sigs(err.value.unverified) == case["expectUnverified"]
        return
    if not case["expectValid"]:
        with pytest.raises(LedgerError) as failure:
            _open(case, keys)
        if "expectError" in case:
            assert case["expectError"] in str(failure.value)
        if "expectUnverified" in case:
            assert isinstance(failure.value, InvalidNoteSignature)
            got = failure.value.unverified
            assert _sigs(got) == case["expectUnverified"]
        return
    opened = _open(case, keys)
    assert isinstance(opened, VerifiedNote)
    assert opened.text == case["expectText"]
    assert _sigs(opened.verified) == case["expectVerified"]
    assert _sigs(opened.unverified) == case["expectUnverified"]


@pytest.mark.parametrize("case", _cases("vkeyCases"))
def test_verifier_key(case: dict[str, Any]) -> None:
    if case["expectValid"]:
        key = VerifierKey.from_text(case["vkey"])
        assert key.to_text() == case["vkey"]
        assert key.key_id == key_id(key.name, key.public_key)
    else:
        with pytest.raises(MalformedNote):
            VerifierKey.from_text(case["vkey"])


@pytest.mark.parametrize("case", _cases("signCases"))
def test_sign(case: dict[str, Any]) -> None:
    signer = SignerKey.from_text(case["skey"])
    assert signer.to_text() == case["skey"]
    if "expectError" in case:
        with pytest.raises(MalformedNote, match=case["expectError"]):
            sign(case["text"], [signer])
    else:
        assert sign(case["text"], [signer]) == case["expectNote"]


def test_every_published_skey_derives_its_vkey() -> None:
    for name in FILES:
        for key in load_vector(f"signed_note/{name}")["keys"]:
            if "skey" in key:
                assert SignerKey.from_text(key["skey"]).verifier().to_text() == key["vkey"]


def test_generated_key_round_trip_and_repr_hides_seed() -> None:
    signer = SignerKey.generate("cartera.example/ledger")
    assert SignerKey.from_text(signer.to_text()) == signer
    assert signer.seed.hex() not in repr(signer)
    vkey = VerifierKey.from_text(signer.verifier().to_text())
    note = sign("hello\n\nworld\n", [signer])
    assert open_note(note, [vkey]).text == "hello\n\nworld\n"


MALFORMED = {
    "no-final-newline": ("a\n\n— k AAAAAAA=", "does not end in a newline"),
    "control-char": ("a\tb\n\n— k AAAAAAA=\n", r"control character U\+0009"),
    "no-blank-line": ("a\n— k AAAAAAA=\n", "no blank line"),
    "no-signatures": ("a\n\n", "no signature lines"),
    "not-a-signature-line": ("a\n\n- k AAAAAAA=\n", "does not start with"),
    "name-with-plus": ("a\n\n— k+1 AAAAAAA=\n", "invalid key name"),
    "bad-base64": ("a\n\n— k AAAA*AA=\n", "invalid base64"),
    "non-canonical-base64": ("a\n\n— k AAAAAAB=\n", "non-canonical base64"),
    "short-signature": ("a\n\n— k AAAAAA==\n", "want > 4"),
    "not-utf8": (b"\xffa\n\n\xe2\x80\x94 k AAAAAAA=\n", "not valid UTF-8"),
}


@pytest.mark.parametrize("note,message", MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_notes_say_why(note: str | bytes, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        SignedNote.from_text(note)


def test_sixteen_signatures_are_accepted() -> None:
    signers = [SignerKey.generate(f"w{i}.example") for i in range(16)]
    note = sign("text\n", signers)
    opened = open_note(note, [s.verifier() for s in signers])
    assert len(opened.verified) == 16
