"""A separate process appending to one ledger database (run by test_sequencer_processes).

usage: append_worker.py URL SKEY ORIGIN PREFIX COUNT THREADS START_AT [CRASH_AT]

Waits until the epoch time START_AT (so that several workers really overlap), then
appends COUNT entries `{"n":i,"p":PREFIX}` from THREADS threads, checks every returned
inclusion proof against its checkpoint, and prints one JSON line per acknowledged
append. With CRASH_AT, the state hook kills the process (os._exit) when it reaches the
entry with n == CRASH_AT, in the middle of a batch transaction.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from ledger.merkle import verify_inclusion
from ledger.note import SignerKey
from ledger.sequencer import Appended, Sequencer
from ledger.storage import LedgerStore


def main() -> None:
    url, skey, origin, prefix, count, threads, start_at = sys.argv[1:8]
    crash_at = int(sys.argv[8]) if len(sys.argv) > 8 else None
    crash_entry = (
        b'{"n":%d,"p":"%s"}' % (crash_at, prefix.encode()) if crash_at is not None else None
    )

    def apply(_conn: object, _index: int, data: bytes, _type: str) -> None:
        if data == crash_entry:
            sys.stdout.flush()
            os._exit(17)

    store = LedgerStore.from_url(url)
    signer = SignerKey.from_text(skey)
    sequencer = Sequencer(
        store, signer=signer, origin=origin, validate=lambda _e: "test", apply=apply, max_batch=64
    )

    def one(i: int) -> Appended:
        return sequencer.append(b'{"n":%d,"p":"%s"}' % (i, prefix.encode()))

    with sequencer, ThreadPoolExecutor(int(threads)) as pool:
        time.sleep(max(0.0, float(start_at) - time.time()))
        futures = {pool.submit(one, i): i for i in range(int(count))}
        for future in as_completed(futures):
            result = future.result()
            root = result.checkpoint.root_hash
            ok = verify_inclusion(
                result.leaf_hash, result.index, result.checkpoint.size, list(result.proof), root
            )
            line = {"n": futures[future], "index": result.index, "size": result.checkpoint.size}
            print(json.dumps({**line, "ok": ok}), flush=True)


if __name__ == "__main__":
    main()
