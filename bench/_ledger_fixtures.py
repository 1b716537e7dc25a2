"""Fixtures for `bench/ledger.py`: signed entries, a throwaway PostgreSQL, a ledger server
in a subprocess, and the bulk tree fill used for the proof-latency figures.

Entries are real and signed exactly as a wallet and an organisation would sign them
(`policies.sign_*`); they are built before any timing starts, in a process pool because a
consent signature costs ~1.7 ms. The PostgreSQL server follows `tests/pg.py` (initdb in
a temp dir, trust auth, 127.0.0.1, fsync off, run as `postgres` under root) without its
pytest dependency.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import httpx
import psycopg

from attestations.credentials import HolderSecret, IssuerKey
from attestations.schemas import Schema
from ledger.merkle import Frontier, leaf_hash
from ledger.storage import LedgerStore, StoredEntry, insert_entries, insert_nodes
from policies import (
    Ciphersuite,
    OrgKey,
    Purpose,
    SchemaRef,
    sign_access_record,
    sign_consent_grant,
    sign_issuer_register,
    sign_verifier_register,
    utc_seconds,
)

SCHEMA = Schema.create("resident", [("district", "string"), ("postal_code", "string")])
CARTERA = Path(sys.executable).with_name("cartera")


# --- signed entries ---------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """One issuer and one verifier, registered by the first two entries of every log."""

    at: datetime
    issuer: OrgKey = field(default_factory=OrgKey.generate)
    verifier: OrgKey = field(default_factory=OrgKey.generate)

    def registrations(self) -> list[bytes]:
        bbs = IssuerKey.generate().public_key().to_bytes()
        issuer = sign_issuer_register(
            self.issuer, name="Padró Municipal d'Habitants", public_key=bbs,
            ciphersuite=Ciphersuite.SHA256,
            schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)], valid_from=self.at,
            valid_until=self.at + timedelta(days=365), created_at=self.at,
        )  # fmt: skip
        verifier = sign_verifier_register(
            self.verifier, name="Bicing", purposes=[Purpose.SERVICE_PROVISION],
            contact="dpo@bicing.example", created_at=self.at,
        )  # fmt: skip
        return [issuer.to_json(), verifier.to_json()]

    def access_record(self) -> bytes:
        """An access.record: the Ed25519-signed entry type the floor's message size follows."""
        grant = "sha256:" + "0" * 64
        return sign_access_record(
            self.verifier, grant=grant, presentation=os.urandom(16), created_at=self.at
        ).to_json()

    def grants(self, count: int, *, workers: int) -> list[bytes]:
        """`count` consent.grant entries, each by a distinct holder secret."""
        if count <= 0:
            return []
        shares = [count // workers + (i < count % workers) for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            parts = pool.map(_grants, [self.verifier.did] * workers, [self.at] * workers, shares)
            return [g for part in parts for g in part]


def _grants(verifier: str, at: datetime, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        secret = int.from_bytes(HolderSecret.generate().to_bytes(), "big")
        grant = sign_consent_grant(
            secret, verifier=verifier, schema=SCHEMA.schema_id, attributes=["district"],
            predicates=[], purpose=Purpose.SERVICE_PROVISION, not_before=at,
            not_after=at + timedelta(days=1), created_at=at,
        )  # fmt: skip
        out.append(grant.to_json())
    return out


def now() -> datetime:
    return utc_seconds(datetime.now(UTC))


# --- bulk fill (no validation) --------------------------------------------------------


def bulk_fill(store: LedgerStore, frontier: Frontier, upto: int, *, chunk: int = 50_000) -> None:
    """Grow the log to `upto` entries through the sequencer's own row writers
    (`insert_entries`, `insert_nodes`), `chunk` entries per transaction, without any
    signature check, state rule or checkpoint. The entries are unsigned placeholders of
    an access.record's size (~400 bytes), each unique; proofs only read the node table."""
    pad = b"x" * 360
    while frontier.size < upto:
        start = frontier.size
        stop = min(upto, start + chunk)
        entries, nodes = [], []
        for i in range(start, stop):
            data = b'{"bench":%d,"pad":"%s"}' % (i, pad)
            h = leaf_hash(data)
            entries.append(StoredEntry(i, data, h, "bench.fill", 0))
            nodes.extend(frontier.append(h))
        with store.write() as conn:
            insert_entries(conn, entries)
            insert_nodes(conn, nodes)


# --- PostgreSQL -----------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Postgres:
    """A throwaway server: `start()`, `create_database()`, `stop()`."""

    root: Path
    port: int
    as_user: tuple[str, ...]

    @classmethod
    def start(cls) -> Postgres:
        root = Path(tempfile.mkdtemp(prefix="cartera-bench-pg-"))
        as_user: tuple[str, ...] = ()
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pw = pwd.getpwnam("postgres")
            os.chown(root, pw.pw_uid, pw.pw_gid)
            as_user = ("runuser", "-u", "postgres", "--")
        server = cls(root, free_port(), as_user)
        server._run(_pg_bin("initdb"), "-D", str(root / "data"), "-U", "postgres", "-A",
                    "trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root}"
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        server._run(_pg_bin("pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"),
                    "-o", options, "-w", "start")  # fmt: skip
        return server

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, *args], cwd=self.root, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")

    def create_database(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# --- the service in a subprocess ------------------------------------------------------


@dataclass
class Server:
    """`cartera ledger serve` (uvicorn) on 127.0.0.1 with its own CARTERA_HOME."""

    home: Path
    database_url: str
    max_skew_s: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        env = {**os.environ, "CARTERA_HOME": str(self.home),
               "CARTERA_LEDGER_DATABASE_URL": self.database_url,
               "CARTERA_LEDGER_MAX_CLOCK_SKEW_S": str(self.max_skew_s)}  # fmt: skip
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [str(CARTERA), "ledger", "serve", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.home / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
