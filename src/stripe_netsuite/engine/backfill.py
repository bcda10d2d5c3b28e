"""Historical backfill: queue every object Stripe lists in a ``created`` window.

Stripe's events list reaches back 30 days; older history is read from the object lists.
Each listed object enters the engine as events do: an inbox row (a synthetic event id,
``backfill.<run>:<object id>``) and one coalesced job, so the worker syncs it from its
fetched, current state exactly as it syncs a webhook's object.

Order: the types are listed one after another in dependency order (customers and items,
then invoices, then payments, refunds, credit notes, disputes, payouts last), and the
queue runs jobs in the order they were queued. The flows also create what a record
references on their own (a payment ensures its invoice and customer), so the order saves
work and retries; correctness does not hang on it.

Resuming: a page's inbox rows, its jobs and the cursor (``stripe.backfill:<account>``)
commit in one transaction, so a stopped run loses at most the page it was reading, and
the next run with the same window and types reads on from the cursor. The cursor holds
ids, times and counts only; it is also where `status` and the console read a run's progress
(`engine.backfill_progress`): each page stamps it, a run that ends by an error or an
interrupt records that it stopped, and one killed outright is known by its silence.

Pace: every Stripe read the backfill causes is paid from one budget, its page reads and
the worker's fetches of what it queues alike, so the two together stay under the
account's read limit. Beneath it, the Stripe client's account bucket
(``SNS_STRIPE_READS_PER_SECOND``, `stripe_api.limiter`) paces each GET the process sends,
the worker's and the backfill's together.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite import kinds as kinds_table
from stripe_netsuite.engine import intake
from stripe_netsuite.store import cursors, db, inbox, queue
from stripe_netsuite.stripe_api.listing import Listed, Lister, Page, Window, no_such_list
from stripe_netsuite.stripe_api.webhooks import EventRef

#: Every kind a backfill lists by default, in the order it lists them. Plans are left
#: out: Stripe lists each plan among the prices as well (give ``plan`` to list them).
ORDER: tuple[str, ...] = (
    "customer",
    "product",
    "price",
    "coupon",
    "invoice",
    "checkout_session",
    "charge",
    "refund",
    "credit_note",
    "dispute",
    "payout",
)
#: Kinds listed only when asked for.
ON_REQUEST: tuple[str, ...] = ("plan",)
#: Stripe reads the worker spends on each queued object: its fetch and, on average, one
#: more for what it references (measured over customers and charges: 2.0). The backfill's
#: read budget pays for them as it queues, so listing and syncing together stay under it.
WORKER_READS_PER_OBJECT = 2.0


def cursor_name(account: str) -> str:
    """The cursor keeping *account*'s backfill."""
    return f"stripe.backfill:{account}"


def event_prefix(run: str) -> str:
    """How the inbox event ids of a run's objects begin: ``backfill.<run>:``."""
    return f"backfill.{run}:"


def choose_types(requested: Sequence[str] | None, enabled: Collection[str]) -> tuple[str, ...]:
    """The kinds to list, in dependency order; `ValueError` names an unknown one.

    A kind may be given by its name (``invoice``) or Stripe's resource (``invoices``).
    Without a request: every kind of `ORDER` whose flow is enabled.
    """
    known = ORDER + ON_REQUEST
    if not requested:
        return tuple(name for name in ORDER if name in enabled)
    by_word = {name: name for name in known}
    by_word.update({kinds_table.get(name).resource: name for name in known})
    chosen: set[str] = set()
    for word in requested:
        name = by_word.get(word.strip().lower())
        if name is None:
            raise ValueError(f"--types: unknown type {word!r}; known: {', '.join(known)}")
        chosen.add(name)
    return tuple(name for name in known if name in chosen)


