"""Journal entries and deposits posted in October, October closed, then changed in Stripe,
over both sandboxes: the October record is left as it is and one journal entry dated in
November moves the GL by the difference; a second change rewrites that journal.

* a payout's deposit with charges in suspense: each charge synced later moves from suspense to
  the account its payment was booked to;
* an uncollectible invoice's write-off, reduced by credit notes.

GL lines are checked with their posting periods."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import stripe
from payout_helpers import charge

from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
D = Decimal
SUSPENSE, UNDEPOSITED = chart.SUSPENSE, chart.UNDEPOSITED_FUNDS
AR, BAD_DEBT = chart.ACCOUNTS_RECEIVABLE, chart.BAD_DEBT
USD = chart.CURRENCIES["usd"]
Posted = tuple[str, str, Decimal, str | None]


def books(stack: demo.Stack) -> Any:
    return stack.netsuite.app.app.state.sandbox.account


def close(stack: demo.Stack, name: str) -> None:
    answer = httpx.post(f"{stack.netsuite.base_url}/__sandbox/periods/{name}",
                        json={"closed": True})  # fmt: skip
    assert answer.status_code == 200, answer.text


def period_id(stack: demo.Stack, name: str) -> str:
    found = books(stack).store.all("accountingPeriod")
    return str(next(b for b in found if b["periodName"] == name)["id"])


def held_customer(client: stripe.StripeClient, name: str) -> str:
    return client.v1.customers.create(
        params={"name": name, "metadata": {"netsuite_block_integration": "true"}}
    ).id


def link(stack: demo.Stack, stripe_id: str, role: str) -> links.Link:
    found = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert found is not None, f"no {role} record for {stripe_id}"
    return found


def gl_lines(stack: demo.Stack, internal_id: str) -> list[Posted]:
    """(account, debit|credit, amount, posting period) of the record's GL lines."""
    account = books(stack)
    impact = account.gl.impact_of(internal_id)
    return sorted(
        (ln.account, "debit" if ln.amount > 0 else "credit", abs(ln.amount), impact.period)
        for ln in gl.lines_of(account, internal_id)
    )


def unblock_and_sync(stack: demo.Stack, client: stripe.StripeClient, customer: str,
                     charge_id: str) -> None:  # fmt: skip
    """The customer may sync now; its skipped charge is run again (what a person does)."""
    client.v1.customers.update(customer, params={"metadata": {"netsuite_block_integration": ""}})
    demo.wait_until_synced(stack)
    (job,) = [j for j in queue.list_jobs(stack.database, kind="charge") if j.object_id == charge_id]
    assert queue.requeue(stack.database, job_id=job.id) == 1
    demo.wait_until_synced(stack)


def test_a_closed_month_deposit_is_adjusted_by_journal_when_its_suspense_is_matched(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"closed_periods": "first_open", "period_cache_seconds": 0},
    )
    client = stack.stripe_client()
    good = client.v1.customers.create(params={"name": "Good Co"}).id
    first_held, second_held = held_customer(client, "Held A"), held_customer(client, "Held B")
    charge(client, good, 5000)
    first_charge = charge(client, first_held, 3000)
    second_charge = charge(client, second_held, 2000)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (report,) = demo.reconciliation(stack)
    assert report.ties_out and len(report.suspense_lines) == 2
    payout = report.payout_id
    deposit = link(stack, payout, "deposit").internal_id
    october, november = period_id(stack, "Oct 2026"), period_id(stack, "Nov 2026")
    before = gl_lines(stack, deposit)
    # 100.00 gross less 3.80 of fees: Good Co's payment selected, the two held charges in
    # suspense.
    assert before == [
        (chart.BANK_ACCOUNTS["usd"], "debit", D("96.20"), october),
        (SUSPENSE, "credit", D("20.00"), october),
        (SUSPENSE, "credit", D("30.00"), october),
        (UNDEPOSITED, "credit", D("50.00"), october),
        (chart.STRIPE_FEES, "debit", D("3.80"), october),
    ]
    posted_body = books(stack).store.get("deposit", deposit)
    close(stack, "Oct 2026")

    # The first charge syncs: its payment posts in November, and so does the adjustment.
    unblock_and_sync(stack, client, first_held, first_charge)
    assert queue.list_jobs(stack.database, state="parked") == []
    payment = link(stack, first_charge, "payment").internal_id
    assert gl_lines(stack, payment)[0][3] == november
    assert gl_lines(stack, deposit) == before
    assert books(stack).store.get("deposit", deposit) == posted_body
    adjusting = link(stack, payout, "deposit:adjust")
    assert adjusting.record_type == "journalEntry"
    assert gl_lines(stack, adjusting.internal_id) == [
        (SUSPENSE, "debit", D("30.00"), november),
        (UNDEPOSITED, "credit", D("30.00"), november),
    ]
    body = books(stack).store.get("journalEntry", adjusting.internal_id)
    assert body["tranDate"] == "2026-11-01" and body["currency"] == {"id": USD}
    assert "posted in Oct 2026" in body["memo"]

    # The second one: the same journal is rewritten to move both.
    unblock_and_sync(stack, client, second_held, second_charge)
    assert queue.list_jobs(stack.database, state="parked") == []
    assert link(stack, payout, "deposit:adjust").internal_id == adjusting.internal_id
    assert gl_lines(stack, adjusting.internal_id) == [
        (SUSPENSE, "debit", D("50.00"), november),
        (UNDEPOSITED, "credit", D("20.00"), november),
        (UNDEPOSITED, "credit", D("30.00"), november),
    ]
    adjustments = [
        b for b in books(stack).store.all("journalEntry")
        if str(b.get("externalId", "")).endswith(":adjust")
    ]  # fmt: skip
    assert [b["id"] for b in adjustments] == [adjusting.internal_id]
    assert gl_lines(stack, deposit) == before
    # Suspense is cleared in the ledger, over both months.
    balances = gl.balances(books(stack), currency=USD)
    assert balances.get(SUSPENSE, D(0)) == D(0)


