"""What `cartera petition` reads from its options and files: the organiser's key, the
ledger client, the schema as the eligible issuers registered it, predicates typed on the
command line (`--min-age N` becomes a fixed birthdate bound), the text and closing time.
Every mistake is `cli.errors.bad_input` (exit 2)."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

from attestations.encoding import b64url_decode, b64url_encode
from attestations.errors import DecodeError
from attestations.schemas import Schema
from cli import render
from cli.errors import bad_input
from cli.predicate_syntax import AGE_ATTRIBUTE, minimum_age, parse_predicate
from ledger.client import LedgerClient, announced_log
from ledger.note import VerifierKey
from ledger.settings import default_home
from mobile_api.files import create_private, read_private
from policies import (
    DocumentError,
    OrgKey,
    Predicate,
    parse_time,
    public_key_from_did,
    utc_seconds,
)
from policies.canonical import check_id

__all__ = [
    "checked_id",
    "closing_time",
    "eligibility_predicates",
    "home_dir",
    "ledger_client",
    "now",
    "organiser_key",
    "petition_text",
    "resolve_schema",
]


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


def home_dir(home: Path | None) -> Path:
    return home if home is not None else default_home()


def checked_id(text: str) -> str:
    try:
        return check_id(text)
    except DocumentError:
        raise bad_input(f"{text!r} is not a petition id (sha256: and 64 hex digits)") from None


def ledger_client(url: str, log_key: str | None, home: Path | None) -> LedgerClient:
    """A verifying client of the ledger at `url`, its trusted checkpoint kept per log."""
    if log_key is None:
        key = announced_log(url).verifier_key
        render.note(f"warning: trusting the key the ledger announces ({key.to_text()}); "
                    "pass --log-key")  # fmt: skip
    else:
        key = VerifierKey.from_text(log_key)
    kept = hashlib.sha256(key.to_text().encode()).hexdigest()[:16]
    state = home_dir(home) / "petitions" / f"checkpoint-{kept}"
    state.parent.mkdir(parents=True, exist_ok=True)
    return LedgerClient(url, log_key=key, origin=key.name, state_path=state)


def organiser_key(path: Path) -> OrgKey:
    """The organiser's key in `path` (its seed, base64url), created 0600 at first use."""
    if not path.exists():
        create_private(path, b64url_encode(OrgKey.generate().to_bytes()).encode() + b"\n")
        render.note(f"created the organiser key {path}")
    try:
        return OrgKey.from_seed(b64url_decode(read_private(path).decode().strip()))
    except (DecodeError, UnicodeDecodeError, ValueError):
        raise bad_input(f"{path}: not an organiser key (one base64url seed)") from None


def resolve_schema(client: LedgerClient, issuers: list[str], wanted: str) -> Schema:
    """The schema named (or identified) `wanted` that every issuer registered."""
    found: dict[str, Schema] = {}
    for did in issuers:
        try:
            public_key_from_did(did)
        except DocumentError as exc:
            raise bad_input(f"--issuer {did!r}: {exc}") from None
        mine = {
            ref.id: ref.definition
            for key in client.issuer(did) for ref in key.registration.document.schemas
            if ref.definition is not None and wanted in (ref.id, ref.definition.name)
        }  # fmt: skip
        if not mine:
            raise bad_input(f"issuer {did} registered no schema {wanted!r} (with its definition)")
        found.update(mine)
    if len(found) != 1:
        raise bad_input(f"{wanted!r} names {len(found)} different schemas: give its id")
    return next(iter(found.values()))


def eligibility_predicates(
    texts: list[str], min_age: int | None, schema: Schema
) -> list[Predicate]:
    """`--predicate`s (`cli.predicate_syntax`) and `--min-age` as the birthdate bound it
    is today, fixed in the petition."""
    found = [parse_predicate(text) for text in texts]
    if min_age is not None:
        if AGE_ATTRIBUTE not in schema.names:
            raise bad_input(f"--min-age: schema {schema.name!r} has no {AGE_ATTRIBUTE}")
        found.append(minimum_age(min_age, today=now().date()))
    return found


def petition_text(text: str | None, text_file: Path | None) -> str:
    if (text is None) == (text_file is None):
        raise bad_input("give the petition's text with --text or --text-file (one of them)")
    if text_file is None:
        assert text is not None
        return text
    try:
        return text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise bad_input(f"--text-file {text_file}: {exc}") from None


def closing_time(closes: str | None, days: int | None, now: datetime.datetime) -> datetime.datetime:
    if closes is not None and days is not None:
        raise bad_input("give --closes or --days, not both")
    if closes is None:
        return now + datetime.timedelta(days=days or 30)
    try:
        return parse_time(closes)
    except DocumentError:
        raise bad_input(
            f"--closes {closes!r}: want RFC 3339 UTC, e.g. 2025-06-30T00:00:00Z"
        ) from None
