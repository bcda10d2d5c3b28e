"""All SQL of the vault: the ``vault_keys`` and ``vault_secrets`` tables.

Rows hold ciphertext, wrapped keys, key ids and versions, names and times; plaintext
never reaches this module's statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.tables import vault_keys, vault_secrets
from stripe_netsuite.vault.envelope import Sealed
from stripe_netsuite.vault.keys import WrappedKey


@dataclass(frozen=True)
class DataKey:
    """One account's data key, as stored: wrapped, with its version."""

    account: str
    version: int
    wrapped: WrappedKey
    updated_at: datetime


@dataclass(frozen=True)
class Entry:
    """One sealed entry and the data key version it is sealed with."""

    account: str
    name: str
    key_version: int
    sealed: Sealed
    updated_at: datetime


@dataclass(frozen=True)
class EntryInfo:
    """What ``secrets show`` prints of an entry: never its value."""

    account: str
    name: str
    key_version: int
    provider: str
    master_key_id: str
    master_key_version: int | None
    updated_at: datetime


def _data_key(m: sa.RowMapping) -> DataKey:
    wrapped = WrappedKey(
        str(m["provider"]),
        str(m["master_key_id"]),
        None if m["master_key_version"] is None else int(m["master_key_version"]),
        bytes(m["wrapped_key"]),
    )
    return DataKey(str(m["account"]), int(m["version"]), wrapped, m["key_updated_at"])


_KEY_COLUMNS = (
    vault_keys.c.account,
    vault_keys.c.version,
    vault_keys.c.wrapped_key,
    vault_keys.c.provider,
    vault_keys.c.master_key_id,
    vault_keys.c.master_key_version,
    vault_keys.c.updated_at.label("key_updated_at"),
)


def data_key(
    conn: sa.Connection | sa.Engine, account: str, *, for_update: bool = False
) -> DataKey | None:
    """The account's data key row, or None before its first entry.

    *for_update* locks the row on PostgreSQL until the transaction ends (SQLite's
    write transaction already holds the database's one write lock).
    """
    stmt = sa.select(*_KEY_COLUMNS).where(vault_keys.c.account == account)
    with db.connection(conn) as c:
        if for_update and db.is_postgres(c):
            stmt = stmt.with_for_update()
        row = c.execute(stmt).first()
    return None if row is None else _data_key(row._mapping)


def data_keys(conn: sa.Connection | sa.Engine) -> list[DataKey]:
    """Every account's data key row."""
    with db.connection(conn) as c:
        rows = c.execute(sa.select(*_KEY_COLUMNS).order_by(vault_keys.c.account)).all()
    return [_data_key(row._mapping) for row in rows]


def add_data_key(conn: sa.Connection, account: str, wrapped: WrappedKey, *, now: datetime) -> None:
    """Store the account's first data key; a row someone else stored first wins."""
    values = _wrapped_values(wrapped) | {
        "account": account,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(db.insert_for(conn, vault_keys).values(**values).on_conflict_do_nothing())


def swap_wrapped(
    conn: sa.Connection | sa.Engine, old: DataKey, new: WrappedKey, *, now: datetime
) -> bool:
    """Replace the wrapping of *old* by *new*, unless the row changed meanwhile."""
    with db.connection(conn) as c:
        result = c.execute(
            sa.update(vault_keys)
            .where(
                vault_keys.c.account == old.account,
                vault_keys.c.version == old.version,
                vault_keys.c.wrapped_key == old.wrapped.blob,
            )
            .values(**_wrapped_values(new), updated_at=now)
        )
    return result.rowcount == 1


def replace_data_key(
    conn: sa.Connection,
    old: DataKey,
    new: WrappedKey,
    entries: list[tuple[str, Sealed]],
    *,
    now: datetime,
) -> bool:
    """Install the next data key version with every entry resealed, in the caller's transaction.

    False (nothing written) when the row is no longer *old*.
    """
    result = conn.execute(
        sa.update(vault_keys)
        .where(vault_keys.c.account == old.account, vault_keys.c.version == old.version)
        .values(**_wrapped_values(new), version=old.version + 1, updated_at=now)
    )
    if result.rowcount != 1:
        return False
    for name, sealed in entries:
        conn.execute(
            sa.update(vault_secrets)
            .where(vault_secrets.c.account == old.account, vault_secrets.c.name == name)
            .values(
                key_version=old.version + 1,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                updated_at=now,
            )
        )
    return True


def put_entry(
    conn: sa.Connection, account: str, name: str, key_version: int, sealed: Sealed, *, now: datetime
) -> None:
    """Insert or replace one sealed entry."""
    insert = db.insert_for(conn, vault_secrets).values(
        account=account,
        name=name,
        key_version=key_version,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        created_at=now,
        updated_at=now,
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[vault_secrets.c.account, vault_secrets.c.name],
            set_={
                "key_version": insert.excluded.key_version,
                "nonce": insert.excluded.nonce,
                "ciphertext": insert.excluded.ciphertext,
                "updated_at": insert.excluded.updated_at,
            },
        )
    )


