"""A backfill's progress as others see it: `stripe-netsuite status` and the console.

The backfill command prints its progress on its own terminal only; what it commits with
each page (its cursor, `backfill.State`) is enough for anyone else to tell where a run
stands. `progress` turns a stored run and "now" into what to show (pure); `read_runs`
reads every account's run, and the counts of its jobs, from the store.

A run is *running* while its pages keep committing, *stopped* when its last attempt
recorded that it ended early (an error, an interrupt) or when nothing has committed for
`STALE_SECONDS` (a process killed outright records nothing), and *finished* once every
type has been listed. A stopped run resumes with the same command: `resume_command`.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from stripe_netsuite.engine import backfill
from stripe_netsuite.store import backfill_runs
from stripe_netsuite.store.backfill_runs import JobCounts

#: Seconds without a committed page after which a run that recorded no stop is taken as
#: stopped. A page's reads may be waited out for several minutes (`Retry-After` up to
#: 60 s, eight attempts) before the command gives up and records the stop itself.
STALE_SECONDS = 600.0


class RunState(StrEnum):
    """Where a run stands."""

    RUNNING = "running"
    STOPPED = "stopped"
    FINISHED = "finished"


@dataclass(frozen=True)
class Progress:
    """What to show of one account's backfill run."""

    account: str
    run: str
    state: RunState
    since: int
    until: int
    types: tuple[str, ...]
    #: The type being listed (None once all are listed).
    listing: str | None
    #: Types Stripe has no list of here, passed over.
    missing: tuple[str, ...]
    listed: int
    #: Objects queued for a job, in all and per type (in listing order).
    queued: int
    queued_by_type: Mapping[str, int]
    #: Where their jobs stand; None when not read (see `read_runs`).
    jobs: JobCounts | None
    #: The share of the listing done (`backfill.fraction_done`).
    share: float
    #: Objects listed per second of listing over the run (pauses between attempts left out).
    rate: float | None
    #: Seconds of listing left, when they can be estimated.
    eta_seconds: float | None
    started_at: int | None
    updated_at: int | None
    finished_at: int | None
    #: Seconds since the last committed page.
    idle: float | None
    stop_reason: str | None
    attempts: int
    #: The command that resumes a stopped run.
    resume: str | None = None

    @property
    def eta(self) -> str | None:
        """``H:MM:SS`` of listing left, ``listing`` while unknown; None when not running."""
        if self.state is not RunState.RUNNING:
            return None
        return "listing" if self.eta_seconds is None else backfill.clock(self.eta_seconds)


def progress(
    account: str,
    state: backfill.State,
    *,
    now: float,
    jobs: JobCounts | None = None,
    stored_at: float | None = None,
    stale_after: float = STALE_SECONDS,
) -> Progress:
    """What to show of *state* at *now* (Unix seconds).

    *stored_at*: when the cursor row was last written, for a run stored before runs kept
    their own times. The ETA is the terminal's estimate (the listing's pace so far over the
    share left), given only while the run is running and some of it has been listed:
    Stripe's lists carry no total, so before that it is unknown.
    """
    updated = state.updated_at if state.updated_at is not None else stored_at
    idle = None if updated is None else max(now - updated, 0.0)
    if state.finished:
        run_state = RunState.FINISHED
    elif state.stopped_at is not None or (idle is not None and idle > stale_after):
        run_state = RunState.STOPPED
    else:
        run_state = RunState.RUNNING
    share = 1.0 if state.finished else backfill.fraction_done(state)
    seconds = state.seconds
    rate = state.listed / seconds if seconds > 0 else None
    eta = None
    if run_state is RunState.RUNNING and 0 < share < 1 and seconds > 0:
        eta = max(seconds * (1 - share) / share - (idle or 0.0), 0.0)
    by_type = {t: state.queued_by_type[t] for t in state.types if state.queued_by_type.get(t)}
    return Progress(
        account=account, run=state.run, state=run_state, since=state.since, until=state.until,
        types=tuple(state.types), listing=state.current, missing=tuple(state.missing),
        listed=state.listed, queued=state.queued, queued_by_type=by_type, jobs=jobs,
        share=share, rate=rate, eta_seconds=eta, started_at=state.started_at,
        updated_at=None if updated is None else int(updated), finished_at=state.finished_at,
        idle=idle, stop_reason=state.stop_reason, attempts=state.attempts,
        resume=resume_command(account, state) if run_state is RunState.STOPPED else None,
    )  # fmt: skip


