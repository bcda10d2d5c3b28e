"""The store: tables, migrations, the inbox, the job queue, links, cursors and the
install's own secrets.

Modules are used by name, e.g. ``from stripe_netsuite.store import queue`` then
``queue.claim(engine, worker_id=..., lease_seconds=...)``.
"""

from __future__ import annotations

from stripe_netsuite.store import cursors, db, inbox, install, links, queue, tables
from stripe_netsuite.store.db import make_database, migrate, utcnow
from stripe_netsuite.store.links import Link
from stripe_netsuite.store.queue import Job, JobState

__all__ = [
    "Job",
    "JobState",
    "Link",
    "cursors",
    "db",
    "inbox",
    "install",
    "links",
    "make_database",
    "migrate",
    "queue",
    "tables",
    "utcnow",
]
