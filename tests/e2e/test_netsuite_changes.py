"""NetSuite → Stripe over real HTTP: voids, wires, edits, refunds, a missed hour, the push."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from netsuite_desk import FROM_NETSUITE, customer, invoice, meta, record, records, user

from stripe_netsuite.netsuite import push
from stripe_netsuite.store import cursors, inbox, queue
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl
from stripe_netsuite_sandbox.stripe import hosted

StackFactory = Callable[..., demo.Stack]


def start(make_stack: StackFactory) -> demo.Stack:
    return make_stack(stripe_options={"start_time": demo.MONTH_START}, account_tables=FROM_NETSUITE)


def sync(stack: demo.Stack) -> None:
    demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)


def stripe_invoice_of(stack: demo.Stack, internal_id: str) -> str:
    return str(record(stack, "invoice", internal_id)["custbody_sns_stripe_invoice_id"])


def test_void_and_wire_in_netsuite_reach_stripe(make_stack: StackFactory) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    buyer = customer(stack, "Lakeside Clinic", "billing@lakeside.example")
    wired = invoice(stack, buyer, ("Annual support", "500.00"))
    voided = invoice(stack, buyer, ("Setup fee", "75.00"))
    sync(stack)
    wired_in, voided_in = stripe_invoice_of(stack, wired), stripe_invoice_of(stack, voided)
    assert {client.v1.invoices.retrieve(i).status for i in (wired_in, voided_in)} == {"open"}

    payment = user(stack, f"pay/{wired}", {"account": chart.BANK_ACCOUNTS["usd"], "memo": "wire"})
    user(stack, f"void/invoice/{voided}")
    sync(stack)

    paid = client.v1.invoices.retrieve(wired_in)
    assert (paid.status, paid.amount_paid) == ("paid", 50000)
    assert client.v1.invoices.retrieve(voided_in).status == "void"
    # No Stripe charge: the wire is NetSuite's own payment, straight into the bank.
    assert client.v1.charges.list().data == []
    books = stack.netsuite.app.app.state.sandbox.account
    lines = sorted((ln.account, ln.foreign_amount) for ln in gl.lines_of(books, payment))
    assert lines == sorted(
        [(chart.BANK_ACCOUNTS["usd"], Decimal("500.00")),
         (chart.ACCOUNTS_RECEIVABLE, Decimal("-500.00"))]
    )  # fmt: skip
    assert [ln.foreign_amount for ln in gl.lines_of(books, voided) if ln.foreign_amount] == []
    # Still one payment in NetSuite: marking the Stripe invoice paid posted nothing back.
    assert len(records(stack, "customerPayment")) == 1


def test_an_edit_to_an_open_invoice_reissues_it_in_stripe(make_stack: StackFactory) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    buyer = customer(stack, "Northwind Labs", "ap@northwind.example")
    raised = invoice(stack, buyer, ("Design sprint", "900.00"))
    sync(stack)
    first = stripe_invoice_of(stack, raised)
    current = record(stack, "invoice", raised)["item"]["items"]
    lines = [{"item": {"id": chart.SERVICE_ITEM}, "quantity": 1, "rate": Decimal("950.00"),
              "description": current[0]["description"]}]  # fmt: skip
    # A user's edit: replace the line (the sandbox desk merges like a PATCH).
    books = stack.netsuite.app.app.state.sandbox.account
    books.patch("invoice", raised, {"item": {"items": lines}}, frozenset({"item"}))
    sync(stack)
    second = stripe_invoice_of(stack, raised)
    assert second != first
    assert client.v1.invoices.retrieve(first).status == "void"
    again = client.v1.invoices.retrieve(second)
    assert (again.status, again.total, meta(again)["netsuite_invoice_id"]) == (
        "open", 95000, raised
    )  # fmt: skip
    sync(stack)  # nothing changed since: no third invoice
    assert stripe_invoice_of(stack, raised) == second
    assert len(client.v1.invoices.list(params={"limit": 100}).data) == 2


def test_a_credit_memo_marked_for_refund_refunds_the_stripe_payment(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    buyer = customer(stack, "Pine Street Books", "ap@pine.example")
    raised = invoice(stack, buyer, ("Shelving", "300.00"))
    sync(stack)
    url = str(client.v1.invoices.retrieve(stripe_invoice_of(stack, raised)).hosted_invoice_url)
    page = hosted.local_url(url, stack.stripe.base_url)
    assert httpx.post(page, data={"payment_method": "pm_card_visa"}, timeout=60).is_success
    demo.wait_until_synced(stack)

    memo = user(
        stack, f"transform/invoice/{raised}/creditMemo",
        # The invoice is paid: the memo stays unapplied, to be refunded.
        {"custbody_sns_refund_in_stripe": True, "apply": {"items": []},
         "item": {"items": [{"item": {"id": chart.SERVICE_ITEM}, "quantity": 1,
                             "rate": Decimal("120.00"), "description": "Damaged shelf"}]}},
    )  # fmt: skip
    sync(stack)
    refunds = client.v1.refunds.list().data
    assert [(r.amount, meta(r)["netsuite_credit_memo_id"]) for r in refunds] == [(12000, memo)]
    assert record(stack, "creditMemo", memo)["custbody_sns_stripe_refund_id"] == refunds[0].id
    # The Stripe refund came back as the customer refund paying out this credit memo: one
    # credit memo in NetSuite, not two.
    assert [str(m["id"]) for m in records(stack, "creditMemo")] == [memo]
    customer_refunds = records(stack, "customerRefund")
    assert len(customer_refunds) == 1
    applied = customer_refunds[0]["apply"]["items"]
    assert [(ln["doc"]["id"], ln["amount"]) for ln in applied] == [(memo, Decimal("120.00"))]
    assert refunds[0].id in str(customer_refunds[0]["externalId"])


def test_a_change_missed_by_polling_for_an_hour_is_picked_up_from_the_cursor(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    books = stack.netsuite.app.app.state.sandbox.account
    now = [datetime(2026, 10, 5, 9, 0, tzinfo=UTC)]
    books.clock = lambda: now[0]
    client = stack.stripe_client()
    buyer = customer(stack, "Quarry Tools", "ap@quarry.example")
    raised = invoice(stack, buyer, ("Drill bits", "64.00"))
    sync(stack)
    name = "netsuite:main:invoice"
    # The cursor is NetSuite's own stamp of what was read, with the write-back's stamp.
    assert cursors.get(stack.database, name) == "2026-10-05 09:00:00"

    # The engine is down for an hour; meanwhile NetSuite voids the invoice.
    now[0] += timedelta(hours=1)
    user(stack, f"void/invoice/{raised}")
    sync(stack)
    assert client.v1.invoices.retrieve(stripe_invoice_of(stack, raised)).status == "void"
    assert cursors.get(stack.database, name) == "2026-10-05 10:00:00"
    # Polling the overlap again records nothing new.
    before = inbox.counts(stack.database)
    demo.poll_netsuite(stack)
    assert inbox.counts(stack.database) == before


def test_the_signed_push_queues_the_record_and_a_forged_one_nothing(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_tables=FROM_NETSUITE,
        run_worker=False,
    )
    buyer = customer(stack, "Bay Freight", "ap@bay.example")
    raised = invoice(stack, buyer, ("Freight", "10.00"))
    url = f"http://127.0.0.1:{stack.engine_port}/webhooks/netsuite/{demo.ACCOUNT}"
    body = json.dumps({"id": "d-1", "records": [{"type": "invoice", "id": raised}]}).encode()
    secret = FROM_NETSUITE["from_netsuite"]["push_secret"]

    def post(to: str, key: str) -> httpx.Response:
        signature = push.sign(body, key, int(time.time()))
        return httpx.post(to, content=body, headers={push.HEADER: signature})

    assert post(url, "not-the-secret").status_code == 400
    assert post(url.replace("/main", "/nobody"), secret).status_code == 400
    assert queue.list_jobs(stack.database) == []
    signed = post(url, secret)
    assert signed.status_code == 200, signed.text
    assert signed.json()["outcomes"] == ["queued"]
    assert post(url, secret).json()["outcomes"] == ["duplicate"]
    jobs = queue.list_jobs(stack.database)
    assert [(j.kind, j.object_id) for j in jobs] == [("netsuite_invoice", raised)]


def test_a_stripe_payment_naming_an_invoice_number_pays_that_invoice(
    make_stack: StackFactory,
) -> None:
    tables = {**FROM_NETSUITE, "from_netsuite": {**FROM_NETSUITE["from_netsuite"],
                                                 "auto_match": "description"}}  # fmt: skip
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START}, account_tables=tables)
    buyer = customer(stack, "Meadow Farms", "ap@meadow.example")
    # Raised in NetSuite and not sent to Stripe: the customer pays it with a card anyway.
    target = invoice(stack, buyer, ("Seeds", "42.00"), custbody_sns_send_to_stripe=False)
    other = invoice(stack, buyer, ("Tools", "42.00"), custbody_sns_send_to_stripe=False)
    number = str(record(stack, "invoice", target)["tranId"])
    client = stack.stripe_client()
    cus = client.v1.customers.create(
        params={"name": "Meadow Farms", "metadata": {"netsuite_customer_id": buyer}}
    ).id
    client.v1.payment_intents.create(
        params={"amount": 4200, "currency": "usd", "customer": cus,
                "payment_method": "pm_card_visa", "confirm": True,
                "description": f"Payment of invoice {number}, thank you",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    sync(stack)
    payments = records(stack, "customerPayment")
    assert len(payments) == 1
    applied = [(ln["doc"]["id"], ln["amount"]) for ln in payments[0]["apply"]["items"]]
    assert applied == [(target, Decimal("42.00"))]
    assert record(stack, "invoice", target)["status"] == {"id": "B"}
    assert record(stack, "invoice", other)["status"] == {"id": "A"}
    # Neither invoice went to Stripe: their box was not ticked.
    assert client.v1.invoices.list().data == []


def test_a_customer_edited_in_netsuite_is_updated_in_stripe_and_its_echo_queues_nothing(
    make_stack: StackFactory,
) -> None:
    stack = start(make_stack)
    client = stack.stripe_client()
    buyer = customer(stack, "Orchid Florists", "old@orchid.example")
    invoice(stack, buyer, ("Bouquets", "60.00"))
    sync(stack)
    stripe_id = str(record(stack, "customer", buyer)["custentity_sns_stripe_customer_id"])
    assert client.v1.customers.retrieve(stripe_id).email == "old@orchid.example"

    user(stack, f"edit/customer/{buyer}", {"email": "ap@orchid.example"})
    sync(stack)
    assert client.v1.customers.retrieve(stripe_id).email == "ap@orchid.example"
    assert len(client.v1.customers.list().data) == 1
    # The portal URL written back moved the record; reading that write queues nothing.
    jobs = queue.list_jobs(stack.database, limit=1000)
    customer_jobs = [j for j in jobs if j.kind == "netsuite_customer"]
    assert len(customer_jobs) == 1
    before = len(queue.list_jobs(stack.database, limit=1000))
    demo.poll_netsuite(stack)
    assert len(queue.list_jobs(stack.database, limit=1000)) == before


def test_a_hosted_url_cleared_in_netsuite_is_written_again(make_stack: StackFactory) -> None:
    stack = start(make_stack)
    books = stack.netsuite.app.app.state.sandbox.account
    now = [datetime(2026, 10, 6, 9, 0, tzinfo=UTC)]
    books.clock = lambda: now[0]
    client = stack.stripe_client()
    buyer = customer(stack, "Cinder Works", "ap@cinder.example")
    raised = invoice(stack, buyer, ("Kiln repair", "210.00"))
    sync(stack)
    stripe_id = stripe_invoice_of(stack, raised)
    url = client.v1.invoices.retrieve(stripe_id).hosted_invoice_url
    # A minute later (an edit in the very second of the engine's own write-back, changing
    # no amount or status, would pass for the engine's: docs/mapping.md, *Loops*).
    now[0] += timedelta(minutes=1)
    user(stack, f"edit/invoice/{raised}", {"custbody_sns_stripe_hosted_url": "(cleared)"})
    sync(stack)
    assert record(stack, "invoice", raised)["custbody_sns_stripe_hosted_url"] == url
    # Still one Stripe invoice: an unchanged invoice is not issued again.
    assert [i.id for i in client.v1.invoices.list().data] == [stripe_id]
