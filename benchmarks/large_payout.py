"""A payout of more balance transactions than one NetSuite deposit may hold, posted by the engine.

Both sandboxes run in this process; the engine runs as its own process (``stripe-netsuite
serve``). The Stripe sandbox is seeded through its own Python API with N card payments
(the same ``payment_intents`` code the HTTP route runs, so the same charges and balance
transactions, without N HTTP round trips), paid out as one automatic payout. Then:

1. the charges sync (one job each, as their webhooks would queue them): the payments the
   deposits select;
2. the payout syncs: its balance transactions are listed over HTTP, mapped, split into
   deposits of at most ``--max-lines`` lines and posted (this is what is timed);
3. the payout syncs again, unchanged: it must cost no NetSuite write and add no deposit.

    python benchmarks/large_payout.py [--charges 25000] [--max-lines 10000]

The last line is one JSON object: ``balance_transactions``, ``deposits``,
``max_lines_per_deposit``, ``difference`` (absolute, payout vs the deposits' NetSuite
totals), ``netsuite_calls_per_1000_lines`` (step 2), ``seconds`` (step 2), and the figures
of steps 1 and 3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import books, demo
from stripe_netsuite_sandbox.stripe import intents


def seed(stack: demo.Stack, charges: int, seed_value: int) -> list[str]:
    """N succeeded card payments of one customer, made in-process; their charge ids."""
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Volume Co"}).id
    sb = _stripe_sandbox(stack)
    rng = random.Random(seed_value)
    made: list[str] = []
    for _ in range(charges):
        pi = intents.create(
            sb,
            {"amount": rng.choice([990, 1500, 2450, 4200, 9900]), "currency": "usd",
             "customer": customer, "payment_method": "pm_card_visa", "confirm": True,
             "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}},
        )  # fmt: skip
        made.append(str(pi["latest_charge"]))
    sb.commit()
    return made


def _stripe_sandbox(stack: demo.Stack) -> Any:
    app = stack.stripe.app
    while not hasattr(app, "state") or not hasattr(app.state, "sandbox"):
        app = app.app
    return app.state.sandbox


def _netsuite_account(stack: demo.Stack) -> Any:
    return stack.netsuite.app.app.state.sandbox.account


def wait_idle(stack: demo.Stack, *, timeout: float = 7200.0) -> float:
    """Seconds until the engine's queue is empty (and stays so for a moment)."""
    started = time.monotonic()
    calm = 0
    while calm < 3:
        if time.monotonic() - started > timeout:
            raise TimeoutError("the engine did not finish in time")
        time.sleep(0.2)
        calm = calm + 1 if queue.is_idle(stack.database) else 0
    return time.monotonic() - started - 0.4


def enqueue(stack: demo.Stack, kind: str, ids: list[str]) -> None:
    with stack.database.begin() as conn:
        for object_id in ids:
            queue.enqueue(conn, account=demo.ACCOUNT, kind=kind, object_id=object_id)


def netsuite_counts(stack: demo.Stack) -> tuple[int, int]:
    stats = books.netsuite_stats(stack.netsuite.base_url)
    return int(stats["requests"]), int(stats["writes"])


def reset_counts(stack: demo.Stack) -> None:
    httpx.post(stack.netsuite.base_url + "/__sandbox/stats/reset", timeout=30).raise_for_status()


def deposits_of(stack: demo.Stack, payout_id: str) -> list[dict[str, Any]]:
    held = links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout_id)
    store = _netsuite_account(stack).store
    return [
        store.get("deposit", link.internal_id) for link in held if link.record_type == "deposit"
    ]


def _lines(body: dict[str, Any]) -> int:
    return sum(
        len(body.get(name, {}).get("items", [])) for name in ("payment", "other", "cashback")
    )


