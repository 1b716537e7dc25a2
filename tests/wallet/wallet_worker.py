"""A separate process working on one wallet (run by test_wallet_processes).

usage:
  wallet_worker.py add DIR PASSPHRASE PREFIX COUNT START_AT
      records COUNT presentations, one write transaction each, starting at epoch START_AT
  wallet_worker.py advance DIR PASSPHRASE SIZES START_AT
      advances the checkpoint of the test ledger through the comma-separated SIZES
  wallet_worker.py hang DIR PASSPHRASE COUNT
      in ONE transaction writes COUNT presentations, prints "written", then waits to be killed
  wallet_worker.py hold-lock DIR
      takes the wallet's write lock, prints "locked", then waits to be killed

Prints "done" on success.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wallet_helpers import note

from wallet import unlock
from wallet.lock import exclusive


def _wait_until(start_at: str) -> None:
    time.sleep(max(0.0, float(start_at) - time.time()))


def main() -> None:
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "hold-lock":
        with exclusive(directory / "wallet.lock"):
            print("locked", flush=True)
            time.sleep(600)
        return
    passphrase = sys.argv[3]
    with unlock(directory, passphrase) as wallet:
        if command == "add":
            prefix, count, start_at = sys.argv[4], int(sys.argv[5]), sys.argv[6]
            _wait_until(start_at)
            for i in range(count):
                wallet.presentations.record(
                    verifier=f"did:example:{prefix}",
                    credential_id="sha256:" + "0" * 64,
                    disclosed=["district"],
                    presentation=f"{prefix}-{i}".encode(),
                )
        elif command == "advance":
            sizes, start_at = [int(s) for s in sys.argv[4].split(",")], sys.argv[5]
            _wait_until(start_at)
            for size in sizes:
                wallet.checkpoints.advance(note(size))
        elif command == "hang":
            count = int(sys.argv[4])
            with wallet.transaction():
                for i in range(count):
                    wallet.presentations.record(
                        verifier="did:example:hang",
                        credential_id="sha256:" + "0" * 64,
                        disclosed=["district"],
                        presentation=f"hang-{i}".encode(),
                    )
                print("written", flush=True)
                time.sleep(600)
        else:
            raise SystemExit(f"unknown command {command!r}")
    print("done", flush=True)


if __name__ == "__main__":
    main()
