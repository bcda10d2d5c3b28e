"""The encrypted store of per-account secrets (``vault:NAME`` in the config file).

``envelope`` holds the cryptography, ``keys`` and ``kms`` the master key providers,
``repository`` the SQL and ``service`` the `Vault` that ties them together.
"""

from __future__ import annotations

from stripe_netsuite.vault import envelope, keys, kms, repository, service
from stripe_netsuite.vault.keys import KeyProvider, LocalKeyFile, WrappedKey
from stripe_netsuite.vault.kms import KmsKeys
from stripe_netsuite.vault.repository import EntryInfo
from stripe_netsuite.vault.service import RotationStep, Vault

__all__ = [
    "EntryInfo",
    "KeyProvider",
    "KmsKeys",
    "LocalKeyFile",
    "RotationStep",
    "Vault",
    "WrappedKey",
    "envelope",
    "keys",
    "kms",
    "repository",
    "service",
]
