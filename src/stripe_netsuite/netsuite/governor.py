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
import collections
import contextlib
import logging
import random
import zlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from stripe_netsuite import exceptions
from stripe_netsuite.credentials import redact_url

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

    @property
    def waiting(self) -> int:
        """Requests of this process waiting for a slot right now."""
        ...

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Wait for a free slot, hold it for the body of the ``async with``."""
        ...

    def penalize(self) -> None:
        """NetSuite answered 429: slow down for a while."""
        ...


class LocalGovernor:
    """An in-process, adaptive semaphore of *limit* slots.

    Waiters queue first in, first out, and a release hands its slot to exactly one of
    them: with dozens of jobs waiting at 100 ms a request, waking them all to race for
    each slot cost more CPU than the requests.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"governor limit must be at least 1, got {limit}")
        self.limit = limit
        #: The pace in force: at most ``int(allowed)`` requests at once.
        self.allowed = float(limit)
        self._in_flight = 0
        self._max_in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    @property
    def waiting(self) -> int:
        return len(self._waiters)

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
        if not self._waiters and self._in_flight < int(self.allowed):
            self._take()
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        try:
            await granted  # the slot is taken for this waiter by `_hand_on`
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                # Handed a slot in the same moment as cancelled: pass it on.
                self._in_flight -= 1
                self._hand_on()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(granted)
            raise

    async def release(self, *, succeeded: bool = True) -> None:
        """Give the slot back; a success earns back a fraction of a step of pace."""
        self._in_flight -= 1
        if succeeded and self.allowed < self.limit:
            # One full window of successes at the current pace adds one slot.
            self.allowed = min(float(self.limit), self.allowed + 1 / self.allowed)
        self._hand_on()

    def _take(self) -> None:
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _hand_on(self) -> None:
        # Slots go to the longest waiters, as many as the pace has room for.
        while self._waiters and self._in_flight < int(self.allowed):
            waiter = self._waiters.popleft()
            if waiter.done():  # cancelled while queued
                continue
            self._take()
            waiter.set_result(None)


def lock_key(account_id: str) -> int:
    """A stable signed 32-bit advisory-lock key for one NetSuite account."""
    value = zlib.crc32(f"stripe_netsuite.governor:{account_id.upper()}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def libpq_url(database_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy form) → ``postgresql://…`` for psycopg."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {redact_url(database_url)!r}")
    return f"postgresql://{rest}"


class PostgresGovernor:
    """A budget of *limit* slots per NetSuite account, shared through PostgreSQL.

    Slot *n* of an account is the session advisory lock ``(lock_key(account), n)``,
    held on this process's own connection for as long as the request is in flight,
    so the slots of a process that dies vanish with its connection. One task per
    process at a time looks for a free slot; it is woken by ``NOTIFY`` when any
    process releases one, and polls now and then in case a release went unannounced
    (a process that died). In-process the pace is also held by a `LocalGovernor`,
    which a 429 shrinks.
    """

    #: Bounds of the random pause between two polls when no release is announced (s).
    poll_interval = (0.02, 0.05)
    #: Times in a row a slot may pass straight to a waiter of the same process before it
    #: goes back to the pool, where every process has a fair chance at it.
    handoff_limit = 3

    def __init__(self, *, database_url: str, account_id: str, limit: int) -> None:
        self.url = libpq_url(database_url)
        self.account_id = account_id
        self.limit = limit
        self.key = lock_key(account_id)
        self.channel = f"sns_governor_{self.key & 0xFFFFFFFF:08x}"
        self._local = LocalGovernor(limit)
        self._conn: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._guard: asyncio.Lock | None = None
        self._searching: asyncio.Lock | None = None
        self._released: asyncio.Event | None = None
        #: Slots this process does not hold (advisory locks are re-entrant per session,
        #: so the server would hand a held slot out twice).
        self._free: set[int] = set(range(limit))
        self._waiting = 0
        self._handoff: collections.deque[int] = collections.deque()
        self._streak: dict[int, int] = {}
        self._background: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        return self._local.in_flight

    @property
    def max_in_flight(self) -> int:
        return self._local.max_in_flight

    @property
    def waiting(self) -> int:
        # Waiting for the local pace, or for one of the account's advisory locks.
        return self._local.waiting + self._waiting

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
        """Close the connections (which frees any lock still held)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
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

        if self._guard is None:
            self._guard = asyncio.Lock()
        async with self._guard:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            if self._listener is None or self._listener.done():
                self._listener = asyncio.create_task(self._listen())
            return self._conn

    async def _listen(self) -> None:
        import psycopg

        try:
            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                await conn.execute(f'LISTEN "{self.channel}"')
                async for _ in conn.notifies():
                    if self._released is not None:
                        self._released.set()
        except (psycopg.Error, OSError) as exc:
            # Polling still finds free slots, only later; the next acquire listens again.
            log.warning("governor listener stopped account=%s error=%s", self.account_id, exc)

    async def _try_any(self) -> int | None:
        candidates = random.sample(sorted(self._free), len(self._free))
        if not candidates:
            return None
        self._free.difference_update(candidates)
        taken: int | None = None
        try:
            conn = await self._connection()
            # Rows are pulled one at a time and LIMIT stops the scan at the first lock
            # taken, so exactly one slot is locked.
            cur = await conn.execute(
                "SELECT n FROM unnest(%s::int[]) AS n WHERE pg_try_advisory_lock(%s, n) LIMIT 1",
                (candidates, self.key),
            )
            row = await cur.fetchone()
            taken = None if row is None else int(row[0])
        except Exception as exc:
            await self.aclose()
            raise exceptions.NetSuiteRetriable(
                "the concurrency governor cannot reach PostgreSQL", detail=str(exc)
            ) from exc
        finally:
            self._free.update(n for n in candidates if n != taken)
        return taken

    async def _acquire(self) -> int:
        if self._searching is None:
            self._searching = asyncio.Lock()
            self._released = asyncio.Event()
        assert self._released is not None
        self._waiting += 1
        try:
            async with self._searching:  # one searcher per process; the rest queue here
                return await self._search()
        finally:
            self._waiting -= 1
            # A waiter that gave up (cancelled) must not leave a handed-off slot locked.
            while len(self._handoff) > self._waiting:
                task = asyncio.create_task(self._give_back(self._handoff.pop()))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _search(self) -> int:
        assert self._released is not None
        while True:
            self._released.clear()
            if self._handoff:
                return self._handoff.popleft()
            number = await self._try_any()
            if number is not None:
                self._streak[number] = 0
                return number
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._released.wait(), timeout=random.uniform(*self.poll_interval)
                )

    async def _release(self, number: int) -> None:
        conn = self._conn
        streak = self._streak.get(number, 0)
        if (
            self._waiting > len(self._handoff)
            and streak < self.handoff_limit
            and conn is not None
            and not conn.closed
        ):
            # Keep the lock and pass it on: saves two round trips for a local waiter.
            self._streak[number] = streak + 1
            self._handoff.append(number)
            if self._released is not None:
                self._released.set()
            return
        await self._give_back(number)

    async def _give_back(self, number: int) -> None:
        conn = self._conn
        try:
            # A closed connection took its locks with it: nothing to give back.
            if conn is not None and not conn.closed:
                await conn.execute(
                    "SELECT pg_advisory_unlock(%s, %s), pg_notify(%s, '')",
                    (self.key, number, self.channel),
                )
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
