"""Checkout Sessions and payment links over both sandboxes: the GL lines a sale posts.

Each sale is paid on the Stripe sandbox's hosted page (no API key, a test card), synced
by the engine, paid out, then read back from NetSuite's general ledger and tied out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import stripe

from stripe_netsuite.mapping import tieout
from stripe_netsuite.mapping.checkout_sale import guest_key
from stripe_netsuite.mapping.tieout import Line
from stripe_netsuite.store import links
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl
from stripe_netsuite_sandbox.stripe import hosted

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal, str]
D = Decimal
AR, INCOME, TAX = chart.ACCOUNTS_RECEIVABLE, chart.INCOME, chart.TAX_PAYABLE
UNDEPOSITED, CLEARING = chart.UNDEPOSITED_FUNDS, chart.STRIPE_CLEARING


def start(make_stack: StackFactory, **options: Any) -> tuple[demo.Stack, stripe.StripeClient]:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START}, **options)
    return stack, stack.stripe_client()


def price(client: stripe.StripeClient, amount: int, name: str) -> str:
    return client.v1.prices.create(
        params={"currency": "usd", "unit_amount": amount, "product_data": {"name": name}}
    ).id


def rate(client: stripe.StripeClient, percent: float, *, inclusive: bool) -> str:
    return client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": percent, "inclusive": inclusive}
    ).id


def pay_page(stack: demo.Stack, url: str, **form: str) -> None:
    page = hosted.local_url(url, stack.stripe.base_url)
    paid = httpx.post(page, data={"payment_method": "pm_card_visa", **form})
    assert paid.status_code == 200, paid.text


def charge_of(client: stripe.StripeClient, session_id: str) -> str:
    session = client.v1.checkout.sessions.retrieve(session_id)
    assert session.status == "complete"
    intent = client.v1.payment_intents.retrieve(str(session.payment_intent))
    return str(intent.latest_charge)


def gl_lines(stack: demo.Stack, stripe_id: str, role: str) -> list[Posted]:
    """(account, debit or credit, amount, currency) of the GL lines of the engine's record."""
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, link.internal_id)]
    return sorted(
        (acct, "debit" if amt > 0 else "credit", abs(amt), "usd") for acct, amt in found if amt
    )


def posted(*lines: tuple[str, str, Decimal]) -> list[Posted]:
    return sorted((*line, "usd") for line in lines)


def ties(stack: demo.Stack) -> dict[Line, tuple[Decimal, Decimal]]:
    result = demo.tie_out(stack)
    assert result.differing == (), tieout.render(result)
    return {t.line: (t.stripe, t.netsuite) for t in result.lines if t.currency == "usd"}


def settle(stack: demo.Stack) -> None:
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)


def test_inclusive_tax_session_posts_net_revenue_and_tax(make_stack: StackFactory) -> None:
    stack, client = start(make_stack)
    vat = rate(client, 20.0, inclusive=True)
    session = client.v1.checkout.sessions.create(
        params={"mode": "payment", "customer_creation": "always",
                "line_items": [{"price": price(client, 6000, "Seat"), "quantity": 2,
                                "tax_rates": [vat]}]}
    )  # fmt: skip
    pay_page(stack, str(session.url), email="vat@x.io", name="Vat Co")
    charge = charge_of(client, session.id)
    settle(stack)

    # 120.00 holds 20.00 of VAT: 100.00 to income, 20.00 to the tax account.
    assert gl_lines(stack, charge, "invoice") == posted(
        (AR, "debit", D("120.00")), (INCOME, "credit", D("100.00")), (TAX, "credit", D("20.00"))
    )
    assert gl_lines(stack, charge, "payment") == posted(
        (UNDEPOSITED, "debit", D("120.00")), (AR, "credit", D("120.00"))
    )
    # The session's own sales order is linked too (it does not post).
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=session.id,
                     role="sales_order") is not None  # fmt: skip
    figures = ties(stack)
    assert figures[Line.TAX] == (D("20.00"), D("20.00"))
    assert figures[Line.NET_SALES] == (D("100.00"), D("100.00"))
    assert figures[Line.IN_TRANSIT] == (D("0.00"), D("0.00"))


