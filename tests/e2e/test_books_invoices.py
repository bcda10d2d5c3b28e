"""Invoices, credit notes, voids and write-offs over both sandboxes: the GL lines they post.

Each case reads the general ledger NetSuite posted for the engine's records (account,
debit or credit, amount) and then ties the month out against Stripe.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe

from stripe_netsuite.mapping import tieout
from stripe_netsuite.mapping.tieout import Line
from stripe_netsuite.store import links
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal]
D = Decimal
AR, INCOME, TAX = chart.ACCOUNTS_RECEIVABLE, chart.INCOME, chart.TAX_PAYABLE
CREDIT, BAD_DEBT = chart.CUSTOMER_CREDIT, chart.BAD_DEBT


def start(make_stack: StackFactory) -> tuple[demo.Stack, stripe.StripeClient, str]:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = client.v1.customers.create(
        params={"name": "Books Co", "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip
    return stack, client, cus


def invoice(
    client: stripe.StripeClient, cus: str, amount: int, *, rates: tuple[str, ...] = (), **extra: Any
) -> Any:
    client.v1.invoice_items.create(
        params={"customer": cus, "amount": amount, "currency": "usd", "tax_rates": list(rates)}
    )
    params: dict[str, Any] = {"customer": cus, "pending_invoice_items_behavior": "include"}
    draft = client.v1.invoices.create(params={**params, **extra})  # type: ignore[arg-type]
    return client.v1.invoices.finalize_invoice(draft.id)


def vat(client: stripe.StripeClient) -> str:
    return client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20.0, "inclusive": True}
    ).id


def gl_lines(stack: demo.Stack, stripe_id: str, role: str) -> list[Posted]:
    """(account, debit or credit, amount) of the GL lines of the engine's record."""
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, link.internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def posted(*lines: Posted) -> list[Posted]:
    return sorted(lines)


def ties(stack: demo.Stack) -> dict[Line, tuple[Decimal, Decimal]]:
    result = demo.tie_out(stack)
    assert result.differing == (), tieout.render(result)
    return {t.line: (t.stripe, t.netsuite) for t in result.lines if t.currency == "usd"}


def test_inclusive_tax_is_split_out_and_a_credit_note_reverses_item_and_tax(
    make_stack: StackFactory,
) -> None:
    stack, client, cus = start(make_stack)
    rate = vat(client)
    inv = client.v1.invoices.pay(invoice(client, cus, 12000, rates=(rate,)).id)
    line = inv.lines.data[0].id
    note = client.v1.credit_notes.create(
        params={"invoice": inv.id, "refund_amount": 3000,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 3000}]}
    )  # fmt: skip
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    # The price holds 20.00 of VAT: net to income, tax to the tax account.
    assert gl_lines(stack, inv.id, "invoice") == posted(
        (AR, "debit", D("120.00")), (INCOME, "credit", D("100.00")), (TAX, "credit", D("20.00"))
    )
    # A quarter of the line credited: the same item and tax, pro rata, never one gross line.
    assert gl_lines(stack, note.id, "credit_memo") == posted(
        (AR, "credit", D("30.00")), (INCOME, "debit", D("25.00")), (TAX, "debit", D("5.00"))
    )
    assert ties(stack)[Line.TAX] == (D("15.00"), D("15.00"))
    assert ties(stack)[Line.NET_SALES] == (D("75.00"), D("75.00"))


