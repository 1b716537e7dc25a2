"""Schemathesis against the ledger's own OpenAPI schema, over real HTTP to a real
`cartera ledger serve`: whatever a generated request holds, the answer is never a server
error, and it conforms to what the schema documents (status codes, content types,
bodies). The log holds a small consent story, so reads find real entries too."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ledger.service import create_app
from ledger.settings import LedgerSettings
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import JSON, Server

pytestmark = pytest.mark.xdist_group("openapi-ledger")


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("fuzzed-ledger")
    server = Server(home, f"sqlite:///{home / 'ledger.db'}").start()
    world, t = World(), now()
    for doc in (world.issuer_register(t), world.verifier_register(t), world.grant(t)):
        httpx.post(
            f"{server.url}/v1/entries", content=doc.to_json(), headers=JSON
        ).raise_for_status()
    try:
        yield server.url
    finally:
        server.stop()


# The schema is the app's own; building the app needs no server, database or key.
schema = schemathesis.openapi.from_dict(
    create_app(LedgerSettings(home=Path(tempfile.mkdtemp(prefix="cartera-openapi-")))).openapi()
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_answers_as_documented(
    case: schemathesis.Case[Any], ledger_url: str
) -> None:
    # Positive-data acceptance is left out: the schema cannot say "end >= start", "exactly
    # one of index and leaf_hash", or that an entry must carry a valid signature.
    case.call_and_validate(base_url=ledger_url, excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("OPTIONS", "/v1/entries", "GET, POST"), ("DELETE", "/v1/log", "GET"),
     ("PUT", "/v1/checkpoint/3", "GET")],
)  # fmt: skip
def test_a_method_the_path_does_not_serve_names_those_it_does(
    ledger_url: str, method: str, path: str, allow: str
) -> None:
    answer = httpx.request(method, f"{ledger_url}{path}")
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.json()["reason"] == "method_not_allowed"
