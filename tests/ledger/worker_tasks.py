"""Module-level functions for `ledger.workers.WorkerPool` tests: worker processes import
them by name, so they cannot live inside a test function."""

from __future__ import annotations

import os
import time
from pathlib import Path

Item = tuple[str, str]


class TwoArgumentError(Exception):
    """An exception that does not survive pickling (its constructor wants two arguments)."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def task(item: Item) -> str:
    """("ok", v) → v; ("raise", v) → ValueError(v); ("odd", v) → an exception that does
    not pickle; ("exit", _) → the worker exits; ("hold", dir) → write the worker's pid to
    dir/pid, then wait until dir/release exists and answer "released"."""
    kind, value = item
    if kind == "ok":
        return value
    if kind == "raise":
        raise ValueError(value)
    if kind == "odd":
        raise TwoArgumentError(value, "!")
    if kind == "exit":
        os._exit(3)
    if kind == "hold":
        folder = Path(value)
        (folder / "pid.tmp").write_text(str(os.getpid()))
        (folder / "pid.tmp").rename(folder / "pid")
        deadline = time.monotonic() + 60
        while not (folder / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "released"
    raise AssertionError(f"unknown task {kind!r}")


def stage(item: Item) -> Item:
    """A `prepare` stage: ("early", v) → ValueError(v) before `task`; ("pid", _) → the
    stage's process id, which `task` then answers; anything else passes on unchanged."""
    kind, value = item
    if kind == "early":
        raise ValueError(f"stage: {value}")
    if kind == "pid":
        return ("ok", f"staged in {os.getpid()}")
    return item


def wait_for_file(path: Path, timeout: float = 60) -> str:
    """The text of `path` once it exists (the test fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)
    return path.read_text()