def test_a_refund_named_later_by_a_credit_note_is_reversed_once(
    make_stack: StackFactory,
) -> None:
    stack, client, cus = start(make_stack)
    inv = client.v1.invoices.pay(invoice(client, cus, 10000).id)
    intent = client.v1.invoice_payments.list(params={"invoice": inv.id}).data[0].payment
    charge = str(client.v1.payment_intents.retrieve(str(intent.payment_intent)).latest_charge)
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 4000})
    demo.wait_until_synced(stack)
    own = links.get(stack.database, account=demo.ACCOUNT, stripe_id=refund.id, role="credit_memo")
    assert own is not None  # the refund was booked with a credit memo of its own

    line = inv.lines.data[0].id
    note = client.v1.credit_notes.create(
        params={"invoice": inv.id,
                "refunds": [{"refund": refund.id, "amount_refunded": 4000}],
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 4000}]}
    )  # fmt: skip
    assert [r.refund for r in note.refunds] == [refund.id]
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    # One reversal: the credit note's memo; the refund's own memo is gone.
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=refund.id,
                     role="credit_memo") is None  # fmt: skip
    books = stack.netsuite.app.app.state.sandbox.account
    assert gl.lines_of(books, own.internal_id) == []
    memo = links.get(stack.database, account=demo.ACCOUNT, stripe_id=note.id, role="credit_memo")
    assert memo is not None
    assert gl_lines(stack, note.id, "credit_memo") == posted(
        (AR, "credit", D("40.00")), (INCOME, "debit", D("40.00"))
    )
    assert gl_lines(stack, refund.id, "refund") == posted(
        (AR, "debit", D("40.00")), (chart.STRIPE_CLEARING, "credit", D("40.00"))
    )
    customer_refund = links.get(stack.database, account=demo.ACCOUNT, stripe_id=refund.id,
                                role="refund")  # fmt: skip
    assert customer_refund is not None
    body = books.store.get("customerRefund", customer_refund.internal_id)
    assert body is not None
    applied = [a["doc"]["id"] for a in body["apply"]["items"] if a.get("apply")]
    assert applied == [memo.internal_id]
    assert ties(stack)[Line.NET_SALES] == (D("60.00"), D("60.00"))


def test_a_voided_invoice_is_reversed_with_the_balance_it_used(make_stack: StackFactory) -> None:
    stack, client, cus = start(make_stack)
    rate = vat(client)
    client.v1.customers.balance_transactions.create(
        cus, params={"amount": -1200, "currency": "usd", "description": "goodwill"}
    )
    inv = invoice(client, cus, 6000, rates=(rate,), collection_method="send_invoice",
                  days_until_due=30)  # fmt: skip
    demo.wait_until_synced(stack)
    client.v1.invoices.void_invoice(inv.id)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, inv.id, "void") == posted(
        (AR, "credit", D("48.00")), (INCOME, "debit", D("50.00")), (TAX, "debit", D("10.00")),
        (CREDIT, "credit", D("12.00")),
    )  # fmt: skip
    books = stack.netsuite.app.app.state.sandbox.account
    balances = gl.balances(books, currency=chart.CURRENCIES["usd"])
    assert balances.get(AR, D(0)) == D("0.00")
    assert balances.get(TAX, D(0)) == D("0.00")
    assert balances.get(CREDIT, D(0)) == D("-12.00")  # the goodwill credit is back
    assert ties(stack)[Line.CUSTOMER_CREDIT] == (D("12.00"), D("12.00"))


def test_an_uncollectible_invoice_is_written_off_to_bad_debt(make_stack: StackFactory) -> None:
    stack, client, cus = start(make_stack)
    inv = invoice(client, cus, 7500, collection_method="send_invoice", days_until_due=30)
    client.v1.invoices.mark_uncollectible(inv.id)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, inv.id, "write_off") == posted(
        (BAD_DEBT, "debit", D("75.00")), (AR, "credit", D("75.00"))
    )
    found = ties(stack)
    assert found[Line.RECEIVABLES] == (D("0.00"), D("0.00"))
    assert found[Line.NET_SALES] == (D("75.00"), D("75.00"))

    # Paid after all: the write-off is taken back and the payment clears the invoice.
    client.v1.invoices.pay(inv.id, params={"payment_method": "pm_card_visa"})
    demo.wait_until_synced(stack)
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=inv.id,
                     role="write_off") is None  # fmt: skip
    books = stack.netsuite.app.app.state.sandbox.account
    assert gl.balances(books, currency=chart.CURRENCIES["usd"]).get(BAD_DEBT, D(0)) == D(0)
    assert ties(stack)[Line.RECEIVABLES] == (D("0.00"), D("0.00"))


def test_a_voided_credit_note_is_booked_back(make_stack: StackFactory) -> None:
    stack, client, cus = start(make_stack)
    inv = invoice(client, cus, 9000, collection_method="send_invoice", days_until_due=30)
    line = inv.lines.data[0].id
    note = client.v1.credit_notes.create(
        params={"invoice": inv.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line,
                           "amount": 2000}]}
    )  # fmt: skip
    demo.wait_until_synced(stack)
    client.v1.credit_notes.void_credit_note(note.id)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, note.id, "void") == posted(
        (AR, "debit", D("20.00")), (INCOME, "credit", D("20.00"))
    )
    found = ties(stack)
    assert found[Line.RECEIVABLES] == (D("90.00"), D("90.00"))
    assert found[Line.NET_SALES] == (D("90.00"), D("90.00"))