def test_exclusive_tax_session_adds_tax_on_top(make_stack: StackFactory) -> None:
    stack, client = start(make_stack)
    sales_tax = rate(client, 10.0, inclusive=False)
    session = client.v1.checkout.sessions.create(
        params={"mode": "payment", "customer_creation": "always",
                "line_items": [
                    {"price": price(client, 3000, "Kit"), "quantity": 1, "tax_rates": [sales_tax]},
                    {"price": price(client, 1500, "Manual"), "quantity": 2,
                     "tax_rates": [sales_tax]}]}
    )  # fmt: skip
    pay_page(stack, str(session.url), email="ex@x.io")
    charge = charge_of(client, session.id)
    settle(stack)

    # 60.00 of goods and 6.00 of tax on top: 66.00 receivable, paid in full.
    assert gl_lines(stack, charge, "invoice") == posted(
        (AR, "debit", D("66.00")), (INCOME, "credit", D("30.00")),
        (INCOME, "credit", D("30.00")), (TAX, "credit", D("3.00")), (TAX, "credit", D("3.00")),
    )  # fmt: skip
    assert gl_lines(stack, charge, "payment") == posted(
        (UNDEPOSITED, "debit", D("66.00")), (AR, "credit", D("66.00"))
    )
    figures = ties(stack)
    assert figures[Line.TAX] == (D("6.00"), D("6.00"))
    assert figures[Line.NET_SALES] == (D("60.00"), D("60.00"))
    assert figures[Line.RECEIVABLES] == (D("0.00"), D("0.00"))


def test_payment_link_without_a_customer_posts_against_a_guest(make_stack: StackFactory) -> None:
    stack, client = start(make_stack)
    link = client.v1.payment_links.create(
        params={"line_items": [{"price": price(client, 2500, "Ticket"), "quantity": 2}]}
    )
    pay_page(stack, link.url, email="Guest@X.io", name="Gail Guest")
    session = client.v1.checkout.sessions.list(params={"payment_link": link.id}).data[0]
    assert session.customer is None
    charge = charge_of(client, session.id)
    settle(stack)

    assert gl_lines(stack, charge, "invoice") == posted(
        (AR, "debit", D("50.00")), (INCOME, "credit", D("50.00"))
    )
    assert gl_lines(stack, charge, "payment") == posted(
        (UNDEPOSITED, "debit", D("50.00")), (AR, "credit", D("50.00"))
    )
    guest = links.get(stack.database, account=demo.ACCOUNT, stripe_id=guest_key("guest@x.io"),
                      role="customer")  # fmt: skip
    assert guest is not None
    books = stack.netsuite.app.app.state.sandbox.account
    customer = books.get("customer", guest.internal_id)
    assert (customer["email"], customer["companyName"]) == ("guest@x.io", "Gail Guest")
    invoice_link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=charge, role="invoice")
    assert invoice_link is not None
    assert str(books.get("invoice", invoice_link.internal_id)["entity"]["id"]) == guest.internal_id
    figures = ties(stack)
    assert figures[Line.NET_SALES] == (D("50.00"), D("50.00"))

    env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
           "SNS_DATABASE_URL": stack.database_url}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "stripe_netsuite", "tieout"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("every line ties out\n")


def test_a_guest_sale_refunded_reverses_on_the_guest(make_stack: StackFactory) -> None:
    stack, client = start(make_stack)
    link = client.v1.payment_links.create(
        params={"line_items": [{"price": price(client, 4000, "Pass"), "quantity": 1}]}
    )
    pay_page(stack, link.url, email="walkin@x.io", name="Walk In")
    session = client.v1.checkout.sessions.list(params={"payment_link": link.id}).data[0]
    charge = charge_of(client, session.id)
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 1000})
    settle(stack)

    # A quarter given back: income and receivables reversed by 10.00, paid from clearing.
    assert gl_lines(stack, refund.id, "credit_memo") == posted(
        (AR, "credit", D("10.00")), (INCOME, "debit", D("10.00"))
    )
    assert gl_lines(stack, refund.id, "refund") == posted(
        (AR, "debit", D("10.00")), (CLEARING, "credit", D("10.00"))
    )
    # The session's sales order names the guest too: nothing is parked.
    order = links.get(stack.database, account=demo.ACCOUNT, stripe_id=session.id,
                      role="sales_order")  # fmt: skip
    assert order is not None
    assert demo.account_for(stack).parked == []
    books = stack.netsuite.app.app.state.sandbox.account
    guest = links.get(stack.database, account=demo.ACCOUNT, stripe_id=guest_key("walkin@x.io"),
                      role="customer")  # fmt: skip
    assert guest is not None
    refund_link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=refund.id,
                            role="refund")  # fmt: skip
    assert refund_link is not None
    record = books.get("customerRefund", refund_link.internal_id)
    assert str(record["customer"]["id"]) == guest.internal_id
    figures = ties(stack)
    assert figures[Line.NET_SALES] == (D("30.00"), D("30.00"))
