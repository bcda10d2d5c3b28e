"""The whole pipeline under load: Stripe events → webhooks → engine → NetSuite.

Both sandboxes run in this process; the engine runs as its own process
(``stripe-netsuite serve``), so its CPU time and memory are its own. A realistic mix of
Stripe activity (customers, their updates, standalone payments, partial refunds, paid
invoices) is created with webhooks held back, then released at once, and the clock runs
until the engine's queue is empty. Run twice: NetSuite answering at once, and at 100 ms
a request, both with a concurrency limit of 5.

    python benchmarks/pipeline.py [--events 10000] [--latencies 0,100]

It prints, per run: events/s, NetSuite calls per NetSuite record written, engine CPU ms
per event, Stripe requests per event, p50 / p95 webhook-to-NetSuite latency, the engine's
peak RSS, the utilisation of the NetSuite limit, and the CPU seconds of the engine and of
this process (the sandboxes and the webhook deliveries); the last line is one JSON object
with all figures. ``--profile DIR`` attaches py-spy to the engine (every thread).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from stripe_netsuite.store import queue, tables
from stripe_netsuite_sandbox import books, demo

LIMIT = 5


def generate(stack: demo.Stack, events: int, seed: int) -> int:
    """Create Stripe activity until about *events* events exist; returns the count."""
    rng = random.Random(seed)
    client = stack.stripe_client()
    v1 = client.v1
    price = v1.prices.create(params={"currency": "usd", "unit_amount": 4900,
                                     "product_data": {"name": "Bench plan"}})  # fmt: skip
    made = 0
    n = 0
    while made < events:
        n += 1
        customer = v1.customers.create(
            params={"name": f"Bench {n}", "email": f"bench{n}@example.com",
                    "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"}}
        )  # fmt: skip
        if rng.random() < 0.3:
            v1.customers.update(customer.id, params={"metadata": {"tier": "gold"}})
        intent = v1.payment_intents.create(
            params={"amount": rng.choice([1500, 4200, 9900]), "currency": "usd",
                    "customer": customer.id, "payment_method": "pm_card_visa", "confirm": True,
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
        )  # fmt: skip
        if rng.random() < 0.2:
            v1.refunds.create(params={"charge": str(intent.latest_charge), "amount": 500})
        if rng.random() < 0.4:
            v1.invoice_items.create(
                params={"customer": customer.id, "pricing": {"price": price.id}}
            )
            invoice = v1.invoices.create(
                params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
            )
            invoice = v1.invoices.finalize_invoice(invoice.id)
            if invoice.status == "open":
                v1.invoices.pay(invoice.id)
        if n % 50 == 0:
            made = _event_count(stack)
    return _event_count(stack)


def _event_count(stack: demo.Stack) -> int:
    objects = books.stripe_objects(stack.stripe.base_url, stack.api_key)
    return len(objects.get("event", []))


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(events: int, latency_ms: int, seed: int, profile: Path | None = None) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sns-bench-"))
    stack = demo.start(
        workdir=workdir,
        seed=seed,
        serve_engine=False,
        stripe_options={"deliver_webhooks": False},
        netsuite_options={"latency_ms": latency_ms, "concurrency": LIMIT},
    )
    engine_proc: subprocess.Popen[bytes] | None = None
    try:
        print(f"[{latency_ms} ms] generating about {events} Stripe events ...", flush=True)
        total_events = generate(stack, events, seed)
        env = {
            **os.environ,
            "SNS_CONFIG": str(stack.settings.config),
            "SNS_DATABASE_URL": stack.database_url,
            "SNS_PORT": str(stack.engine_port),
            "SNS_EVENTS_POLL_SECONDS": "0",
            "SNS_WORKER_CONCURRENCY": "32",
            "SNS_LOG_LEVEL": "WARNING",
        }
        log = open(workdir / "engine.log", "wb")
        engine_proc = subprocess.Popen(
            [sys.executable, "-m", "stripe_netsuite", "serve"], env=env, stdout=log, stderr=log
        )
        demo.wait_for_engine(stack.engine_port)
        cpu_before = _proc_cpu_seconds(engine_proc.pid)
        httpx.post(stack.netsuite.base_url + "/__sandbox/stats/reset", timeout=30)
        spy = (
            None if profile is None else _profiler(engine_proc.pid, profile / f"{latency_ms}ms.txt")
        )
        print(f"[{latency_ms} ms] delivering {total_events} events ...", flush=True)
        started = time.monotonic()
        own_before = time.process_time()
        demo.wait_until_synced(stack, timeout=3600)
        elapsed = time.monotonic() - started
        cpu = _proc_cpu_seconds(engine_proc.pid) - cpu_before
        # This process serves both sandboxes and delivers the webhooks: when it is busy for
        # most of the run, it (not the engine) sets the pace.
        sandboxes_cpu = time.process_time() - own_before
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
            spy.wait(timeout=60)
        rss = _peak_rss_mb(engine_proc.pid)
        stripe_calls = _stripe_calls(stack.engine_port)
        stats = books.netsuite_stats(stack.netsuite.base_url)
        latencies = _latencies(stack)
        parked = len(queue.list_jobs(stack.database, state="parked", limit=100_000))
        calls = int(stats["requests"])
        writes = int(stats["writes"])
        busy = calls * latency_ms / 1000 / LIMIT
        return {
            "latency_ms": latency_ms,
            "events": total_events,
            "seconds": round(elapsed, 2),
            "events_per_s": round(total_events / elapsed, 1),
            "netsuite_calls": calls,
            "netsuite_records_written": writes,
            "calls_per_record": round(calls / writes, 3) if writes else None,
            "engine_cpu_ms_per_event": round(cpu * 1000 / total_events, 3),
            "stripe_calls": stripe_calls,
            "stripe_calls_per_event": round(stripe_calls / total_events, 3),
            "p50_webhook_to_netsuite_s": round(statistics.median(latencies), 3),
            "p95_webhook_to_netsuite_s": round(_p95(latencies), 3),
            "engine_peak_rss_mb": round(rss, 1),
            "netsuite_utilisation": round(busy / elapsed, 3) if latency_ms else None,
            "http_429": stats["throttled"],
            "netsuite_calls_by_method": stats["by_method"],
            "parked_jobs": parked,
            "engine_cpu_s": round(cpu, 2),
            "sandboxes_cpu_s": round(sandboxes_cpu, 2),
        }
    finally:
        if engine_proc is not None:
            engine_proc.send_signal(signal.SIGTERM)
            try:
                engine_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                engine_proc.kill()
        stack.stop()


def _stripe_calls(port: int) -> int:
    """Requests the engine sent to Stripe, from its ``/metrics``."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("sns_stripe_requests_total{")
        )
    )


