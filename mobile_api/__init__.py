"""HTTP face of issuers and verifiers: issuance and verification sessions (FastAPI)."""
