"""The consent ledger: an append-only RFC 9162 Merkle log with signed C2SP checkpoints."""
