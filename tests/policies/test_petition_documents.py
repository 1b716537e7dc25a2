"""Petition entries: `petition.open` signed by its organiser, `petition.sign` carrying a
real presentation made for the petition. Only parsing and building: the rules are the
ledger's (docs/petitions.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from policy_builders import ADULT, ISSUER, SCHEMA, T0, VERIFIER, edited, org_signer, resigned

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
)
from attestations.schemas import Value
from policies import AtLeast, DocumentError, MemberOf, SignatureError, verify_signature
from policies.petitions import (
    PetitionOpen,
    PetitionSign,
    build_petition_sign,
    sign_petition_open,
)

BBS = IssuerKey.from_bytes(bytes(31) + b"\x05")
VALUES: dict[str, Value] = {
    "expiry": date(2027, 12, 31),
    "birthdate": date(1990, 5, 17),
    "district": "Gràcia",
    "postal_code": "08012",
    "income": -5,
}
ORGANISER = VERIFIER
CLOSES = T0 + timedelta(days=30)


def petition(**overrides: Any) -> PetitionOpen:
    fields: dict[str, Any] = {
        "title": "More trees on Carrer de Verdi",
        "text": "We ask the district to plant twenty trees.\n\nSigned, the neighbours.",
        "issuers": [ISSUER.did],
        "schema": SCHEMA,
        "attributes": [],
        "predicates": [ADULT],
        "closes_at": CLOSES,
        "created_at": T0,
    }
    fields.update(overrides)
    return sign_petition_open(ORGANISER, **fields)


def shown_for(verifier_id: str, secret: int = 9) -> Presentation:
    holder = HolderSecret.from_bytes(secret.to_bytes(32, "big"))
    request, state = begin_issuance(holder, BBS.public_key(), SCHEMA)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    credential = finish_issuance(state, issue(BBS, SCHEMA, VALUES, request, now=now))
    return present(credential, holder, disclose=[], verifier_id=verifier_id, nonce=bytes(32))


def test_open_reads_back_and_its_signature_verifies() -> None:
    opened = petition()
    parsed = PetitionOpen.from_json(opened.to_json())
    verify_signature(parsed.organiser, parsed.signing_bytes(), parsed.sig)
    assert parsed == opened and parsed.id == opened.id
    assert parsed.eligibility.credential_schema == SCHEMA
    assert parsed.eligibility.predicates == (ADULT,)
    assert parsed.is_open(T0) and parsed.is_open(CLOSES - timedelta(seconds=1))
    assert not parsed.is_open(CLOSES) and not parsed.is_open(T0 - timedelta(seconds=1))


def test_open_wire_form() -> None:
    obj = json.loads(petition().to_json())
    assert sorted(obj) == [
        "closes_at", "created_at", "eligibility", "organiser", "sig", "text", "title", "type"
    ]  # fmt: skip
    assert obj["type"] == "petition.open"
    assert sorted(obj["eligibility"]) == ["attributes", "issuers", "predicates", "schema"]
    assert obj["eligibility"]["predicates"] == [
        {"attribute": "birthdate", "op": "<=", "value": "2007-03-01"}
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"closes_at": T0}, "created_at must be before closes_at"),
        ({"attributes": ["shoe_size"]}, "not attributes of the schema: shoe_size"),
        ({"attributes": ["birthdate"]}, "both disclosed and proven by predicate: birthdate"),
        ({"attributes": ["expiry"]}, "every signature proves expiry >= the day it is signed"),
        (
            {"predicates": [AtLeast(attribute="expiry", op=">=", value=date(2027, 1, 1))]},
            "a petition does not name it",
        ),
        ({"issuers": []}, "issuers"),
        ({"title": " padded"}, "white space"),
        ({"text": ""}, "text"),
        (
            {"predicates": [MemberOf(attribute="colour", op="in", value=("a", "b"))]},
            "not attributes of the schema: colour",
        ),
    ],
)
def test_invalid_petitions_cannot_be_built(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        petition(**overrides)


def test_a_tampered_petition_parses_but_its_signature_fails() -> None:
    obj = edited(json.loads(petition().to_json()), title="Fewer trees on Carrer de Verdi")
    parsed = PetitionOpen.from_json(resigned(obj, lambda _b: bytes(64)))
    with pytest.raises(SignatureError):
        verify_signature(parsed.organiser, parsed.signing_bytes(), parsed.sig)


def test_a_petition_with_an_unknown_field_is_refused() -> None:
    obj = edited(json.loads(petition().to_json()), colour="red")
    with pytest.raises(DocumentError, match="unknown field 'colour'"):
        PetitionOpen.from_json(resigned(obj, org_signer(ORGANISER)))


def test_sign_entry_reads_back_with_its_pseudonym() -> None:
    opened = petition()
    shown = shown_for(opened.id)
    entry = build_petition_sign(opened, issuer=ISSUER.did, presentation=shown, created_at=T0)
    parsed = PetitionSign.from_json(entry.to_json())
    assert parsed == entry and parsed.petition == opened.id
    assert (
        parsed.pseudonym
        == shown.pseudonym
        == HolderSecret.from_bytes((9).to_bytes(32, "big")).pseudonym(opened.id)
    )
    assert sorted(json.loads(entry.to_json())) == [
        "created_at", "issuer", "petition", "presentation", "type"
    ]  # fmt: skip


def test_one_citizen_has_unlinkable_pseudonyms_on_two_petitions() -> None:
    first, second = petition(), petition(title="A second petition")
    a = build_petition_sign(first, issuer=ISSUER.did, presentation=shown_for(first.id),
                            created_at=T0)  # fmt: skip
    b = build_petition_sign(second, issuer=ISSUER.did, presentation=shown_for(second.id),
                            created_at=T0)  # fmt: skip
    assert a.pseudonym != b.pseudonym
    assert a.presentation.proof != b.presentation.proof


def test_a_presentation_for_another_verifier_is_no_petition_signature() -> None:
    with pytest.raises(ValueError, match="made for another verifier"):
        build_petition_sign(
            petition(), issuer=ISSUER.did, presentation=shown_for(VERIFIER.did), created_at=T0
        )


def test_a_signature_with_a_mangled_presentation_is_refused() -> None:
    opened = petition()
    entry = build_petition_sign(
        opened, issuer=ISSUER.did, presentation=shown_for(opened.id), created_at=T0
    )
    obj = json.loads(entry.to_json())
    obj["presentation"]["pseudonym"] = "AAAA"
    with pytest.raises(DocumentError, match="presentation"):
        PetitionSign.from_json(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode())
