"""The demo month's NetSuite-raised invoices: each mirrored once in Stripe, books tied out."""

from __future__ import annotations

from collections.abc import Callable

from netsuite_desk import FROM_NETSUITE, meta, records

from stripe_netsuite.mapping import reconciliation
from stripe_netsuite_sandbox import demo, netsuite_month

StackFactory = Callable[..., demo.Stack]


def test_invoices_raised_in_netsuite_are_mirrored_in_stripe(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START}, account_tables=FROM_NETSUITE
    )

    def sync() -> None:
        demo.wait_until_synced(stack)
        demo.poll_netsuite(stack)
        demo.wait_until_synced(stack)

    raised = netsuite_month.raise_invoices(stack.netsuite.base_url)
    netsuite_month.settle(stack.netsuite.base_url, stack.stripe.base_url, raised, sync)
    demo.pay_out_everything(stack)
    sync()

    rows = netsuite_month.summary(stack.netsuite.base_url, stack.stripe_client(), raised)
    assert netsuite_month.problems(rows) == []
    assert [(r.how, r.netsuite_state, r.stripe_state) for r in rows] == [
        ("card", "paid", "paid"),
        ("card", "paid", "paid"),
        ("wire", "paid", "paid"),
        ("void", "void", "void"),
    ]
    assert [str(r.stripe_total) for r in rows] == ["1280.50", "450.00", "450.00", "75.00"]
    client = stack.stripe_client()
    stripe_invoices = client.v1.invoices.list(params={"limit": 100}).data
    assert sorted(meta(i)["netsuite_invoice_id"] for i in stripe_invoices) == sorted(
        r.netsuite_id for r in rows
    )
    # No Stripe invoice made from NetSuite came back as a second NetSuite invoice.
    assert sorted(str(b["id"]) for b in records(stack, "invoice")) == sorted(
        r.netsuite_id for r in rows
    )
    table = netsuite_month.render(rows)
    assert all(r.netsuite_id in table and str(r.stripe_id) in table for r in rows)
    result = demo.tie_out(stack)
    assert result.differing == ()
    reports = demo.reconciliation(stack)
    assert reports
    assert not reconciliation.any_difference(reports)
