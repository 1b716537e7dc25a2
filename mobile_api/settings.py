"""The session service's settings (docs/sessions-api.md, "Homes, keys and settings").

One process serves one role, `issuer` or `verifier`, out of `$CARTERA_HOME/<role>/`.
Everything else has a working default: 127.0.0.1 on the role's port, a SQLite file in the
home, the ledger on 127.0.0.1:8470 (its key trusted on first use and kept in the home).
Environment variables `CARTERA_SESSIONS_<FIELD>` (and `CARTERA_HOME`) override each field;
`load` validates them all at start and reports one `VARIABLE: problem` line per problem.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import parse_url
from ledger.errors import MalformedNote
from ledger.note import VerifierKey, valid_name
from ledger.settings import DEFAULT_PORT as LEDGER_PORT
from ledger.settings import default_home, settings_problems
from mobile_api.errors import SettingsError

__all__ = ["DEFAULT_PORTS", "Role", "SessionSettings", "load"]

MiB = 1 << 20
DAY = 86_400
_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(/[!-~]*)?", re.ASCII)


class Role(StrEnum):
    """What a session service does: hand out credentials, or check presentations."""

    ISSUER = "issuer"
    VERIFIER = "verifier"


DEFAULT_PORTS = {Role.ISSUER: 8471, Role.VERIFIER: 8472}


class SessionSettings(BaseSettings):
    """Where a session service keeps its data, where it listens, what it accepts."""

    model_config = SettingsConfigDict(
        env_prefix="CARTERA_SESSIONS_", frozen=True, extra="forbid", populate_by_name=True
    )

    role: Role = Field(description="issuer or verifier")
    home: Path = Field(
        default_factory=default_home,
        validation_alias=AliasChoices("CARTERA_HOME", "home"),
        description="Cartera's data directory (CARTERA_HOME); the service uses home/<role>/.",
    )
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535, description="default 8471 / 8472 by role")
    public_url: str | None = Field(None, description="what URLs and QR codes point at")
    database_url: str | None = Field(None, description="default sqlite:///home/<role>/sessions.db")
    ledger_url: str = f"http://127.0.0.1:{LEDGER_PORT}"
    ledger_key: str | None = Field(None, description="the ledger's C2SP verifier key")
    ledger_origin: str | None = Field(None, description="the ledger's checkpoint origin")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * MiB)
    rate_limit_per_minute: int = Field(120, ge=0, le=1_000_000, description="0 disables")
    offer_ttl_seconds: int = Field(600, ge=1, le=30 * DAY)
    request_ttl_seconds: int = Field(300, ge=1, le=DAY)

    @field_validator("public_url", "ledger_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and _URL.fullmatch(value) is None:
            raise ValueError("want an http(s) URL of printable ASCII")
        return None if value is None else value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is not None:
            parse_url(value)  # ValueError naming the problem
        return value

    @field_validator("ledger_key")
    @classmethod
    def _ledger_key(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                VerifierKey.from_text(value)
            except MalformedNote as exc:
                raise ValueError(f"not a C2SP verifier key ({exc})") from None
        return value

    @field_validator("ledger_origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is not None and not valid_name(value):
            raise ValueError("want a non-empty name without spaces or '+'")
        return value

    @property
    def role_dir(self) -> Path:
        """The role's home: `home/issuer/` or `home/verifier/`."""
        return self.home / self.role.value

    @property
    def listen_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.role]

    @property
    def url(self) -> str:
        """The database URL in effect."""
        return self.database_url or f"sqlite:///{self.role_dir / 'sessions.db'}"

    @property
    def base_url(self) -> str:
        """Where wallets reach this service: `public_url`, else `http://host:port`."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.listen_port}"


def load(**overrides: Any) -> SessionSettings:
    """Settings from the environment, `overrides` (None values ignored) taking precedence;
    `SettingsError` with one line per problem otherwise."""
    try:
        return SessionSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = settings_problems(exc, prefix="CARTERA_SESSIONS_")
        raise SettingsError("invalid session settings: " + "; ".join(problems)) from None
