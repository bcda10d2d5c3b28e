"""How fully several worker processes use one NetSuite account's concurrency budget.

Starts the NetSuite sandbox on loopback (limit 5, 100 ms latency by default), then
worker processes that share one PostgreSQL database and upsert customers through
`NetSuiteClient` and `PostgresGovernor`. Prints records/s, utilisation (achieved
rate ÷ (limit ÷ latency)), the count of 429s, NetSuite calls per record, and last
one JSON line with those figures.

    .venv/bin/python benchmarks/netsuite_governor.py [--records 1000] [--workers 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stripe_netsuite.netsuite import NetSuiteClient, OAuth2ClientCredentials, PostgresGovernor
from stripe_netsuite.netsuite.auth import TOKEN_PATH

ACCOUNT = "TSTDRV1_SB1"
CLIENT_ID, CERTIFICATE_ID = "bench-client", "bench-cert"
DEFAULT_DATABASE_URL = os.environ.get(
    "SNS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Job:
    """What one worker process is asked to do."""

    index: int
    base_url: str
    database_url: str
    limit: int
    private_key_pem: bytes
    records: list[int]
    tasks: int
    timeout: float
    handoff_limit: int


class TimedGovernor:
    """Wraps a governor and adds up how long its slots are held."""

    def __init__(self, inner: PostgresGovernor) -> None:
        self.inner = inner
        self.held = 0.0

    @property
    def in_flight(self) -> int:
        return self.inner.in_flight

    @property
    def max_in_flight(self) -> int:
        return self.inner.max_in_flight

    def penalize(self) -> None:
        self.inner.penalize()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self.inner.slot():
            began = time.perf_counter()
            try:
                yield
            finally:
                self.held += time.perf_counter() - began


class ServerClock:
    """ASGI wrapper adding up the time the sandbox spends on record requests."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.busy = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/rest/record/"):
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.busy += time.perf_counter() - began


def start_sandbox(args: argparse.Namespace, public_key_pem: bytes) -> Any:
    from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
    from stripe_netsuite_sandbox.serving import serve_in_thread

    config = SandboxConfig(
        account_id=ACCOUNT,
        consumer_key="unused-ck",
        consumer_secret="unused-cs",
        token_id="unused-tid",
        token_secret="unused-ts",
        client_id=CLIENT_ID,
        certificate_id=CERTIFICATE_ID,
        public_key_pem=public_key_pem,
        concurrency=args.limit,
        latency_ms=args.latency_ms,
        fault_rate=0.0,
        seed=0,
    )
    return serve_in_thread(ServerClock(create_app(config)))


def worker(job: Job, ready: Any, start: Any, results: Any) -> None:
    """Entry point of one worker process."""
    try:
        results.put(asyncio.run(_work(job, ready, start)))
    except BaseException as exc:
        ready.put(f"worker {job.index} failed: {type(exc).__name__}: {exc}")
        raise


async def _work(job: Job, ready: Any, start: Any) -> dict[str, Any]:
    governor = PostgresGovernor(database_url=job.database_url, account_id=ACCOUNT, limit=job.limit)
    governor.handoff_limit = job.handoff_limit
    timed = TimedGovernor(governor)
    async with httpx.AsyncClient() as token_http:
        auth = OAuth2ClientCredentials(
            token_url=job.base_url + TOKEN_PATH,
            client_id=CLIENT_ID,
            certificate_id=CERTIFICATE_ID,
            private_key_pem=job.private_key_pem,
            http=token_http,
        )
        client = NetSuiteClient(
            base_url=job.base_url, auth=auth, governor=timed, timeout=job.timeout
        )
        async with client, governor:
            # Warm up outside the measured window: token, database connection.
            await auth.headers("GET", job.base_url)
            async with governor.slot():
                pass
            timed.held = 0.0
            ready.put(job.index)
            await asyncio.to_thread(start.wait)
            began = time.time()
            queue = list(job.records)
            failures: list[str] = []

            async def run() -> None:
                while queue:
                    n = queue.pop()
                    body = {"companyName": f"Bench {n}", "subsidiary": {"id": "1"}}
                    try:
                        await client.upsert("customer", f"bench:cus_{n}", body)
                    except Exception as exc:
                        failures.append(f"{type(exc).__name__}: {exc}")

            await asyncio.gather(*(run() for _ in range(job.tasks)))
            ended = time.time()
            return {
                "worker": job.index,
                "began": began,
                "ended": ended,
                "records": len(job.records) - len(failures),
                "calls": client.calls,
                "failures": failures[:5],
                "failure_count": len(failures),
                "max_in_flight": governor.max_in_flight,
                "held": timed.held,
            }