def test_a_negative_invoice_becomes_customer_credit(make_stack: StackFactory) -> None:
    stack, client, cus = start(make_stack)
    inv = invoice(client, cus, -2500)
    assert inv.status == "paid" and inv.total == -2500
    demo.wait_until_synced(stack)

    assert gl_lines(stack, inv.id, "invoice") == posted(
        (AR, "credit", D("25.00")), (INCOME, "debit", D("25.00"))
    )
    assert gl_lines(stack, inv.id, "balance_transfer") == posted(
        (AR, "debit", D("25.00")), (CREDIT, "credit", D("25.00"))
    )
    found = ties(stack)
    assert found[Line.CUSTOMER_CREDIT] == (D("25.00"), D("25.00"))
    assert found[Line.NET_SALES] == (D("-25.00"), D("-25.00"))


def test_automatic_inclusive_tax_is_split_out_with_tax_codes(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"tax": "codes"},
    )
    client = stack.stripe_client()
    cus = client.v1.customers.create(params={"name": "Dublin Co", "address": {"country": "IE"}}).id
    client.v1.invoice_items.create(
        params={"customer": cus, "amount": 12300, "currency": "usd",
                "tax_behavior": "inclusive"}
    )  # fmt: skip
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include",
                "automatic_tax": {"enabled": True}, "currency": "usd",
                "collection_method": "send_invoice", "days_until_due": 30}
    )  # fmt: skip
    inv = client.v1.invoices.finalize_invoice(draft.id)
    assert inv.total == 12300
    demo.wait_until_synced(stack)

    # VAT at 23% inside 123.00: 100.00 to income, 23.00 to the tax code's account.
    assert gl_lines(stack, inv.id, "invoice") == posted(
        (AR, "debit", D("123.00")), (INCOME, "credit", D("100.00")), (TAX, "credit", D("23.00"))
    )
    found = ties(stack)
    assert found[Line.TAX] == (D("23.00"), D("23.00"))
    assert found[Line.RECEIVABLES] == (D("123.00"), D("123.00"))


def test_a_balance_the_customer_owes_is_carried_and_the_payment_applies_in_full(
    make_stack: StackFactory,
) -> None:
    stack, client, cus = start(make_stack)
    owed = client.v1.customers.balance_transactions.create(
        cus, params={"amount": 1500, "currency": "usd", "description": "setup fee"}
    )
    inv = client.v1.invoices.pay(invoice(client, cus, 5000).id)
    assert (inv.starting_balance, inv.amount_paid) == (1500, 6500)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, owed.id, "balance_adjustment") == posted(
        (AR, "debit", D("15.00")), (chart.DISCOUNTS, "credit", D("15.00"))
    )
    assert gl_lines(stack, inv.id, "invoice") == posted(
        (AR, "debit", D("65.00")), (INCOME, "credit", D("50.00")), (CREDIT, "credit", D("15.00"))
    )
    assert gl_lines(stack, inv.id, "balance_carry") == posted(
        (AR, "credit", D("15.00")), (CREDIT, "debit", D("15.00"))
    )
    # The payment of 65.00 applies to the invoice in full: nothing is left unapplied.
    payment = links.get(stack.database, account=demo.ACCOUNT,
                        stripe_id=str(client.v1.payment_intents.retrieve(
                            str(client.v1.invoice_payments.list(params={"invoice": inv.id})
                                .data[0].payment.payment_intent)).latest_charge),
                        role="payment")  # fmt: skip
    assert payment is not None
    books = stack.netsuite.app.app.state.sandbox.account
    body = books.store.get("customerPayment", payment.internal_id)
    assert body is not None
    applied = [a["amount"] for a in body["apply"]["items"] if a.get("apply")]
    assert sum(applied, D(0)) == D("65.00")
    found = ties(stack)
    assert found[Line.RECEIVABLES] == (D("0.00"), D("0.00"))
    assert found[Line.CUSTOMER_CREDIT] == (D("0.00"), D("0.00"))
    assert found[Line.NET_SALES] == (D("65.00"), D("65.00"))
