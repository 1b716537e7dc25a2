"""A separate process working on one wallet (run by test_wallet_processes).

usage:
  wallet_worker.py add DIR PASSPHRASE PREFIX COUNT START_AT
      records COUNT presentations, one write transaction each, starting at epoch START_AT
  wallet_worker.py advance DIR PASSPHRASE SIZES START_AT
      advances the checkpoint of the test ledger through the comma-separated SIZES
  wallet_worker.py receipts DIR PASSPHRASE START_AT
      adds a ledger receipt to every consent kept in the wallet, one at a time
  wallet_worker.py revokes DIR PASSPHRASE START_AT
      signs and adds a revocation to every consent kept in the wallet, one at a time
  wallet_worker.py hang DIR PASSPHRASE COUNT PAD
      in ONE transaction writes COUNT presentations of PAD extra bytes each, prints
      "written", then waits to be killed
  wallet_worker.py hold-lock DIR
      takes the wallet's write lock, prints "locked", then waits to be killed

Prints "done" on success.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wallet_helpers import NOW, note, receipt, secret_int

from policies import sign_consent_revoke
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
        elif command == "receipts":
            consents = wallet.consents.all()
            _wait_until(sys.argv[4])
            for kept in consents:
                wallet.consents.add(kept.grant, receipt(kept.grant.to_json()))
        elif command == "revokes":
            consents = wallet.consents.all()
            _wait_until(sys.argv[4])
            for kept in consents:
                revoke = sign_consent_revoke(secret_int(wallet), grant=kept.grant, created_at=NOW)
                wallet.consents.add_revocation(revoke)
        elif command == "hang":
            count, pad = int(sys.argv[4]), b"x" * int(sys.argv[5])
            with wallet.transaction():
                for i in range(count):
                    wallet.presentations.record(
                        verifier="did:example:hang",
                        credential_id="sha256:" + "0" * 64,
                        disclosed=["district"],
                        presentation=f"hang-{i}".encode() + pad,
                    )
                print("written", flush=True)
                time.sleep(600)
        else:
            raise SystemExit(f"unknown command {command!r}")
    print("done", flush=True)


if __name__ == "__main__":
    main()