def resume_command(account: str, state: backfill.State) -> str:
    """The command that resumes *state*: the same window (its end fixed) and types."""
    words = ["stripe-netsuite", "backfill", "--since", _instant(state.since),
             "--until", _instant(state.until), "--types", ",".join(state.types),
             "--account", account]  # fmt: skip
    return shlex.join(words)


def facts(shown: Progress) -> list[tuple[str, str]]:
    """The run as (label, text) pairs: the lines of `status` and the console's panel."""
    if shown.state is RunState.STOPPED:
        silent = f"no page for {_ago(shown.idle or 0.0)}"
        state = f"stopped ({shown.stop_reason or silent})"
    elif shown.state is RunState.FINISHED:
        state = "finished " + _when(shown.finished_at)
    else:
        state = "running"
    found = [
        ("state", state),
        ("run", shown.run + (f", attempt {shown.attempts}" if shown.attempts > 1 else "")),
        ("window", f"{_instant(shown.since)} to {_instant(shown.until)} (UTC)"),
        ("types", ", ".join(shown.types) or "none"),
    ]
    position = ""
    if shown.listing is not None:
        number = shown.types.index(shown.listing) + 1
        position = f"{shown.listing} ({number}/{len(shown.types)}), {shown.share:.0%} done"
    rate = "" if shown.rate is None else f" at {shown.rate:,.1f}/s"
    if shown.state is RunState.FINISHED:
        found.append(("listed", f"{shown.listed:,} objects{rate}, every type"))
    else:
        found.append(("listing", position or "every type listed"))
        found.append(("listed", f"{shown.listed:,} objects{rate}"))
    if shown.eta is not None:
        found.append(("ETA", shown.eta))
    if shown.missing:
        found.append(("no list", ", ".join(shown.missing) + " (Stripe has none here; passed over)"))
    per_type = ", ".join(f"{t} {n:,}" for t, n in shown.queued_by_type.items())
    found.append(("queued", f"{shown.queued:,}" + (f" ({per_type})" if per_type else "")))
    if shown.jobs is not None:
        jobs = shown.jobs
        found.append(
            ("jobs", f"{jobs.done:,} done, {jobs.pending:,} pending, {jobs.parked:,} parked")
        )
    found.append(("started", _when(shown.started_at)))
    if shown.state is not RunState.FINISHED:
        found.append(("last page", "–" if shown.idle is None else f"{_ago(shown.idle)} ago"))
    if shown.resume is not None:
        found.append(("resume", shown.resume))
    return found


def lines(shown: Progress) -> list[str]:
    """The block `stripe-netsuite status` prints for one account's run."""
    return [f"backfill {shown.account}:"] + [f"  {label}: {text}" for label, text in facts(shown)]


def read_runs(
    database: sa.Engine | sa.Connection, *, now: float | None = None, with_jobs: bool = True
) -> list[Progress]:
    """Every account's backfill run in the store, by account; jobs counted when asked."""
    moment = time.time() if now is None else now
    prefix = backfill.cursor_name("")
    found = []
    for row in backfill_runs.stored_runs(database, prefix):
        state = backfill.State.loads(row.value)
        if state is None:
            continue
        account = row.name.removeprefix(prefix)
        jobs = None
        if with_jobs:
            jobs = backfill_runs.job_counts(
                database, account=account, event_prefix=backfill.event_prefix(state.run),
                queued=state.queued,
            )  # fmt: skip
        found.append(
            progress(account, state, now=moment, jobs=jobs, stored_at=row.updated_at.timestamp())
        )
    return found


def _instant(seconds: int) -> str:
    """A date when the instant is midnight UTC, else an ISO date-time (what `--since` takes)."""
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return text[:10] if text.endswith("T00:00:00") else text


def _when(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
