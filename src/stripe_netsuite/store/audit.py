"""The console's audit log, and the triage of parked and retrying jobs.

Every action a person takes in the console (a retry, a resolve, a login) is one
`audit_log` row: who, what, on which target, when. A job's triage says whether a person
has resolved or ignored it, who it is assigned to, and their note; it holds while the job
is unchanged, so a job that fails again after being resolved is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.tables import audit_log, job_triage

#: Longest note kept.
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class Entry:
    """One row of the audit log."""

    id: int
    at: datetime
    login: str
    action: str
    target: str | None
    detail: str | None


def record(
    conn: sa.Connection | sa.Engine,
    *,
    login: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Add a row to the audit log (in the caller's transaction when given a connection)."""
    with db.connection(conn) as c:
        c.execute(
            sa.insert(audit_log).values(
                at=db.utcnow(), login=login, action=action, target=target, detail=detail
            )
        )


def entries(database: sa.Engine, *, limit: int = 200, offset: int = 0) -> list[Entry]:
    """The newest rows first."""
    stmt = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    with database.connect() as conn:
        return [Entry(**row._mapping) for row in conn.execute(stmt)]


class Status(StrEnum):
    """Where a person left a job."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Triage:
    """A person's handling of one job."""

    job_id: int
    status: Status
    assignee: str | None
    note: str | None
    updated_by: str
    updated_at: datetime


def set_triage(
    database: sa.Engine,
    job_id: int,
    *,
    by: str,
    status: Status | None = None,
    assignee: str | None = None,
    note: str | None = None,
) -> Triage:
    """Change a job's triage (the fields given) and audit it, in one transaction."""
    with db.write_transaction(database) as conn:
        row = conn.execute(sa.select(job_triage).where(job_triage.c.job_id == job_id)).first()
        keep: dict[str, Any] = dict(row._mapping) if row is not None else {}
        now = db.utcnow()
        result = Triage(
            job_id=job_id,
            status=status if status is not None else Status(keep.get("status", Status.OPEN)),
            assignee=assignee if assignee is not None else keep.get("assignee"),
            note=note[:NOTE_LIMIT] if note is not None else keep.get("note"),
            updated_by=by,
            updated_at=now,
        )
        values = {"status": result.status.value, "assignee": result.assignee or None,
                  "note": result.note or None, "updated_by": by, "updated_at": now}  # fmt: skip
        if row is None:
            conn.execute(sa.insert(job_triage).values(job_id=job_id, **values))
        else:
            conn.execute(sa.update(job_triage).where(job_triage.c.job_id == job_id).values(values))
        said = [f"{key}={values[key]}" for key in ("status", "assignee") if values[key]]
        record(conn, login=by, action="triage", target=f"job {job_id}", detail=" ".join(said))
    return result


def triage_of(database: sa.Engine, job_ids: list[int]) -> dict[int, Triage]:
    """The triage rows of these jobs, by job id."""
    if not job_ids:
        return {}
    stmt = sa.select(job_triage).where(job_triage.c.job_id.in_(job_ids))
    with database.connect() as conn:
        return {
            row.job_id: Triage(**{**row._mapping, "status": Status(row.status)})
            for row in conn.execute(stmt)
        }
