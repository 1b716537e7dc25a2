"""The citizen's wallet: encrypted vault, keys, credentials, consents and presentations.

A vault is a directory (default `$CARTERA_HOME/wallet`) with one SQLite file whose records
are each sealed with XChaCha20-Poly1305 under a data key that an Argon2id key of the
passphrase wraps (see docs/wallet.md for the format).

    >>> import datetime, tempfile
    >>> from pathlib import Path
    >>> from attestations.credentials import IssuerKey, issue
    >>> from attestations.schemas import Schema
    >>> from wallet import KdfParams, create, unlock
    >>> home = Path(tempfile.mkdtemp()) / "wallet"
    >>> wallet = create(home, "correct horse", kdf=KdfParams.INTERACTIVE)
    >>> issuer, schema = IssuerKey.generate(), Schema.create("resident", [("district", "string")])
    >>> request, state = wallet.credentials.begin(issuer.public_key(), schema)
    >>> values = {"expiry": datetime.date(2099, 1, 1), "district": "Gràcia"}
    >>> stored = wallet.credentials.receive(state, issue(issuer, schema, values, request))
    >>> wallet.close()
    >>> with unlock(home, "correct horse") as again:
    ...     [dict(c.attributes) for c in again.credentials.all()]
    [{'expiry': datetime.date(2099, 1, 1), 'district': 'Gràcia'}]

Errors: every failure the vault file, a backup or another process causes is a
`WalletError`; a wrong passphrase (or a tampered key) is `WrongPassphrase` and says nothing
more; a damaged vault is `VaultCorrupted` naming the table and record or the header field.
"""

from wallet.crypto import KdfParams
from wallet.errors import (
    CheckpointConflict,
    DeclinedByCitizen,
    IssuanceRejected,
    IssuerNotRegistered,
    IssuerRefused,
    NoSuitableCredential,
    NotFound,
    OfferExpired,
    PredicateNotSatisfied,
    RequestExpired,
    ServiceRefused,
    ServiceUnreachable,
    SessionError,
    SessionExpired,
    SignatureInvalid,
    UnsupportedFormat,
    UnsupportedRequest,
    VaultCorrupted,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    VaultReplaced,
    VerifierNotRegistered,
    VerifierRefused,
    WalletError,
    WrongPassphrase,
)
from wallet.ledger import WalletLedger
from wallet.ledger_views import Access, ConsentState, consent_states
from wallet.petitions import (
    AlreadySigned,
    NotEligible,
    PetitionClosed,
    PetitionError,
    PetitionPlan,
    SignedPetition,
    prepare_signature,
    sign_petition,
)
from wallet.receipt import InvalidReceipt, LedgerReceipt
from wallet.records import (
    ConsentStatus,
    PresentationRecord,
    StoredCheckpoint,
    StoredConsent,
    StoredCredential,
    credential_id,
)
from wallet.vault import default_path
from wallet.wallet import Wallet, WalletInfo, create, import_backup, unlock

__all__ = [
    "Access",
    "AlreadySigned",
    "CheckpointConflict",
    "ConsentState",
    "ConsentStatus",
    "DeclinedByCitizen",
    "InvalidReceipt",
    "IssuanceRejected",
    "IssuerNotRegistered",
    "IssuerRefused",
    "KdfParams",
    "LedgerReceipt",
    "NoSuitableCredential",
    "NotEligible",
    "NotFound",
    "OfferExpired",
    "PetitionClosed",
    "PetitionError",
    "PetitionPlan",
    "PredicateNotSatisfied",
    "PresentationRecord",
    "RequestExpired",
    "ServiceRefused",
    "ServiceUnreachable",
    "SessionError",
    "SessionExpired",
    "SignatureInvalid",
    "SignedPetition",
    "StoredCheckpoint",
    "StoredConsent",
    "StoredCredential",
    "UnsupportedFormat",
    "UnsupportedRequest",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "VaultReplaced",
    "VerifierNotRegistered",
    "VerifierRefused",
    "Wallet",
    "WalletError",
    "WalletInfo",
    "WalletLedger",
    "WrongPassphrase",
    "consent_states",
    "create",
    "credential_id",
    "default_path",
    "import_backup",
    "prepare_signature",
    "sign_petition",
    "unlock",
]
