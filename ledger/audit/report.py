"""What an audit finds: violations, each at an index, and the consent state the log adds up to.

The JSON form (`AuditReport.to_json_dict`) is the contract of `cartera audit replay
--json`; docs/audit.md describes it field by field.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ledger.audit.petitions import PetitionTally
from policies import format_time, utc_seconds


class Kind(StrEnum):
    """Violation kinds. `rule_violation:<reason>` kinds are built from the rules' reasons."""

    MISSING_INDEX = "missing_index"
    DUPLICATE_ENTRY = "duplicate_entry"
    LEAF_HASH_MISMATCH = "leaf_hash_mismatch"
    STORED_TREE_MISMATCH = "stored_tree_mismatch"
    MALFORMED_ENTRY = "malformed_entry"
    NOT_CANONICAL = "not_canonical"
    BAD_SIGNATURE = "bad_signature"
    CHECKPOINT_MALFORMED = "checkpoint_malformed"
    CHECKPOINT_BAD_SIGNATURE = "checkpoint_bad_signature"
    CHECKPOINT_ROW_MISMATCH = "checkpoint_row_mismatch"
    CHECKPOINT_ROOT_MISMATCH = "checkpoint_root_mismatch"
    NO_CHECKPOINT = "no_checkpoint"
    NOT_IN_CHECKPOINT = "not_in_checkpoint"
    INCONSISTENT_WITH_SAVED = "inconsistent_with_saved"


def rule_violation(reason: str) -> str:
    return f"rule_violation:{reason}"


@dataclass(frozen=True)
class Violation:
    """One thing wrong. `index`: the entry it concerns (for checkpoint kinds, the first
    entry the failing checkpoint covers that an earlier good one did not); `size`: the
    checkpoint's tree size, for checkpoint kinds."""

    kind: str
    index: int | None
    detail: str
    size: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "index": self.index, "size": self.size, "detail": self.detail}


@dataclass(frozen=True)
class Party:
    """A registered issuer or verifier: its did, name, index of registration, and for
    issuers how many keys it registered and how many it revoked."""

    did: str
    name: str
    index: int
    purposes: tuple[str, ...] = ()
    keys: int = 0
    revoked_keys: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "purposes": list(self.purposes)}


STATUSES = ("live", "revoked", "expired", "not_yet_valid", "exhausted")


@dataclass(frozen=True)
class ConsentState:
    """What the valid entries add up to at time `at`: grants by (verifier, purpose) and
    status, accesses by (verifier, purpose), the registered issuers and verifiers, and
    each petition with its valid signatures counted."""

    at: datetime
    grants: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    accesses: dict[tuple[str, str], int] = field(default_factory=dict)
    issuers: tuple[Party, ...] = ()
    verifiers: tuple[Party, ...] = ()
    petitions: tuple[PetitionTally, ...] = ()

    @property
    def grants_by_status(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in self.grants.values():
            total.update(counts)
        return {s: total.get(s, 0) for s in STATUSES}

    @property
    def accesses_by_verifier(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for (verifier, _), n in self.accesses.items():
            total[verifier] += n
        return dict(sorted(total.items()))

    @property
    def accesses_by_purpose(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for (_, purpose), n in self.accesses.items():
            total[purpose] += n
        return dict(sorted(total.items()))

    def to_json_dict(self) -> dict[str, Any]:
        by_status = self.grants_by_status
        return {
            "at": format_time(utc_seconds(self.at)),
            "grants": {
                "total": sum(by_status.values()),
                **by_status,
                "by_verifier_purpose": [
                    {"verifier": v, "purpose": p, **{s: c.get(s, 0) for s in STATUSES}}
                    for (v, p), c in sorted(self.grants.items())
                ],
            },
            "accesses": {
                "total": sum(self.accesses.values()),
                "by_verifier": self.accesses_by_verifier,
                "by_purpose": self.accesses_by_purpose,
                "by_verifier_purpose": [
                    {"verifier": v, "purpose": p, "count": n}
                    for (v, p), n in sorted(self.accesses.items())
                ],
            },
            "issuers": [p.to_json_dict() for p in self.issuers],
            "verifiers": [p.to_json_dict() for p in self.verifiers],
            "petitions": [p.to_json_dict() for p in self.petitions],
        }


@dataclass(frozen=True)
class AuditReport:
    """The outcome of `replay`. `clean` iff there is no violation."""

    source: str
    origin: str
    tree_size: int
    root_hash: bytes
    checkpoint: str | None
    """The largest checkpoint note that verified and matched the rebuilt tree."""
    checked: dict[str, int]
    state: ConsentState
    violations: tuple[Violation, ...]
    violation_counts: dict[str, int]
    elapsed: float

    @property
    def clean(self) -> bool:
        return not self.violation_counts

    @property
    def rate(self) -> float:
        """Entries audited per second."""
        return self.tree_size / self.elapsed if self.elapsed > 0 else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        shown = sum(1 for _ in self.violations)
        return {
            "clean": self.clean,
            "source": self.source,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "checkpoint": self.checkpoint,
            "checked": self.checked,
            "state": self.state.to_json_dict(),
            "violations": [v.to_json_dict() for v in self.violations],
            "violation_counts": dict(sorted(self.violation_counts.items())),
            "violations_truncated": shown < sum(self.violation_counts.values()),
            "elapsed_seconds": round(self.elapsed, 3),
            "entries_per_second": round(self.rate, 1),
        }
