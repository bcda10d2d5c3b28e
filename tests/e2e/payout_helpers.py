"""Stripe's side of a payout, for the payout tests: card charges and the payout's figures."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import stripe


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
