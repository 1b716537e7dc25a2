"""A grant's terms as the citizen gives and sees them: predicates (`cli.predicate_syntax`),
times and purposes typed on the command line, a request read from a file, the draft built
from options, and the terms shown before the citizen confirms. Shared by `consent grant`
and `present`."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from cli import render
from cli.errors import bad_input
from cli.predicate_syntax import parse_predicate
from policies import (
    ConsentGrant,
    DocumentError,
    GrantDraft,
    PresentationRequest,
    Purpose,
    parse_time,
    utc_seconds,
    verify_request,
)
from wallet import Wallet

_RELATIVE = re.compile(r"(\d+)([dhm])")


def parse_when(text: str, now: datetime.datetime) -> datetime.datetime:
    """RFC 3339 UTC (`2025-06-30T00:00:00Z`) or from now: `30d`, `12h`, `45m`."""
    if m := _RELATIVE.fullmatch(text.strip()):
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m[2]]
        return now + datetime.timedelta(**{unit: int(m[1])})
    try:
        return parse_time(text)
    except DocumentError:
        raise bad_input(
            f"--not-after {text!r}: want RFC 3339 UTC (2025-06-30T00:00:00Z) or 30d/12h/45m"
        ) from None


def parse_purpose(text: str) -> Purpose:
    try:
        return Purpose(text if text.startswith("dpv:") else f"dpv:{text}")
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        raise bad_input(f"--purpose {text!r}: not a DPV purpose Cartera knows ({known})") from None


def read_request(path: Path) -> PresentationRequest:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise bad_input(f"cannot read {path}: {exc.strerror}") from None
    request = PresentationRequest.from_json(data, canonical=False)
    verify_request(request)
    return request


def _schema_id(wallet: Wallet, schema: str) -> str:
    """A schema id as given, or the id of the schema of that name in the wallet."""
    if schema.startswith("sha256:"):
        return schema
    ids = {c.schema.schema_id for c in wallet.credentials.all() if c.schema.name == schema}
    if len(ids) != 1:
        found = "no credential" if not ids else "credentials of several schemas"
        raise bad_input(f"--schema {schema!r}: {found} of that name; give its sha256: id")
    return ids.pop()


def check_names(wallet: Wallet, draft: GrantDraft) -> None:
    """Refuse attribute names that no credential of the grant's schema has."""
    schemas = [c.schema for c in wallet.credentials.all() if c.schema.schema_id == draft.schema_id]
    if not schemas:
        render.note(f"note: this wallet holds no credential of schema {draft.schema_id}")
        return
    names = set(schemas[0].names)
    for name in [*draft.attributes, *(p.attribute for p in draft.predicates)]:
        if name not in names:
            raise bad_input(f"schema {schemas[0].name!r} has no attribute {name!r}")


# -- showing ------------------------------------------------------------------------------


def items(grant: ConsentGrant | GrantDraft) -> str:
    shown = [*grant.attributes, *(p.describe() for p in grant.predicates)]
    return ", ".join(shown)


def terms(draft: GrantDraft, verifier_name: str, schema_name: str) -> list[tuple[str, Any]]:
    uses = "unlimited" if draft.max_uses is None else f"at most {draft.max_uses}"
    return [
        ("verifier", f"{verifier_name} ({draft.verifier})"),
        ("schema", schema_name),
        ("attributes", ", ".join(draft.attributes) or "—"),
        ("predicates", ", ".join(p.describe() for p in draft.predicates) or "—"),
        ("purpose", draft.purpose.value),
        ("valid", f"{render.text(draft.not_before)} to {render.text(draft.not_after)}"),
        ("uses", uses),
    ]


def consent_json(grant: ConsentGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "verifier": grant.verifier,
        "schema": grant.schema_id,
        "attributes": list(grant.attributes),
        "predicates": [p.to_json_dict() for p in grant.predicates],
        "purpose": grant.purpose.value,
        "not_before": grant.not_before,
        "not_after": grant.not_after,
        "max_uses": grant.max_uses,
        "created_at": grant.created_at,
    }


@dataclass(frozen=True)
class Flags:
    """The terms of `consent grant` given as options, before they are checked."""

    verifier: str | None
    schema: str | None
    attributes: Sequence[str]
    predicates: Sequence[str]
    purpose: str | None
    not_after: str | None
    max_uses: int | None
    unlimited: bool

    def draft(self, wallet: Wallet, now: datetime.datetime) -> GrantDraft:
        missing = [
            flag
            for flag, value in (
                ("--verifier", self.verifier),
                ("--schema", self.schema),
                ("--purpose", self.purpose),
                ("--not-after", self.not_after),
            )
            if value is None
        ]
        if missing or not (self.attributes or self.predicates):
            wanted = [*missing, *([] if self.attributes or self.predicates else ["--attribute"])]
            raise bad_input(f"without a REQUEST file, give {', '.join(wanted)}")
        assert self.verifier and self.schema and self.purpose and self.not_after
        end = parse_when(self.not_after, now)
        if end <= now:
            raise bad_input("--not-after must lie in the future")
        return GrantDraft(
            verifier=self.verifier,
            schema_id=_schema_id(wallet, self.schema),
            attributes=tuple(sorted(set(self.attributes))),
            predicates=tuple(parse_predicate(p) for p in self.predicates),
            purpose=parse_purpose(self.purpose),
            not_before=now,
            not_after=utc_seconds(end),
            max_uses=None if self.unlimited else (self.max_uses or 1),
        )


def confirm(question: str) -> bool:
    try:
        return bool(typer.confirm(question, default=False, err=True))
    except typer.Abort:
        return False
