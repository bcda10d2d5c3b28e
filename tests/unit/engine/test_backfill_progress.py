"""What `status` and the console show of a backfill run: its state, rate, ETA and resume line."""

from __future__ import annotations

import shlex

import pytest

from stripe_netsuite.engine import backfill
from stripe_netsuite.engine.backfill_progress import (
    STALE_SECONDS,
    RunState,
    facts,
    lines,
    progress,
    resume_command,
)
from stripe_netsuite.store.backfill_runs import JobCounts

DAY = 86_400
SINCE = 1_756_684_800  # 2025-09-01 00:00:00 UTC
UNTIL = SINCE + 30 * DAY + 3_600  # 2025-10-01 01:00:00 UTC
START = 1_764_500_000  # when the run began


def halfway(**changes: object) -> backfill.State:
    """Customers listed, invoices listed back through half the window, 200 s of listing."""
    state = backfill.State(
        run="ab12cd34", since=SINCE, until=UNTIL, types=["customer", "invoice"],
        done=["customer"], after="in_9", reached=UNTIL - (UNTIL - SINCE) // 2, listed=3_000,
        queued=2_990, queued_by_type={"customer": 1_990, "invoice": 1_000}, started_at=START,
        updated_at=START + 260, seconds=200.0, attempts=1,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def test_a_run_committing_pages_is_running_with_its_rate_and_eta() -> None:
    shown = progress("main", halfway(), now=START + 270, jobs=JobCounts(2_000, 980, 10))
    assert shown.state is RunState.RUNNING
    assert shown.share == pytest.approx(0.75)
    assert shown.rate == pytest.approx(15.0)
    # A quarter left at the pace of the first three quarters: 200 / 3 s, less the 10 s since.
    assert shown.eta_seconds == pytest.approx(200 / 3 - 10)
    assert shown.eta == "0:00:56"
    assert shown.resume is None
    assert lines(shown) == [
        "backfill main:",
        "  state: running",
        "  run: ab12cd34",
        "  window: 2025-09-01 to 2025-10-01T01:00:00 (UTC)",
        "  types: customer, invoice",
        "  listing: invoice (2/2), 75% done",
        "  listed: 3,000 objects at 15.0/s",
        "  ETA: 0:00:56",
        "  queued: 2,990 (customer 1,990, invoice 1,000)",
        "  jobs: 2,000 done, 980 pending, 10 parked",
        "  started: 2025-11-30 10:53:20 UTC",
        "  last page: 10 s ago",
    ]


def test_the_eta_is_not_guessed_before_any_of_the_window_is_listed() -> None:
    fresh = halfway(done=[], reached=None, listed=0, queued=0, queued_by_type={}, seconds=1.5)
    shown = progress("main", fresh, now=START + 261)
    assert shown.state is RunState.RUNNING and shown.share == 0
    assert shown.eta_seconds is None and shown.eta == "listing"
    assert ("ETA", "listing") in facts(shown)
    assert ("queued", "0") in facts(shown)
    assert not any(label == "jobs" for label, _ in facts(shown))  # not read: not shown


def test_a_silent_run_is_stopped_and_says_how_to_resume_it() -> None:
    state = halfway()
    quiet = progress("main", state, now=START + 260 + STALE_SECONDS - 1)
    assert quiet.state is RunState.RUNNING
    shown = progress("main", state, now=START + 260 + STALE_SECONDS + 1)
    assert shown.state is RunState.STOPPED
    assert shown.eta is None and shown.eta_seconds is None
    assert shown.resume == (
        "stripe-netsuite backfill --since 2025-09-01 --until 2025-10-01T01:00:00 "
        "--types customer,invoice --account main"
    )
    told = dict(facts(shown))
    assert told["state"] == "stopped (no page for 10 min)"
    assert told["resume"] == shown.resume and "ETA" not in told


def test_a_run_that_recorded_its_stop_is_stopped_at_once() -> None:
    state = halfway(stopped_at=START + 261, stop_reason="interrupted", attempts=2)
    shown = progress("main", state, now=START + 262)
    assert shown.state is RunState.STOPPED
    assert dict(facts(shown))["state"] == "stopped (interrupted)"
    assert dict(facts(shown))["run"] == "ab12cd34, attempt 2"


def test_the_resume_command_resumes_the_same_run() -> None:
    state = halfway()
    words = shlex.split(resume_command("eu", state))
    given = dict(zip(words[2::2], words[3::2], strict=True))
    since = backfill.parse_instant(given["--since"], option="--since")
    until = backfill.parse_instant(given["--until"], option="--until")
    types = backfill.choose_types(given["--types"].split(","), {"customer", "invoice"})
    assert given["--account"] == "eu"
    again, resumed = backfill.plan(state, since=since, until=until, types=types, now=UNTIL + DAY)
    assert resumed and again is state


def test_a_finished_run_shows_when_it_ended_and_its_whole_rate() -> None:
    state = halfway(done=["customer", "invoice"], after=None, reached=None, finished=True,
                    finished_at=START + 400, updated_at=START + 400, seconds=300.0)  # fmt: skip
    shown = progress("main", state, now=START + 10 * DAY, jobs=JobCounts(2_990, 0, 0))
    assert shown.state is RunState.FINISHED and shown.share == 1.0
    assert shown.eta is None and shown.resume is None
    assert facts(shown)[0] == ("state", "finished 2025-11-30 11:00:00 UTC")
    assert ("listed", "3,000 objects at 10.0/s, every type") in facts(shown)
    assert ("jobs", "2,990 done, 0 pending, 0 parked") in facts(shown)
    assert not any(label in ("last page", "ETA", "listing") for label, _ in facts(shown))


def test_a_run_stored_before_runs_kept_their_times_reads_the_rows_time() -> None:
    old = '{"run":"r1","since":0,"until":100,"types":["customer"],"listed":5,"queued":5}'
    state = backfill.State.loads(old)
    assert state is not None and state.updated_at is None and state.queued_by_type == {}
    assert progress("main", state, now=5_000, stored_at=4_990).state is RunState.RUNNING
    assert progress("main", state, now=5_000, stored_at=10).state is RunState.STOPPED


def test_the_stored_value_names_the_type_being_listed_and_reads_back() -> None:
    state = halfway()
    assert '"listing":"invoice"' in state.dumps()
    assert backfill.State.loads(state.dumps()) == state
    newer = state.dumps()[:-1] + ',"from_a_newer_engine":1}'
    assert backfill.State.loads(newer) == state
