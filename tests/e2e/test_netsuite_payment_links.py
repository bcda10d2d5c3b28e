"""A NetSuite invoice sent to Stripe with a payment link: paid through the link, applied to it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
from netsuite_desk import FROM_NETSUITE, customer, invoice, record, records

from stripe_netsuite.mapping import tieout
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl
from stripe_netsuite_sandbox.stripe import hosted

StackFactory = Callable[..., demo.Stack]
LINK_FIELD = "custbody_sns_stripe_payment_link"


def sync(stack: demo.Stack) -> None:
    demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)


def gl_of(stack: demo.Stack, internal_id: str) -> list[tuple[str, str, Decimal]]:
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def test_a_payment_through_the_link_pays_the_netsuite_invoice(make_stack: StackFactory) -> None:
    tables = {**FROM_NETSUITE, "from_netsuite": {**FROM_NETSUITE["from_netsuite"],
                                                 "payment_link_field": LINK_FIELD}}  # fmt: skip
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START}, account_tables=tables)
    client = stack.stripe_client()
    buyer = customer(stack, "Link Buyer Ltd", "ap@linkbuyer.example")
    raised = invoice(stack, buyer, ("Retainer, November", "450.00"))
    sync(stack)

    ns_invoice = record(stack, "invoice", raised)
    stripe_invoice = client.v1.invoices.retrieve(ns_invoice["custbody_sns_stripe_invoice_id"])
    url = ns_invoice[LINK_FIELD]
    assert url.startswith("https://buy.stripe.com/test_")
    link = next(x for x in client.v1.payment_links.list().data if x.url == url)
    assert link.metadata["netsuite_invoice_id"] == raised
    items = client.v1.payment_links.line_items.list(link.id).data
    assert [(i.amount_total, i.currency) for i in items] == [(45000, "usd")]

    page = hosted.local_url(url, stack.stripe.base_url)
    paid = httpx.post(page, data={"payment_method": "pm_card_visa", "email": "ap@x.io"}, timeout=60)
    assert paid.status_code == 200, paid.text
    demo.wait_until_synced(stack)
    sync(stack)  # the NetSuite invoice is paid: its Stripe invoice is closed out of band

    payments = records(stack, "customerPayment")
    assert len(payments) == 1
    assert str(payments[0]["customer"]["id"]) == buyer
    applied = [(ln["doc"]["id"], ln["amount"]) for ln in payments[0]["apply"]["items"]]
    assert applied == [(raised, Decimal("450.00"))]
    assert record(stack, "invoice", raised)["status"] == {"id": "B"}
    assert [body["id"] for body in records(stack, "invoice")] == [raised]
    assert records(stack, "salesOrder") == []
    ar, undeposited = chart.ACCOUNTS_RECEIVABLE, chart.UNDEPOSITED_FUNDS
    assert gl_of(stack, str(payments[0]["id"])) == sorted(
        [(undeposited, "debit", Decimal("450.00")), (ar, "credit", Decimal("450.00"))]
    )
    assert client.v1.invoices.retrieve(stripe_invoice.id).status == "paid"
    session = client.v1.checkout.sessions.list(params={"payment_link": link.id}).data[0]
    intent = client.v1.payment_intents.retrieve(str(session.payment_intent))
    assert intent.metadata["netsuite_invoice_id"] == raised

    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    result = demo.tie_out(stack)
    assert result.differing == (), tieout.render(result)
