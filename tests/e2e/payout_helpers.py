"""Stripe's side of a payout, for the payout tests: card charges, a paid-out month, the
payout's figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import stripe

from stripe_netsuite_sandbox import demo


def charge(client: stripe.StripeClient, customer: str, amount: int) -> str:
    """A USD card charge of *amount* cents for *customer*; its id."""
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": customer,
                "payment_method": "pm_card_visa", "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return str(intent.latest_charge)


def cents(value: int) -> Decimal:
    return Decimal(value) / 100


def payout_figures(client: stripe.StripeClient, payout_id: str) -> dict[str, Decimal]:
    """What Stripe says the payout holds, in dollars: gross by reporting category, and fees."""
    found = Counter[str]()
    for bt in client.v1.balance_transactions.list(
        params={"payout": payout_id, "limit": 100}
    ).auto_paging_iter():
        if bt.type == "payout":
            continue
        found[bt.reporting_category] += bt.amount
        found["fee"] += bt.fee
    return {name: cents(value) for name, value in found.items()}


def split_payout(
    make_stack: Callable[..., demo.Stack], name: str, amounts: Sequence[int]
) -> tuple[demo.Stack, stripe.StripeClient, Any]:
    """A stack posting deposits of at most five lines, one customer *name* charged each of
    *amounts* (cents), all paid out and synced; the stack, its client and the payout."""
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"deposit_max_lines": 5},
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": name}).id
    for amount in amounts:
        charge(client, customer, amount)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    return stack, client, payout
