"""Whole stacks with a closed October in NetSuite: a Stripe invoice and its payment, dated in
October, under ``hold`` (parked, then posted once October reopens) and ``first_open`` (posted in
November, the Stripe date in the memo). GL lines are checked with their posting periods."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import stripe

from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
D = Decimal
AR, INCOME, UNDEPOSITED = chart.ACCOUNTS_RECEIVABLE, chart.INCOME, chart.UNDEPOSITED_FUNDS


def set_period(stack: demo.Stack, name: str, **flags: bool) -> None:
    answer = httpx.post(f"{stack.netsuite.base_url}/__sandbox/periods/{name}", json=flags)
    assert answer.status_code == 200, answer.text


def reopen(stack: demo.Stack, name: str) -> None:
    set_period(stack, name, closed=False, arLocked=False, apLocked=False, allLocked=False)


def books(stack: demo.Stack) -> Any:
    return stack.netsuite.app.app.state.sandbox.account


def period_id(stack: demo.Stack, name: str) -> str:
    found = books(stack).store.all("accountingPeriod")
    return str(next(b for b in found if b["periodName"] == name)["id"])


def paid_invoice(client: stripe.StripeClient, amount: int) -> tuple[str, str]:
    customer = client.v1.customers.create(
        params={"name": "Closing Co", "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip
    client.v1.invoice_items.create(
        params={"customer": customer, "amount": amount, "currency": "usd"}
    )
    draft = client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    paid = client.v1.invoices.pay(draft.id)
    charge = client.v1.charges.list(params={"customer": customer}).data[0].id
    assert paid.status == "paid"
    return draft.id, charge


def posted(stack: demo.Stack, stripe_id: str, role: str) -> tuple[dict[str, Any], list[Any]]:
    """The engine's NetSuite record for (stripe_id, role) and its GL lines as
    (account, debit|credit, amount, posting period)."""
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    account = books(stack)
    body = account.store.get(link.record_type, link.internal_id)
    impact = account.gl.impact_of(link.internal_id)
    lines = sorted(
        (ln.account, "debit" if ln.amount > 0 else "credit", abs(ln.amount), impact.period)
        for ln in gl.lines_of(account, link.internal_id)
    )
    return body, lines


def test_hold_parks_october_postings_until_october_reopens(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"closed_periods": "hold", "period_cache_seconds": 0},
    )
    set_period(stack, "Oct 2026", closed=True)
    invoice, charge = paid_invoice(stack.stripe_client(), 4200)
    demo.wait_until_synced(stack)

    parked = {job.kind: job for job in queue.list_jobs(stack.database, state="parked")}
    assert set(parked) >= {"invoice"}
    assert "Oct 2026, which is closed: held until the period reopens" in str(
        parked["invoice"].last_error
    )
    assert list(books(stack).store.all("invoice")) == []

    reopen(stack, "Oct 2026")
    assert queue.requeue(stack.database) >= 1  # what the automatic retry of parked jobs does
    demo.wait_until_synced(stack)
    assert queue.list_jobs(stack.database, state="parked") == []
    october = period_id(stack, "Oct 2026")
    body, lines = posted(stack, invoice, "invoice")
    assert body["tranDate"].startswith("2026-10")
    assert lines == [(AR, "debit", D("42.00"), october), (INCOME, "credit", D("42.00"), october)]
    _, payment = posted(stack, charge, "payment")
    assert payment == [
        (UNDEPOSITED, "debit", D("42.00"), october),
        (AR, "credit", D("42.00"), october),
    ]


def test_first_open_posts_october_in_november(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"closed_periods": "first_open"},
    )
    set_period(stack, "Oct 2026", closed=True)
    invoice, charge = paid_invoice(stack.stripe_client(), 1500)
    demo.wait_until_synced(stack)

    assert queue.list_jobs(stack.database, state="parked") == []
    november = period_id(stack, "Nov 2026")
    body, lines = posted(stack, invoice, "invoice")
    assert body["tranDate"] == "2026-11-01"
    assert body["postingPeriod"] == {"id": november}
    assert "Stripe date 2026-10-01 (Oct 2026 closed)" in body["memo"]
    assert lines == [(AR, "debit", D("15.00"), november), (INCOME, "credit", D("15.00"), november)]
    payment_body, payment = posted(stack, charge, "payment")
    assert payment_body["tranDate"] == "2026-11-01"
    assert payment == [
        (UNDEPOSITED, "debit", D("15.00"), november),
        (AR, "credit", D("15.00"), november),
    ]
