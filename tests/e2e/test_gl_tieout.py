"""`stripe-netsuite tieout` over both sandboxes: GL lines of the engine's records, tied out."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import stripe

from stripe_netsuite.mapping.tieout import Line, TieOut
from stripe_netsuite.store import links
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal]


def invoice(client: stripe.StripeClient, customer: str, amount: int, *, pay: bool) -> str:
    client.v1.invoice_items.create(
        params={"customer": customer, "amount": amount, "currency": "usd"}
    )
    draft = client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include"}
    )
    found = client.v1.invoices.finalize_invoice(draft.id)
    if pay:
        found = client.v1.invoices.pay(found.id)
    return found.id


def customer(client: stripe.StripeClient, name: str) -> str:
    return client.v1.customers.create(
        params={"name": name, "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip


def figures(result: TieOut) -> dict[Line, tuple[Decimal, Decimal]]:
    return {t.line: (t.stripe, t.netsuite) for t in result.lines if t.currency == "usd"}


def test_a_paid_invoice_an_open_one_and_a_payout_tie_out(make_stack: StackFactory) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Tie Co")
    invoice(client, cus, 5000, pay=True)
    demo.pay_out_everything(stack)
    invoice(client, cus, 2000, pay=True)  # paid, not paid out yet: in transit
    open_id = invoice(client, cus, 3000, pay=False)
    demo.wait_until_synced(stack)

    result = demo.tie_out(stack)
    assert figures(result) == {
        Line.RECEIVABLES: (Decimal("30.00"), Decimal("30.00")),
        Line.TAX: (Decimal("0.00"), Decimal("0.00")),
        Line.NET_SALES: (Decimal("100.00"), Decimal("100.00")),
        Line.CUSTOMER_CREDIT: (Decimal("0.00"), Decimal("0.00")),
        Line.IN_TRANSIT: (Decimal("20.00"), Decimal("20.00")),
    }
    assert result.differing == ()
    assert result.line("usd", Line.RECEIVABLES).sources == (open_id,)

    env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
           "SNS_DATABASE_URL": stack.database_url}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "stripe_netsuite", "tieout"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("every line ties out\n")
    rows = [line.split() for line in done.stdout.splitlines()]
    assert ["accounts", "receivable", "30.00", "30.00", "0.00"] in rows
    bad = subprocess.run(
        [sys.executable, "-m", "stripe_netsuite", "tieout", "--as-of", "soon"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "not a date" in bad.stderr


def gl_lines(stack: demo.Stack, record_type: str, stripe_id: str, role: str) -> list[Posted]:
    """(account, debit or credit, amount) of the GL lines of the engine's record."""
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    assert link.record_type == record_type
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, link.internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def test_customer_balance_granted_used_and_credited_ties_out(make_stack: StackFactory) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Goodwill Co")
    credit = client.v1.customers.balance_transactions.create(
        cus, params={"amount": -4000, "currency": "usd", "description": "goodwill"}
    )
    used = invoice(client, cus, 10000, pay=True)  # 40.00 of balance, 60.00 charged
    line = client.v1.invoices.retrieve(used).lines.data[0].id
    note = client.v1.credit_notes.create(
        params={"invoice": used, "credit_amount": 1500,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 1500}]}
    )  # fmt: skip
    assert note.customer_balance_transaction
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    ar, income = chart.ACCOUNTS_RECEIVABLE, chart.INCOME
    credit_acct, allowance = chart.CUSTOMER_CREDIT, chart.DISCOUNTS
    d = Decimal
    # Granted by hand: the allowance against the customer-credit liability.
    assert gl_lines(stack, "journalEntry", credit.id, "balance_adjustment") == sorted(
        [(allowance, "debit", d("40.00")), (credit_acct, "credit", d("40.00"))]
    )
    # Used by the invoice, once.
    assert gl_lines(stack, "creditMemo", used, "balance_credit") == sorted(
        [(credit_acct, "debit", d("40.00")), (ar, "credit", d("40.00"))]
    )
    assert gl_lines(stack, "invoice", used, "invoice") == sorted(
        [(ar, "debit", d("100.00")), (income, "credit", d("100.00"))]
    )
    # The credit note credits the balance: it lands in customer credit, nothing is refunded.
    assert gl_lines(stack, "creditMemo", note.id, "credit_memo") == sorted(
        [(income, "debit", d("15.00")), (ar, "credit", d("15.00"))]
    )
    assert gl_lines(stack, "invoice", note.id, "balance_transfer") == sorted(
        [(ar, "debit", d("15.00")), (credit_acct, "credit", d("15.00"))]
    )
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=note.id,
                     role="refund") is None  # fmt: skip
    usd = chart.CURRENCIES["usd"]
    balances = gl.balances(stack.netsuite.app.app.state.sandbox.account, currency=usd)
    assert balances[credit_acct] == d("-15.00")
    assert balances[ar] == d("0.00")

    result = demo.tie_out(stack)
    assert figures(result) == {
        Line.RECEIVABLES: (d("0.00"), d("0.00")),
        Line.TAX: (d("0.00"), d("0.00")),
        Line.NET_SALES: (d("45.00"), d("45.00")),
        Line.CUSTOMER_CREDIT: (d("15.00"), d("15.00")),
        Line.IN_TRANSIT: (d("0.00"), d("0.00")),
    }
    assert result.differing == ()
