"""The console's pages and ``/metrics`` over a large queue: how long each takes to answer.

Fills a SQLite file with jobs (mostly synced, some pending, retrying and parked with a
spread of errors, each with its attempts), serves the engine's web app on loopback (no
worker: the pages read the store), logs in and times the overview, the errors page, an
object page and ``/metrics``, each asked several times.

    python benchmarks/console_pages.py [--jobs 100000] [--parked 2000] [--repeat 5]

The last line is one JSON object: ``jobs``, ``parked`` and, per page, the median and
the slowest answer in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db, users
from stripe_netsuite.store.tables import attempts, jobs
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox.serving import serve_in_thread

KINDS = ("customer", "invoice", "charge", "refund", "payout", "credit_note")
ERRORS = (
    "NetSuiteRejected: [redacted] (record_type=invoice status=400 code=INVALID_CONTENT "
    "path=item.items[{n}].item)",
    "NeedsAttention: no GL account for currency {n}",
    "NetSuiteUnavailable: NetSuite answered 503 after {n} attempts",
    "MappingError: tax rate txr_{n:08d} has no NetSuite tax code",
)
PASSWORD = "benchmark password"


def fill(database: sa.Engine, total: int, parked: int) -> str:
    """Insert *total* jobs, *parked* of them parked; an object id of a parked one."""
    now = db.utcnow()
    rows, tries = [], []
    for i in range(1, total + 1):
        state, error, tried = "done", None, 1
        if i <= parked:
            state, error, tried = "parked", ERRORS[i % len(ERRORS)].format(n=i), 3
        elif i <= parked + total // 50:
            state, error, tried = "pending", ERRORS[2].format(n=i % 7), 2  # retrying
        elif i <= parked + total // 25:
            state, tried = "pending", 0
        at = now - timedelta(seconds=total - i)
        rows.append({"id": i, "account": "main", "kind": KINDS[i % len(KINDS)],
                     "object_id": f"obj_{i:09d}", "state": state, "attempts": tried,
                     "run_after": at, "last_error": error, "created_at": at,
                     "updated_at": at})  # fmt: skip
        for n in range(tried):
            last = n == tried - 1
            outcome = ("parked" if last and state == "parked" else "retry") if error else "done"
            tries.append({"job_id": i, "started_at": at, "finished_at": at, "outcome": outcome,
                          "error_class": error.split(":")[0] if error else None,
                          "error_message": error})  # fmt: skip
    with database.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(jobs), rows[start : start + 5000])
        for start in range(0, len(tries), 5000):
            conn.execute(sa.insert(attempts), tries[start : start + 5000])
    return "obj_000000001"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--parked", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sns-console-bench-"))
    url = f"sqlite:///{folder / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    some_object = fill(database, args.jobs, args.parked)
    users.add_user(database, "bench", "operator", PASSWORD)
    config = parse_config({"accounts": {"main": {
        "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_1",
        "netsuite": {"account_id": "1234567_SB1"}}}})  # fmt: skip
    server = serve_in_thread(
        create_app(config=config, database=database, settings=Settings(database_url=url))
    )
    timings: dict[str, list[float]] = {}
    try:
        with httpx.Client(base_url=server.base_url, timeout=300) as http:
            form = http.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            http.post("/login", data={"username": "bench", "password": PASSWORD,
                                      "csrf_token": token.group(1)})  # fmt: skip
            pages = {"overview": "/", "errors": "/errors", "object": f"/objects/{some_object}",
                     "metrics": "/metrics"}  # fmt: skip
            for name, path in pages.items():
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    answer = http.get(path)
                    timings.setdefault(name, []).append(time.perf_counter() - started)
                    answer.raise_for_status()
    finally:
        server.stop()
        database.dispose()
    result: dict[str, object] = {"jobs": args.jobs, "parked": args.parked}
    for name, seconds in timings.items():
        result[f"{name}_median_ms"] = round(statistics.median(seconds) * 1000, 1)
        result[f"{name}_max_ms"] = round(max(seconds) * 1000, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
