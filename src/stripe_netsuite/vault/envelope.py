"""The cryptography of the vault: AES-256-GCM with a fresh nonce per seal.

Every seal binds *context* (associated data: which account, which entry, which key
version) to the ciphertext, so a row copied onto another account or entry, or an altered
byte anywhere, fails authentication instead of decrypting to something else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stripe_netsuite.exceptions import ConfigError

#: Bytes of an AES-256 key.
KEY_BYTES = 32
#: Bytes of a GCM nonce (NIST SP 800-38D's recommended 96 bits).
NONCE_BYTES = 12


@dataclass(frozen=True, repr=False)
class Sealed:
    """A nonce and the ciphertext (with its GCM tag) it was sealed with."""

    nonce: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Sealed({len(self.ciphertext)} bytes)"


def new_key() -> bytes:
    """A random AES-256 key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, *, context: str) -> Sealed:
    """*plaintext* encrypted and authenticated under *key*, bound to *context*."""
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(nonce, AESGCM(key).encrypt(nonce, plaintext, context.encode()))


def open_sealed(key: bytes, sealed: Sealed, *, context: str) -> bytes:
    """The plaintext of *sealed*; `ConfigError` when it was altered or sealed otherwise."""
    try:
        return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, context.encode())
    except (InvalidTag, ValueError) as exc:
        raise ConfigError(
            f"{context}: the ciphertext does not authenticate (altered, moved from another "
            "row, or sealed with another key)"
        ) from exc


def to_blob(sealed: Sealed) -> bytes:
    """Nonce and ciphertext in one byte string (a wrapped data key)."""
    return sealed.nonce + sealed.ciphertext


def from_blob(blob: bytes) -> Sealed:
    """The inverse of `to_blob`."""
    return Sealed(blob[:NONCE_BYTES], blob[NONCE_BYTES:])
