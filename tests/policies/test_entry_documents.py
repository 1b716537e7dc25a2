"""Each document type signs, serialises, parses back to an equal object, and verifies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from policy_builders import (
    ADULT,
    BBS_KEY,
    ISSUER,
    KINDS,
    OTHER_SCHEMA,
    OTHER_VERIFIER,
    SCHEMA,
    SECRET,
    T0,
    VERIFIER,
    Kind,
    access_record,
    consent_revoke,
    grant,
    issuer_register,
)

from attestations.pseudonym import pseudonym
from policies import (
    ENTRY_TYPES,
    ConsentGrant,
    DocumentError,
    PresentationRequest,
    SchemaRef,
    parse_entry,
    sha256_id,
    sign_access_record,
)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_sign_serialise_parse_verify(kind: Kind) -> None:
    document = kind.build()
    data = document.to_json()
    parsed = kind.parse(data)
    assert parsed == document
    assert parsed.to_json() == data
    assert parsed.id == document.id == sha256_id(data)
    assert parsed.to_json_dict()["type"] == kind.name
    kind.verify(parsed)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_json_schema_is_available(kind: Kind) -> None:
    # The HTTP services publish these in their OpenAPI documents.
    schema = type(kind.build()).model_json_schema(by_alias=True)
    assert "sig" in schema["required"]
    assert schema["additionalProperties"] is False


def test_every_entry_type_is_dispatched_by_parse_entry() -> None:
    names = {kind.name for kind in KINDS} - {"presentation.request"}
    petitions = {"petition.open", "petition.sign"}  # tests/ledger/test_petitions.py
    assert set(ENTRY_TYPES) == names | petitions
    for kind in KINDS:
        if kind.name in names:
            assert kind.name == type(parse_entry(kind.build().to_json())).TYPE


def test_presentation_request_is_not_a_ledger_entry() -> None:
    from policy_builders import request

    with pytest.raises(DocumentError, match=re.escape("unknown type 'presentation.request'")):
        parse_entry(request().to_json())


def test_grant_is_signed_under_the_pseudonym_at_its_verifier() -> None:
    document = grant()
    assert document.pseudonym == pseudonym(SECRET, VERIFIER.did)
    assert grant(verifier=OTHER_VERIFIER.did).pseudonym != document.pseudonym


def test_grant_fields_read_back() -> None:
    document = grant(max_uses=3)
    assert document.verifier == VERIFIER.did
    assert document.schema_id == SCHEMA.schema_id
    assert document.attributes == ("postal_code",)
    assert document.predicates == (ADULT,)
    assert document.max_uses == 3
    assert document.to_json_dict()["schema"] == SCHEMA.schema_id


def test_optional_max_uses_is_left_out_not_null() -> None:
    assert "max_uses" not in grant().to_json_dict()


def test_builders_sort_and_deduplicate_sets() -> None:
    document = grant(attributes=["postal_code", "district", "postal_code"])
    assert document.attributes == ("district", "postal_code")


def test_grant_is_live_on_a_half_open_interval() -> None:
    document = grant()
    assert not document.is_live(T0 - timedelta(seconds=1))
    assert document.is_live(T0)
    assert document.is_live(T0 + timedelta(days=30, seconds=-1))
    assert not document.is_live(T0 + timedelta(days=30))


def test_revoke_names_the_grant_and_its_pseudonym() -> None:
    revoke = consent_revoke()
    assert revoke.grant == grant().id
    assert revoke.pseudonym == grant().pseudonym
    assert revoke.verifier == VERIFIER.did


def test_only_the_holder_can_build_a_revoke() -> None:
    from policies import sign_consent_revoke

    with pytest.raises(ValueError, match="not the holder"):
        sign_consent_revoke(SECRET + 1, grant=grant(), created_at=T0)


def test_access_record_holds_a_digest_not_the_presentation() -> None:
    record = access_record()
    assert record.presentation == sha256_id(b"presentation")
    shown = sign_access_record(
        VERIFIER, grant=grant().id, presentation=b"Carrer de Sants 12", created_at=T0
    )
    assert b"Sants" not in shown.to_json()


def test_issuer_register_keeps_schema_definitions() -> None:
    document = issuer_register(
        schemas=[
            SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA),
            SchemaRef(id=OTHER_SCHEMA.schema_id),
        ]
    )
    parsed = parse_entry(document.to_json())
    assert isinstance(parsed, type(document))
    definitions = {ref.id: ref.definition for ref in parsed.schemas}
    assert definitions == {SCHEMA.schema_id: SCHEMA, OTHER_SCHEMA.schema_id: None}
    assert parsed.public_key == BBS_KEY
    assert parsed.issuer == ISSUER.did


def test_schema_definition_must_hash_to_its_id() -> None:
    with pytest.raises(ValueError, match="not the SHA-256 of the definition"):
        SchemaRef(id=OTHER_SCHEMA.schema_id, definition=SCHEMA)


def test_building_an_invalid_document_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not_before must be before not_after"):
        grant(not_after=T0)


def test_grant_needs_something_to_grant() -> None:
    with pytest.raises(ValueError, match="at least one attribute or predicate"):
        grant(attributes=[], predicates=[])


def test_from_json_on_the_wrong_class_names_both_types() -> None:
    with pytest.raises(
        DocumentError, match=re.escape("'consent.grant', want 'presentation.request'")
    ):
        PresentationRequest.from_json(grant().to_json())
    assert ConsentGrant.from_json(grant().to_json()) == grant()
