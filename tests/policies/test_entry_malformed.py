"""Every malformed document is refused, each for its own stated reason.

Content defects are injected into otherwise valid documents and re-signed with the right
key (`resigned`), so each test shows the parser refusing the content itself; signature
defects keep the content and break only the signature.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import rfc8785
from policy_builders import (
    KINDS,
    OTHER_SECRET,
    SECRET,
    T0,
    VERIFIER,
    Kind,
    consent_signer,
    edited,
    grant,
    resigned,
)

from attestations.curve import R
from attestations.encoding import b64url_decode, b64url_encode
from policies import DocumentError, OrgKey, SignatureError, parse_entry

BY_NAME = {kind.name: kind for kind in KINDS}


def raw(obj: dict[str, Any]) -> bytes:
    """Canonical bytes of `obj` as it is, without re-signing (and nulls allowed)."""
    return rfc8785.dumps(obj)


def refused(kind: Kind, obj: dict[str, Any], reason: str) -> None:
    """`obj`, validly signed, must fail to parse with a message matching `reason`."""
    with pytest.raises(DocumentError, match=reason):
        kind.parse(resigned(obj, kind.sign))


def base(kind_name: str) -> tuple[Kind, dict[str, Any]]:
    kind = BY_NAME[kind_name]
    return kind, kind.build().to_json_dict()


every_kind = pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)

# -- the same defects in every document type -------------------------------------------


@every_kind
def test_missing_field(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at=...)
    refused(kind, obj, "missing field 'created_at'")


@every_kind
def test_missing_signature(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), sig=...)
    with pytest.raises(DocumentError, match="missing field 'sig'"):
        kind.parse(raw(obj))


@every_kind
def test_missing_type(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), type=...)
    with pytest.raises(DocumentError, match="missing field 'type'"):
        kind.parse(resigned(obj, kind.sign))


@every_kind
def test_extra_field(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), colour="blue")
    refused(kind, obj, "unknown field 'colour'")


@every_kind
def test_wrong_type_number_for_time(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at=1740821400)
    refused(kind, obj, "field 'created_at': time: expected an RFC 3339 string")


@every_kind
def test_wrong_type_for_signature(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), sig=["AAAA"])
    with pytest.raises(DocumentError, match="field 'sig': base64url: expected a string"):
        kind.parse(raw(obj))


@every_kind
def test_bad_time_format(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at="2025-03-01T09:30Z")
    refused(kind, obj, "is not an RFC 3339 date-time")


@every_kind
def test_time_with_fraction(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at="2025-03-01T09:30:00.000Z")
    refused(kind, obj, "fractional seconds")


@every_kind
def test_time_not_in_z(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at="2025-03-01T10:30:00+01:00")
    refused(kind, obj, "has an offset")


@every_kind
def test_padded_base64url(kind: Kind) -> None:
    obj = kind.build().to_json_dict()
    obj["sig"] += "=="
    with pytest.raises(DocumentError, match=re.escape("outside the alphabet (or padding)")):
        kind.parse(raw(obj))


@every_kind
def test_base64_instead_of_base64url(kind: Kind) -> None:
    obj = kind.build().to_json_dict()
    obj["sig"] = obj["sig"][:-2] + "+/"
    with pytest.raises(DocumentError, match="field 'sig': base64url"):
        kind.parse(raw(obj))


@every_kind
def test_base64url_with_stray_bits(kind: Kind) -> None:
    obj = kind.build().to_json_dict()
    # 64 bytes leave 2 spare bits in the last character; 'B' sets one of them.
    obj["sig"] = obj["sig"][:-1] + "B"
    with pytest.raises(DocumentError, match="non-zero trailing bits"):
        kind.parse(raw(obj))


@every_kind
def test_signature_of_wrong_length(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), sig=b64url_encode(bytes(63)))
    with pytest.raises(DocumentError, match="field 'sig': base64url: 63 bytes, want 64"):
        kind.parse(raw(obj))


@every_kind
def test_non_canonical_bytes(kind: Kind) -> None:
    pretty = json.dumps(kind.build().to_json_dict(), indent=2, ensure_ascii=False).encode()
    with pytest.raises(DocumentError, match="not in RFC 8785 canonical form"):
        kind.parse(pretty)


@every_kind
def test_null_for_a_field(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at=None)
    data = raw(obj)
    with pytest.raises(DocumentError, match="null is not used"):
        kind.parse(data)


@every_kind
def test_wrong_signature(kind: Kind) -> None:
    document = kind.build()
    obj = document.to_json_dict()
    sig = bytearray(b64url_decode(obj["sig"]))
    sig[10] ^= 0x01
    obj["sig"] = b64url_encode(bytes(sig))
    tampered = kind.parse(raw(obj))
    with pytest.raises(SignatureError):
        kind.verify(tampered)


@every_kind
def test_tampered_content(kind: Kind) -> None:
    obj = edited(kind.build().to_json_dict(), created_at="2025-03-01T09:30:01Z")
    data = raw(obj)
    with pytest.raises(SignatureError):
        kind.verify(kind.parse(data))


@every_kind
def test_wrong_key(kind: Kind) -> None:
    obj = kind.build().to_json_dict()
    if "pseudonym" in obj:
        signer = consent_signer(OTHER_SECRET, VERIFIER.did)
    else:
        signer = OrgKey.from_seed(b"\x99" * 32).sign
    forged = kind.parse(resigned(obj, signer))
    with pytest.raises(SignatureError):
        kind.verify(forged)


@every_kind
def test_signature_of_another_document(kind: Kind) -> None:
    first = kind.build().to_json_dict()
    other = resigned(edited(first, created_at="2025-03-01T09:30:07Z"), kind.sign)
    kind.verify(kind.parse(other))  # the other document is valid on its own
    moved = edited(first, sig=json.loads(other)["sig"])
    data = raw(moved)
    with pytest.raises(SignatureError):
        kind.verify(kind.parse(data))


# -- defects particular to one type --------------------------------------------------------


def test_signature_of_a_grant_does_not_sign_a_revoke() -> None:
    kind, obj = base("consent.revoke")
    moved = edited(obj, sig=grant().to_json_dict()["sig"])
    with pytest.raises(SignatureError):
        kind.verify(kind.parse(raw(moved)))


def test_signature_of_a_request_does_not_sign_an_access_record() -> None:
    kind, obj = base("access.record")
    request_sig = BY_NAME["presentation.request"].build().to_json_dict()["sig"]
    moved = edited(obj, sig=request_sig)
    with pytest.raises(SignatureError):
        kind.verify(kind.parse(raw(moved)))


def test_entry_of_unknown_type() -> None:
    with pytest.raises(DocumentError, match=r"unknown type 'consent\.grnat'"):
        parse_entry(b'{"type":"consent.grnat"}')


def test_entry_type_not_a_string() -> None:
    with pytest.raises(DocumentError, match="unknown type '7'"):
        parse_entry(b'{"type":7}')


def test_entry_without_type() -> None:
    with pytest.raises(DocumentError, match="entry: missing field 'type'"):
        parse_entry(b'{"sig":"AA"}')


GRANT_CASES = {
    "unsorted-attributes": ({"attributes": ["postal_code", "district"]}, "must be sorted"),
    "repeated-attribute": ({"attributes": ["district", "district"]}, "duplicate entry"),
    "attribute-name": ({"attributes": ["Postal Code"]}, "does not match"),
    "attributes-not-a-list": ({"attributes": "postal_code"}, "valid array"),
    "empty-grant": ({"attributes": [], "predicates": []}, "at least one attribute or predicate"),
    "window-reversed": (
        {"not_before": "2025-04-01T00:00:00Z", "not_after": "2025-03-01T00:00:00Z"},
        "not_before must be before not_after",
    ),
    "window-empty": (
        {"not_before": "2025-03-01T00:00:00Z", "not_after": "2025-03-01T00:00:00Z"},
        "not_before must be before not_after",
    ),
    "max-uses-zero": ({"max_uses": 0}, "greater than or equal to 1"),
    "max-uses-string": ({"max_uses": "3"}, "valid integer"),
    "max-uses-boolean": ({"max_uses": True}, "valid integer"),
    "purpose-unknown": ({"purpose": "dpv:Nonsense"}, "field 'purpose'"),
    "purpose-without-prefix": ({"purpose": "ServiceProvision"}, "field 'purpose'"),
    "schema-not-an-id": ({"schema": "resident"}, "field 'schema': not a document id"),
    "verifier-not-did-key": ({"verifier": "did:web:bicing.example"}, "did:key"),
    "pseudonym-short": ({"pseudonym": b64url_encode(bytes(47))}, "47 bytes, want 48"),
    "predicate-unknown-op": (
        {"predicates": [{"attribute": "birthdate", "op": "<", "value": "2007-03-01"}]},
        "field 'predicates\\[0\\]': unknown op '<'",
    ),
    "predicate-without-op": (
        {"predicates": [{"attribute": "birthdate", "value": "2007-03-01"}]},
        "missing field 'predicates\\[0\\].op'",
    ),
    "predicate-extra-field": (
        {"predicates": [{"attribute": "birthdate", "op": "<=", "value": "2007-03-01", "x": 1}]},
        "unknown field 'predicates\\[0\\].x'",
    ),
}


@pytest.mark.parametrize(("change", "reason"), GRANT_CASES.values(), ids=GRANT_CASES.keys())
def test_malformed_grant(change: dict[str, Any], reason: str) -> None:
    kind, obj = base("consent.grant")
    refused(kind, {**obj, **change}, reason)


def test_grant_pseudonym_off_the_curve_is_caught_at_verification() -> None:
    kind, obj = base("consent.grant")
    bad = edited(obj, pseudonym=b64url_encode(b"\xa0" + bytes(47)))
    document = kind.parse(resigned(bad, consent_signer(SECRET, VERIFIER.did)))
    with pytest.raises(DocumentError, match="pseudonym"):
        kind.verify(document)


def test_consent_signature_scalar_not_below_the_group_order() -> None:
    kind, obj = base("consent.grant")
    sig = b64url_decode(obj["sig"])
    bad = edited(obj, sig=b64url_encode(sig[:32] + R.to_bytes(32, "big")))
    data = raw(bad)
    with pytest.raises(DocumentError, match="not below the group order"):
        kind.verify(kind.parse(data))


OTHER_CASES = {
    "revoke-grant-id": (
        "consent.revoke",
        {"grant": "sha256:ABC"},
        "field 'grant': not a document id",
    ),
    "access-digest": ("access.record", {"presentation": "md5:00"}, "field 'presentation'"),
    "issuer-ciphersuite": (
        "issuer.register",
        {"ciphersuite": "BBS_BLS12381G1_XMD:SHA-512"},
        "field 'ciphersuite'",
    ),
    "issuer-key-length": (
        "issuer.register",
        {"public_key": b64url_encode(bytes(48))},
        "48 bytes, want 96",
    ),
    "issuer-validity": (
        "issuer.register",
        {"valid_until": "2025-03-01T09:30:00Z"},
        "valid_from must be before valid_until",
    ),
    "issuer-no-schemas": ("issuer.register", {"schemas": []}, "at least 1 item"),
    "issuer-schema-hash": (
        "issuer.register",
        {
            "schemas": [
                {
                    "id": "sha256:" + "0" * 64,
                    "definition": {"attributes": [{"name": "expiry", "type": "date"}], "name": "x"},
                }
            ]
        },
        "not the SHA-256 of the definition",
    ),
    "issuer-schema-definition": (
        "issuer.register",
        {"schemas": [{"id": "sha256:" + "0" * 64, "definition": {"name": "x"}}]},
        "missing field 'attributes'",
    ),
    "issuer-name-empty": ("issuer.register", {"name": ""}, "want 1..200 characters"),
    "issuer-name-control": ("issuer.register", {"name": "Padró\x1b[31m"}, "control"),
    "issuer-name-bidi": ("issuer.register", {"name": "Padró\u202e"}, "bidirectional"),
    "issuer-name-space": ("issuer.register", {"name": "Padró "}, "white space"),
    "revoke-key-reason": ("issuer.revoke_key", {"reason": "lost"}, "field 'reason'"),
    "verifier-no-purposes": ("verifier.register", {"purposes": []}, "at least 1 item"),
    "verifier-purposes-order": (
        "verifier.register",
        {"purposes": ["dpv:ServiceProvision", "dpv:AgeVerification"]},
        "purposes: must be sorted",
    ),
    "request-nonce-short": (
        "presentation.request",
        {"nonce": b64url_encode(bytes(15))},
        "15 bytes, want 16..64",
    ),
    "request-window": (
        "presentation.request",
        {"expires_at": "2025-03-01T09:30:00Z"},
        "created_at must be before expires_at",
    ),
    "request-no-issuers": ("presentation.request", {"trusted_issuers": []}, "at least 1 item"),
    "request-uri-scheme": (
        "presentation.request",
        {"response_uri": "javascript:alert(1)"},
        "http\\(s\\) URL",
    ),
    "request-uri-space": (
        "presentation.request",
        {"response_uri": "https://a.example/ x"},
        "http\\(s\\) URL",
    ),
    "request-empty": (
        "presentation.request",
        {"attributes": [], "predicates": []},
        "at least one attribute or predicate",
    ),
}


@pytest.mark.parametrize(
    ("kind_name", "change", "reason"), OTHER_CASES.values(), ids=OTHER_CASES.keys()
)
def test_malformed_other_documents(kind_name: str, change: dict[str, Any], reason: str) -> None:
    kind, obj = base(kind_name)
    refused(kind, {**obj, **change}, reason)


def test_messages_name_the_document_type() -> None:
    kind, obj = base("consent.grant")
    with pytest.raises(DocumentError, match=r"^consent\.grant: missing field 'purpose'$"):
        kind.parse(resigned(edited(obj, purpose=...), kind.sign))
    assert T0  # the fixed clock every document above was built with