@dataclass
class State:
    """Where a backfill run stands: stored as the cursor's JSON value."""

    run: str
    since: int
    until: int
    types: list[str]
    #: Types listed to the end.
    done: list[str] = field(default_factory=list)
    #: The last id queued of the type being listed (None: start of its list).
    after: str | None = None
    #: The ``created`` of that object: how far back the type's list has been read.
    reached: int | None = None
    #: Types Stripe has no list of for this account (404), passed over.
    missing: list[str] = field(default_factory=list)
    #: Objects listed and queued so far, over every attempt of this run.
    listed: int = 0
    queued: int = 0
    finished: bool = False
    #: Objects queued per type, over every attempt.
    queued_by_type: dict[str, int] = field(default_factory=dict)
    #: Unix seconds: the run's start, its last committed page, its end.
    started_at: int | None = None
    updated_at: int | None = None
    finished_at: int | None = None
    #: Unix seconds and cause (``interrupted`` or an error class) of an attempt that ended
    #: before the run did; cleared when the run is resumed.
    stopped_at: int | None = None
    stop_reason: str | None = None
    #: Seconds spent listing over every attempt (the pauses between attempts left out).
    seconds: float = 0.0
    #: Processes that have worked on the run (1 + times resumed).
    attempts: int = 0

    @property
    def current(self) -> str | None:
        """The type being listed, or None when all are done."""
        return next((t for t in self.types if t not in self.done), None)

    def dumps(self) -> str:
        """The cursor value (with the type being listed, for a person reading the row)."""
        return json.dumps({**asdict(self), "listing": self.current}, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | None) -> State | None:
        """A stored state, or None when there is none or it is unreadable.

        Keys it does not know are left out (``listing``, or a newer engine's).
        """
        if not text:
            return None
        try:
            values = json.loads(text)
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in values.items() if k in known})
        except (TypeError, ValueError, AttributeError):
            return None


def plan(
    stored: State | None, *, since: int, until: int | None, types: Sequence[str], now: int
) -> tuple[State, bool]:
    """The state to run from, and whether it resumes *stored*.

    An unfinished run with the same start, types and (when given) end is resumed;
    anything else starts a new run, whose end is *until* or *now*.
    """
    if (
        stored is not None
        and not stored.finished
        and stored.since == since
        and stored.types == list(types)
        and (until is None or stored.until == until)
    ):
        return stored, True
    end = until if until is not None else now
    Window(since, end)  # refuses an empty window
    run_id = secrets.token_hex(4)
    return State(run=run_id, since=since, until=end, types=list(types), started_at=now), False


@dataclass(frozen=True)
class Tick:
    """Progress after one page: what `Progress` prints."""

    state: State
    kind: str
    #: Objects listed by this process (not by earlier attempts of the run).
    listed_now: int
    seconds: float
    reads: int
    refused: int


@dataclass
class Summary:
    """What a backfill did."""

    state: State
    resumed: bool
    listed: int
    queued: int
    #: Per kind: objects listed by this process.
    by_kind: Counter[str]
    reads: int
    refused: int
    seconds: float


def accept_page(
    database: sa.Engine, *, account: str, objects: Sequence[Listed], enabled: Collection[str],
    state: State, last: bool = False,
) -> int:  # fmt: skip
    """Record and queue one page's objects, and move the cursor, in one transaction.

    *last*: the page ends its type's list (the type is marked done). Returns how many
    objects were queued: each got a job, or joined its object's pending one (a disabled
    flow's object is recorded as ignored; one listed twice by a resumed run is a duplicate
    and queues nothing). So the run's ``queued`` is its inbox rows that wait for a job.
    """
    queued = 0
    with db.write_transaction(database) as conn:
        for obj in objects:
            ref = EventRef(
                event_id=event_prefix(state.run) + obj.id,
                event_type=f"{obj.object_type}.backfill",
                object_type=obj.object_type,
                object_id=obj.id,
                created=obj.created,
            )
            kind = intake.kind_for(ref, enabled)
            new = inbox.record_event(
                conn,
                account=account,
                event_id=ref.event_id,
                event_type=ref.event_type,
                object_type=ref.object_type,
                object_id=ref.object_id,
                ignored=kind is None,
            )
            if new and kind is not None:
                queue.enqueue(conn, account=account, kind=kind, object_id=obj.id)
                queued += 1
        state.listed += len(objects)
        state.queued += queued
        if queued and state.current is not None:
            by_type = state.queued_by_type
            by_type[state.current] = by_type.get(state.current, 0) + queued
        if objects:
            state.after = objects[-1].id
            state.reached = objects[-1].created
        if last and state.current is not None:
            state.done.append(state.current)
            state.after = state.reached = None
            state.finished = state.current is None
            if state.finished:
                state.finished_at = state.updated_at
        cursors.put(conn, cursor_name(account), state.dumps())
    return queued


