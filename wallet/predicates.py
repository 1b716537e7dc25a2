"""The wallet's side of predicates: a request's conditions as proof statements for one
credential, and whether the credential's own values meet them.

Requests, grants and the wallet's records speak of predicates in `policies`' model; the
proofs take `attestations.predicates` statements. Both share one JSON form, so a policy
predicate converts with `predicate_from_json(p.to_json_dict())`, then is checked against
the credential's schema (a range on an integer or date attribute, a set on a string one).

The values are checked here, before anything is signed or sent, for two reasons: a false
predicate cannot be proven anyway (`attestations.credentials.present` refuses it), and the
citizen should hear which condition their credential does not meet. The verifier hears
nothing at all: no answer is indistinguishable from a citizen who declined.
"""

from __future__ import annotations

import datetime

from attestations.predicates import Member
from policies import Predicate
from policies.predicates import proof_statements as statements
from wallet.records import StoredCredential

__all__ = ["holds", "statements"]


def holds(predicate: Predicate, stored: StoredCredential) -> bool:
    """Whether the credential's value satisfies `predicate`, which must fit its schema
    (`statements` says whether it does)."""
    (statement,) = statements([predicate], stored.schema)
    value = stored.attributes[statement.attribute]
    if isinstance(statement, Member):
        return isinstance(value, str) and statement.holds(value)
    return isinstance(value, int | datetime.date) and statement.holds(value)
