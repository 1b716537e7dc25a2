"""The one place where the CLI prints results: JSON for programs, rich tables for people.

Every read command takes `--json` and then prints exactly one JSON document on stdout
(`emit_json`), nothing else; without it, `table` and `fields` print for people. Notes and
warnings go to stderr (`note`), so they never end up in a pipe. Values are turned into
JSON one way everywhere (`jsonable`): dates `YYYY-MM-DD`, times RFC 3339 UTC with `Z`,
bytes unpadded base64url, enums their value, paths their text.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from attestations.encoding import b64url_encode
from policies import format_time

__all__ = [
    "emit_json",
    "fields",
    "jsonable",
    "note",
    "say",
    "short_id",
    "table",
    "text",
]


def _stdout() -> Console:
    # Built per call: Typer's test runner swaps sys.stdout between invocations.
    return Console(highlight=False, soft_wrap=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def jsonable(value: Any) -> Any:
    """`value` as JSON values (see the module docstring for the conventions)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, datetime.datetime):
        return format_time(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return b64url_encode(value)
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "to_json_dict"):
        return value.to_json_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def emit_json(data: Any) -> None:
    """Print `data` as one JSON document (UTF-8, keys sorted) on stdout."""
    print(json.dumps(jsonable(data), ensure_ascii=False, sort_keys=True), flush=True)


def text(value: Any) -> str:
    """A value for people: what `jsonable` gives, without JSON quoting."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    shown = jsonable(value)
    if shown is None:
        return "—"
    if isinstance(shown, list):
        return ", ".join(text(v) for v in shown) or "—"
    return str(shown)


def short_id(identifier: str, digits: int = 12) -> str:
    """`sha256:0123456789ab…`: enough of an id to name it (commands accept prefixes)."""
    algorithm, _, hexdigits = identifier.partition(":")
    if not hexdigits or len(hexdigits) <= digits:
        return identifier
    return f"{algorithm}:{hexdigits[:digits]}…"


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table for people; an empty one says so in a line instead."""
    shown = [[text(cell) for cell in row] for row in rows]
    if not shown:
        say(f"{title or 'nothing'}: none")
        return
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in shown:
        grid.add_row(*(Text(cell) for cell in row))
    _stdout().print(grid)


def fields(title: str | None, pairs: Iterable[tuple[str, Any]], *, stderr: bool = False) -> None:
    """Named values of one object, one per line, never wrapped (ids stay copyable); on
    stderr with `stderr` (what a `--json` command shows people before it asks them)."""
    shown = [(name, text(value)) for name, value in pairs]
    width = max((len(name) for name, _ in shown), default=0)
    console = _stderr() if stderr else _stdout()
    if title:
        console.print(Text(title, style="bold"))
    for name, value in shown:
        console.print(Text.assemble((f"  {name:<{width}}  ", "bold"), value), soft_wrap=True)


def say(message: str, *, style: str | None = None) -> None:
    """One line for people on stdout (taken literally: no rich markup)."""
    _stdout().print(Text(message, style=style or ""), soft_wrap=True)


def note(message: str, *, style: str = "yellow") -> None:
    """A note or warning on stderr: never mixed into the command's output."""
    _stderr().print(Text(message, style=style), soft_wrap=True)