def sandbox_stats(base_url: str) -> dict[str, Any]:
    response = httpx.get(base_url + "/__sandbox/stats", timeout=10)
    response.raise_for_status()
    stats: dict[str, Any] = response.json()
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--tasks-per-worker", type=int, default=0, help="default: the limit")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument(
        "--handoff-limit",
        type=int,
        default=PostgresGovernor.handoff_limit,
        help="times in a row a slot may pass to a waiter of the same process",
    )
    args = parser.parse_args(argv)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    server = start_sandbox(args, public_pem)
    try:
        figures = _measure(args, server.base_url, private_pem, server.app)
    finally:
        server.stop()
    print(f"records:       {figures['records']} in {figures['seconds']:.2f} s")
    print(f"records/s:     {figures['records_per_second']:.1f}")
    print(f"utilisation:   {figures['utilisation']:.3f} of {figures['ceiling_per_second']:.0f}/s")
    print(f"slot occupancy:{figures['slot_occupancy']:.3f}")
    print(
        f"per request:   {figures['slot_ms_per_request']:.1f} ms slot held, "
        f"{figures['sandbox_ms_per_request']:.1f} ms in the sandbox"
    )
    print(f"429s:          {figures['throttled']}")
    print(f"max in flight: {figures['sandbox_max_in_flight']} (limit {args.limit})")
    print(f"calls/record:  {figures['calls_per_record']:.3f}")
    if figures["failures"]:
        print(f"failures:      {figures['failures']}")
    print(json.dumps(figures, sort_keys=True))
    return 0 if figures["records"] == args.records and not figures["failures"] else 1


def _measure(
    args: argparse.Namespace, base_url: str, private_pem: bytes, clock: ServerClock
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    shares = [list(range(i, args.records, args.workers)) for i in range(args.workers)]
    processes = [
        ctx.Process(
            target=worker,
            args=(
                Job(
                    index=i,
                    base_url=base_url,
                    database_url=args.database_url,
                    limit=args.limit,
                    private_key_pem=private_pem,
                    records=share,
                    tasks=args.tasks_per_worker or args.limit,
                    timeout=args.timeout,
                    handoff_limit=args.handoff_limit,
                ),
                ready,
                start,
                results,
            ),
        )
        for i, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        message = ready.get(timeout=120)
        if isinstance(message, str):
            for process in processes:
                process.terminate()
            raise SystemExit(message)
    before = sandbox_stats(base_url)
    clock.busy = 0.0
    start.set()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    after = sandbox_stats(base_url)
    server_busy = clock.busy

    seconds = max(o["ended"] for o in outcomes) - min(o["began"] for o in outcomes)
    records = sum(o["records"] for o in outcomes)
    calls = sum(o["calls"] for o in outcomes)
    ceiling = args.limit / (args.latency_ms / 1000)
    rate = records / seconds
    return {
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_second": round(rate, 2),
        "ceiling_per_second": ceiling,
        "utilisation": round(rate / ceiling, 4),
        "throttled": after.get("throttled", 0) - before.get("throttled", 0),
        "status_429": after.get("by_status", {}).get("429", 0)
        - before.get("by_status", {}).get("429", 0),
        "sandbox_max_in_flight": after.get("max_in_flight"),
        "calls_per_record": round(calls / max(records, 1), 4),
        # Share of the budget's slot-time held by requests: what the governor controls.
        "slot_occupancy": round(sum(o["held"] for o in outcomes) / (args.limit * seconds), 4),
        # Mean time per request: slot held by the client, spent inside the sandbox.
        "slot_ms_per_request": round(sum(o["held"] for o in outcomes) / max(calls, 1) * 1000, 2),
        "sandbox_ms_per_request": round(server_busy / max(calls, 1) * 1000, 2),
        "failures": sum(o["failure_count"] for o in outcomes),
        "failure_samples": [f for o in outcomes for f in o["failures"]][:5],
        "workers": args.workers,
        "handoff_limit": args.handoff_limit,
        "limit": args.limit,
        "latency_ms": args.latency_ms,
    }


if __name__ == "__main__":
    sys.exit(main())
