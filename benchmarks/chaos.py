"""The demo month twice: once clean, once through a bad night; the books must come out the same.

The chaos run kills the engine with SIGKILL at least five times while it syncs, makes the
NetSuite sandbox fail 20% of requests (errors, hangs, dropped connections, and writes whose
answer is lost), duplicates and shuffles Stripe's webhooks and drops 20% of them (the events
poller must find those), and takes the engine's SQLite database away for ten seconds (another
connection holds an exclusive lock). Both runs use the same seed, so the same business.

    python benchmarks/chaos.py [--seed 7] [--kills 5] [--fault-rate 0.2]

Printed: each run's figures, then one JSON line with ``kills``, ``netsuite_fault_rate``,
``duplicates`` (NetSuite records sharing an externalId), ``lost`` (Stripe objects the clean
run synced whose counterpart in the chaos run has no record), ``ledger_differences``
(GL account and currency pairs whose balance differs from the clean run) and more.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.mapping import reconciliation as reconciliation_module
from stripe_netsuite_sandbox import books, demo
from stripe_netsuite_sandbox import business as business_module
from stripe_netsuite_sandbox.netsuite import chart, gl

#: The engine's client gives up on a NetSuite request after this long (a hang is a timeout).
CLIENT_TIMEOUT_SECONDS = 3.0
OUTAGE_SECONDS = 10.0
#: The Stripe sandbox's events list reaches back this far in this benchmark (see run_month).
EVENT_RETENTION_DAYS = 365


@dataclass
class Engine:
    """The engine as its own process, killed and started again on demand."""

    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    kills: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stripe_netsuite", "serve"],
                env=self.env,
                stdout=out,
                stderr=out,
            )
        demo.wait_for_engine(self.port)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@dataclass
class Trouble:
    """Kills the engine at random moments and takes its database away once."""

    engine: Engine
    database_file: Path
    kills: int
    rng: random.Random
    outage_done: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        try:
            for n in range(self.kills):
                time.sleep(self.rng.uniform(1.5, 4.0))
                self.engine.kill()
                if n == self.kills // 2:
                    self._outage()
                self.engine.start()
        except Exception as exc:  # reported in the result, never swallowed
            self.errors.append(repr(exc))
        finally:
            self.done.set()

    def _outage(self) -> None:
        # The engine is down at this moment; it starts into a locked database and must wait.
        conn = sqlite3.connect(
            self.database_file, timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.execute("BEGIN EXCLUSIVE")

        def release() -> None:
            conn.rollback()
            conn.close()

        threading.Timer(OUTAGE_SECONDS, release).start()
        self.outage_done = True


def run_month(*, seed: int, chaos: bool, kills: int, fault_rate: float) -> dict[str, Any]:
    """One demo month, synced by an engine process; the books it leaves."""
    workdir = Path(tempfile.mkdtemp(prefix=f"sns-chaos-{'chaos' if chaos else 'clean'}-"))
    stripe_options: dict[str, Any] = {
        "start_time": demo.MONTH_START,
        "settlement_currencies": demo.CURRENCIES,
        # The month passes in seconds: a poller down for a second of real time must not
        # find a day of events already gone from Stripe's 30-day list.
        "event_retention_days": EVENT_RETENTION_DAYS,
    }
    netsuite_options: dict[str, Any] = {"hang_seconds": CLIENT_TIMEOUT_SECONDS * 2}
    if chaos:
        stripe_options.update(duplicate_rate=0.2, shuffle=True, drop_rate=0.2)
        netsuite_options.update(fault_rate=fault_rate)
    stack = demo.start(
        workdir=workdir,
        seed=seed,
        serve_engine=False,
        stripe_options=stripe_options,
        netsuite_options=netsuite_options,
        account_options={},
    )
    database_file = workdir / "stripe-netsuite.db"
    _set_client_timeout(stack.settings.config)
    env = {
        **os.environ,
        "SNS_CONFIG": str(stack.settings.config),
        "SNS_DATABASE_URL": stack.database_url,
        "SNS_PORT": str(stack.engine_port),
        "SNS_EVENTS_POLL_SECONDS": "2",
        "SNS_LEASE_SECONDS": "10",
        "SNS_RETRY_BASE_SECONDS": "0.5",
        "SNS_RETRY_CAP_SECONDS": "5",
        "SNS_RETRY_MAX_ATTEMPTS": "30",
        "SNS_AUTO_RETRY_SECONDS": "5",
        "SNS_LOG_LEVEL": os.environ.get("SNS_LOG_LEVEL", "WARNING"),
    }
    engine = Engine(env=env, port=stack.engine_port, log=workdir / "engine.log")
    started = time.monotonic()
    trouble = None
    try:
        engine.start()
        if chaos:
            trouble = Trouble(engine, database_file, kills, random.Random(seed))
            threading.Thread(target=trouble.run, name="trouble", daemon=True).start()
        client = stack.stripe_client()
        business_module.build(
            client, seed=seed, advance=lambda seconds: demo.advance(stack, seconds)
        )
        demo.pay_out_everything(stack)
        if trouble is not None:
            trouble.done.wait(timeout=600)
        demo.wait_until_synced(stack, timeout=1800)
        # The poller finds what the dropped webhooks did not deliver: give it two rounds.
        time.sleep(5)
        demo.wait_until_synced(stack, timeout=1800)
        accounting = demo.account_for(stack)
        reports = demo.reconciliation(stack)
        records = books.netsuite_records(stack.netsuite.base_url)
        stats = books.netsuite_stats(stack.netsuite.base_url)
        netsuite_books = stack.netsuite.app.app.state.sandbox.account
        lost_events = _events_of(stack, accounting.unaccounted)
        return {
            "seconds": round(time.monotonic() - started, 1),
            "kills": engine.kills,
            "outage": bool(trouble and trouble.outage_done),
            "trouble_errors": trouble.errors if trouble else [],
            "faults": stats.get("faults", 0),
            "requests": stats.get("requests", 0),
            "duplicates": len(books.duplicate_external_ids(records)),
            "unaccounted": accounting.unaccounted,
            "parked": accounting.parked,
            "counts": accounting.netsuite_counts,
            "payouts_tied": not reconciliation_module.any_difference(reports),
            "ledger": _ledger(netsuite_books),
            "unbalanced": len(gl.unbalanced(netsuite_books)),
            "lost_events": lost_events,
        }
    finally:
        engine.stop()
        stack.stop()


def _events_of(stack: demo.Stack, unaccounted: list[str]) -> dict[str, list[str]]:
    """For each object with no record: its Stripe events (type, created) and the poll cursor."""
    wanted = {item.split()[-1] for item in unaccounted}
    found: dict[str, list[str]] = {oid: [] for oid in wanted}
    for event in books.stripe_objects(stack.stripe.base_url, stack.api_key).get("event", []):
        oid = event["data"]["object"].get("id")
        if oid in found:
            found[oid].append(f"{event['id']} {event['type']} created={event['created']}")
    with stack.database.connect() as conn:
        cursor = conn.execute(sa.text("select value, updated_at from cursors")).all()
    found["cursor"] = [str(tuple(row)) for row in cursor]
    return found


def _set_client_timeout(config: Path) -> None:
    # A hang must cost seconds, not the default thirty.
    text = config.read_text(encoding="utf-8")
    marker = "[accounts.main.netsuite]\n"
    assert marker in text, "the demo config has no netsuite table"
    text = text.replace(marker, f"{marker}timeout_seconds = {CLIENT_TIMEOUT_SECONDS}\n")
    config.write_text(text, encoding="utf-8")


def _ledger(netsuite_books: Any) -> dict[str, str]:
    """GL balance (debit positive, base currency) by account and transaction currency."""
    balances: dict[str, str] = {}
    for code, currency in chart.CURRENCIES.items():
        for account, amount in gl.balances(netsuite_books, currency=currency).items():
            if amount:
                balances[f"{account}/{code}"] = str(amount)
    return dict(sorted(balances.items()))


def compare(clean: dict[str, Any], chaos: dict[str, Any]) -> dict[str, Any]:
    """What the bad night changed in the books."""
    keys = set(clean["ledger"]) | set(chaos["ledger"])
    differences = sorted(
        key
        for key in keys
        if Decimal(clean["ledger"].get(key, "0")) != Decimal(chaos["ledger"].get(key, "0"))
    )
    shortfall = Counter(clean["counts"])
    shortfall.subtract(Counter(chaos["counts"]))
    lost = sum(n for n in shortfall.values() if n > 0) + len(chaos["unaccounted"])
    return {
        "differences": differences,
        "lost": lost,
        "lost_by_type": {k: n for k, n in shortfall.items() if n > 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    args = parser.parse_args()
    print("clean run ...", flush=True)
    clean = run_month(seed=args.seed, chaos=False, kills=0, fault_rate=0.0)
    print(f"  {clean['seconds']} s, {sum(clean['counts'].values())} records", flush=True)
    print("chaos run ...", flush=True)
    chaos = run_month(seed=args.seed, chaos=True, kills=args.kills, fault_rate=args.fault_rate)
    print(f"  {chaos['seconds']} s, {sum(chaos['counts'].values())} records", flush=True)
    diff = compare(clean, chaos)
    for key in diff["differences"]:
        print(f"  ledger differs {key}: {clean['ledger'].get(key)} vs {chaos['ledger'].get(key)}")
    for item in chaos["unaccounted"] + chaos["parked"]:
        print(f"  {item}")
    result = {
        "benchmark": "chaos",
        "seed": args.seed,
        "kills": chaos["kills"],
        "database_outage_seconds": OUTAGE_SECONDS if chaos["outage"] else 0,
        "netsuite_fault_rate": args.fault_rate,
        "netsuite_faults": chaos["faults"],
        "netsuite_requests": chaos["requests"],
        "webhooks": {"duplicate_rate": 0.2, "drop_rate": 0.2, "shuffled": True},
        "duplicates": chaos["duplicates"],
        "lost": diff["lost"],
        "lost_by_type": diff["lost_by_type"],
        "parked": len(chaos["parked"]),
        "ledger_accounts": len(clean["ledger"]),
        "ledger_differences": len(diff["differences"]),
        "payouts_tie_out": chaos["payouts_tied"] and clean["payouts_tied"],
        "unbalanced_postings": chaos["unbalanced"] + clean["unbalanced"],
        "clean_seconds": clean["seconds"],
        "chaos_seconds": chaos["seconds"],
        "trouble_errors": chaos["trouble_errors"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
