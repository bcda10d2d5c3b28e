"""A historical backfill end to end: Stripe's lists → the engine's queue → NetSuite.

The Stripe sandbox is seeded in-process through its own request handlers (the very
functions its HTTP routes call, so the objects are the ones the API would make):
customers, each with one card payment, older than the events list keeps. No webhook is
delivered; ``stripe-netsuite backfill`` (its own process) lists them and the engine's
worker (beside the sandboxes) syncs them to the NetSuite sandbox.

    python benchmarks/backfill.py [--objects 100000] [--read-limit 25]

``objects`` counts what the backfill lists (customers and charges). The last line is one
JSON object: ``objects``, ``missing`` (listed objects without their NetSuite record),
``stripe_read_utilisation`` (Stripe reads per second, the backfill's and the worker's,
over the sandbox's read limit), ``refused`` (reads answered 429), ``seconds`` (from the
start of the backfill until the queue is empty) and ``backfill_seconds`` (listing only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.stripe import routes

DAY = 86_400
START = demo.MONTH_START - 90 * DAY


def post(sb: Any, path: str, params: dict[str, Any]) -> Any:
    """What ``POST path`` does, without the transport."""
    found = routes.match("POST", path)
    assert found is not None, path
    handler, ids = found
    sb.request_id = "req_seed"
    try:
        return handler(sb, params, *ids)
    finally:
        sb.request_id = None


def seed(stack: demo.Stack, objects: int) -> tuple[list[str], list[str]]:
    """Customers with one card payment each: *objects* listed objects in all."""
    sb = stack.stripe.app.state.sandbox
    customers, charges = [], []
    for n in range(max(objects // 2, 1)):
        cus = post(sb, "/v1/customers", {"name": f"Backfill {n}", "email": f"b{n}@example.com"})
        intent = post(
            sb,
            "/v1/payment_intents",
            {"amount": str(1000 + n % 7 * 500), "currency": "usd", "customer": cus["id"],
             "payment_method": "pm_card_visa", "confirm": "true",
             "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"}},
        )  # fmt: skip
        customers.append(cus["id"])
        charges.append(str(intent["latest_charge"]))
        if n % 500 == 0:
            sb.commit()
    sb.commit()
    return customers, charges


def wait_idle(stack: demo.Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not finish in time")
        time.sleep(0.5)
        calm = calm + 1 if queue.is_idle(stack.database) else 0


def missing(stack: demo.Stack, ids: list[str], role: str) -> int:
    """Objects whose NetSuite record is not there (no link, or no record behind it)."""
    store = stack.netsuite.app.app.state.sandbox.account.store
    gone = 0
    for stripe_id in ids:
        link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
        if link is None or store.get(link.record_type, link.internal_id) is None:
            gone += 1
    return gone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--read-limit", type=float, default=25.0, help="sandbox reads/s")
    parser.add_argument("--timeout", type=float, default=6 * 3600)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sns-backfill-"))
    stack = demo.start(
        workdir=workdir,
        events_poll_seconds=0,
        stripe_options={"start_time": START, "deliver_webhooks": False,
                        "read_rate_limit": args.read_limit},
    )  # fmt: skip
    try:
        began = time.monotonic()
        customers, charges = seed(stack, args.objects)
        print(f"seeded {len(customers) + len(charges)} objects in "
              f"{time.monotonic() - began:.1f}s", file=sys.stderr)  # fmt: skip
        demo.advance(stack, 60 * DAY)  # the events list no longer holds them
        limiter = stack.stripe.app.state.read_limiter
        reads_before = limiter.admitted + limiter.refused
        refused_before = limiter.refused
        env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
               "SNS_DATABASE_URL": stack.database_url,
               "SNS_BACKFILL_READS_PER_SECOND": str(args.read_limit * 0.8)}  # fmt: skip
        since = time.strftime("%Y-%m-%d", time.gmtime(START - DAY))
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "stripe_netsuite", "backfill", "--since", since,
             "--types", "customer,charge"],
            env=env, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        listed = time.monotonic() - started
        summary = json.loads(done.stdout.splitlines()[-1])
        wait_idle(stack, args.timeout)
        seconds = time.monotonic() - started
        reads = limiter.admitted + limiter.refused - reads_before
        result = {
            "objects": summary["listed"],
            "missing": missing(stack, customers, "customer") + missing(stack, charges, "payment"),
            "stripe_read_utilisation": round(reads / seconds / args.read_limit, 3),
            "refused": limiter.refused - refused_before,
            "read_limit": args.read_limit,
            "seconds": round(seconds, 1),
            "backfill_seconds": round(listed, 1),
        }
        print(json.dumps(result))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
