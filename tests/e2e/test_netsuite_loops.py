"""Both directions at once: nothing made in one system comes back as a second record in it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
from netsuite_desk import FROM_NETSUITE, customer, invoice, meta, record, records, user

from stripe_netsuite.store import origins, queue
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.stripe import hosted

StackFactory = Callable[..., demo.Stack]


def stripe_invoice(client: object, customer_id: str, amount: int) -> str:
    v1 = client.v1  # type: ignore[attr-defined]
    v1.invoice_items.create(params={"customer": customer_id, "amount": amount, "currency": "usd"})
    draft = v1.invoices.create(
        params={"customer": customer_id, "pending_invoice_items_behavior": "include"}
    )
    return str(v1.invoices.pay(v1.invoices.finalize_invoice(draft.id).id).id)


def test_both_directions_at_once_make_each_record_once(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_tables=FROM_NETSUITE,
        netsuite_poll_seconds=0.2,
    )
    client = stack.stripe_client()
    made_in_stripe: list[str] = []
    raised: list[str] = []
    for n in range(2):
        cus = client.v1.customers.create(
            params={"name": f"Stripe Buyer {n}", "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"}}
        ).id  # fmt: skip
        made_in_stripe.append(stripe_invoice(client, cus, 1000 * (n + 1)))
        buyer = customer(stack, f"NetSuite Buyer {n}", f"ap{n}@buyer.example")
        raised.append(invoice(stack, buyer, (f"Service {n}", f"{n + 2}00.00")))
    # The scheduler's poller and Stripe's webhooks run at the same time; wait for both.
    for _ in range(3):
        demo.wait_until_synced(stack)
        demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)
    for each in raised:
        found = client.v1.invoices.retrieve(
            record(stack, "invoice", each)["custbody_sns_stripe_invoice_id"]
        )
        page = hosted.local_url(str(found.hosted_invoice_url), stack.stripe.base_url)
        assert httpx.post(page, data={"payment_method": "pm_card_visa"}, timeout=60).is_success
    for _ in range(3):
        demo.wait_until_synced(stack)
        demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)

    jobs = queue.list_jobs(stack.database, limit=10_000)
    assert [j for j in jobs if j.state not in ("done", "skipped")] == []
    stripe_invoices = client.v1.invoices.list(params={"limit": 100}).data
    tags = [meta(i) for i in stripe_invoices]
    from_netsuite = Counter(
        m.get("netsuite_invoice_id") for m in tags if m.get("sns_origin") == "netsuite"
    )
    # Exactly one Stripe invoice per NetSuite-raised invoice, and nothing else from NetSuite.
    assert from_netsuite == Counter(raised)
    assert len(stripe_invoices) == len(made_in_stripe) + len(raised)
    assert all(i.status == "paid" for i in stripe_invoices)
    ns_invoices = records(stack, "invoice")
    # Each Stripe-made invoice became one NetSuite invoice; no NetSuite invoice came back.
    assert len(ns_invoices) == len(made_in_stripe) + len(raised)
    external = sorted(
        str(b["externalId"]).split(":")[-1] for b in ns_invoices if b.get("externalId")
    )
    assert external == sorted(made_in_stripe)
    assert len(records(stack, "customer")) == 4
    assert len(client.v1.customers.list(params={"limit": 100}).data) == 4
    # One payment per invoice in NetSuite, each applied once.
    payments = records(stack, "customerPayment")
    applied = Counter(line["doc"]["id"] for p in payments for line in p["apply"]["items"])
    assert applied == Counter({str(b["id"]): 1 for b in ns_invoices})
    # The engine's own writes queued nothing: no NetSuite job for a record made from
    # Stripe, and no Stripe job for a Stripe object mirroring a NetSuite record.
    made_from_stripe = {str(b["id"]) for b in ns_invoices if b.get("externalId")}
    ns_jobs = {j.object_id for j in jobs if j.kind.startswith("netsuite_")}
    assert ns_jobs & made_from_stripe == set()
    mirrors = {
        m.stripe_id
        for each in raised
        if (m := origins.get(stack.database, account=demo.ACCOUNT, record_type="invoice",
                             internal_id=each)) is not None
    }  # fmt: skip
    assert len(mirrors) == 2
    assert [j for j in jobs if j.object_id in mirrors] == []
    # Settled: one more poll of NetSuite queues nothing.
    before = len(queue.list_jobs(stack.database, limit=10_000))
    demo.poll_netsuite(stack)
    assert len(queue.list_jobs(stack.database, limit=10_000)) == before


def test_netsuite_as_system_of_record_carries_edits_of_a_stripe_made_customer(
    make_stack: StackFactory,
) -> None:
    rules = {**FROM_NETSUITE["from_netsuite"], "customer_system_of_record": "netsuite"}
    tables = {**FROM_NETSUITE, "from_netsuite": rules}
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START}, account_tables=tables)
    client = stack.stripe_client()
    cus = client.v1.customers.create(params={"name": "Made In Stripe", "email": "a@s.example"}).id
    demo.wait_until_synced(stack)
    made = [b for b in records(stack, "customer") if b.get("externalId")]
    assert len(made) == 1
    ns_id = str(made[0]["id"])
    user(stack, f"edit/customer/{ns_id}", {"email": "new@s.example"})
    for _ in range(3):
        demo.wait_until_synced(stack)
        demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)
    assert client.v1.customers.retrieve(cus).email == "new@s.example"
    assert record(stack, "customer", ns_id)["email"] == "new@s.example"
    assert len(records(stack, "customer")) == 1
    assert len(client.v1.customers.list().data) == 1
    # The round trip ended: one more poll and webhook delivery queue nothing.
    before = len(queue.list_jobs(stack.database, limit=1000))
    demo.poll_netsuite(stack)
    demo.wait_until_synced(stack)
    assert len(queue.list_jobs(stack.database, limit=1000)) == before
