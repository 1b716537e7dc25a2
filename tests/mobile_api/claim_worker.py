"""A separate process trying to use one offer or answer one request (test_store).

usage: claim_worker.py URL KIND ID NOW GO_FILE

KIND is `offer` or `request`. Opens its own engine, waits until GO_FILE exists (so that
all workers race), makes one attempt, prints `won` or `lost`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mobile_api.store import answer_request, open_store, use_offer


def main() -> None:
    url, kind, claimed, now, go = sys.argv[1:6]
    engine = open_store(url)
    with engine.connect():  # connected before the race starts
        pass
    while not Path(go).exists():
        time.sleep(0.005)
    claim = use_offer if kind == "offer" else answer_request
    key = "offer_id" if kind == "offer" else "request_id"
    won = claim(engine, **{key: claimed, "now": int(now)})
    print("won" if won else "lost", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
