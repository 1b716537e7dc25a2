"""Steps 1-3 and 6 of audit replay: entry order, leaf hashes, the rebuilt tree, every
checkpoint, the saved checkpoint (the numbering is `ledger.audit.replay`'s).

`TreeAudit` is fed entries in index order and checkpoints as the tree reaches their size;
a checkpoint of size n is compared with the tree of every entry whose index is below n,
so a missing entry shows in every later root. Findings go to a shared `Findings`.
"""

from __future__ import annotations

from collections import Counter

from ledger.audit.checks import CheckpointCheck, check_checkpoint
from ledger.audit.report import Kind, Violation
from ledger.audit.sources import SourceCheckpoint, SourceEntry
from ledger.checkpoint import Checkpoint
from ledger.merkle import Frontier
from ledger.note import VerifierKey


class Findings:
    """Every violation counted; the first `limit` kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.violations: list[Violation] = []
        self.counts: Counter[str] = Counter()

    def add(self, kind: str, index: int | None, detail: str, size: int | None = None) -> None:
        self.counts[kind] += 1
        if len(self.violations) < self.limit:
            self.violations.append(Violation(kind, index, detail, size))


class TreeAudit:
    def __init__(
        self,
        findings: Findings,
        *,
        log_key: VerifierKey,
        origin: str,
        saved: Checkpoint | None,
        stores_tree: bool,
    ) -> None:
        self.findings, self.log_key, self.origin = findings, log_key, origin
        self.saved, self.stores_tree = saved, stores_tree
        self.frontier = Frontier()
        self.position = 0  # the next index expected
        self.good: tuple[int, str] | None = None  # largest checkpoint matching the tree
        self.signed_size = -1  # largest checkpoint whose signature verified
        self.saved_root: bytes | None = None
        self.checkpoints = 0

    def entry(self, entry: SourceEntry, leaf: bytes) -> None:
        """Steps 1 and 2 for the next entry read (`leaf`: its bytes' leaf hash)."""
        add = self.findings.add
        self._reach(entry.index)
        if entry.index > self.position:
            first, last = self.position, entry.index - 1
            gap = f"{first}..{last}" if last > first else str(first)
            add(Kind.MISSING_INDEX, first, f"no entry at index {gap}")
        self.position = entry.index + 1
        if entry.stored_leaf_hash is not None and entry.stored_leaf_hash != leaf:
            add(
                Kind.LEAF_HASH_MISMATCH,
                entry.index,
                f"stored leaf hash {entry.stored_leaf_hash.hex()}, bytes hash to {leaf.hex()}",
            )
        if self.stores_tree and entry.stored_node != leaf:
            stored = "none" if entry.stored_node is None else entry.stored_node.hex()
            add(Kind.STORED_TREE_MISMATCH, entry.index,
                f"the stored tree's leaf is {stored}, the entry's {leaf.hex()}")  # fmt: skip
        self.frontier.append(leaf)
        self._reach(self.position)

    def _reach(self, size: int) -> None:
        """The rebuilt tree now stands at position `size`: take the saved root there."""
        if self.saved is not None and self.saved_root is None and self.saved.size <= size:
            self.saved_root = self.frontier.root()

    # --- 3. checkpoints -----------------------------------------------------------------

    def tail(self, stored: list[SourceCheckpoint]) -> None:
        """Checkpoints not read with a batch: of an empty log, or beyond its last entry
        (then the entries they cover are gone)."""
        largest = None
        for c in stored:
            check = check_checkpoint(c.size, c.note, self.log_key, self.origin)
            beyond = c.size > self.position
            if self.checkpoint(c, check, compare=not beyond) and beyond:
                largest = c.size
        if largest is not None:
            self.findings.add(
                Kind.MISSING_INDEX, self.position,
                f"a signed checkpoint of size {largest} covers indexes "
                f"{self.position}..{largest - 1}, which the log does not hold",
                largest,
            )  # fmt: skip

    def checkpoint(
        self, stored: SourceCheckpoint, check: CheckpointCheck, *, compare: bool = True
    ) -> bool:
        """Step 3 for one checkpoint; whether the log key signed it for this size."""
        self.checkpoints += 1
        first = 0 if self.good is None else self.good[0]
        if check.checkpoint is None:
            self.findings.add(
                check.kind or Kind.CHECKPOINT_MALFORMED, first, check.detail, stored.size
            )
            return False
        signed = check.checkpoint
        self.signed_size = max(self.signed_size, signed.size)
        if signed.size != stored.size or stored.stored_root not in (None, signed.root_hash):
            self.findings.add(
                Kind.CHECKPOINT_ROW_MISMATCH, first,
                f"the row says size {stored.size}, the signed note size {signed.size}"
                + ("" if stored.stored_root in (None, signed.root_hash) else ", and another root"),
                stored.size,
            )  # fmt: skip
            if signed.size != stored.size:
                return False
        if not compare:
            return True
        root = self.frontier.root()
        if root != signed.root_hash:
            self.findings.add(
                Kind.CHECKPOINT_ROOT_MISMATCH, first,
                f"signed root {signed.root_hash.hex()}, rebuilt root {root.hex()}: "
                f"the entries in [{first}, {signed.size}) differ from what was signed",
                signed.size,
            )  # fmt: skip
        elif self.good is None or signed.size >= self.good[0]:
            self.good = (signed.size, stored.note)
        return True

    # --- the end ------------------------------------------------------------------------

    def finish(self) -> None:
        if self.signed_size < 0 and self.position > 0:
            self.findings.add(
                Kind.NO_CHECKPOINT, 0, "no checkpoint signed by the log key covers the log"
            )
        elif self.position > max(self.signed_size, 0) and self.signed_size >= 0:
            self.findings.add(
                Kind.NOT_IN_CHECKPOINT, self.signed_size,
                f"entries {self.signed_size}..{self.position - 1} are in no signed checkpoint",
            )  # fmt: skip
        # 6. The saved checkpoint: the log must have grown from it.
        self._reach(self.position)
        saved = self.saved
        if saved is not None:
            if saved.size > self.position:
                self.findings.add(
                    Kind.INCONSISTENT_WITH_SAVED, self.position,
                    f"the saved checkpoint has size {saved.size}, the log only {self.position}",
                    saved.size,
                )  # fmt: skip
            elif self.saved_root != saved.root_hash:
                got = (self.saved_root or b"").hex()
                self.findings.add(
                    Kind.INCONSISTENT_WITH_SAVED, None,
                    f"the saved checkpoint of size {saved.size} has root "
                    f"{saved.root_hash.hex()}, the log's tree at that size {got}",
                    saved.size,
                )  # fmt: skip
