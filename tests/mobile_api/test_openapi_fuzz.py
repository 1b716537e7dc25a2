"""Schemathesis against both roles' OpenAPI schemas, over real HTTP to running services
(a real ledger behind them): whatever a generated request holds, the answer is never a
server error, and it is what the schema documents (statuses, content types, bodies).
Admin calls carry a valid key, so the fuzzer reaches past authentication; the rate limit
is off, so that it does not answer every call after the first 120."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ledger.service import create_app as create_ledger_app
from mobile_api import create_app, load
from tests.mobile_api.session_helpers import AINA, Party, ledger_settings, running, serve

pytestmark = pytest.mark.xdist_group("openapi-sessions")


@pytest.fixture(scope="module")
def parties(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Party]]:
    home = tmp_path_factory.mktemp("fuzzed-sessions")
    with (
        serve(create_ledger_app(ledger_settings(home / "ledger"))) as ledger,
        running("issuer", home / "issuer", ledger, rate_limit_per_minute=0) as issuer,
        running("verifier", home / "verifier", ledger, rate_limit_per_minute=0,
                trusted_issuers=[issuer.did]) as verifier,
    ):  # fmt: skip
        with issuer.admin() as admin:  # something to find: a pending offer
            admin.create_offer("resident", AINA)
        yield {"issuer": issuer, "verifier": verifier}


def _schema(role: str) -> Any:
    # The schema is the app's own; building the app needs no server, database or key.
    home = Path(tempfile.mkdtemp(prefix="cartera-openapi-"))
    return schemathesis.openapi.from_dict(create_app(load(role=role, home=home)).openapi())


issuer_schema, verifier_schema = _schema("issuer"), _schema("verifier")


def _call(case: schemathesis.Case[Any], party: Party) -> None:
    # Positive-data acceptance is left out: the schema cannot say that attributes must be
    # exactly the schema's, that a commitment's proof must verify, or that a token exists.
    case.call_and_validate(
        base_url=party.url,
        headers={"authorization": f"Bearer {party.api_key}"},
        excluded_checks=[positive_data_acceptance],
    )


@issuer_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_issuer_answers_as_documented(
    case: schemathesis.Case[Any], parties: dict[str, Party]
) -> None:
    _call(case, parties["issuer"])


@verifier_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_verifier_answers_as_documented(
    case: schemathesis.Case[Any], parties: dict[str, Party]
) -> None:
    _call(case, parties["verifier"])
