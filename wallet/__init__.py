"""The citizen's wallet: encrypted vault, keys, credentials, consents and presentations."""
