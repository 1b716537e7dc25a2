"""Session-wide fixtures: where the shared vectors are, and which curve backends to run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from attestations.curve import BACKENDS, CurveBackend, get_backend
from tests.pg import db_url, postgres_server, postgres_url  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
VECTORS = Path(os.environ.get("CARTERA_VECTORS", REPO.parent / "shared" / "vectors"))


def load_vector(relative: str) -> Any:
    """Parse one JSON file of ../shared/vectors; fail loudly if the folder is missing."""
    path = VECTORS / relative
    if not path.is_file():
        pytest.fail(f"test vector {path} is missing: ../shared must sit beside the repo")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"{VECTORS} is missing: ../shared must sit beside the repo")
    return VECTORS


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request: pytest.FixtureRequest) -> CurveBackend:
    """Every test that takes `backend` runs once per curve backend."""
    return get_backend(request.param)