async def run(
    lister: Lister,
    database: sa.Engine,
    *,
    account: str,
    enabled: Collection[str],
    since: int,
    until: int | None,
    types: Sequence[str],
    progress: Callable[[Tick], None] | None = None,
    now: Callable[[], float] = time.time,
    worker_reads: float = WORKER_READS_PER_OBJECT,
) -> Summary:
    """List each type over the window and queue every object; resumes a stopped run.

    Objects are queued in small batches, each paid for from the lister's read budget
    (*worker_reads* per object), so the worker's fetches follow at a pace Stripe accepts.
    """
    stored = State.loads(await asyncio.to_thread(cursors.get, database, cursor_name(account)))
    begun = now()
    state, resumed = plan(stored, since=since, until=until, types=types, now=int(begun))
    state.attempts += 1
    state.updated_at, state.stopped_at, state.stop_reason = int(begun), None, None
    if state.started_at is None:  # a run stored before runs kept their times
        state.started_at = int(begun)
    listed_before = state.seconds

    def stamp() -> None:
        moment = now()
        state.updated_at = int(moment)
        state.seconds = round(listed_before + max(moment - begun, 0.0), 3)

    await asyncio.to_thread(cursors.put, database, cursor_name(account), state.dumps())
    try:
        summary = await _list(
            lister, database, account=account, enabled=enabled, state=state,
            progress=progress, worker_reads=worker_reads, stamp=stamp,
        )  # fmt: skip
    except BaseException as exc:
        stamp()
        state.stopped_at, state.stop_reason = state.updated_at, stop_reason(exc)
        with contextlib.suppress(Exception):  # the error in hand is the one to report
            record_stop(database, account, state)
        raise
    summary.resumed = resumed
    return summary


def stop_reason(exc: BaseException) -> str:
    """What a stopped attempt records of its cause: a word or an error class, no message."""
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted"
    return type(exc).__name__


def record_stop(database: sa.Engine, account: str, state: State) -> None:
    """Mark the stored run stopped, keeping its committed progress (not *state*'s).

    *state* may hold a page that never committed (the error came from its transaction),
    so only the stop's stamp is copied onto what the store has.
    """
    with db.write_transaction(database) as conn:
        stored = State.loads(cursors.get(conn, cursor_name(account)))
        if stored is None or stored.run != state.run or stored.finished:
            return
        stored.stopped_at, stored.stop_reason = state.stopped_at, state.stop_reason
        cursors.put(conn, cursor_name(account), stored.dumps())


