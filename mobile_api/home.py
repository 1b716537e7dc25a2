"""An issuer's or verifier's home: who it is, its keys, its admin key.

    home/issuer/issuer.json      Ed25519 seed, BBS secret key, name, schema definitions
    home/verifier/verifier.json  Ed25519 seed, name, purposes, contact, trusted issuers
    home/<role>/admin.key        the admin API key `init` printed (for the CLI on this host)
    home/<role>/sessions.db      offers, requests, hashed API keys (unless a database URL)

`init_issuer` / `init_verifier` create them once (0600 files in a 0700 directory, see
`mobile_api.files`) and return the one admin key they minted; `read_identity` reads them
back and refuses files anyone else may read. The files are JSON, parsed strictly with the
`policies` field types, each problem named with the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, ValidationError, model_validator

from attestations.credentials import IssuerKey
from attestations.encoding import b64url_encode
from attestations.errors import DecodeError
from attestations.schemas import Schema
from mobile_api.errors import SettingsError
from mobile_api.files import create_private, read_private
from mobile_api.keys import add_key
from mobile_api.settings import Role, SessionSettings
from policies import OrgKey, Purpose
from policies.document import Model, describe_validation_error
from policies.entries import SchemaDocument
from policies.fields import Did, b64_bytes, display_text

__all__ = [
    "IssuerIdentity",
    "VerifierIdentity",
    "admin_key_path",
    "identity_path",
    "init_issuer",
    "init_verifier",
    "read_identity",
]

_Secret = Annotated[bytes, b64_bytes(length=32), PlainSerializer(b64url_encode, return_type=str)]


class _IssuerFile(Model):
    type: Literal["cartera.issuer"]
    name: Annotated[str, display_text(200)]
    seed: _Secret
    bbs_key: _Secret
    schemas: tuple[SchemaDocument, ...] = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _names(self) -> _IssuerFile:
        if len({schema.name for schema in self.schemas}) != len(self.schemas):
            raise ValueError("two schemas have the same name")
        return self


class _VerifierFile(Model):
    type: Literal["cartera.verifier"]
    name: Annotated[str, display_text(200)]
    seed: _Secret
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    contact: Annotated[str, display_text(320)]
    trusted_issuers: tuple[Did, ...] = Field(max_length=32)


@dataclass(frozen=True)
class IssuerIdentity:
    """An issuer: its name, Ed25519 key (its did), BBS key and the schemas it issues."""

    name: str
    key: OrgKey
    bbs: IssuerKey
    schemas: tuple[Schema, ...]

    def schema(self, ref: str) -> Schema | None:
        """The schema named `ref`, or whose id is `ref`."""
        return next((s for s in self.schemas if ref in (s.name, s.schema_id)), None)


@dataclass(frozen=True)
class VerifierIdentity:
    """A verifier: its name, Ed25519 key (its did), purposes, contact, trusted issuers."""

    name: str
    key: OrgKey
    purposes: tuple[Purpose, ...]
    contact: str
    trusted_issuers: tuple[str, ...]


Identity = IssuerIdentity | VerifierIdentity


def identity_path(settings: SessionSettings) -> Path:
    return settings.role_dir / f"{settings.role.value}.json"


def admin_key_path(settings: SessionSettings) -> Path:
    return settings.role_dir / "admin.key"


def init_issuer(
    settings: SessionSettings, *, name: str, schemas: Iterable[Schema], now: datetime
) -> tuple[IssuerIdentity, str]:
    """Create an issuer's home (fresh keys) and its first admin key, which is returned."""
    bbs, key = IssuerKey.generate(), OrgKey.generate()
    document = {"type": "cartera.issuer", "name": name, "seed": b64url_encode(key.to_bytes()),
                "bbs_key": b64url_encode(bbs.to_bytes()),
                "schemas": [s.to_document() for s in _unique(schemas)]}  # fmt: skip
    identity = _issuer(_check(_IssuerFile, document, "issuer.json"))
    return identity, _create(settings, Role.ISSUER, document, now)


def init_verifier(
    settings: SessionSettings,
    *,
    name: str,
    purposes: Iterable[Purpose | str],
    contact: str,
    trusted_issuers: Iterable[str],
    now: datetime,
) -> tuple[VerifierIdentity, str]:
    """Create a verifier's home (a fresh key) and its first admin key, which is returned."""
    key = OrgKey.generate()
    document = {"type": "cartera.verifier", "name": name, "seed": b64url_encode(key.to_bytes()),
                "purposes": sorted({Purpose(p).value for p in purposes}), "contact": contact,
                "trusted_issuers": sorted(set(trusted_issuers))}  # fmt: skip
    identity = _verifier(_check(_VerifierFile, document, "verifier.json"))
    return identity, _create(settings, Role.VERIFIER, document, now)


def read_identity(settings: SessionSettings) -> Identity:
    """The identity of the settings' role, read from its home (`SettingsError` if the
    file is missing, readable by others, or malformed)."""
    path = identity_path(settings)
    data = read_private(path)
    if settings.role is Role.ISSUER:
        return _issuer(_parse(_IssuerFile, data, path))
    return _verifier(_parse(_VerifierFile, data, path))


def _unique(schemas: Iterable[Schema]) -> list[Schema]:
    """The schemas without repeats (the same schema twice is one; two by one name fail
    validation)."""
    return list(dict.fromkeys(schemas))


def _create(
    settings: SessionSettings, role: Role, document: Mapping[str, object], now: datetime
) -> str:
    if settings.role is not role:
        raise ValueError(f"these settings are for a {settings.role}, not for the {role} role")
    path = identity_path(settings)
    create_private(path, json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n")
    api_key, _ = add_key(settings, label="init", now=now)
    create_private(admin_key_path(settings), api_key.encode() + b"\n")
    return api_key


def _check(model: type[Model], document: Mapping[str, object], what: str) -> Model:
    """Validate what `init` is about to write: a bad name or did is the caller's mistake."""
    try:
        return model.model_validate_json(json.dumps(document))
    except ValidationError as exc:
        raise ValueError(f"{what}: {describe_validation_error(exc)}") from None


def _parse(model: type[Model], data: bytes, path: Path) -> Model:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise SettingsError(f"{path}: {describe_validation_error(exc)}") from None


def _issuer(parsed: Model) -> IssuerIdentity:
    assert isinstance(parsed, _IssuerFile)
    return IssuerIdentity(
        parsed.name, OrgKey.from_seed(parsed.seed), _bbs(parsed.bbs_key), parsed.schemas
    )


def _verifier(parsed: Model) -> VerifierIdentity:
    assert isinstance(parsed, _VerifierFile)
    key = OrgKey.from_seed(parsed.seed)
    return VerifierIdentity(
        parsed.name, key, parsed.purposes, parsed.contact, parsed.trusted_issuers
    )


def _bbs(secret: bytes) -> IssuerKey:
    try:
        return IssuerKey.from_bytes(secret)
    except DecodeError as exc:
        raise SettingsError(f"issuer.json: field 'bbs_key': {exc}") from None
