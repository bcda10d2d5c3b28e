"""The probes an orchestrator or a load balancer asks: alive (``/healthz``), ready (``/readyz``).

Liveness touches nothing but the event loop: a database that is down is not cured by
restarting the process, so ``/healthz`` never fails for it. Readiness says whether this
process does its work: the database answers, and each loop running beside the web app
(the worker's claim loop, the scheduler) has completed a pass within its threshold
(`health.Heartbeat.stale_after`). A web app running without the worker has no loops to
check; its readiness is the database's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.engine import health

#: Seconds the readiness probe waits for the database to answer ``select 1``.
DATABASE_TIMEOUT_SECONDS = 5.0


async def readiness(
    database: sa.Engine,
    heartbeats: Mapping[str, health.Heartbeat],
    *,
    timeout: float = DATABASE_TIMEOUT_SECONDS,
) -> tuple[int, dict[str, Any]]:
    """The status code and JSON body of ``/readyz``: 200 when ready, else 503 with a reason."""
    checks: dict[str, str] = {"database": await _database_problem(database, timeout) or "ok"}
    for name, beat in heartbeats.items():
        checks[name] = beat.problem() or "ok"
    reasons = [problem for problem in checks.values() if problem != "ok"]
    if reasons:
        return 503, {"status": "unavailable", "reason": "; ".join(reasons), "checks": checks}
    return 200, {"status": "ready", "checks": checks}


async def _database_problem(database: sa.Engine, timeout: float) -> str | None:
    try:
        await asyncio.wait_for(asyncio.to_thread(_ping, database), timeout=timeout)
    except TimeoutError:
        return f"database did not answer within {timeout:g} s"
    except Exception as exc:
        # The class only: a driver's message may name the host and the user.
        return f"database unreachable ({type(exc).__name__})"
    return None


def _ping(database: sa.Engine) -> None:
    with database.connect() as conn:
        conn.execute(sa.text("select 1"))
