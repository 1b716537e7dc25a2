"""Fixtures of the session tests: one real ledger per module, a fresh issuer, verifier
and wallet per test, the verifier trusting the issuer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.service import create_app as create_ledger_app
from tests.mobile_api.session_helpers import (
    AINA,
    Ledger,
    Party,
    ledger_settings,
    new_wallet,
    receive,
    running,
    serve,
)
from wallet import Wallet


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    settings = ledger_settings(tmp_path_factory.mktemp("ledger"))
    with serve(create_ledger_app(settings)) as url:
        yield Ledger(url, settings)


@pytest.fixture
def issuer(tmp_path: Path, ledger: Ledger) -> Iterator[Party]:
    with running("issuer", tmp_path / "issuer-home", ledger.url) as party:
        yield party


@pytest.fixture
def verifier(tmp_path: Path, ledger: Ledger, issuer: Party) -> Iterator[Party]:
    with running(
        "verifier", tmp_path / "verifier-home", ledger.url, trusted_issuers=[issuer.did]
    ) as party:
        yield party


@pytest.fixture
def wallet(tmp_path: Path) -> Iterator[Wallet]:
    opened = new_wallet(tmp_path / "citizen")
    yield opened
    opened.close()


@pytest.fixture
def credential(wallet: Wallet, issuer: Party) -> str:
    """Aina's resident credential, issued over HTTP into `wallet`; its id."""
    with issuer.admin() as admin:
        offer = admin.create_offer("resident", AINA)
    return receive(wallet, offer.url)
