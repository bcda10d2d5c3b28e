"""Watching the engine for a person: parked jobs, loops down, payouts and the ledger.

Each pass of `Monitor.check` looks at what changed and alerts each account's channels
(`alerts`): newly parked jobs, grouped and sent at most once per the account's
``parked_every_seconds``; the worker or the scheduler down (once, until it is back),
this process's through its in-process heartbeats and every other engine process's
through the store (`store.heartbeats`), older than ``SNS_READY_STALL_SECONDS``;
a payout whose deposit differs or is missing (once per payout); the tie-out failing
(when it starts to, and again when it fails with other lines). The payout and tie-out
results are kept for the console's overview and for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.engine import alerts, health, reconcile, tieout
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping import reconciliation
from stripe_netsuite.mapping import tieout as tieout_mapping
from stripe_netsuite.settings import Config, Settings
from stripe_netsuite.store import db, queue
from stripe_netsuite.store import heartbeats as stored_beats

log = logging.getLogger(__name__)

#: Payouts created this many days back are reconciled by each payout check.
PAYOUT_WINDOW_DAYS = 7
#: Parked jobs listed by name in one alert; the rest are counted.
LISTED = 20
#: A process whose loops have not beaten for this long is forgotten (after its alert).
FORGET_WORKER_AFTER = timedelta(days=1)


@dataclass
class TieOutStatus:
    """The last tie-out of one account."""

    at: datetime
    result: tieout_mapping.TieOut | None = None
    #: Why it could not be run (Stripe or NetSuite failed), when it could not.
    problem: str | None = None


@dataclass
class _Account:
    parked_seen: set[int] = field(default_factory=set)
    parked_waiting: list[queue.Job] = field(default_factory=list)
    parked_sent_at: float | None = None
    payouts_alerted: set[str] = field(default_factory=set)
    untied: list[reconciliation.PayoutReport] = field(default_factory=list)
    tieout_alerted: frozenset[tuple[str, str]] = frozenset()


class Monitor:
    """The alert checks and the last payout / tie-out results, for one engine process."""

    def __init__(
        self,
        *,
        settings: Settings,
        config: Config,
        database: sa.Engine,
        contexts: Callable[[], Mapping[str, FlowContext]] = dict,
        heartbeats: Callable[[], Mapping[str, health.Heartbeat]] = dict,
        clock: Callable[[], float] = time.monotonic,
        send: Callable[[Any, alerts.Alert], Any] = alerts.send,
    ) -> None:
        self.settings = settings
        self.config = config
        self.database = database
        self.contexts = contexts
        self.heartbeats = heartbeats
        self.clock = clock
        self.send = send
        self.accounts = {name: _Account() for name in config.accounts}
        self.tieouts: dict[str, TieOutStatus] = {}
        self.loops_down: set[str] = set()
        #: Other engine processes (``host:pid``) found down in the store, alerted once.
        self.workers_down: set[str] = set()
        #: This process: its own loops are watched through *heartbeats*, not the store.
        self.process = stored_beats.process_name()
        self.sent: list[alerts.Alert] = []
        self._started = False
        # The first payout and tie-out checks wait a period: at start nothing has synced.
        self._next_payouts = clock() + settings.payout_check_seconds
        self._next_tieout = clock() + settings.tieout_check_seconds

    # -- what the console and /metrics read ---------------------------------------------

    def differences(self) -> dict[tuple[str, str, str], Decimal]:
        """The last tie-out's differences by (account, currency, line)."""
        found: dict[tuple[str, str, str], Decimal] = {}
        for account, status in self.tieouts.items():
            for line in status.result.lines if status.result else ():
                found[(account, line.currency, line.line.value)] = line.difference
        return found

    def untied_payouts(self) -> dict[str, int]:
        """Payouts found not tying out at the last check, per account."""
        return {name: len(state.untied) for name, state in self.accounts.items()}

    # -- the checks -----------------------------------------------------------------------

    async def run(self) -> None:
        """Check every ``SNS_ALERT_CHECK_SECONDS`` until cancelled; a failed pass is logged."""
        every = self.settings.alert_check_seconds
        if every <= 0:
            return
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("alert check failed")
            await asyncio.sleep(every)

    async def check(self) -> None:
        """One pass: parked jobs, loops, and (when due) payouts and the tie-out."""
        await self._parked()
        await self._loops()
        await self._workers()
        now = self.clock()
        if self.settings.payout_check_seconds > 0 and now >= self._next_payouts:
            self._next_payouts = now + self.settings.payout_check_seconds
            for name, ctx in self.contexts().items():
                await self.check_payouts(name, ctx)
        if self.settings.tieout_check_seconds > 0 and now >= self._next_tieout:
            self._next_tieout = now + self.settings.tieout_check_seconds
            for name, ctx in self.contexts().items():
                await self.check_tieout(name, ctx)

    async def _alert(self, account: str, subject: str, text: str) -> None:
        alert = alerts.Alert(account, subject, text)
        self.sent.append(alert)
        cfg = self.config.accounts[account].alerts
        if alerts.configured(cfg):
            await self.send(cfg, alert)

    async def _parked(self) -> None:
        parked = await asyncio.to_thread(
            queue.list_jobs, self.database, state=queue.JobState.PARKED, limit=10_000
        )
        first = not self._started
        self._started = True
        for job in parked:
            state = self.accounts.get(job.account)
            if state is None or job.id in state.parked_seen:
                continue
            state.parked_seen.add(job.id)
            if not first:  # jobs parked before this process started were alerted before
                state.parked_waiting.append(job)
        now = self.clock()
        for name, state in self.accounts.items():
            every = self.config.accounts[name].alerts.parked_every_seconds
            if not state.parked_waiting:
                continue
            if state.parked_sent_at is not None and now - state.parked_sent_at < every:
                continue
            jobs, state.parked_waiting = state.parked_waiting, []
            state.parked_sent_at = now
            lines = [f"#{j.id} {j.kind} {j.object_id}: {j.last_error}" for j in jobs[:LISTED]]
            if len(jobs) > LISTED:
                lines.append(f"... and {len(jobs) - LISTED} more")
            count = f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}"
            await self._alert(name, f"{count} parked", "\n".join(lines))

    async def _loops(self) -> None:
        for name, beat in self.heartbeats().items():
            problem = beat.problem()
            if problem and name not in self.loops_down:
                self.loops_down.add(name)
                for account in self.accounts:
                    await self._alert(account, f"{name} is down", problem)
            elif not problem and name in self.loops_down:
                self.loops_down.discard(name)
                for account in self.accounts:
                    await self._alert(account, f"{name} is running again", f"{name} recovered")

    async def _workers(self) -> None:
        now = db.utcnow()
        beats = await asyncio.to_thread(stored_beats.list_beats, self.database)
        stall = self.settings.ready_stall_seconds
        stale: dict[str, list[str]] = {}
        listed: set[str] = set()
        for beat in beats:
            if beat.process == self.process:
                continue
            listed.add(beat.process)
            if beat.age(now) > stall:
                stale.setdefault(beat.process, []).append(
                    f"{beat.loop}: no pass for {beat.age(now):.0f} s "
                    f"(last at {beat.beat_at:%Y-%m-%d %H:%M:%S} UTC, stalled after {stall:g} s)"
                )
        for process, lines in stale.items():
            if process not in self.workers_down:
                self.workers_down.add(process)
                for account in self.accounts:
                    await self._alert(account, f"worker {process} down", "\n".join(lines))
        for process in sorted(self.workers_down - set(stale)):
            self.workers_down.discard(process)
            if process in listed:  # beating again; a clean stop removed its rows: no news
                for account in self.accounts:
                    await self._alert(
                        account, f"worker {process} running again", f"{process} recovered"
                    )
        forgotten = now - FORGET_WORKER_AFTER
        if any(beat.beat_at < forgotten for beat in beats):  # a write only when one is due
            await asyncio.to_thread(stored_beats.forget_older, self.database, forgotten)

    async def check_payouts(self, name: str, ctx: FlowContext) -> None:
        """Reconcile the last week's payouts; alert once for each that does not tie out."""
        since = (datetime.now(UTC) - timedelta(days=PAYOUT_WINDOW_DAYS)).date()
        state = self.accounts[name]
        try:
            reports = await reconcile.reconcile(ctx, since=since)
        except exceptions.SyncError as exc:
            log.warning("payout check failed account=%s error=%s", name, exc)
            return
        state.untied = [r for r in reports if not r.ties_out]
        for report in state.untied:
            if report.payout_id in state.payouts_alerted:
                continue
            state.payouts_alerted.add(report.payout_id)
            deposit = "no deposit" if report.netsuite_total is None else str(report.netsuite_total)
            await self._alert(
                name,
                f"payout {report.payout_id} does not tie out",
                f"payout {report.payout_id}: Stripe {report.stripe_amount} "
                f"{report.currency.upper()}, NetSuite {deposit}, difference {report.difference}",
            )

    async def check_tieout(self, name: str, ctx: FlowContext, as_of: date | None = None) -> None:
        """Tie the ledger out; alert when lines start to differ (or differ otherwise)."""
        at = datetime.now(UTC)
        try:
            result = await tieout.tie_out(ctx, as_of=as_of)
        except exceptions.SyncError as exc:
            self.tieouts[name] = TieOutStatus(at, problem=str(exc))
            log.warning("tie-out failed account=%s error=%s", name, exc)
            return
        self.tieouts[name] = TieOutStatus(at, result)
        state = self.accounts[name]
        differing = frozenset((t.currency, t.line.value) for t in result.differing)
        if differing and differing != state.tieout_alerted:
            await self._alert(
                name, "the ledger does not tie out", tieout_mapping.render(result).strip()
            )
        state.tieout_alerted = differing
