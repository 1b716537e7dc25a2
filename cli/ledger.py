"""`cartera ledger …`: run the consent ledger, and read it as its operator.

`serve` runs `ledger.service` under uvicorn with the embedded defaults (`ledger.settings`).
The read commands talk to a running ledger through the verifying `ledger.client`: every
checkpoint's signature, every inclusion and consistency proof is checked before anything
is printed. The log's key is `--log-key`; without it, the key the ledger announces at
`/v1/log` is used, and a warning says that nothing independent vouches for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from attestations.encoding import b64url_decode
from cli.errors import handle_errors
from ledger import settings as ledger_settings
from ledger.client import LedgerClient, LedgerUnavailable
from ledger.errors import NotFound
from ledger.merkle import check_consistency, check_inclusion, leaf_hash
from ledger.note import VerifierKey
from policies import loads

app = typer.Typer(name="ledger", help="Run the consent ledger and read it.", no_args_is_help=True)

DEFAULT_URL = f"http://127.0.0.1:{ledger_settings.DEFAULT_PORT}"
Url = Annotated[
    str, typer.Option("--url", envvar="CARTERA_LEDGER_URL", help="the ledger's base URL")
]
LogKey = Annotated[
    str | None,
    typer.Option("--log-key", envvar="CARTERA_LEDGER_LOG_KEY", help="the log's C2SP verifier key"),
]
State = Annotated[
    Path | None, typer.Option("--state", help="file keeping the last checkpoint trusted")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


@app.command()
@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help=f"port [{DEFAULT_URL[-4:]}]")] = None,
    db: Annotated[str | None, typer.Option("--db", help="sqlite:///file or postgresql://…")] = None,
    origin: Annotated[str | None, typer.Option(help="the log's checkpoint origin")] = None,
) -> None:
    """Run the ledger service (settings: CARTERA_LEDGER_* and CARTERA_HOME)."""
    import uvicorn

    from ledger.service import create_app

    settings = ledger_settings.load(host=host, port=port, database_url=db, origin=origin)
    key = ledger_settings.operator_key(settings)
    typer.echo(f"origin        {settings.origin}")
    typer.echo(f"verifier key  {key.verifier().to_text()}")
    typer.echo(f"database      {settings.url}")
    typer.echo(f"listening on  {settings.base_url}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def _fetch(url: str, path: str) -> httpx.Response:
    """A plain GET for what `LedgerClient` does not fetch itself; errors as the client's."""
    where = f"ledger {url}: GET {path}"
    try:
        response = httpx.get(url.rstrip("/") + path, timeout=10.0)
    except httpx.HTTPError as exc:
        raise LedgerUnavailable(f"{where}: {exc or type(exc).__name__}") from None
    if response.status_code == 404:
        raise NotFound(f"{where}: not found")
    if not response.is_success:
        raise LedgerUnavailable(f"{where}: answered {response.status_code}")
    return response


def _client(url: str, log_key: str | None, state: Path | None) -> LedgerClient:
    if log_key is None:
        announced = _fetch(url, "/v1/log").json()
        log_key = str(announced.get("verifier_key"))
        typer.secho(
            f"warning: trusting the key the ledger announces ({log_key}); pass --log-key",
            err=True,
            fg=typer.colors.YELLOW,
        )
    key = VerifierKey.from_text(log_key)
    return LedgerClient(url, log_key=key, origin=key.name, state_path=state)


@app.command()
@handle_errors
def checkpoint(url: Url = DEFAULT_URL, log_key: LogKey = None, state: State = None) -> None:
    """Print the latest checkpoint (signature checked, consistent with --state's)."""
    with _client(url, log_key, state) as client:
        client.checkpoint()
        trusted = client.trusted
    assert trusted is not None
    typer.echo(trusted.note, nl=False)


@app.command()
@handle_errors
def get(
    index: Annotated[int, typer.Argument(min=0, metavar="INDEX", help="the entry's index")],
    url: Url = DEFAULT_URL,
    log_key: LogKey = None,
    state: State = None,
    as_json: AsJson = False,
) -> None:
    """Print one entry, proven included in the latest checkpoint."""
    with _client(url, log_key, state) as client:
        entry = client.entry(index)
        size = client.trusted.checkpoint.size if client.trusted else 0
    document = loads(entry.data)
    if as_json:
        typer.echo(json.dumps({"index": index, "leaf_hash": leaf_hash(entry.data).hex(),
                               "tree_size": size, "entry": document}))  # fmt: skip
        return
    typer.echo(f"entry {index} ({document.get('type')}), included in the tree of size {size}")
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _signed_root(client: LedgerClient, url: str, size: int) -> bytes:
    """The root hash of the checkpoint signed for `size` (signature checked)."""
    note = _fetch(url, f"/v1/checkpoint/{size}").text
    return client.open(note).checkpoint.root_hash


@app.command()
@handle_errors
def prove(
    index: Annotated[
        int | None, typer.Argument(min=0, metavar="INDEX", help="the entry's index")
    ] = None,
    size: Annotated[int | None, typer.Option(min=1, help="tree size [the latest]")] = None,
    consistency: Annotated[
        tuple[int, int] | None,
        typer.Option(metavar="M N", help="prove that tree M is a prefix of tree N instead"),
    ] = None,
    url: Url = DEFAULT_URL,
    log_key: LogKey = None,
    state: State = None,
    as_json: AsJson = False,
) -> None:
    """Print an inclusion proof of entry INDEX (or, with --consistency M N, a consistency
    proof), checked against the checkpoints the log signed for those sizes."""
    if (index is None) == (consistency is None):
        raise typer.BadParameter("give either INDEX or --consistency M N")
    with _client(url, log_key, state) as client:
        if consistency is not None:
            first, second = consistency
            answer = client.get_json("/v1/proofs/consistency", first=first, second=second)
            proof = [b64url_decode(h) for h in answer["proof"]]
            roots = _signed_root(client, url, first), _signed_root(client, url, second)
            check_consistency(first, second, proof, *roots)
        else:
            assert index is not None
            size = size or client.checkpoint().size
            data = client.entries(index, index + 1)[0].data
            answer = client.get_json("/v1/proofs/inclusion", index=index, tree_size=size)
            proof = [b64url_decode(h) for h in answer["proof"]]
            check_inclusion(leaf_hash(data), index, size, proof, _signed_root(client, url, size))
    if as_json:
        typer.echo(json.dumps({**answer, "verified": True}))
        return
    what = (
        f"entry {index} in tree {size}"
        if consistency is None
        else "tree {} in tree {}".format(*consistency)
    )
    typer.echo(f"{what}: proof verified against the signed checkpoints")
    for h in proof:
        typer.echo(f"  {h.hex()}")
