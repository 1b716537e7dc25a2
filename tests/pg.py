"""A throwaway PostgreSQL server for the test session, and the `db_url` fixture.

Each pytest(-xdist) worker starts its own server on first use: initdb into a fresh temp
dir, trust auth, listening on 127.0.0.1 at a free port with its unix socket in the same
dir, stopped with `pg_ctl stop -m immediate` at the end. PostgreSQL refuses to run as
root, so under root (CI, this machine) the dir is handed to the `postgres` user and the
binaries run through `runuser -u postgres --`. Missing binaries fail loudly: `make test`
installs them, and no test is skipped for lack of PostgreSQL.

The server runs with fsync off: the tests kill ledger *client* processes, never the
database server or the machine, so server-side syncing would only cost time.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        pytest.fail(
            f"PostgreSQL's {name} is not installed (not on PATH nor in /usr/lib/postgresql/*/bin):"
            " run `make test`, which installs Debian's postgresql package"
        )
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    root: Path
    port: int
    as_user: tuple[str, ...]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, *args], cwd=self.root, capture_output=True, text=True, timeout=120
        )


def start_postgres() -> PostgresServer:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="cartera-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root but there is no `postgres` user to run PostgreSQL as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ("runuser", "-u", "postgres", "--")
    server = PostgresServer(root, 0, as_user)
    done = server.run(
        initdb, "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
    )
    if done.returncode:
        pytest.fail(f"initdb failed:\n{done.stdout}\n{done.stderr}")
    for _attempt in range(5):  # another worker may grab the same free port first
        server = PostgresServer(root, _free_port(), as_user)
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root}"
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        done = server.run(
            pg_ctl, "-D", str(root / "data"), "-l", str(root / "log"), "-o", options, "-w", "start"
        )
        if done.returncode == 0:
            return server
    log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
    pytest.fail(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}")


def stop_postgres(server: PostgresServer) -> None:
    server.run(_pg_bin("pg_ctl"), "-D", str(server.root / "data"), "-m", "immediate", "stop")
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    stop_postgres(server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ledger database: a SQLite file in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))
