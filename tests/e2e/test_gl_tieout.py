"""`stripe-netsuite tieout` over both sandboxes: what ties today, and a known difference."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import stripe

from stripe_netsuite.mapping.tieout import Line, TieOut
from stripe_netsuite_sandbox import demo

StackFactory = Callable[..., demo.Stack]


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


def test_a_credit_granted_by_hand_shows_on_customer_credit_and_sales(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Goodwill Co")
    invoice(client, cus, 5000, pay=True)
    credit = client.v1.customers.balance_transactions.create(
        cus, params={"amount": -2500, "currency": "usd", "description": "goodwill"}
    )
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    # The engine books nothing for a hand adjustment of the customer balance (yet).
    result = demo.tie_out(stack)
    differing = {t.line: t.difference for t in result.differing}
    assert differing == {Line.CUSTOMER_CREDIT: Decimal("25.00"), Line.NET_SALES: Decimal("-25.00")}
    assert result.line("usd", Line.CUSTOMER_CREDIT).sources == (cus,)
    assert result.line("usd", Line.NET_SALES).stripe == Decimal("25.00")
    assert credit.id in result.line("usd", Line.NET_SALES).sources
