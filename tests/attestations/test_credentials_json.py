"""Serialised keys, requests, responses, credentials and presentations: round trips, and a
`DecodeError` for every way an encoding can be non-canonical or malformed."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from py_ecc.bls.point_compression import compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381.optimized_curve import b2, is_inf, multiply

from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuanceRequest,
    IssuanceResponse,
    IssuerKey,
    IssuerPublicKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
)
from attestations.curve import P, R
from attestations.encoding import b64url_decode, b64url_encode, canonical_json
from attestations.errors import DecodeError
from attestations.schemas import Schema

SCHEMA = Schema.create("resident", [("district", "string"), ("postcode", "integer")])
VALUES = {"expiry": datetime.date(2031, 1, 31), "district": "Gràcia", "postcode": 8012}
NOW = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)

# --- bad points, built from first principles --------------------------------------------


def _is_square(v: int) -> bool:
    return pow(v % P, (P - 1) // 2, P) in (0, 1)


def _g1(x: int) -> bytes:
    return (x | (0b100 << 381)).to_bytes(48, "big")


G1_OFF_CURVE = _g1(next(x for x in range(1, 99) if not _is_square(x**3 + 4)))
G1_OUTSIDE_SUBGROUP = _g1(next(x for x in range(1, 99) if _is_square(x**3 + 4)))
G1_IDENTITY = bytes([0xC0]) + bytes(47)


def _g2(found: bool) -> bytes:
    for k in range(99):
        x = FQ2([k, 1])
        y = modular_squareroot_in_FQ2(x**3 + b2)
        if (y is not None) != found:
            continue
        if y is None:
            re, im = (int(c) for c in x.coeffs)
            return (im | (0b100 << 381)).to_bytes(48, "big") + re.to_bytes(48, "big")
        point = (x, y, FQ2.one())
        assert not is_inf(multiply(point, R)), "premise: outside the subgroup"
        z1, z2 = compress_G2(point)
        return int(z1).to_bytes(48, "big") + int(z2).to_bytes(48, "big")
    raise AssertionError("no x found")


G2_OFF_CURVE = _g2(found=False)
G2_OUTSIDE_SUBGROUP = _g2(found=True)
G2_IDENTITY = bytes([0xC0]) + bytes(95)


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture(scope="module")
def secret() -> HolderSecret:
    return HolderSecret.generate()


@pytest.fixture(scope="module")
def flow(issuer: IssuerKey, secret: HolderSecret) -> dict[str, Any]:
    request, state = begin_issuance(secret, issuer.public_key(), SCHEMA)
    response = issue(issuer, SCHEMA, VALUES, request, now=NOW)
    credential = finish_issuance(state, response)
    shown = present(credential, secret, disclose=["district"], verifier_id="v", nonce=bytes(16))
    return {"request": request, "response": response, "credential": credential, "shown": shown}


def _edit(data: bytes, change: Callable[[dict[str, Any]], object]) -> bytes:
    """Re-encode `data` canonically after `change` edits the parsed object in place."""
    obj = json.loads(data)
    change(obj)
    return canonical_json(obj)


def _set_b64(field: str, value: bytes) -> Callable[[dict[str, Any]], object]:
    return lambda obj: obj.__setitem__(field, b64url_encode(value))


def _splice(field: str, at: int, value: bytes) -> Callable[[dict[str, Any]], object]:
    def change(obj: dict[str, Any]) -> None:
        raw = b64url_decode(obj[field])
        obj[field] = b64url_encode(raw[:at] + value + raw[at + len(value) :])

    return change


# --- round trips ---------------------------------------------------------------------


def test_keys_round_trip(issuer: IssuerKey, secret: HolderSecret) -> None:
    assert IssuerKey.from_bytes(issuer.to_bytes()).to_bytes() == issuer.to_bytes()
    assert IssuerKey.from_json(issuer.to_json()).public_key() == issuer.public_key()
    public = issuer.public_key()
    assert IssuerPublicKey.from_json(public.to_json()) == public
    assert IssuerPublicKey.from_bytes(public.to_bytes()) == public
    assert HolderSecret.from_json(secret.to_json()).to_bytes() == secret.to_bytes()
    assert secret.to_bytes().hex() not in repr(secret) + repr(issuer)
    assert b64url_encode(secret.to_bytes()) not in repr(secret)


def test_documents_round_trip(flow: dict[str, Any]) -> None:
    for kind in (IssuanceRequest, IssuanceResponse, Credential, Presentation):
        name = {IssuanceRequest: "request", IssuanceResponse: "response"}.get(kind)
        value = flow[name or kind.__name__.lower().replace("presentation", "shown")]
        data = value.to_json()
        again = kind.from_json(data)  # type: ignore[attr-defined]
        assert again == value
        assert again.to_json() == data


def test_presentation_digest(flow: dict[str, Any]) -> None:
    shown = flow["shown"]
    assert shown.digest.startswith("sha256:") and len(shown.digest) == 71
    assert Presentation.from_json(shown.to_json()).digest == shown.digest


# --- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        bytes(32),
        R.to_bytes(32, "big"),
        (R + 1).to_bytes(32, "big"),
        b"\xff" * 32,
        bytes(31) + b"\1"[:0],
        b"\1" * 33,
    ],
    ids=["zero", "r", "r-plus-1", "all-ones", "short", "long"],
)
def test_secret_scalars_reject(data: bytes) -> None:
    with pytest.raises(DecodeError):
        IssuerKey.from_bytes(data)
    with pytest.raises(DecodeError):
        HolderSecret.from_bytes(data)


@pytest.mark.parametrize(
    "data",
    [G2_IDENTITY, G2_OFF_CURVE, G2_OUTSIDE_SUBGROUP, b"", bytes(95), bytes(97)],
    ids=["identity", "off-curve", "outside-subgroup", "empty", "short", "long"],
)
def test_public_key_rejects(data: bytes, issuer: IssuerKey) -> None:
    with pytest.raises(DecodeError):
        IssuerPublicKey.from_bytes(data)
    with pytest.raises(DecodeError):
        IssuerPublicKey.from_json(_edit(issuer.public_key().to_json(), _set_b64("key", data)))


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.__setitem__("suite", "BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_"),
        lambda o: o.__setitem__("type", "issuer-key"),
        lambda o: o.__setitem__("key", o["key"] + "A"),
        lambda o: o.__setitem__("extra", 1),
        lambda o: o.pop("suite"),
    ],
    ids=["other-suite", "wrong-type", "bad-base64url", "extra-field", "missing-field"],
)
def test_public_key_json_rejects(
    issuer: IssuerKey, change: Callable[[dict[str, Any]], object]
) -> None:
    with pytest.raises(DecodeError):
        IssuerPublicKey.from_json(_edit(issuer.public_key().to_json(), change))


def test_non_canonical_json_is_rejected(flow: dict[str, Any], issuer: IssuerKey) -> None:
    for data, parse in (
        (issuer.public_key().to_json(), IssuerPublicKey.from_json),
        (issuer.to_json(), IssuerKey.from_json),
        (flow["request"].to_json(), IssuanceRequest.from_json),
        (flow["response"].to_json(), IssuanceResponse.from_json),
        (flow["credential"].to_json(), Credential.from_json),
        (flow["shown"].to_json(), Presentation.from_json),
    ):
        parse(data)
        pretty = json.dumps(json.loads(data), indent=1, ensure_ascii=False).encode()
        reordered = json.dumps(dict(reversed(json.loads(data).items())), separators=(",", ":"))
        for bad in (pretty, data + b"\n", b" " + data, reordered.encode()):
            with pytest.raises(DecodeError):
                parse(bad)
        duplicated = data[:-1] + b',"type":' + json.dumps(json.loads(data)["type"]).encode() + b"}"
        with pytest.raises(DecodeError):
            parse(duplicated)


# --- issuance request -----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        _splice("commitment", 0, G1_IDENTITY),
        _splice("commitment", 0, G1_OFF_CURVE),
        _splice("commitment", 0, G1_OUTSIDE_SUBGROUP),
        _splice("commitment", 48, R.to_bytes(32, "big")),
        _splice("commitment", 80, bytes(32)),
        _splice("commitment", 112, b"\xff" * 32),
        lambda o: o.__setitem__("commitment", o["commitment"][:-1]),
        lambda o: o.__setitem__("commitment", b64url_encode(b64url_decode(o["commitment"])[:-32])),
        lambda o: o.__setitem__(
            "commitment", b64url_encode(b64url_decode(o["commitment"]) + bytes(32))
        ),
        lambda o: o.__setitem__("schema", 7),
        lambda o: o.__setitem__("type", "issuance-response"),
    ],
    ids=[
        "identity",
        "off-curve",
        "outside-subgroup",
        "s-hat-is-r",
        "zero-m-hat",
        "challenge-above-r",
        "bad-base64url",
        "truncated",
        "extended",
        "schema-not-string",
        "wrong-type",
    ],
)
def test_request_rejects(flow: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> None:
    with pytest.raises(DecodeError):
        IssuanceRequest.from_json(_edit(flow["request"].to_json(), change))


# --- issuance response and credential -------------------------------------------------


_SIGNATURE_CHANGES = [
    _splice("signature", 0, G1_IDENTITY),
    _splice("signature", 0, G1_OFF_CURVE),
    _splice("signature", 0, G1_OUTSIDE_SUBGROUP),
    _splice("signature", 48, R.to_bytes(32, "big")),
    _splice("signature", 48, bytes(32)),
    lambda o: o.__setitem__("signature", b64url_encode(b64url_decode(o["signature"])[:-1])),
    _set_b64("issuer", G2_OUTSIDE_SUBGROUP),
]
_SIGNATURE_IDS = [
    "A-identity",
    "A-off-curve",
    "A-outside-subgroup",
    "e-is-r",
    "e-zero",
    "truncated",
    "issuer-outside-subgroup",
]


@pytest.mark.parametrize("change", _SIGNATURE_CHANGES, ids=_SIGNATURE_IDS)
def test_response_and_credential_reject_bad_signatures(
    flow: dict[str, Any], change: Callable[[dict[str, Any]], object]
) -> None:
    with pytest.raises(DecodeError):
        IssuanceResponse.from_json(_edit(flow["response"].to_json(), change))
    with pytest.raises(DecodeError):
        Credential.from_json(_edit(flow["credential"].to_json(), change))


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o["attributes"].pop("postcode"),
        lambda o: o["attributes"].__setitem__("postcode", "8012"),
        lambda o: o["attributes"].__setitem__("expiry", "2031-02-30"),
        lambda o: o["attributes"].__setitem__("nickname", "M"),
        _set_b64("prover_blind", bytes(32)),
        _set_b64("prover_blind", R.to_bytes(32, "big")),
        _set_b64("prover_blind", bytes(31)),
        lambda o: o["schema"]["attributes"].pop(0),
        lambda o: o["schema"].__setitem__("name", "Resident"),
    ],
    ids=[
        "missing-attribute",
        "string-for-integer",
        "impossible-date",
        "unknown-attribute",
        "zero-blind",
        "blind-is-r",
        "short-blind",
        "schema-without-expiry",
        "bad-schema-name",
    ],
)
def test_credential_rejects(
    flow: dict[str, Any], change: Callable[[dict[str, Any]], object]
) -> None:
    with pytest.raises(DecodeError):
        Credential.from_json(_edit(flow["credential"].to_json(), change))


def test_response_rejects_nested_attribute_values(flow: dict[str, Any]) -> None:
    data = _edit(flow["response"].to_json(), lambda o: o["attributes"].__setitem__("x", [1]))
    with pytest.raises(DecodeError):
        IssuanceResponse.from_json(data)


# --- presentation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        _splice("proof", 0, G1_IDENTITY),
        _splice("proof", 48, G1_OFF_CURVE),
        _splice("proof", 96, G1_OUTSIDE_SUBGROUP),
        _splice("proof", 144, R.to_bytes(32, "big")),
        _splice("proof", 176, bytes(32)),
        lambda o: o.__setitem__("proof", b64url_encode(b64url_decode(o["proof"])[:-1])),
        lambda o: o.__setitem__("proof", b64url_encode(b64url_decode(o["proof"])[:200])),
        lambda o: o.__setitem__("proof", o["proof"] + "="),
        _set_b64("pseudonym", G1_IDENTITY),
        _set_b64("pseudonym", G1_OFF_CURVE),
        _set_b64("pseudonym", G1_OUTSIDE_SUBGROUP),
        _set_b64("pseudonym", bytes(47)),
        _set_b64("nonce", bytes(15)),
        _set_b64("issuer", G2_IDENTITY),
        lambda o: o.__setitem__("verifier", ""),
        lambda o: o["disclosed"].__setitem__("district", {"v": "x"}),
        lambda o: o.__setitem__("disclosed", ["Gràcia"]),
        lambda o: o.__setitem__("type", "credential"),
    ],
    ids=[
        "Abar-identity",
        "Bbar-off-curve",
        "D-outside-subgroup",
        "scalar-is-r",
        "zero-scalar",
        "truncated-by-one",
        "truncated-to-200",
        "padded-base64url",
        "pseudonym-identity",
        "pseudonym-off-curve",
        "pseudonym-outside-subgroup",
        "pseudonym-short",
        "short-nonce",
        "issuer-identity",
        "empty-verifier",
        "nested-value",
        "disclosed-not-object",
        "wrong-type",
    ],
)
def test_presentation_rejects(
    flow: dict[str, Any], change: Callable[[dict[str, Any]], object]
) -> None:
    with pytest.raises(DecodeError):
        Presentation.from_json(_edit(flow["shown"].to_json(), change))


@pytest.mark.parametrize(
    "number", [b"9007199254740992", b"-9007199254740992", b"8012.0", b"8.012e3"]
)
def test_credential_rejects_integers_outside_json(flow: dict[str, Any], number: bytes) -> None:
    data = flow["credential"].to_json()
    assert b'"postcode":8012' in data
    with pytest.raises(DecodeError):
        Credential.from_json(data.replace(b'"postcode":8012', b'"postcode":' + number))