def entry(conn: sa.Connection | sa.Engine, account: str, name: str) -> tuple[DataKey, Entry] | None:
    """One entry with its account's data key, read by one statement (one snapshot)."""
    stmt = (
        sa.select(
            *_KEY_COLUMNS,
            vault_secrets.c.name,
            vault_secrets.c.key_version,
            vault_secrets.c.nonce,
            vault_secrets.c.ciphertext,
            vault_secrets.c.updated_at,
        )
        .join_from(vault_secrets, vault_keys, vault_secrets.c.account == vault_keys.c.account)
        .where(vault_secrets.c.account == account, vault_secrets.c.name == name)
    )
    with db.connection(conn) as c:
        row = c.execute(stmt).first()
    if row is None:
        return None
    m = row._mapping
    sealed = Sealed(bytes(m["nonce"]), bytes(m["ciphertext"]))
    return _data_key(m), Entry(account, name, int(m["key_version"]), sealed, m["updated_at"])


def entries(conn: sa.Connection | sa.Engine, account: str) -> list[Entry]:
    """Every sealed entry of one account."""
    with db.connection(conn) as c:
        rows = c.execute(sa.select(vault_secrets).where(vault_secrets.c.account == account)).all()
    return [
        Entry(
            r.account, r.name, int(r.key_version), Sealed(bytes(r.nonce), bytes(r.ciphertext)),
            r.updated_at,
        )
        for r in rows
    ]  # fmt: skip


def listing(conn: sa.Connection | sa.Engine, account: str | None = None) -> list[EntryInfo]:
    """Names, key versions and times of the entries (of one account), never values."""
    stmt = (
        sa.select(
            vault_secrets.c.account,
            vault_secrets.c.name,
            vault_secrets.c.key_version,
            vault_keys.c.provider,
            vault_keys.c.master_key_id,
            vault_keys.c.master_key_version,
            vault_secrets.c.updated_at,
        )
        .join_from(vault_secrets, vault_keys, vault_secrets.c.account == vault_keys.c.account)
        .order_by(vault_secrets.c.account, vault_secrets.c.name)
    )
    if account is not None:
        stmt = stmt.where(vault_secrets.c.account == account)
    with db.connection(conn) as c:
        rows = c.execute(stmt).all()
    return [EntryInfo(*row) for row in rows]


def delete_entry(conn: sa.Connection | sa.Engine, account: str, name: str) -> bool:
    """Remove one entry; False when there was none."""
    with db.connection(conn) as c:
        result = c.execute(
            sa.delete(vault_secrets).where(
                vault_secrets.c.account == account, vault_secrets.c.name == name
            )
        )
    return result.rowcount == 1


def _wrapped_values(wrapped: WrappedKey) -> dict[str, object]:
    return {
        "wrapped_key": wrapped.blob,
        "provider": wrapped.provider,
        "master_key_id": wrapped.master_key_id,
        "master_key_version": wrapped.master_key_version,
    }
