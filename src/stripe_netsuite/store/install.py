"""Secrets of this install, kept in its own database: the key of the keyed body hashes.

The links table keeps a hash of the last body posted for each object, so that an unchanged
object costs no NetSuite call. A plain SHA-256 of a body could be confirmed by hashing
candidate bodies (guessing an amount or a name); an HMAC under a key that only this install
holds cannot. The key is 32 random bytes, made once by ``migrate`` (or by the first process
that finds none) and read back by every process on the same database, so all of them hash
alike.

The key lives in the database (the ``install`` table), not in the vault: it is there for
every process without a master key, and a file or KMS key is not needed to sync. It keeps
the hashes unguessable wherever they travel without that table (a links export, a log
line, a support bundle); a copy of the whole database carries the key too. Losing or
replacing the key (deleting the row) costs one re-post of each object the next time it
syncs, never a duplicate: every NetSuite write is an upsert by externalId.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.tables import install

#: The ``install`` row that holds the body-hash key.
BODY_HASH = "body_hash"
#: Bytes of a new key (HMAC-SHA256's block size would allow 64; 32 is its output size).
KEY_BYTES = 32


def hash_key(database: sa.Engine | sa.Connection) -> bytes:
    """This install's body-hash key; made, once and at random, when the database has none.

    Two processes that find no key at the same moment both insert with
    on-conflict-do-nothing and then read the one row that won, so they agree.
    """
    found = _read(database)
    if found is not None:
        return found
    insert = db.insert_for(database, install).values(
        purpose=BODY_HASH, secret=secrets.token_bytes(KEY_BYTES), created_at=db.utcnow()
    )
    with db.connection(database) as conn:
        conn.execute(insert.on_conflict_do_nothing(index_elements=["purpose"]))
    made = _read(database)
    if made is None:  # pragma: no cover - the row was deleted between two statements
        raise RuntimeError("the install's body-hash key could not be stored")
    return made


def _read(database: sa.Engine | sa.Connection) -> bytes | None:
    stmt = sa.select(install.c.secret).where(install.c.purpose == BODY_HASH)
    with db.connection(database) as conn:
        value = conn.execute(stmt).scalar_one_or_none()
    return None if value is None else bytes(value)
