"""Consent documents: model, canonical encoding, signing and evaluation of a request. No I/O."""
