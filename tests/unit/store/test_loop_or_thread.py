"""Where short store calls run from async code: on SQLite on the event loop when nothing
else of the process is writing, otherwise (and always on PostgreSQL) in a thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import sqlalchemy as sa

from stripe_netsuite.store import db, links


def _put(database: sa.Engine, internal_id: str) -> int:
    links.put(
        database, account="acct", stripe_id="ch_1", role="payment",
        record_type="customerPayment", internal_id=internal_id, external_id="acct:ch_1",
        body_hash="h",
    )  # fmt: skip
    return threading.get_ident()


async def test_a_write_runs_on_the_loop_only_on_sqlite_with_the_writers_lock_free(
    database: sa.Engine,
) -> None:
    loop_thread = threading.get_ident()
    ran_on = await db.run_write(database, _put, "7")
    if database.dialect.name == "sqlite":
        assert ran_on == loop_thread
    else:
        assert ran_on != loop_thread
    found = await links.read(database, account="acct", stripe_id="ch_1", role="payment")
    assert found is not None and found.internal_id == "7"


async def test_a_write_goes_to_a_thread_while_another_thread_writes(database: sa.Engine) -> None:
    writers = db.sqlite_writers(database)
    if writers is None:
        assert database.dialect.name == "postgresql"
        return
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writers:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    loop_thread = threading.get_ident()
    task = asyncio.ensure_future(db.run_write(database, _put, "8"))
    await asyncio.sleep(0.05)  # it found the lock taken and went to a thread, which waits
    assert not task.done()
    release.set()
    ran_on = await task
    holder.join(10)
    assert ran_on != loop_thread
    found = links.get(database, account="acct", stripe_id="ch_1", role="payment")
    assert found is not None and found.internal_id == "8"


async def test_a_file_locked_by_another_process_sends_the_write_to_a_thread(
    database: sa.Engine,
) -> None:
    if database.dialect.name != "sqlite":
        return
    path = database.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another process's write, as far as SQLite can tell
    loop_thread = threading.get_ident()
    task = asyncio.ensure_future(db.run_write(database, _put, "9"))
    # The loop is not held: it goes on ticking while the write waits in its thread.
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(0.02)
        ticks += 1
    assert ticks == 10 and not task.done()
    other.rollback()
    other.close()
    assert await task != loop_thread
    found = links.get(database, account="acct", stripe_id="ch_1", role="payment")
    assert found is not None and found.internal_id == "9"
