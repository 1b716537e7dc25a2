"""Fixtures of the wallet tests: a fresh wallet (cheap KDF limits, recorded in its header)
and an issuer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wallet_helpers import KDF, NOW, PASSPHRASE

from attestations.credentials import IssuerKey
from wallet import Wallet, create


@pytest.fixture
def wallet_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "wallet"


@pytest.fixture
def wallet(wallet_dir: Path) -> Iterator[Wallet]:
    opened = create(wallet_dir, PASSPHRASE, kdf=KDF, now=NOW)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def issuer() -> IssuerKey:
    return IssuerKey.generate()
