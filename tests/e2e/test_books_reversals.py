"""Refunds, disputes, failed refunds and standalone charges over both sandboxes: the GL
lines each posts (account, debit or credit, amount, currency), and the tie-out after."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
import stripe

from stripe_netsuite.mapping.tieout import Line, TieOut
from stripe_netsuite.store import links
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart

StackFactory = Callable[..., demo.Stack]
Posted = tuple[str, str, Decimal, str]

AR, INCOME, TAX = chart.ACCOUNTS_RECEIVABLE, chart.INCOME, chart.TAX_PAYABLE
CLEARING, UNDEPOSITED = chart.STRIPE_CLEARING, chart.UNDEPOSITED_FUNDS
USD = chart.CURRENCIES["usd"]
d = Decimal


def customer(client: stripe.StripeClient, name: str, card: str = "pm_card_visa") -> str:
    return client.v1.customers.create(
        params={"name": name, "payment_method": card,
                "invoice_settings": {"default_payment_method": card}}
    ).id  # fmt: skip


def taxed_invoice(client: stripe.StripeClient, cus: str, amount: int, percent: str) -> str:
    """A paid invoice of *amount* plus exclusive tax at *percent*; the id of its charge."""
    rate = client.v1.tax_rates.create(
        params={"display_name": "Sales tax", "percentage": float(percent), "inclusive": False}
    )
    client.v1.invoice_items.create(
        params={"customer": cus, "amount": amount, "currency": "usd", "tax_rates": [rate.id]}
    )
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    paid = client.v1.invoices.pay(draft.id)
    payments = client.v1.invoice_payments.list(params={"invoice": paid.id})
    intent = payments.data[0].payment.payment_intent
    return str(client.v1.payment_intents.retrieve(str(intent)).latest_charge)


def standalone(client: stripe.StripeClient, cus: str, amount: int, card: str) -> str:
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": cus, "payment_method": card,
                "confirm": True, "description": "Consulting hours",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return str(intent.latest_charge)


def gl_lines(stack: demo.Stack, record_type: str, stripe_id: str, role: str) -> list[Posted]:
    """(account, debit or credit, amount, currency id) of the GL lines of the engine's record."""
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert link is not None, f"no {role} record for {stripe_id}"
    assert link.record_type == record_type
    books = stack.netsuite.app.app.state.sandbox.account
    impact = books.gl.impact_of(link.internal_id)
    assert impact is not None and impact.problems == (), impact
    return sorted(
        (ln.account, "debit" if ln.foreign_amount > 0 else "credit", abs(ln.foreign_amount),
         str(impact.currency))
        for ln in impact.lines if ln.foreign_amount
    )  # fmt: skip


def usd(*lines: tuple[str, str, str]) -> list[Posted]:
    return sorted((acct, side, d(amount), USD) for acct, side, amount in lines)


def assert_ties(result: TieOut) -> None:
    assert result.differing == (), [
        (t.currency, str(t.line), t.stripe, t.netsuite, t.sources) for t in result.differing
    ]


def test_partial_refund_of_a_taxed_invoice_credits_income_and_tax_pro_rata(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Pro Rata Co")
    charge = taxed_invoice(client, cus, 10000, "10")  # 100.00 + 10.00 tax
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 3300})
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    # 33.00 of 110.00 gives back 30.00 of sales and 3.00 of tax, never one gross line.
    assert gl_lines(stack, "creditMemo", refund.id, "credit_memo") == usd(
        (INCOME, "debit", "30.00"), (TAX, "debit", "3.00"), (AR, "credit", "33.00")
    )
    assert gl_lines(stack, "customerRefund", refund.id, "refund") == usd(
        (AR, "debit", "33.00"), (CLEARING, "credit", "33.00")
    )
    result = demo.tie_out(stack)
    assert result.line("usd", Line.NET_SALES).netsuite == d("70.00")
    assert result.line("usd", Line.TAX).netsuite == d("7.00")
    assert_ties(result)


