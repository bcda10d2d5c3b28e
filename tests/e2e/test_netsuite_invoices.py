"""NetSuite → Stripe over real HTTP: invoices raised in NetSuite, paid, voided, refunded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import httpx
from netsuite_desk import FROM_NETSUITE, customer, invoice, meta, record, records, user

from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl
from stripe_netsuite_sandbox.stripe import hosted

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal]


def start(make_stack: StackFactory) -> demo.Stack:
    return make_stack(stripe_options={"start_time": demo.MONTH_START}, account_tables=FROM_NETSUITE)


def sync(stack: demo.Stack) -> None:
    demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)


def gl_of(stack: demo.Stack, internal_id: str) -> list[Posted]:
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def pay_on_hosted_page(stack: demo.Stack, url: str) -> None:
    page = hosted.local_url(url, stack.stripe.base_url)
    shown = httpx.get(page, timeout=30)
    assert shown.status_code == 200 and "due" in shown.text
    paid = httpx.post(page, data={"payment_method": "pm_card_visa"}, timeout=60)
    assert paid.status_code == 200, paid.text


def test_an_invoice_raised_in_netsuite_is_paid_through_stripe_and_ties_out(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    buyer = customer(stack, "Harbor Supplies", "ap@harbor.example")
    raised = invoice(stack, buyer, ("Consulting, October", "1200.00"), ("Travel", "80.50"))
    sync(stack)

    ns_invoice = record(stack, "invoice", raised)
    stripe_id = ns_invoice["custbody_sns_stripe_invoice_id"]
    found = client.v1.invoices.retrieve(stripe_id)
    assert found.status == "open"
    assert (found.currency, found.total) == ("usd", 128050)
    assert meta(found)["netsuite_invoice_id"] == raised
    assert [(ln.description, ln.amount) for ln in found.lines.data] == [
        ("Consulting, October", 120000),
        ("Travel", 8050),
    ]
    assert ns_invoice["custbody_sns_stripe_hosted_url"] == found.hosted_invoice_url
    ns_customer = record(stack, "customer", buyer)
    assert ns_customer["custentity_sns_stripe_customer_id"] == found.customer
    assert ns_customer["custentity_sns_stripe_portal_url"].startswith("https://billing.stripe.com/")
    assert client.v1.customers.retrieve(str(found.customer)).email == "ap@harbor.example"

    pay_on_hosted_page(stack, str(found.hosted_invoice_url))
    demo.wait_until_synced(stack)
    sync(stack)  # the payment moved the NetSuite invoice: a poll sees it, and changes nothing

    assert client.v1.invoices.retrieve(stripe_id).status == "paid"
    ns_invoice = record(stack, "invoice", raised)
    assert ns_invoice["status"] == {"id": "B"}
    # No second invoice in NetSuite: the one raised there was paid.
    assert [body["id"] for body in records(stack, "invoice")] == [raised]
    payments = records(stack, "customerPayment")
    assert len(payments) == 1
    applied = payments[0]["apply"]["items"]
    assert [(line["doc"]["id"], line["amount"]) for line in applied] == [
        (raised, Decimal("1280.50"))
    ]
    ar, income, undeposited = chart.ACCOUNTS_RECEIVABLE, chart.INCOME, chart.UNDEPOSITED_FUNDS
    assert gl_of(stack, raised) == sorted(
        [(ar, "debit", Decimal("1280.50")), (income, "credit", Decimal("1200.00")),
         (income, "credit", Decimal("80.50"))]
    )  # fmt: skip
    assert gl_of(stack, str(payments[0]["id"])) == sorted(
        [(undeposited, "debit", Decimal("1280.50")), (ar, "credit", Decimal("1280.50"))]
    )

    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    deposits = records(stack, "deposit")
    assert len(deposits) == 1
    assert [str(p["id"]) for p in deposits[0]["payment"]["items"]] == [str(payments[0]["id"])]
    result = demo.tie_out(stack)
    assert result.differing == ()


def test_preview_shows_what_a_netsuite_invoice_would_do_in_stripe(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    buyer = customer(stack, "Preview Partners", "ap@preview.example")
    synced = invoice(stack, buyer, ("Audit", "300.00"))
    sync(stack)
    waiting = invoice(stack, buyer, ("Follow-up", "120.00"), ("Discount", "-20.00"))
    env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
           "SNS_DATABASE_URL": stack.database_url}  # fmt: skip

    def preview(reference: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "stripe_netsuite", "preview", "--netsuite", reference],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    shown = preview(f"invoice:{waiting}")
    assert shown.startswith(f"netsuite invoice {waiting}: create\n")
    assert "  item 1: 12000 Follow-up\n  item 2: -2000 Discount" in shown
    assert "  currency = usd" in shown
    stripe_id = record(stack, "invoice", synced)["custbody_sns_stripe_invoice_id"]
    assert preview(f"invoice:{synced}").splitlines()[:2] == [
        f"netsuite invoice {synced}: nothing",
        f"  made in Stripe as {stripe_id}",
    ]
    # Nothing was written: the waiting invoice is still not in Stripe.
    assert "custbody_sns_stripe_invoice_id" not in record(stack, "invoice", waiting)
    assert len(stack.stripe_client().v1.invoices.list().data) == 1


def test_a_zero_decimal_currency_invoice_keeps_its_currency_and_total(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    jpy = chart.CURRENCIES["jpy"]
    buyer = user(stack, "create/customer", {
        "companyName": "Sakura Trading", "email": "ap@sakura.example",
        "subsidiary": {"id": chart.SUBSIDIARY_US}, "currency": {"id": jpy},
    })  # fmt: skip
    raised = invoice(stack, buyer, ("Translation", "30000"), currency={"id": jpy})
    sync(stack)
    stripe_id = record(stack, "invoice", raised)["custbody_sns_stripe_invoice_id"]
    found = client.v1.invoices.retrieve(stripe_id)
    assert (found.currency, found.total, found.amount_due) == ("jpy", 30000, 30000)
    assert [ln.amount for ln in found.lines.data] == [30000]
