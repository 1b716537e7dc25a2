"""The ledger service's settings and the operator's key file.

Everything has a working default (DESIGN.md, "Configuration, data and defaults"): data
under `CARTERA_HOME` or the platform's user data dir, a SQLite file there, the service on
127.0.0.1. Environment variables `CARTERA_LEDGER_<FIELD>` override each field. `load`
validates everything at start and turns pydantic's report into one `SettingsError` line
per problem, naming the variable to fix.

The operator key (Ed25519, C2SP signer-key text) signs every checkpoint. It is generated
at first start into a file created 0600 in a 0700 directory, and refused later if anyone
but the owner may read it, or if its name is not the log's origin (C2SP checkpoints are
signed by a key named like the log).
"""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import parse_url
from ledger.errors import LedgerError, MalformedNote
from ledger.note import SignerKey, valid_name

DEFAULT_PORT = 8470
MiB = 1 << 20


class SettingsError(LedgerError):
    """The service cannot start: a setting is invalid, or the key file is unusable."""


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("cartera"))


class LedgerSettings(BaseSettings):
    """Where the log lives, who signs it, where it listens, what it accepts."""

    model_config = SettingsConfigDict(
        env_prefix="CARTERA_LEDGER_", frozen=True, extra="forbid", populate_by_name=True
    )

    home: Path = Field(
        default_factory=default_home,
        validation_alias=AliasChoices("CARTERA_HOME"),
        description="Cartera's data directory (CARTERA_HOME); the ledger uses home/ledger/.",
    )
    database_url: str | None = Field(
        None, description="sqlite:///path or postgresql://…; default home/ledger/ledger.db"
    )
    key_file: Path | None = Field(
        None, description="the operator's signer key; default home/ledger/operator.key"
    )
    origin: str = Field("cartera.localhost/ledger", description="the log's checkpoint origin")
    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * MiB)
    max_clock_skew_s: int = Field(300, ge=1, le=86_400)
    max_batch: int = Field(512, ge=1, le=10_000)
    workers: int | None = Field(
        None, ge=0, le=256, description="processes checking entries; default one per core"
    )

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        if not valid_name(value):
            raise ValueError("want a non-empty name without spaces or '+'")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is not None:
            parse_url(value)  # ValueError naming the problem
        return value

    @property
    def ledger_dir(self) -> Path:
        return self.home / "ledger"

    @property
    def url(self) -> str:
        """The database URL in effect."""
        return self.database_url or f"sqlite:///{self.ledger_dir / 'ledger.db'}"

    @property
    def key_path(self) -> Path:
        return self.key_file or self.ledger_dir / "operator.key"

    @property
    def check_workers(self) -> int:
        """The worker processes in effect: `workers`, else one per core when there are
        two or more (on one core, checking in the service's own process costs less)."""
        if self.workers is not None:
            return self.workers
        cores = os.cpu_count() or 1
        return cores if cores > 1 else 0

    @property
    def max_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_s)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def load(**overrides: Any) -> LedgerSettings:
    """Settings from the environment, `overrides` (None values ignored) taking precedence."""
    try:
        return LedgerSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = settings_problems(exc, prefix="CARTERA_LEDGER_")
        raise SettingsError("invalid ledger settings: " + "; ".join(problems)) from None


def settings_problems(error: ValidationError, *, prefix: str) -> list[str]:
    """One `VARIABLE: message` line per problem pydantic found in a settings class whose
    fields are read from `prefix` + FIELD (and `home` from CARTERA_HOME)."""
    problems = []
    for found in error.errors(include_url=False):
        name = ".".join(str(part) for part in found["loc"]) or "settings"
        upper = "CARTERA_HOME" if name == "home" else name.upper()
        variable = upper if upper.startswith("CARTERA_") else f"{prefix}{upper}"
        message = found.get("ctx", {}).get("error", found["msg"])
        problems.append(f"{variable}: {message}")
    return problems


def operator_key(settings: LedgerSettings) -> SignerKey:
    """The operator's signer key: read (and checked) if its file exists, else generated."""
    path = settings.key_path
    if not path.exists():
        return _create_key(path, settings.origin)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"operator key {path} is accessible to others (mode {mode:04o}): chmod 600 {path}"
        )
    try:
        key = SignerKey.from_text(path.read_text(encoding="ascii").strip())
    except (MalformedNote, ValueError, UnicodeDecodeError) as exc:
        raise SettingsError(f"operator key {path}: not a signer key ({exc})") from None
    if key.name != settings.origin:
        raise SettingsError(
            f"operator key {path} is named {key.name!r} but the origin is {settings.origin!r}"
        )
    return key


def _create_key(path: Path, origin: str) -> SignerKey:
    """Write a new key to a private temporary file, then link it into place: another
    process starting at the same moment either wins (and its key is used) or loses,
    and nobody ever reads a half-written key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = SignerKey.generate(origin)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.to_text() + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = SignerKey.from_text(path.read_text(encoding="ascii").strip())
    finally:
        tmp.unlink()
    return key
