"""Presentation requests: what they bind under the verifier's signature, and their limits."""

from __future__ import annotations

import doctest
import json
from datetime import timedelta

import pytest
from policy_builders import ADULT, ISSUER, OTHER_VERIFIER, SCHEMA, T0, VERIFIER, request

import policies
from policies import DocumentError, PresentationRequest, Purpose, SignatureError, verify_request


def test_fields_read_back() -> None:
    req = request(response_uri="https://bicing.example/v1/presentations/42")
    parsed = PresentationRequest.from_json(req.to_json())
    verify_request(parsed)
    assert parsed.verifier == VERIFIER.did
    assert parsed.schema_id == SCHEMA.schema_id
    assert parsed.attributes == ("postal_code",)
    assert parsed.predicates == (ADULT,)
    assert parsed.purpose is Purpose.SERVICE_PROVISION
    assert parsed.nonce == bytes(range(16))
    assert parsed.trusted_issuers == (ISSUER.did,)
    assert parsed.expires_at == T0 + timedelta(minutes=5)
    assert parsed.response_uri == "https://bicing.example/v1/presentations/42"


def test_response_uri_is_optional_and_then_absent() -> None:
    assert "response_uri" not in request().to_json_dict()


def test_response_uri_is_signed() -> None:
    obj = request(response_uri="https://bicing.example/answer").to_json_dict()
    obj["response_uri"] = "https://attacker.example/answer"
    moved = PresentationRequest.from_json(json.dumps(obj).encode(), canonical=False)
    with pytest.raises(SignatureError):
        verify_request(moved)


def test_hand_written_request_files_parse_leniently_and_still_verify() -> None:
    pretty = json.dumps(request().to_json_dict(), indent=2).encode()
    with pytest.raises(DocumentError, match="canonical form"):
        PresentationRequest.from_json(pretty)
    parsed = PresentationRequest.from_json(pretty, canonical=False)
    verify_request(parsed)
    assert parsed.to_json() == request().to_json()


@pytest.mark.parametrize("size", [16, 64])
def test_nonce_bounds_are_inclusive(size: int) -> None:
    assert len(request(nonce=bytes(size)).nonce) == size


@pytest.mark.parametrize("size", [15, 65])
def test_nonce_outside_bounds_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match=r"want 16\.\.64"):
        request(nonce=bytes(size))


def test_trusted_issuers_are_a_sorted_set() -> None:
    req = request(trusted_issuers=[OTHER_VERIFIER.did, ISSUER.did, ISSUER.did])
    assert req.trusted_issuers == tuple(sorted({OTHER_VERIFIER.did, ISSUER.did}))


def test_trusted_issuers_must_be_dids() -> None:
    with pytest.raises(ValueError, match="did:key"):
        request(trusted_issuers=["did:web:padro.example"])


def test_request_by_another_verifier_names_that_verifier() -> None:
    req = request(OTHER_VERIFIER)
    verify_request(req)
    assert req.verifier == OTHER_VERIFIER.did


def test_package_docstring_example_runs() -> None:
    result = doctest.testmod(policies, raise_on_error=False, verbose=False)
    assert result.attempted > 5
    assert result.failed == 0