async def _list(
    lister: Lister, database: sa.Engine, *, account: str, enabled: Collection[str], state: State,
    progress: Callable[[Tick], None] | None, worker_reads: float, stamp: Callable[[], None],
) -> Summary:  # fmt: skip
    """The listing loop of `run`: each page's batches queued and committed with *state*."""
    window = Window(state.since, state.until)
    started = time.monotonic()
    listed_now = queued_now = 0
    by_kind: Counter[str] = Counter()
    while (kind := state.current) is not None:
        resource = kinds_table.get(kind).resource
        try:
            page = await lister.page(resource, window, after=state.after)
        except exceptions.StripeRejected as exc:
            if not no_such_list(exc):
                raise
            state.missing.append(kind)
            page = Page(objects=(), has_more=False)
        ends = not page.has_more or not page.objects
        size = lister.limiter.batch_size(worker_reads)
        batches = [page.objects[i : i + size] for i in range(0, len(page.objects), size)] or [()]
        for n, batch in enumerate(batches):
            await lister.limiter.acquire(len(batch) * worker_reads)
            stamp()
            queued_now += await asyncio.to_thread(
                accept_page, database, account=account, objects=batch, enabled=enabled,
                state=state, last=ends and n == len(batches) - 1,
            )  # fmt: skip
            listed_now += len(batch)
            by_kind[kind] += len(batch)
            if progress is not None:
                progress(
                    Tick(
                        state=state,
                        kind=kind,
                        listed_now=listed_now,
                        seconds=time.monotonic() - started,
                        reads=lister.reads,
                        refused=lister.refused,
                    )
                )
    if not state.finished:  # no type to list at all
        stamp()
        state.finished, state.finished_at = True, state.updated_at
        await asyncio.to_thread(cursors.put, database, cursor_name(account), state.dumps())
    return Summary(
        state=state,
        resumed=False,
        listed=listed_now,
        queued=queued_now,
        by_kind=by_kind,
        reads=lister.reads,
        refused=lister.refused,
        seconds=time.monotonic() - started,
    )


def fraction_done(state: State) -> float:
    """An estimate of the share listed: whole types done, plus the current type's span.

    Stripe lists carry no total; the current type is read newest first, so the share of
    the window its list has reached back through stands in for its share done.
    """
    if not state.types:
        return 1.0
    part = 0.0
    if state.current is not None and state.reached is not None:
        part = (state.until - state.reached) / max(state.until - state.since, 1)
    return min((len(state.done) + part) / len(state.types), 1.0)


def describe(tick: Tick) -> str:
    """One progress line: rows, rate, ETA."""
    state = tick.state
    rate = tick.listed_now / tick.seconds if tick.seconds > 0 else 0.0
    share = fraction_done(state)
    eta = "-"
    if state.finished:
        eta = "0:00:00"
    elif 0 < share < 1 and tick.seconds > 0:
        eta = clock(tick.seconds * (1 - share) / share)
    # Otherwise unknown: objects created at the very start of the window are still coming.
    position = f"{state.types.index(tick.kind) + 1}/{len(state.types)}"
    if tick.kind in state.missing:
        return f"backfill {tick.kind} ({position}): Stripe has no list of it here; passed over"
    return (
        f"backfill {tick.kind} ({position}): {state.listed:,} listed, {state.queued:,} queued, "
        f"{rate:,.1f}/s, {share:.0%} done, ETA {eta}, "
        f"{tick.reads:,} reads ({tick.refused} refused)"
    )


def clock(seconds: float) -> str:
    """Seconds as ``H:MM:SS``."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def payload(summary: Summary) -> dict[str, Any]:
    """The summary as JSON-ready values (what the command prints last)."""
    return {
        "run": summary.state.run,
        "resumed": summary.resumed,
        "since": summary.state.since,
        "until": summary.state.until,
        "types": summary.state.types,
        "listed": summary.listed,
        "queued": summary.queued,
        "listed_in_run": summary.state.listed,
        "queued_in_run": summary.state.queued,
        "by_type": {kind: n for kind, n in summary.by_kind.items() if n},
        "missing": summary.state.missing,
        "reads": summary.reads,
        "refused": summary.refused,
        "seconds": round(summary.seconds, 3),
    }


def parse_instant(text: str, *, option: str) -> int:
    """Unix seconds of ``YYYY-MM-DD`` (midnight UTC) or an ISO date-time (naive: UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date (YYYY-MM-DD) or ISO date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class Printer:
    """Writes a progress line at most every *every* seconds, and whenever a type ends."""

    def __init__(self, write: Callable[[str], None], *, every: float = 1.0) -> None:
        self.write = write
        self.every = every
        self._last = -every
        self._kind: str | None = None

    def __call__(self, tick: Tick) -> None:
        ended = tick.kind in tick.state.done and tick.kind != self._kind
        if ended or tick.seconds - self._last >= self.every:
            self._last = tick.seconds
            self.write(describe(tick))
        if ended:
            self._kind = tick.kind