def test_standalone_charge_posts_a_sale_and_its_refund_reverses_it(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Walk In Co")
    charge = standalone(client, cus, 8000, "pm_card_visa")
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 2000})
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, "invoice", charge, "invoice") == usd(
        (AR, "debit", "80.00"), (INCOME, "credit", "80.00")
    )
    assert gl_lines(stack, "customerPayment", charge, "payment") == usd(
        (UNDEPOSITED, "debit", "80.00"), (AR, "credit", "80.00")
    )
    assert gl_lines(stack, "creditMemo", refund.id, "credit_memo") == usd(
        (INCOME, "debit", "20.00"), (AR, "credit", "20.00")
    )
    assert gl_lines(stack, "customerRefund", refund.id, "refund") == usd(
        (AR, "debit", "20.00"), (CLEARING, "credit", "20.00")
    )
    result = demo.tie_out(stack)
    assert result.line("usd", Line.NET_SALES).netsuite == d("60.00")
    assert result.line("usd", Line.RECEIVABLES).netsuite == d("0.00")
    assert_ties(result)


def test_standalone_charge_left_unapplied_when_asked(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"create_invoices_for_payments": False},
    )
    client = stack.stripe_client()
    charge = standalone(client, customer(client, "Unapplied Co"), 5000, "pm_card_visa")
    demo.wait_until_synced(stack)

    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=charge,
                     role="invoice") is None  # fmt: skip
    assert gl_lines(stack, "customerPayment", charge, "payment") == usd(
        (UNDEPOSITED, "debit", "50.00"), (AR, "credit", "50.00")
    )


def test_failed_refund_books_the_refund_and_its_return(make_stack: StackFactory) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    cus = customer(client, "Expired Card Co")
    charge = standalone(client, cus, 6000, "pm_card_refundFail")
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 6000})
    demo.advance(stack, 2 * demo.DAY)  # the refund fails some time after it succeeded
    assert client.v1.refunds.retrieve(refund.id).status == "failed"
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, "creditMemo", refund.id, "credit_memo") == usd(
        (INCOME, "debit", "60.00"), (AR, "credit", "60.00")
    )
    assert gl_lines(stack, "customerRefund", refund.id, "refund") == usd(
        (AR, "debit", "60.00"), (CLEARING, "credit", "60.00")
    )
    # Booked back: the sale stands again and the money is back in Stripe clearing.
    assert gl_lines(stack, "invoice", refund.id, "refund_failure_invoice") == usd(
        (AR, "debit", "60.00"), (INCOME, "credit", "60.00")
    )
    assert gl_lines(stack, "customerPayment", refund.id, "refund_failure") == usd(
        (CLEARING, "debit", "60.00"), (AR, "credit", "60.00")
    )
    result = demo.tie_out(stack)
    assert result.line("usd", Line.NET_SALES).netsuite == d("60.00")
    assert_ties(result)


def _dispute(client: stripe.StripeClient, charge: str, evidence: str) -> str:
    disputes = client.v1.disputes.list(params={"charge": charge})
    dispute = disputes.data[0].id
    client.v1.disputes.update(dispute, params={"evidence": {"uncategorized_text": evidence}})
    return dispute


def test_lost_and_won_disputes_of_taxed_invoices_are_symmetric(make_stack: StackFactory) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    lost_charge = taxed_invoice(client, customer(client, "Lost Co", "pm_card_createDispute"),
                                10000, "10")  # fmt: skip
    won_charge = taxed_invoice(client, customer(client, "Won Co", "pm_card_createDispute"),
                               20000, "10")  # fmt: skip
    lost = _dispute(client, lost_charge, "losing_evidence")
    won = _dispute(client, won_charge, "winning_evidence")
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    assert client.v1.disputes.retrieve(won).status == "won"

    assert gl_lines(stack, "creditMemo", lost, "credit_memo") == usd(
        (INCOME, "debit", "100.00"), (TAX, "debit", "10.00"), (AR, "credit", "110.00")
    )
    assert gl_lines(stack, "customerRefund", lost, "refund") == usd(
        (AR, "debit", "110.00"), (CLEARING, "credit", "110.00")
    )
    # The won one: withdrawn as the lost one, then every line the other way round.
    assert gl_lines(stack, "creditMemo", won, "credit_memo") == usd(
        (INCOME, "debit", "200.00"), (TAX, "debit", "20.00"), (AR, "credit", "220.00")
    )
    assert gl_lines(stack, "invoice", won, "dispute_reinstatement") == usd(
        (AR, "debit", "220.00"), (INCOME, "credit", "200.00"), (TAX, "credit", "20.00")
    )
    assert gl_lines(stack, "customerPayment", won, "dispute_reversal") == usd(
        (UNDEPOSITED, "debit", "220.00"), (AR, "credit", "220.00")
    )
    fee = gl_lines(stack, "journalEntry", won, "dispute_fee")
    assert fee == usd((chart.DISPUTE_FEES, "debit", "15.00"), (CLEARING, "credit", "15.00"))
    # Stripe gave the fee back: its entry is reversed line for line.
    assert gl_lines(stack, "journalEntry", won, "dispute_fee_reversal") == usd(
        (CLEARING, "debit", "15.00"), (chart.DISPUTE_FEES, "credit", "15.00")
    )
    result = demo.tie_out(stack)
    # Won: the sale stands; lost: it is gone. Tax likewise.
    assert result.line("usd", Line.NET_SALES).netsuite == d("200.00")
    assert result.line("usd", Line.TAX).netsuite == d("20.00")
    assert_ties(result)


