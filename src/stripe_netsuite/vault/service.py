"""The vault: per-account secrets under envelope encryption, kept in the engine's database.

Each account has one random data key; its entries are sealed with it (AES-256-GCM) and
the data key is stored only wrapped by the master key (`keys.LocalKeyFile` or
`kms.KmsKeys`). Rotation re-wraps the data keys under a new master key version one
account at a time; a reader never needs to stop, because a data key wrapped by an older
version still unwraps until it is re-wrapped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.store import db
from stripe_netsuite.vault import envelope, repository
from stripe_netsuite.vault.keys import KeyProvider, LocalKeyFile
from stripe_netsuite.vault.kms import KmsKeys
from stripe_netsuite.vault.repository import DataKey, Entry, EntryInfo

log = logging.getLogger(__name__)

#: Account and entry names: what a config file key and a URL path segment can hold.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
#: Times a rotation retries an account whose data key changed under it.
SWAP_ATTEMPTS = 3


@dataclass(frozen=True)
class RotationStep:
    """One step of a rotation, reported while it runs."""

    #: ``master key version added``, ``data key re-wrapped``, ``data key replaced``,
    #: ``old master key versions removed``.
    action: str
    account: str | None = None


def _entry_context(account: str, name: str, version: int) -> str:
    return f"stripe-netsuite entry {name!r} of {account!r} under data key v{version}"


class Vault:
    """Reads, writes and rotates the encrypted secrets of every account.

    *keys* wraps new data keys; *readers* are further providers that only unwrap (the
    local key file while moving to KMS, until a rotation has re-wrapped everything).
    """

    def __init__(
        self,
        *,
        database: sa.Engine,
        keys: KeyProvider,
        readers: Sequence[KeyProvider] = (),
        clock: Callable[[], datetime] = db.utcnow,
    ) -> None:
        self.database = database
        self.keys = keys
        self.readers = tuple(readers)
        self._clock = clock

    @classmethod
    def configure(
        cls,
        database: sa.Engine,
        *,
        master_key_file: Path,
        kms_key_id: str | None = None,
        kms_region: str | None = None,
        account_kms_key_ids: Mapping[str, str] | None = None,
    ) -> Vault:
        """KMS when a KMS key is configured (the key file still unwraps), else the key file."""
        local = LocalKeyFile(master_key_file)
        if kms_key_id or account_kms_key_ids:
            kms = KmsKeys(
                default_key_id=kms_key_id, account_key_ids=account_kms_key_ids, region=kms_region
            )
            return cls(database=database, keys=kms, readers=[local])
        return cls(database=database, keys=local)

    def __repr__(self) -> str:
        return f"Vault(keys={self.keys!r})"

    # -- entries ------------------------------------------------------------------

    def read(self, account: str, name: str) -> str | None:
        """The entry's value, or None when the account has no entry *name*."""
        try:
            return self._read_once(account, name)
        except ConfigError:
            # A rotation may have re-wrapped the data key and retired the master key
            # version this read saw; the row as it is now unwraps.
            return self._read_once(account, name)

    def _read_once(self, account: str, name: str) -> str | None:
        found = repository.entry(self.database, account, name)
        if found is None:
            return None
        key, item = found
        return self._open(self._unwrap(key), key, item).decode("utf-8")

    def set(self, account: str, name: str, value: str) -> None:
        """Store *value* as the account's entry *name*, replacing any earlier one."""
        for what, text in (("account", account), ("entry", name)):
            if not NAME.match(text):
                raise ConfigError(f"{what} name {text!r} must be letters, digits, '_', '.' or '-'")
        now = self._clock()
        with db.write_transaction(self.database) as conn:
            key = repository.data_key(conn, account, for_update=True)
            if key is None:
                self._refuse_a_second_key_file(conn)
                wrapped = self.keys.wrap(envelope.new_key(), account=account)
                repository.add_data_key(conn, account, wrapped, now=now)
                key = repository.data_key(conn, account, for_update=True)
                assert key is not None
            data_key = self._unwrap(key)
            sealed = envelope.seal(
                data_key, value.encode("utf-8"), context=_entry_context(account, name, key.version)
            )
            repository.put_entry(conn, account, name, key.version, sealed, now=now)
        log.info("vault entry stored account=%s name=%s key_version=%s", account, name, key.version)

    def delete(self, account: str, name: str) -> bool:
        """Remove the entry; False when there was none."""
        removed = repository.delete_entry(self.database, account, name)
        if removed:
            log.info("vault entry deleted account=%s name=%s", account, name)
        return removed

    def show(self, account: str | None = None) -> list[EntryInfo]:
        """Names, key versions and update times; values are never read."""
        return repository.listing(self.database, account)

    # -- rotation -----------------------------------------------------------------

    def rotate(
        self, *, data_keys: bool = False, progress: Callable[[RotationStep], None] | None = None
    ) -> list[str]:
        """Re-wrap every data key under a new master key version; the accounts done.

        With *data_keys*, each account also gets a new data key and its entries are
        sealed again. Readers keep working throughout.
        """
        report = progress or (lambda step: None)
        if not repository.data_keys(self.database):
            return []
        self.keys.begin_rotation()
        report(RotationStep("master key version added"))
        done = []
        for key in repository.data_keys(self.database):
            if data_keys:
                self._replace_data_key(key.account)
                report(RotationStep("data key replaced", key.account))
            else:
                self._rewrap(key)
                report(RotationStep("data key re-wrapped", key.account))
            done.append(key.account)
        self.keys.finish_rotation([k.wrapped for k in repository.data_keys(self.database)])
        report(RotationStep("old master key versions removed"))
        log.info("vault rotated accounts=%s data_keys=%s", len(done), data_keys)
        return done

    def _rewrap(self, key: DataKey) -> None:
        current: DataKey | None = key
        for _ in range(SWAP_ATTEMPTS):
            if current is None:
                return
            if current.wrapped.provider == self.keys.name:
                new = self.keys.rewrap(current.wrapped, account=current.account)
            else:
                new = self.keys.wrap(self._unwrap(current), account=current.account)
            if repository.swap_wrapped(self.database, current, new, now=self._clock()):
                return
            # Changed under us (its data key was replaced): re-wrap the row as it is now.
            current = repository.data_key(self.database, current.account)
        raise ConfigError(
            f"the data key of {key.account!r} kept changing during the rotation; rotate again"
        )

    def _replace_data_key(self, account: str) -> None:
        with db.write_transaction(self.database) as conn:
            # Locked: an entry stored meanwhile would be sealed with the old data key.
            key = repository.data_key(conn, account, for_update=True)
            if key is None:
                return
            old = self._unwrap(key)
            new = envelope.new_key()
            version = key.version + 1
            resealed = [
                (
                    item.name,
                    envelope.seal(
                        new,
                        self._open(old, key, item),
                        context=_entry_context(account, item.name, version),
                    ),
                )
                for item in repository.entries(conn, account)
            ]
            wrapped = self.keys.wrap(new, account=account)
            if not repository.replace_data_key(conn, key, wrapped, resealed, now=self._clock()):
                raise ConfigError(f"the data key of {account!r} changed during the rotation")

    # -- keys ---------------------------------------------------------------------

    def _refuse_a_second_key_file(self, conn: sa.Connection) -> None:
        # The first entry creates the key file. When data keys are already wrapped by a
        # key file, a missing one is a wrong SNS_MASTER_KEY_FILE, not a first run.
        if not isinstance(self.keys, LocalKeyFile) or self.keys.exists():
            return
        wrapped = sorted(
            k.account for k in repository.data_keys(conn) if k.wrapped.provider == "local"
        )
        if wrapped:
            raise ConfigError(
                f"master key file {self.keys.path} does not exist, and the data keys of "
                f"{', '.join(wrapped)} are wrapped by a key file: set SNS_MASTER_KEY_FILE to it"
            )

    def _unwrap(self, key: DataKey) -> bytes:
        for provider in (self.keys, *self.readers):
            if provider.name == key.wrapped.provider:
                return provider.unwrap(key.wrapped, account=key.account)
        hint = "SNS_MASTER_KEY_FILE" if key.wrapped.provider == "local" else "SNS_KMS_KEY_ID"
        raise ConfigError(
            f"the data key of {key.account!r} is wrapped by the {key.wrapped.provider} master "
            f"key, which is not configured ({hint})"
        )

    @staticmethod
    def _open(data_key: bytes, key: DataKey, item: Entry) -> bytes:
        if item.key_version != key.version:
            raise ConfigError(
                f"entry {item.name!r} of {item.account!r} is sealed with data key "
                f"v{item.key_version}, and the account's data key is v{key.version}"
            )
        context = _entry_context(item.account, item.name, item.key_version)
        return envelope.open_sealed(data_key, item.sealed, context=context)