def _profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling every thread of the engine, as collapsed stacks."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out),
               "--rate", "250"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _latencies(stack: demo.Stack) -> list[float]:
    """Seconds from an object's first webhook to its NetSuite record's last write."""
    with stack.database.connect() as conn:
        received = dict(
            conn.execute(
                sa.select(
                    tables.inbox.c.object_id, sa.func.min(tables.inbox.c.received_at)
                ).group_by(tables.inbox.c.object_id)
            ).all()
        )
        written = conn.execute(sa.select(tables.links.c.stripe_id, tables.links.c.updated_at)).all()
    found = []
    for stripe_id, when in written:
        start = received.get(stripe_id)
        if start is not None and when is not None and when >= start:
            found.append((when - start).total_seconds())
    return found or [0.0]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--latencies", default="0,100", help="NetSuite latencies in ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy samples of the engine per run"
    )
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = [
        run(args.events, int(ms), args.seed, args.profile) for ms in args.latencies.split(",")
    ]
    for result in results:
        print(f"\nNetSuite latency {result['latency_ms']} ms, limit {LIMIT}:")
        for key, value in result.items():
            print(f"  {key:<28} {value}")
    print(json.dumps({"benchmark": "pipeline", "limit": LIMIT, "runs": results}))


if __name__ == "__main__":
    main()
