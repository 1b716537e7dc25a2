"""`cartera audit replay`: replay a whole ledger and report its consent state and violations.

One library call (`ledger.audit.replay`) between the options and the rendering. The log's
key comes from `--log-key` or `--log-key-file`; without either, a ledger URL's announced
key is used with a warning (nothing independent vouches for it), and a database cannot be
audited. The origin defaults to the key's name (C2SP checkpoints are signed by a key named
like their log).

Exit codes (cli.errors): 0 clean, 1 any violation, 2 bad input, 3 ledger unreachable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cli import render
from cli.errors import EXIT_CHECK_FAILED, handle_errors
from ledger.audit import AuditInputError, AuditReport, replay
from ledger.audit.report import STATUSES
from ledger.client import announced_log, save_checkpoint
from ledger.note import VerifierKey

app = typer.Typer(name="audit", help="Audit a consent ledger.", no_args_is_help=True)

SHOWN_VIOLATIONS = 50


def _log_key(source: str, log_key: str | None, log_key_file: Path | None) -> VerifierKey:
    if log_key is not None and log_key_file is not None:
        raise AuditInputError("give --log-key or --log-key-file, not both")
    if log_key_file is not None:
        try:
            log_key = log_key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditInputError(f"--log-key-file {log_key_file}: {exc}") from None
    if log_key is not None:
        return VerifierKey.from_text(log_key)
    if not source.startswith(("http://", "https://")):
        raise AuditInputError("auditing a database needs the log's key: pass --log-key")
    key = announced_log(source).verifier_key
    render.note(f"warning: trusting the key the ledger announces ({key.to_text()}); pass --log-key")
    return key


def _read_saved(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditInputError(f"--checkpoint {path}: {exc}") from None


@app.command("replay")
@handle_errors
def replay_command(
    source: Annotated[
        str,
        typer.Argument(metavar="URL_OR_DB", help="http(s):// ledger, database URL or SQLite file"),
    ],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key", envvar="CARTERA_LEDGER_LOG_KEY", help="the log's C2SP verifier key"
        ),
    ] = None,
    log_key_file: Annotated[
        Path | None, typer.Option("--log-key-file", help="a file holding the verifier key")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="the log's origin [the key's name]")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="a checkpoint saved earlier: the log must extend it"),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option("--save-checkpoint", help="save the audited checkpoint here if clean"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, help="processes checking signatures [one per CPU]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Replay every entry, proof and rule of a ledger; exit 1 on any violation."""
    key = _log_key(source, log_key, log_key_file)
    saved = _read_saved(checkpoint)
    progress = Progress(
        TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TextColumn("entries"),
        TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        disable=not sys.stderr.isatty(),
    )  # fmt: skip
    with progress:
        task = progress.add_task("replay", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = replay(source, log_key=key, origin=origin or key.name,
                        saved_checkpoint=saved, progress=advance, workers=workers)  # fmt: skip
    if as_json:
        render.emit_json(report.to_json_dict())
    else:
        show_report(report)
    if save is not None:
        if report.clean and report.checkpoint is not None:
            save_checkpoint(save, report.checkpoint)
            render.note(f"saved the audited checkpoint to {save}")
        else:
            render.note(f"not saving a checkpoint to {save}: the audit found violations")
    if not report.clean:
        raise typer.Exit(EXIT_CHECK_FAILED)


def show_report(report: AuditReport) -> None:
    """The report for people: the tree, the consent state, then the violations."""
    names = {p.did: p.name for p in (*report.state.issuers, *report.state.verifiers)}
    checked = report.checked
    render.fields("Ledger", [
        ("source", report.source), ("origin", report.origin), ("tree size", report.tree_size),
        ("root hash", report.root_hash.hex()),
        ("checkpoint", report.checkpoint.split("\n")[1] if report.checkpoint else None),
        ("checked", f"{checked.get('entries', 0)} entries, "
                    f"{checked.get('checkpoints', 0)} checkpoints"),
        ("rate", f"{report.rate:,.0f} entries/s"),
    ])  # fmt: skip
    consent = report.state
    render.table(
        f"Grants at {render.text(consent.at.replace(microsecond=0))}",
        ["verifier", "purpose", *(s.replace("_", " ") for s in STATUSES)],
        [[names.get(v, v), p, *(c.get(s, 0) for s in STATUSES)]
         for (v, p), c in sorted(consent.grants.items())],
    )  # fmt: skip
    render.table(
        "Accesses", ["verifier", "purpose", "accesses"],
        [[names.get(v, v), p, n] for (v, p), n in sorted(consent.accesses.items())],
    )  # fmt: skip
    render.table(
        "Issuers", ["did", "name", "index", "keys", "revoked keys"],
        [[p.did, p.name, p.index, p.keys, p.revoked_keys] for p in consent.issuers],
    )  # fmt: skip
    render.table(
        "Verifiers", ["did", "name", "index", "purposes"],
        [[p.did, p.name, p.index, p.purposes] for p in consent.verifiers],
    )  # fmt: skip
    if consent.petitions:
        render.table(
            "Petitions (signatures re-verified and counted)",
            ["petition", "title", "index", "closes", "signatures"],
            [[p.id, p.title, p.index, p.closes_at, p.signatures] for p in consent.petitions],
        )  # fmt: skip
    if report.clean:
        render.say("clean: no violation", style="bold green")
        return
    shown = report.violations[:SHOWN_VIOLATIONS]
    render.table(
        "Violations", ["index", "size", "kind", "detail"],
        [[v.index, v.size, v.kind, v.detail] for v in shown],
    )  # fmt: skip
    total = sum(report.violation_counts.values())
    counts = ", ".join(f"{k} {n}" for k, n in sorted(report.violation_counts.items()))
    more = f" (first {len(shown)} shown; --json lists up to 10,000)" if total > len(shown) else ""
    render.say(f"{total} violations: {counts}{more}", style="bold red")