def run(charges: int, max_lines: int, seed_value: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sns-large-payout-"))
    stack = demo.start(
        workdir=workdir,
        seed=seed_value,
        serve_engine=False,
        # Held webhooks: the benchmark queues the jobs itself. No read limit: the payments
        # sync from Stripe in minutes here, where a day's webhooks would spread them out.
        stripe_options={"deliver_webhooks": False, "read_rate_limit": 0,
                        "start_time": demo.MONTH_START},
        account_options={"deposit_max_lines": max_lines},
    )  # fmt: skip
    engine: subprocess.Popen[bytes] | None = None
    try:
        print(f"seeding {charges} card payments in the Stripe sandbox ...", flush=True)
        started = time.monotonic()
        made = seed(stack, charges, seed_value)
        seeded = time.monotonic() - started
        demo.pay_out_everything(stack)
        client = stack.stripe_client()
        (payout,) = [p.to_dict() for p in client.v1.payouts.list().data]
        listed = client.v1.balance_transactions.list(params={"payout": payout["id"], "limit": 100})
        bts = sum(1 for bt in listed.auto_paging_iter() if bt.type != "payout")
        print(f"payout {payout['id']}: {bts} balance transactions", flush=True)

        env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
               "SNS_DATABASE_URL": stack.database_url, "SNS_PORT": str(stack.engine_port),
               "SNS_EVENTS_POLL_SECONDS": "0", "SNS_WORKER_CONCURRENCY": "16",
               "SNS_LOG_LEVEL": "WARNING"}  # fmt: skip
        log = open(workdir / "engine.log", "wb")
        engine = subprocess.Popen(
            [sys.executable, "-m", "stripe_netsuite", "serve"], env=env, stdout=log, stderr=log
        )
        demo.wait_for_engine(stack.engine_port)

        print("step 1: syncing the payments ...", flush=True)
        reset_counts(stack)
        enqueue(stack, "charge", made)
        payments_seconds = wait_idle(stack)
        payments_calls, _ = netsuite_counts(stack)

        print("step 2: posting the payout ...", flush=True)
        reset_counts(stack)
        enqueue(stack, "payout", [payout["id"]])
        seconds = wait_idle(stack)
        calls, writes = netsuite_counts(stack)
        deposits = deposits_of(stack, payout["id"])
        lines = [_lines(body) for body in deposits]
        total = sum((Decimal(str(body["total"])) for body in deposits), Decimal(0))
        difference = abs(Decimal(payout["amount"]) / 100 - total)
        (report,) = [r for r in demo.reconciliation(stack) if r.payout_id == payout["id"]]

        print("step 3: posting the unchanged payout again ...", flush=True)
        reset_counts(stack)
        enqueue(stack, "payout", [payout["id"]])
        repost_seconds = wait_idle(stack)
        _, repost_writes = netsuite_counts(stack)
        again = deposits_of(stack, payout["id"])
        parked = queue.list_jobs(stack.database, state="parked", limit=100_000)
        return {
            "charges": charges,
            "balance_transactions": bts,
            "deposits": len(deposits),
            "max_lines_per_deposit": max(lines, default=0),
            "lines": sum(lines),
            "difference": str(difference),
            "reconcile_ties_out": report.ties_out,
            "netsuite_calls": calls,
            "netsuite_writes": writes,
            "netsuite_calls_per_1000_lines": round(calls * 1000 / max(sum(lines), 1), 3),
            "seconds": round(seconds, 2),
            "seed_seconds": round(seeded, 2),
            "payments_seconds": round(payments_seconds, 2),
            "payments_netsuite_calls": payments_calls,
            "repost_seconds": round(repost_seconds, 2),
            "repost_netsuite_writes": repost_writes,
            "repost_deposits": len(again),
            "parked_jobs": len(parked),
        }
    finally:
        if engine is not None:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(timeout=30)
            except subprocess.TimeoutExpired:
                engine.kill()
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charges", type=int, default=25_000)
    parser.add_argument("--max-lines", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.charges, args.max_lines, args.seed)
    print(
        f"{result['balance_transactions']} balance transactions → {result['deposits']} deposits"
        f" (at most {result['max_lines_per_deposit']} lines), difference {result['difference']},"
        f" {result['netsuite_calls_per_1000_lines']} NetSuite calls per 1000 lines,"
        f" {result['seconds']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
