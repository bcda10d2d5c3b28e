"""`stripe-netsuite backfill` over both sandboxes: history the events list no longer holds.

The Stripe sandbox delivers no webhooks here and the events poll is off, so the engine
learns of these objects only from the backfill's reads of Stripe's lists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import stripe

from stripe_netsuite.engine import backfill
from stripe_netsuite.store import cursors, links, queue
from stripe_netsuite.store.tables import jobs
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal]
DAY = 86_400
START = demo.MONTH_START - 60 * DAY  # two months before the demo month


def quiet_stack(make_stack: StackFactory, **stripe_options: Any) -> demo.Stack:
    """A stack whose Stripe sandbox tells the engine nothing on its own (test mode's limit)."""
    options = {"start_time": START, "deliver_webhooks": False, "read_rate_limit": 25,
               **stripe_options}  # fmt: skip
    return make_stack(stripe_options=options)


def cli(stack: demo.Stack, *args: str, **env: str) -> subprocess.Popen[str]:
    environ = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
               "SNS_DATABASE_URL": stack.database_url, **env}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "stripe_netsuite", "backfill", *args],
        env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_cli(stack: demo.Stack, *args: str, **env: str) -> tuple[dict[str, Any], str]:
    process = cli(stack, *args, **env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out.splitlines()[-1]), err


def day(offset: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(START + offset * DAY))


def customer(client: stripe.StripeClient, name: str) -> str:
    return client.v1.customers.create(
        params={"name": name, "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip


def paid_invoice(client: stripe.StripeClient, cus: str, amount: int) -> stripe.Invoice:
    client.v1.invoice_items.create(params={"customer": cus, "amount": amount, "currency": "usd"})
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    return client.v1.invoices.pay(draft.id)


def wait_idle(stack: demo.Stack, *, timeout: float = 300.0) -> None:
    """Wait until the engine's queue is idle and stays so (no webhook is flushed)."""
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not finish syncing in time")
        time.sleep(0.3)
        calm = calm + 1 if queue.is_idle(stack.database) else 0


def gl_lines(stack: demo.Stack, stripe_id: str, role: str) -> list[Posted]:
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, link.internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def netsuite_records(stack: demo.Stack, record_type: str) -> list[dict[str, Any]]:
    store = stack.netsuite.app.app.state.sandbox.account.store
    return [dict(body) for body in store.all(record_type)]


def jobs_per_object(stack: demo.Stack) -> Counter[str]:
    with stack.database.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.object_id)).scalars().all()
    return Counter(rows)


def test_backfill_of_a_range_older_than_the_events_list_posts_the_books(
    make_stack: StackFactory,
) -> None:
    stack = quiet_stack(make_stack)
    client = stack.stripe_client()
    old_cus = customer(client, "Old Co")
    old = paid_invoice(client, old_cus, 12_345)
    old_charge = client.v1.charges.list(params={"customer": old_cus}).data[0].id
    demo.advance(stack, 20 * DAY)
    late_cus = customer(client, "Late Co")
    late = paid_invoice(client, late_cus, 5_000)
    demo.advance(stack, 40 * DAY)
    # Stripe's events list no longer reaches the first objects: only their lists do.
    kept = {e.data.object.get("id") for e in client.v1.events.list(params={"limit": 100}).data}
    assert old.id not in kept and old_cus not in kept

    summary, err = run_cli(stack, "--since", day(0), "--until", day(10))
    wait_idle(stack)

    assert summary["resumed"] is False
    d = Decimal
    # The daily payout of day 2 paid the old charge out: it is history too.
    payout = client.v1.payouts.list(params={"created": {"lt": START + 10 * DAY}}).data[0]
    assert summary["by_type"] == {"customer": 1, "invoice": 1, "charge": 1, "payout": 1}
    bank, fees, funds = chart.BANK_ACCOUNTS["usd"], chart.STRIPE_FEES, chart.UNDEPOSITED_FUNDS
    assert gl_lines(stack, payout.id, "deposit") == sorted(
        [
            (bank, "debit", d("119.57")),
            (fees, "debit", d("3.88")),
            (funds, "credit", d("123.45")),
        ]
    )
    assert payout.amount == 11957
    assert "listed" in err and "ETA" in err
    ar, income = chart.ACCOUNTS_RECEIVABLE, chart.INCOME
    assert gl_lines(stack, old.id, "invoice") == sorted(
        [(ar, "debit", d("123.45")), (income, "credit", d("123.45"))]
    )
    assert gl_lines(stack, old_charge, "payment") == sorted(
        [(funds, "debit", d("123.45")), (ar, "credit", d("123.45"))]
    )
    # Outside the window: left alone.
    for stripe_id, role in ((late_cus, "customer"), (late.id, "invoice")):
        assert (
            links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role) is None
        )


def test_types_filter_lists_only_the_kinds_asked_for(make_stack: StackFactory) -> None:
    stack = quiet_stack(make_stack)
    client = stack.stripe_client()
    names = [customer(client, f"Only Co {n}") for n in range(3)]
    invoice = paid_invoice(client, names[0], 2_000)

    summary, _ = run_cli(stack, "--since", day(0), "--types", "customers")
    wait_idle(stack)

    assert summary["types"] == ["customer"]
    assert summary["queued"] == 3
    assert set(jobs_per_object(stack)) == set(names)
    assert (
        links.get(stack.database, account=demo.ACCOUNT, stripe_id=invoice.id, role="invoice")
        is None
    )
    external = sorted(str(r.get("externalId")) for r in netsuite_records(stack, "customer"))
    assert external == sorted(f"acct_sandbox:{cus}" for cus in names)

    refused = cli(stack, "--since", day(0), "--types", "customer,invoices,widgets")
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "unknown type 'widgets'" in err


def test_a_killed_backfill_resumes_with_nothing_missing_and_nothing_twice(
    make_stack: StackFactory,
) -> None:
    stack = quiet_stack(make_stack, read_rate_limit=100)  # live mode's read limit
    client = stack.stripe_client()
    made = [customer(client, f"Resume Co {n}") for n in range(350)]  # four pages

    # 60 reads a second pay for 30 objects a second (each costs the worker two reads):
    # the run is killed once its first hundred are committed.
    first = cli(stack, "--since", day(0), "--types", "customer",
                SNS_BACKFILL_READS_PER_SECOND="60")  # fmt: skip
    state = None
    while state is None or state.listed < 100:
        assert first.poll() is None, "the run ended before it could be stopped"
        state = backfill.State.loads(cursors.get(stack.database, backfill.cursor_name("main")))
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    state = backfill.State.loads(cursors.get(stack.database, backfill.cursor_name("main")))
    assert state is not None and not state.finished and state.listed < len(made)

    summary, _ = run_cli(stack, "--since", day(0), "--types", "customer")
    wait_idle(stack)

    assert summary["resumed"] is True and summary["run"] == state.run
    assert summary["listed_in_run"] == len(made)
    assert summary["listed"] == len(made) - state.listed
    counts = jobs_per_object(stack)
    assert set(counts) == set(made) and set(counts.values()) == {1}
    external = Counter(r.get("externalId") for r in netsuite_records(stack, "customer"))
    assert external == Counter(f"acct_sandbox:{cus}" for cus in made)
