"""The install's body-hash key: made once per database, random, kept, shared by its processes."""

from __future__ import annotations

import sqlalchemy as sa

from stripe_netsuite.store import db, install, tables


def test_migrate_makes_a_random_32_byte_key(database: sa.Engine) -> None:
    with database.connect() as conn:
        rows = conn.execute(sa.select(tables.install)).all()
    assert [row.purpose for row in rows] == [install.BODY_HASH]
    key = install.hash_key(database)
    assert len(key) == install.KEY_BYTES
    assert key == bytes(rows[0].secret)
    assert key != bytes(install.KEY_BYTES)


def test_the_key_is_the_same_for_every_process_on_the_database(database_url: str) -> None:
    first = db.make_database(database_url)
    db.migrate(first)
    second = db.make_database(database_url)
    try:
        assert install.hash_key(first) == install.hash_key(second) == install.hash_key(first)
    finally:
        first.dispose()
        second.dispose()


def test_two_databases_have_different_keys(tmp_path: object) -> None:
    keys = []
    for name in ("a", "b"):
        database = db.make_database(f"sqlite:///{tmp_path}/{name}.db")
        db.migrate(database)
        keys.append(install.hash_key(database))
        database.dispose()
    assert keys[0] != keys[1]


def test_a_deleted_key_is_made_again_once(database: sa.Engine) -> None:
    old = install.hash_key(database)
    with database.begin() as conn:
        conn.execute(sa.delete(tables.install))
    new = install.hash_key(database)
    assert len(new) == install.KEY_BYTES and new != old
    assert install.hash_key(database) == new
