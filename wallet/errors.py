"""The exception family of `wallet`.

Caller mistakes (an empty passphrase, a grant under someone else's pseudonym) stay
`ValueError`/`TypeError`. What the vault file, a backup or another process does to us is a
`WalletError`, so a front end maps the whole package with one handler. Failures that depend
on a secret are opaque on purpose: a wrong passphrase and a tampered wrapped key (or a
tampered backup) look alike and say only `WrongPassphrase`'s one line.
"""

from __future__ import annotations

from policies import Predicate

__all__ = [
    "CheckpointConflict",
    "DeclinedByCitizen",
    "IssuanceRejected",
    "IssuerNotRegistered",
    "IssuerRefused",
    "NoSuitableCredential",
    "NotFound",
    "OfferExpired",
    "PredicateNotSatisfied",
    "RequestExpired",
    "ServiceRefused",
    "ServiceUnreachable",
    "SessionError",
    "SessionExpired",
    "SignatureInvalid",
    "UnsupportedFormat",
    "UnsupportedRequest",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "VaultReplaced",
    "VerifierNotRegistered",
    "VerifierRefused",
    "WalletError",
    "WrongPassphrase",
]


class WalletError(Exception):
    """Base class of every error raised by `wallet`."""


class WrongPassphrase(WalletError):
    """The passphrase does not open the key (or the key or backup was tampered with)."""

    def __init__(self, what: str = "key") -> None:
        super().__init__(f"wrong passphrase or corrupted {what}")


class VaultCorrupted(WalletError):
    """The vault or backup file is damaged; the message names where (header field, table
    and record id, truncated file, bad tag). Nothing was written over it."""


class UnsupportedFormat(WalletError):
    """The vault or backup was written by a newer (or unknown) format version."""


class VaultLocked(WalletError):
    """Another process held the wallet's write lock for longer than we agreed to wait."""


class VaultExists(WalletError):
    """Creating or importing would overwrite an existing vault and that was not asked for."""


class VaultReplaced(WalletError):
    """The vault file was replaced (by an import) after this `Wallet` was unlocked."""


class NotFound(WalletError):
    """A record (credential, consent, checkpoint) that the caller named is not there."""


class VaultNotFound(NotFound):
    """There is no vault at the given path."""


class IssuanceRejected(WalletError):
    """An issuance answer does not verify over our holder secret; nothing was stored."""


class CheckpointConflict(WalletError):
    """A ledger showed two different trees of the same size: keep both notes as evidence."""


# -- the ledger and the sessions (wallet.ledger, wallet.sessions) ---------------------------


class VerifierNotRegistered(WalletError):
    """The ledger holds no `verifier.register` for the verifier: nothing is signed for it."""


class SessionError(WalletError):
    """An issuance or verification session could not go on; the subclasses say why. A
    plain `SessionError` is a service whose answer is not what the protocol says."""


class SessionExpired(SessionError):
    """An offer or request is past its `expires_at` by the wallet's clock."""


class OfferExpired(SessionExpired):
    """The issuance offer has expired (by the wallet's clock, or the issuer said so)."""


class RequestExpired(SessionExpired):
    """The presentation request has expired (by the wallet's clock, or the verifier's)."""


class SignatureInvalid(SessionError):
    """An offer or request does not carry its issuer's or verifier's signature."""


class IssuerNotRegistered(SessionError):
    """The ledger holds no live registration by the issuer of that BBS key listing the
    schema (or the issuer revoked the key): its credentials prove nothing."""


class NoSuitableCredential(SessionError):
    """The wallet holds no live credential of the requested schema from an issuer that the
    request trusts and the ledger shows registered."""


class PredicateNotSatisfied(NoSuitableCredential):
    """The credential that would answer (live, of the schema, from a trusted issuer) fails
    a predicate of the request: `predicates` names those it fails (never the values), and
    `credential` is its id. Nothing was signed or sent: the verifier learns nothing, not
    even that a condition failed."""

    def __init__(self, message: str, *, credential: str, predicates: tuple[Predicate, ...]) -> None:
        super().__init__(message)
        self.credential = credential
        self.predicates = predicates


class UnsupportedRequest(SessionError):
    """The request asks for something this wallet cannot answer as asked: an attribute
    the schema lacks, a predicate that does not fit its attribute's type or is on an
    attribute also to be disclosed, or no `response_uri`."""


class DeclinedByCitizen(SessionError):
    """The citizen did not approve the grant the request needs: nothing was signed."""


class ServiceUnreachable(SessionError):
    """The issuer's or verifier's service could not be reached, timed out or failed (5xx
    without a problem document)."""


class ServiceRefused(SessionError):
    """The service refused with a problem document: its `reason` (a stable code), `detail`
    and HTTP `status`."""

    def __init__(self, message: str, *, status: int, reason: str, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.detail = detail


class IssuerRefused(ServiceRefused):
    """The issuer refused the offer or the commitment (`unknown-offer`, `offer-used`, …)."""


class VerifierRefused(ServiceRefused):
    """The verifier refused the presentation: which `check` failed and why."""

    def __init__(self, message: str, *, status: int, check: str, reason: str, detail: str) -> None:
        super().__init__(message, status=status, reason=reason, detail=detail)
        self.check = check
