"""Heartbeats of every engine process's loops, kept in the store so any process sees them.

Each `stripe-netsuite serve` or `stripe-netsuite worker` process writes one row per loop
(``worker``, ``scheduler``): its name (``host:pid``), when it started and when the loop
last completed a pass. A clean stop deletes the process's rows, so a row whose beat is
old belongs to a process that died or hangs. Rows are written at most every
`WRITE_SECONDS` per process, one short transaction, whatever the loops' own pace.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from stripe_netsuite.store.tables import loop_heartbeats

#: Seconds between two writes of a process's heartbeats.
WRITE_SECONDS = 5.0


def process_name() -> str:
    """This process as the heartbeats name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Beat:
    """One loop of one process, as last written."""

    process: str
    loop: str
    started_at: datetime
    beat_at: datetime

    def age(self, now: datetime) -> float:
        """Seconds from the loop's last pass to *now*."""
        return max(0.0, (now - self.beat_at).total_seconds())


def record(
    database: sa.Engine, process: str, beats: dict[str, datetime], *, started_at: datetime
) -> None:
    """Write each loop's last beat (by loop name) for *process*, adding rows that are new."""
    with database.begin() as conn:
        for loop, at in beats.items():
            where = (loop_heartbeats.c.process == process) & (loop_heartbeats.c.loop == loop)
            done = conn.execute(sa.update(loop_heartbeats).where(where).values(beat_at=at))
            if done.rowcount == 0:
                conn.execute(
                    sa.insert(loop_heartbeats).values(
                        process=process, loop=loop, started_at=started_at, beat_at=at
                    )
                )


def forget(database: sa.Engine, process: str) -> None:
    """Delete *process*'s rows: it stopped cleanly, nothing to watch."""
    with database.begin() as conn:
        conn.execute(sa.delete(loop_heartbeats).where(loop_heartbeats.c.process == process))


def forget_older(database: sa.Engine, before: datetime) -> int:
    """Delete rows whose beat is older than *before*; how many."""
    with database.begin() as conn:
        done = conn.execute(sa.delete(loop_heartbeats).where(loop_heartbeats.c.beat_at < before))
    return done.rowcount


def list_beats(database: sa.Engine) -> list[Beat]:
    """Every recorded loop of every process, by process then loop."""
    query = sa.select(loop_heartbeats).order_by(loop_heartbeats.c.process, loop_heartbeats.c.loop)
    with database.connect() as conn:
        rows = conn.execute(query).all()
    return [Beat(r.process, r.loop, r.started_at, r.beat_at) for r in rows]