def test_dependencies_are_created_under_rules_that_skip_their_own_events(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"customer_sync": False, "metadata_mode": "allow"},
    )
    client = stack.stripe_client()
    cus = customer(client, "Only Through Its Charge Co")
    charge = client.v1.payment_intents.create(
        params={"amount": 4200, "currency": "usd", "customer": cus,
                "payment_method": "pm_card_visa", "confirm": True,
                "metadata": {"netsuite_allow_integration": "true"},
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    ).latest_charge  # fmt: skip
    other = customer(client, "Never Charged Co")
    demo.wait_until_synced(stack)

    # The customer skips on its own events, and is created for its charge all the same.
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=cus,
                     role="customer") is not None  # fmt: skip
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=other,
                     role="customer") is None  # fmt: skip
    assert gl_lines(stack, "invoice", str(charge), "invoice") == usd(
        (AR, "debit", "42.00"), (INCOME, "credit", "42.00")
    )


def eur_charge(client: stripe.StripeClient, cus: str, amount: int, card: str) -> str:
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "eur", "customer": cus, "payment_method": card,
                "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return str(intent.latest_charge)


def test_a_won_dispute_settled_in_another_currency_comes_back_through_clearing(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})  # settles in USD
    client = stack.stripe_client()
    charge = eur_charge(client, customer(client, "Euro Co", "pm_card_createDispute"), 5000,
                        "pm_card_createDispute")  # fmt: skip
    won = _dispute(client, charge, "winning_evidence")
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    eur = chart.CURRENCIES["eur"]
    reinstated = client.v1.disputes.retrieve(won, params={"expand": ["balance_transactions"]})
    back = [bt for bt in reinstated.balance_transactions if bt.amount > 0]
    assert back and back[0].currency == "usd" and back[0].exchange_rate
    # In EUR at Stripe's rate: the sale booked again, the cash waiting in Stripe clearing.
    assert gl_lines(stack, "invoice", won, "dispute_reinstatement") == sorted(
        [(AR, "debit", d("50.00"), eur), (INCOME, "credit", d("50.00"), eur)]
    )
    assert gl_lines(stack, "customerPayment", won, "dispute_reversal") == sorted(
        [(CLEARING, "debit", d("50.00"), eur), (AR, "credit", d("50.00"), eur)]
    )
    books = stack.netsuite.app.app.state.sandbox.account
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=won, role="dispute_reversal")
    assert link is not None
    impact = books.gl.impact_of(link.internal_id)
    assert impact is not None
    base = {ln.account: ln.amount for ln in impact.lines}
    rate = Decimal(str(back[0].exchange_rate))
    assert base[CLEARING] == (d("50.00") * rate).quantize(d("0.01"))
    # Every payout's deposit still ties out to the cent.
    reports = demo.reconciliation(stack)
    assert reports and all(report.ties_out for report in reports)


def test_single_currency_account_converts_foreign_money_at_stripe_rate(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"multi_currency": False},
    )
    client = stack.stripe_client()
    charge = eur_charge(client, customer(client, "Euro Single Co"), 5000, "pm_card_visa")
    demo.wait_until_synced(stack)

    found = client.v1.charges.retrieve(charge, params={"expand": ["balance_transaction"]})
    bt = found.balance_transaction
    assert isinstance(bt, stripe.BalanceTransaction)
    settled = money_of(bt.amount)
    assert bt.currency == "usd" and settled != d("50.00")
    # Never 50.00 at face value: the USD Stripe settled.
    assert gl_lines(stack, "invoice", charge, "invoice") == usd(
        (AR, "debit", str(settled)), (INCOME, "credit", str(settled))
    )
    # Like any money that changed currency, it waits in Stripe clearing for the deposit.
    assert gl_lines(stack, "customerPayment", charge, "payment") == usd(
        (CLEARING, "debit", str(settled)), (AR, "credit", str(settled))
    )
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    reports = demo.reconciliation(stack)
    assert reports and all(report.ties_out for report in reports)


