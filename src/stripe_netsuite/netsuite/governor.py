"""One concurrency budget per NetSuite account.

NetSuite counts requests in flight per account, across every integration and
process; one request over the limit is answered 429. `LocalGovernor` keeps the
budget inside one process; `PostgresGovernor` shares it between every worker that
uses the same PostgreSQL database. Both shrink their pace after a 429 and grow it
back one step per window of successful requests (additive increase,
multiplicative decrease).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import zlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from stripe_netsuite.netsuite import errors

log = logging.getLogger(__name__)


class Governor(Protocol):
    """Admits a request to NetSuite when the account has room for it."""

    @property
    def in_flight(self) -> int:
        """Requests holding a slot in this process right now."""
        ...

    @property
    def max_in_flight(self) -> int:
        """The most requests this process ever held at once."""
        ...

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Wait for a free slot, hold it for the body of the ``async with``."""
        ...

    def penalize(self) -> None:
        """NetSuite answered 429: slow down for a while."""
        ...


class LocalGovernor:
    """An in-process, adaptive semaphore of *limit* slots."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"governor limit must be at least 1, got {limit}")
        self.limit = limit
        #: The pace in force: at most ``int(allowed)`` requests at once.
        self.allowed = float(limit)
        self._in_flight = 0
        self._max_in_flight = 0
        self._changed: asyncio.Condition | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    def penalize(self) -> None:
        """Halve the pace (never below one request at a time)."""
        self.allowed = max(1.0, self.allowed / 2)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``int(allowed)`` slots."""
        await self.acquire()
        ok = False
        try:
            yield
            ok = True
        finally:
            await self.release(succeeded=ok)

    async def acquire(self) -> None:
        """Wait until fewer than ``int(allowed)`` requests are in flight, then take a slot."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._in_flight < int(self.allowed))
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    async def release(self, *, succeeded: bool = True) -> None:
        """Give the slot back; a success earns back a fraction of a step of pace."""
        changed = self._condition()
        async with changed:
            self._in_flight -= 1
            if succeeded and self.allowed < self.limit:
                # One full window of successes at the current pace adds one slot.
                self.allowed = min(float(self.limit), self.allowed + 1 / self.allowed)
            changed.notify_all()

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed


def lock_key(account_id: str) -> int:
    """A stable signed 32-bit advisory-lock key for one NetSuite account."""
    value = zlib.crc32(f"stripe_netsuite.governor:{account_id.upper()}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def libpq_url(database_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy form) → ``postgresql://…`` for psycopg."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {database_url!r}")
    return f"postgresql://{rest}"


class PostgresGovernor:
    """A budget of *limit* slots per NetSuite account, shared through PostgreSQL.

    Slot *n* of an account is the session advisory lock ``(lock_key(account), n)``.
    A process holds its slots on one connection of its own, so the locks of a
    process that dies vanish with its connection. A waiter is woken at once by a
    release in its own process and polls, with jitter, for releases in others.
    In-process the pace is also held by a `LocalGovernor`, which a 429 shrinks.
    """

    #: Bounds of the random pause between two polls for a free slot (seconds).
    poll_interval = (0.002, 0.008)

    def __init__(self, *, database_url: str, account_id: str, limit: int) -> None:
        self.url = libpq_url(database_url)
        self.account_id = account_id
        self.limit = limit
        self.key = lock_key(account_id)
        self._local = LocalGovernor(limit)
        self._conn: Any = None
        self._connecting: asyncio.Lock | None = None
        self._free: set[int] = set(range(limit))
        self._released: asyncio.Event | None = None

    @property
    def in_flight(self) -> int:
        return self._local.in_flight

    @property
    def max_in_flight(self) -> int:
        return self._local.max_in_flight

    @property
    def allowed(self) -> float:
        """The pace this process keeps to (see `LocalGovernor.allowed`)."""
        return self._local.allowed

    def penalize(self) -> None:
        """Halve this process's pace."""
        self._local.penalize()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a local slot and one of the account's advisory locks."""
        async with self._local.slot():
            number = await self._acquire()
            try:
                yield
            finally:
                await self._release(number)

    async def aclose(self) -> None:
        """Close the connection (which frees any lock still held)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def __aenter__(self) -> PostgresGovernor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _connection(self) -> Any:
        import psycopg

        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._conn is None or self._conn.closed:
                # Slots still marked held here stay so until their holders release them,
                # even after a reconnect: advisory locks are re-entrant within a session,
                # so handing one out twice would go unnoticed by the server.
                self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            return self._conn

    async def _try(self, number: int) -> bool:
        conn = await self._connection()
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (self.key, number))
        row = await cur.fetchone()
        return bool(row and row[0])

    async def _acquire(self) -> int:
        if self._released is None:
            self._released = asyncio.Event()
        while True:
            # Slots this process does not hold, in random order so processes spread out.
            for number in random.sample(sorted(self._free), len(self._free)):
                if number not in self._free:
                    continue
                self._free.discard(number)
                try:
                    taken = await self._try(number)
                except Exception as exc:
                    self._free.add(number)
                    await self.aclose()
                    raise errors.retriable(
                        "the concurrency governor cannot reach PostgreSQL", detail=str(exc)
                    ) from exc
                if taken:
                    return number
                self._free.add(number)
            self._released.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._released.wait(), timeout=random.uniform(*self.poll_interval)
                )

    async def _release(self, number: int) -> None:
        conn = self._conn
        try:
            # A closed connection took its locks with it: nothing to give back.
            if conn is not None and not conn.closed:
                await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.key, number))
        except Exception:
            log.warning("governor slot release failed account=%s slot=%s", self.account_id, number)
        finally:
            self._free.add(number)
            if self._released is not None:
                self._released.set()


def governor_for(database_url: str | None, account_id: str, limit: int) -> Governor:
    """`PostgresGovernor` for a PostgreSQL database, `LocalGovernor` otherwise."""
    if database_url and database_url.startswith("postgres"):
        return PostgresGovernor(database_url=database_url, account_id=account_id, limit=limit)
    return LocalGovernor(limit)
