"""Encryption of secrets at rest (users' OpenAI keys, signing keys) with AES-256-GCM."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A stored secret does not decrypt: another encryption key, or the wrong owner."""


class SecretBox:
    """Seals secrets bound to a context (the associated data), such as the owning user.

    The context is authenticated but not stored: a ciphertext copied onto another user's row
    fails to open there instead of handing that user someone else's key.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        # A random 96-bit nonce per secret; the number of secrets sealed under one key stays
        # far below the 2**32 after which random nonces risk repeating.
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, context)
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadable("the secret does not decrypt with the configured key") from exc

    def seal_text(self, plaintext: str, context: bytes) -> bytes:
        return self.seal(plaintext.encode("utf-8"), context)

    def open_text(self, sealed: bytes, context: bytes) -> str:
        return self.open(sealed, context).decode("utf-8")