def test_single_currency_account_refuses_foreign_money_when_asked(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"multi_currency": False, "foreign_currency": "refuse"},
    )
    client = stack.stripe_client()
    charge = eur_charge(client, customer(client, "Euro Refused Co"), 5000, "pm_card_visa")
    demo.wait_until_synced(stack)

    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=charge,
                     role="payment") is None  # fmt: skip
    with stack.database.connect() as conn:
        parked = (
            conn.execute(
                sa.text("SELECT last_error FROM jobs WHERE object_id = :id AND state = 'parked'"),
                {"id": charge},
            )
            .scalars()
            .all()
        )
    assert parked and all(f"{charge} is in EUR" in e for e in parked)


def money_of(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(d("0.01"))


def test_a_customer_created_before_sync_start_is_created_for_a_later_charge(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"sync_start": "2026-10-02"},
    )
    client = stack.stripe_client()
    cus = customer(client, "Old Customer Co")  # 2026-10-01
    demo.wait_until_synced(stack)
    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=cus,
                     role="customer") is None  # fmt: skip
    demo.advance(stack, demo.DAY)
    charge = standalone(client, cus, 3000, "pm_card_visa")  # 2026-10-02
    demo.wait_until_synced(stack)

    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=cus,
                     role="customer") is not None  # fmt: skip
    assert gl_lines(stack, "customerPayment", charge, "payment") == usd(
        (UNDEPOSITED, "debit", "30.00"), (AR, "credit", "30.00")
    )


def test_cash_refund_and_cash_sale_disputes_carry_the_sale_lines(make_stack: StackFactory) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"dispute_refund_record": "cashRefund",
                         "dispute_reversal_record": "cashSale"},
    )  # fmt: skip
    client = stack.stripe_client()
    lost_charge = taxed_invoice(client, customer(client, "Cash Lost Co", "pm_card_createDispute"),
                                10000, "10")  # fmt: skip
    won_charge = taxed_invoice(client, customer(client, "Cash Won Co", "pm_card_createDispute"),
                               5000, "10")  # fmt: skip
    lost = _dispute(client, lost_charge, "losing_evidence")
    won = _dispute(client, won_charge, "winning_evidence")
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    assert gl_lines(stack, "cashRefund", lost, "refund") == usd(
        (INCOME, "debit", "100.00"), (TAX, "debit", "10.00"), (CLEARING, "credit", "110.00")
    )
    assert gl_lines(stack, "cashRefund", won, "refund") == usd(
        (INCOME, "debit", "50.00"), (TAX, "debit", "5.00"), (CLEARING, "credit", "55.00")
    )
    assert gl_lines(stack, "cashSale", won, "dispute_reversal") == usd(
        (UNDEPOSITED, "debit", "55.00"), (INCOME, "credit", "50.00"), (TAX, "credit", "5.00")
    )
    result = demo.tie_out(stack)
    assert result.line("usd", Line.NET_SALES).netsuite == d("50.00")
    assert result.line("usd", Line.TAX).netsuite == d("5.00")
    assert_ties(result)


def test_single_currency_account_refuses_a_foreign_invoice_by_name(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"multi_currency": False},
    )
    client = stack.stripe_client()
    cus = customer(client, "Euro Invoice Co")
    client.v1.invoice_items.create(params={"customer": cus, "amount": 5000, "currency": "eur"})
    draft = client.v1.invoices.create(
        params={"customer": cus, "currency": "eur", "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    demo.wait_until_synced(stack)

    assert links.get(stack.database, account=demo.ACCOUNT, stripe_id=draft.id,
                     role="invoice") is None  # fmt: skip
    with stack.database.connect() as conn:
        parked = (
            conn.execute(
                sa.text("SELECT last_error FROM jobs WHERE object_id = :id AND state = 'parked'"),
                {"id": draft.id},
            )
            .scalars()
            .all()
        )
    assert parked and all(f"{draft.id} is in EUR" in e and "(USD)" in e for e in parked)
