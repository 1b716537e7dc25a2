"""Session documents: the issuer's signed offer and the wallet's presentation response.

Real keys and real BBS operations throughout: an offer is signed with an Ed25519 key, a
response carries a presentation of a credential that was blindly issued here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from policy_builders import ISSUER, SCHEMA, T0, VERIFIER

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
)
from attestations.encoding import b64url_encode
from attestations.schemas import Value
from policies import (
    DocumentError,
    IssuanceOffer,
    PresentationResponse,
    SignatureError,
    build_response,
    sign_offer,
    verify_offer,
)

BBS = IssuerKey.from_bytes(bytes(31) + b"\x05")
VALUES: dict[str, Value] = {
    "expiry": date(2027, 11, 22),
    "birthdate": date(1990, 5, 17),
    "district": "Gràcia",
    "postal_code": "08012",
    "income": -5,
}
URI = "http://127.0.0.1:8471/v1/offers/abc"
GRANT = "sha256:" + "ab" * 32


def offer(**overrides: Any) -> IssuanceOffer:
    fields: dict[str, Any] = {
        "issuer_name": "Padró de Barcelona",
        "public_key": BBS.public_key(),
        "schema": SCHEMA,
        "attributes": VALUES,
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=10),
        "response_uri": URI,
    }
    fields.update(overrides)
    return sign_offer(ISSUER, **fields)


def lenient(cls: type[IssuanceOffer] | type[PresentationResponse], obj: dict[str, Any]) -> Any:
    return cls.from_json(json.dumps(obj).encode(), canonical=False)


# -- issuance.offer -------------------------------------------------------------------------


def test_offer_reads_back_and_verifies() -> None:
    parsed = IssuanceOffer.from_json(offer().to_json())
    verify_offer(parsed)
    assert parsed.issuer == ISSUER.did
    assert parsed.issuer_name == "Padró de Barcelona"
    assert parsed.issuer_public_key() == BBS.public_key()
    assert parsed.credential_schema == SCHEMA
    assert parsed.values() == VALUES
    assert list(parsed.values()) == list(SCHEMA.names)
    assert parsed.expires_at == T0 + timedelta(minutes=10)
    assert parsed.response_uri == URI


def test_offer_wire_form_is_the_contract() -> None:
    obj = offer().to_json_dict()
    assert sorted(obj) == sorted(
        [
            "type",
            "issuer",
            "issuer_name",
            "public_key",
            "schema",
            "attributes",
            "created_at",
            "expires_at",
            "response_uri",
            "sig",
        ]
    )
    assert obj["type"] == "issuance.offer"
    assert obj["schema"] == SCHEMA.to_document()
    assert obj["attributes"]["birthdate"] == "1990-05-17"
    assert obj["attributes"]["income"] == -5
    assert obj["public_key"] == b64url_encode(BBS.public_key().to_bytes())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("response_uri", "http://attacker.example/v1/offers/abc"),
        ("issuer_name", "Someone Else"),
        ("expires_at", "2030-01-01T00:00:00Z"),
        ("attributes", {**offer().to_json_dict()["attributes"], "district": "Sants"}),
        (
            "public_key",
            b64url_encode(IssuerKey.from_bytes(bytes(31) + b"\x07").public_key().to_bytes()),
        ),
    ],
)
def test_every_offer_field_is_signed(field: str, value: Any) -> None:
    obj = offer().to_json_dict()
    obj[field] = value
    changed = lenient(IssuanceOffer, obj)
    with pytest.raises(SignatureError):
        verify_offer(changed)


def test_offer_signed_by_another_key_does_not_verify_as_the_issuer() -> None:
    obj = offer().to_json_dict()
    obj["issuer"] = VERIFIER.did
    with pytest.raises(SignatureError):
        verify_offer(lenient(IssuanceOffer, obj))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attributes": {"expiry": "2027-11-22"}}, "missing"),
        (
            {
                "attributes": {
                    **{k: "x" for k in ("district", "postal_code")},
                    "expiry": "2027-11-22",
                    "birthdate": "1990-05-17",
                    "income": 1,
                    "colour": "red",
                }
            },
            "unexpected",
        ),
        (
            {
                "attributes": {
                    "expiry": "2027-11-22",
                    "birthdate": "17/05/1990",
                    "district": "x",
                    "postal_code": "x",
                    "income": 1,
                }
            },
            "birthdate",
        ),
        (
            {
                "attributes": {
                    "expiry": "2027-11-22",
                    "birthdate": "1990-05-17",
                    "district": 7,
                    "postal_code": "x",
                    "income": 1,
                }
            },
            "district",
        ),
        (
            {
                "attributes": {
                    "expiry": "2027-11-22",
                    "birthdate": "1990-05-17",
                    "district": "x",
                    "postal_code": "x",
                    "income": True,
                }
            },
            "income",
        ),
        ({"public_key": b64url_encode(bytes(96))}, "public_key|issuer-public-key|point"),
        ({"public_key": b64url_encode(bytes(48))}, "96"),
        ({"expires_at": "2025-03-01T09:30:00Z"}, "before expires_at"),
        ({"response_uri": "ftp://example.org/x"}, "response_uri"),
        ({"issuer_name": " padded"}, "white space"),
        ({"schema": {"name": "resident", "attributes": []}}, "schema"),
        ({"issuer": "did:web:padro.example"}, "did"),
        ({"type": "issuance.ofer"}, "type"),
        ({"colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_malformed_offers_are_refused_with_the_reason(change: dict[str, Any], message: str) -> None:
    obj = offer().to_json_dict()
    obj.update(change)
    with pytest.raises(DocumentError, match=message):
        lenient(IssuanceOffer, obj)


def test_missing_offer_field_is_named() -> None:
    obj = offer().to_json_dict()
    del obj["response_uri"]
    with pytest.raises(DocumentError, match="missing field 'response_uri'"):
        lenient(IssuanceOffer, obj)


def test_offer_bytes_must_be_canonical() -> None:
    pretty = json.dumps(offer().to_json_dict(), indent=1).encode()
    with pytest.raises(DocumentError, match="canonical"):
        IssuanceOffer.from_json(pretty)


def test_building_an_offer_with_wrong_values_is_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="missing"):
        offer(attributes={"expiry": date(2027, 1, 1)})
    with pytest.raises(TypeError, match="district"):
        offer(attributes={**VALUES, "district": 5})
    with pytest.raises(ValueError, match="before expires_at"):
        offer(expires_at=T0)


# -- presentation.response ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shown() -> Presentation:
    secret = HolderSecret.from_bytes(bytes(31) + b"\x09")
    request, state = begin_issuance(secret, BBS.public_key(), SCHEMA)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    credential = finish_issuance(state, issue(BBS, SCHEMA, VALUES, request, now=now))
    return present(
        credential, secret, disclose=["district"], verifier_id=VERIFIER.did, nonce=bytes(16)
    )


def test_response_reads_back(shown: Presentation) -> None:
    response = build_response(issuer=ISSUER.did, grant=GRANT, presentation=shown)
    parsed = PresentationResponse.from_json(response.to_json())
    assert parsed.issuer == ISSUER.did
    assert parsed.grant == GRANT
    assert parsed.presentation == shown
    assert parsed.presentation.digest == shown.digest
    obj = parsed.to_json_dict()
    assert sorted(obj) == ["grant", "issuer", "presentation", "type"]
    assert obj["presentation"] == json.loads(shown.to_json())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grant": "sha256:AB"}, "grant"),
        ({"issuer": "did:key:nope"}, "issuer"),
        ({"presentation": "not an object"}, "presentation"),
        ({"presentation": {"type": "presentation"}}, "presentation"),
        ({"sig": "AAAA"}, "unknown field 'sig'"),
        ({"type": "presentation.request"}, "type"),
    ],
)
def test_malformed_responses_are_refused_with_the_reason(
    shown: Presentation, change: dict[str, Any], message: str
) -> None:
    obj = build_response(issuer=ISSUER.did, grant=GRANT, presentation=shown).to_json_dict()
    obj.update(change)
    with pytest.raises(DocumentError, match=message):
        lenient(PresentationResponse, obj)


def test_response_with_a_pseudonym_off_the_curve_is_refused(shown: Presentation) -> None:
    obj = build_response(issuer=ISSUER.did, grant=GRANT, presentation=shown).to_json_dict()
    obj["presentation"]["pseudonym"] = b64url_encode(b"\xa0" + bytes(46) + b"\x01")
    with pytest.raises(DocumentError, match="presentation"):
        lenient(PresentationResponse, obj)


def test_building_a_response_with_a_bad_grant_id_is_a_caller_mistake(
    shown: Presentation,
) -> None:
    with pytest.raises(ValueError, match="grant"):
        build_response(issuer=ISSUER.did, grant="grant-1", presentation=shown)
