"""Credential cryptography for Cartera: BLS12-381, RFC 9380 hash-to-curve, BBS signatures
(draft-irtf-cfrg-bbs-signatures), blind issuance, per-verifier pseudonyms and consent
signatures. Pure functions, no I/O.
"""