def written_off(
    make_stack: StackFactory, name: str
) -> tuple[demo.Stack, stripe.StripeClient, stripe.Invoice]:
    """A stack that moves periods on its own, and a 75.00 invoice of *name* written off in
    October (synced)."""
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"closed_periods": "first_open", "period_cache_seconds": 0},
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": name}).id
    client.v1.invoice_items.create(params={"customer": customer, "amount": 7500, "currency": "usd"})
    draft = client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include",
                "collection_method": "send_invoice", "days_until_due": 30}
    )  # fmt: skip
    invoice = client.v1.invoices.finalize_invoice(draft.id)
    client.v1.invoices.mark_uncollectible(invoice.id)
    demo.wait_until_synced(stack)
    return stack, client, invoice


def test_a_write_off_reduced_after_its_month_closed_is_adjusted_in_the_next(
    make_stack: StackFactory,
) -> None:
    stack, client, invoice = written_off(make_stack, "Gone Co")
    write_off = link(stack, invoice.id, "write_off").internal_id
    october, november = period_id(stack, "Oct 2026"), period_id(stack, "Nov 2026")
    before = gl_lines(stack, write_off)
    assert before == sorted([
        (AR, "credit", D("75.00"), october),
        (BAD_DEBT, "debit", D("75.00"), october),
    ])  # fmt: skip
    close(stack, "Oct 2026")

    # A credit note takes 20.00 off what was written off: 55.00 remain.
    line = invoice.lines.data[0].id
    client.v1.credit_notes.create(
        params={"invoice": invoice.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 2000}]}
    )  # fmt: skip
    demo.wait_until_synced(stack)
    assert queue.list_jobs(stack.database, state="parked") == []
    assert gl_lines(stack, write_off) == before
    adjusting = link(stack, invoice.id, "write_off:adjust")
    assert adjusting.record_type == "journalEntry"
    assert gl_lines(stack, adjusting.internal_id) == sorted([
        (AR, "debit", D("20.00"), november),
        (BAD_DEBT, "credit", D("20.00"), november),
    ])  # fmt: skip
    body = books(stack).store.get("journalEntry", adjusting.internal_id)
    assert body["tranDate"] == "2026-11-01" and body["currency"] == {"id": USD}

    # A second credit note: the same journal is rewritten to take 30.00 back.
    client.v1.credit_notes.create(
        params={"invoice": invoice.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 1000}]}
    )  # fmt: skip
    demo.wait_until_synced(stack)
    assert link(stack, invoice.id, "write_off:adjust").internal_id == adjusting.internal_id
    assert gl_lines(stack, adjusting.internal_id) == sorted([
        (AR, "debit", D("30.00"), november),
        (BAD_DEBT, "credit", D("30.00"), november),
    ])  # fmt: skip
    eids = [str(b.get("externalId")) for b in books(stack).store.all("journalEntry")]
    assert sum(eid.endswith(":adjust") for eid in eids) == 1
    # The receivable is gone: 75 invoiced, 30 credited, 45 written off net.
    assert gl.balances(books(stack), currency=USD).get(AR, D(0)) == D(0)


def test_a_write_off_paid_after_its_month_closed_is_reversed_in_the_next_not_deleted(
    make_stack: StackFactory,
) -> None:
    stack, client, invoice = written_off(make_stack, "Late Payer Co")
    write_off = link(stack, invoice.id, "write_off")
    october, november = period_id(stack, "Oct 2026"), period_id(stack, "Nov 2026")
    before = gl_lines(stack, write_off.internal_id)
    close(stack, "Oct 2026")

    # Paid after all, outside Stripe: the write-off is taken back, in November.
    client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    demo.wait_until_synced(stack)
    assert queue.list_jobs(stack.database, state="parked") == []
    assert books(stack).store.get("journalEntry", write_off.internal_id) is not None
    assert gl_lines(stack, write_off.internal_id) == before
    kept = link(stack, invoice.id, "write_off")
    assert kept.internal_id == write_off.internal_id and kept.body_hash == "retracted"
    reversal = link(stack, invoice.id, "write_off:adjust")
    assert gl_lines(stack, reversal.internal_id) == sorted([
        (AR, "debit", D("75.00"), november),
        (BAD_DEBT, "credit", D("75.00"), november),
    ])  # fmt: skip
    assert before == sorted([
        (AR, "credit", D("75.00"), october),
        (BAD_DEBT, "debit", D("75.00"), october),
    ])  # fmt: skip
    # Bad debt nets to nothing, and the job run again posts nothing more.
    assert gl.balances(books(stack), currency=USD).get(BAD_DEBT, D(0)) == D(0)
    journals = len(list(books(stack).store.all("journalEntry")))
    client.v1.invoices.update(invoice.id, params={"metadata": {"note": "paid by wire"}})
    demo.wait_until_synced(stack)
    assert len(list(books(stack).store.all("journalEntry"))) == journals
    assert gl_lines(stack, reversal.internal_id)[0][2] == D("75.00")
