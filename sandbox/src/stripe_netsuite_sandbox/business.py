"""The demo's built-in business: a month of a small SaaS company in Stripe, made with the SDK.

About fifty customers (companies and individuals, paying in USD, EUR and JPY), monthly
plans with coupons and mid-month upgrades (prorations), one-off invoices, customer
balance credit, standalone charges, partial captures, partial refunds, credit notes of
each kind, and disputes won and lost. The sandbox clock moves day by day, so Stripe
pays out daily and renews the plans at the end of the month. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe

COMPANIES = [
    "Acme Analytics", "Birch & Pine Studio", "Cobalt Logistics", "Dune Robotics",
    "Ember Foods", "Fjord Outfitters", "Granite Legal", "Harbor Health", "Iris Optics",
    "Juniper Labs", "Kestrel Aviation", "Lumen Energy", "Meridian Maps", "Nimbus Weather",
    "Orchard Supply", "Pioneer Freight", "Quartz Security", "Ridgeline Media",
    "Summit Dental", "Tidal Water", "Umber Coffee", "Vantage Realty", "Willow Clinics",
    "Xenon Lighting", "Yarrow Gardens", "Zephyr Travel", "Atlas Rentals", "Beacon Schools",
    "Cedar Finance", "Delta Print", "Echo Audio", "Falcon Drones", "Garnet Jewelry",
    "Helix Bio", "Indigo Fashion",
]  # fmt: skip
PEOPLE = [
    ("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"), ("Frances", "Allen"),
    ("Margaret", "Hamilton"), ("Dennis", "Ritchie"), ("Radia", "Perlman"), ("Ken", "Thompson"),
    ("Hedy", "Lamarr"), ("Claude", "Shannon"), ("Annie", "Easley"),
]  # fmt: skip

#: Monthly plan prices by tier and currency, in minor units.
PLANS = {
    "Starter": {"usd": 2900, "eur": 2700, "jpy": 3000},
    "Growth": {"usd": 9900, "eur": 8900, "jpy": 10000},
    "Scale": {"usd": 29900, "eur": 27900, "jpy": 30000},
}
ONBOARDING = {"usd": 50000, "eur": 45000, "jpy": 60000}
DAY = 86_400


@dataclass
class Business:
    """What was created, by Stripe object type, for the summary."""

    created: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, object_id: str) -> None:
        self.created.setdefault(kind, []).append(object_id)


@dataclass
class _Customer:
    id: str
    currency: str
    card: str


def build(
    client: stripe.StripeClient,
    *,
    seed: int,
    advance: Callable[[int], None],
    customers: int = 50,
) -> Business:
    """Create the month. *advance* moves the sandbox clock forward by some seconds."""
    rng = random.Random(seed)
    business = Business()
    v1 = client.v1

    prices: dict[tuple[str, str], str] = {}
    for tier, amounts in PLANS.items():
        product = v1.products.create(params={"name": f"{tier} plan"})
        business.add("product", product.id)
        for currency, amount in amounts.items():
            price = v1.prices.create(
                params={"product": product.id, "currency": currency, "unit_amount": amount,
                        "recurring": {"interval": "month"}, "nickname": f"{tier} {currency}"}
            )  # fmt: skip
            prices[(tier, currency)] = price.id
            business.add("price", price.id)
    onboarding = v1.products.create(params={"name": "Onboarding package"})
    one_off = {
        cur: v1.prices.create(
            params={"product": onboarding.id, "currency": cur, "unit_amount": amount}
        ).id
        for cur, amount in ONBOARDING.items()
    }
    launch = v1.coupons.create(
        params={"id": "LAUNCH20", "percent_off": 20, "duration": "repeating",
                "duration_in_months": 3, "name": "Launch 20%"}
    )  # fmt: skip
    welcome = v1.coupons.create(
        params={"id": "WELCOME10", "amount_off": 1000, "currency": "usd", "duration": "once",
                "name": "Welcome 10 USD"}
    )  # fmt: skip
    business.add("coupon", launch.id)
    business.add("coupon", welcome.id)

    people = [_person(client, business, rng, first, last) for first, last in PEOPLE]
    companies = [
        _company(client, business, rng, name)
        for name in COMPANIES[: max(customers - len(people), 0)]
    ]
    everyone = (companies + people)[:customers]
    rng.shuffle(everyone)
    _every_currency(everyone)
    disputed = everyone[:2]
    for who, card in zip(disputed, ("pm_card_createDispute", "pm_card_createDispute"), strict=True):
        v1.payment_methods.attach(card, params={"customer": who.id})
        v1.customers.update(who.id, params={"invoice_settings": {"default_payment_method": card}})
        who.card = card

    # Customer balance credit, used by the first invoice.
    for who in [c for c in everyone if c.currency == "usd"][2:4]:
        v1.customers.balance_transactions.create(
            who.id, params={"amount": -1500, "currency": "usd", "description": "Goodwill credit"}
        )

    subscribers = everyone[: int(len(everyone) * 0.6)]
    subscriptions: list[tuple[_Customer, str, str]] = []
    for n, who in enumerate(subscribers):
        tier = rng.choice(list(PLANS))
        params: dict[str, Any] = {
            "customer": who.id,
            "items": [{"price": prices[(tier, who.currency)]}],
        }
        if n % 4 == 1:
            params["discounts"] = [{"coupon": launch.id}]
        elif n % 4 == 2 and who.currency == "usd":
            params["discounts"] = [{"coupon": welcome.id}]
        sub = v1.subscriptions.create(params=params)  # type: ignore[arg-type]
        subscriptions.append((who, sub.id, tier))
        business.add("subscription", sub.id)
    advance(DAY)

    # One-off onboarding invoices: most charged at once, two sent and left open.
    others = everyone[len(subscribers) :]
    open_invoices: list[stripe.Invoice] = []
    for n, who in enumerate(others[:8]):
        v1.invoice_items.create(
            params={"customer": who.id, "pricing": {"price": one_off[who.currency]}}
        )
        send = n < 2
        invoice = v1.invoices.create(
            params={"customer": who.id, "currency": who.currency,
                    "pending_invoice_items_behavior": "include",
                    "collection_method": "send_invoice" if send else "charge_automatically",
                    **({"days_until_due": 30} if send else {})}
        )  # fmt: skip
        invoice = v1.invoices.finalize_invoice(invoice.id)
        business.add("invoice", invoice.id)
        if send:
            open_invoices.append(invoice)
        elif invoice.status == "open":
            v1.invoices.pay(invoice.id)
    advance(DAY)

    # Standalone charges, two partial captures, refunds of several kinds.
    charges: list[str] = []
    for who in others[8:] + everyone[:3]:
        amount = rng.choice([1200, 4500, 8000, 15000])
        if who.currency == "jpy":
            amount = amount // 10 * 10
        intent = v1.payment_intents.create(
            params={"amount": amount, "currency": who.currency, "customer": who.id,
                    "payment_method": "pm_card_visa", "confirm": True,
                    "description": "Consulting hours",
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
        )  # fmt: skip
        charges.append(str(intent.latest_charge))
    for who in [c for c in everyone if c.currency == "usd"][:2]:
        intent = v1.payment_intents.create(
            params={"amount": 20000, "currency": "usd", "customer": who.id,
                    "payment_method": "pm_card_visa", "confirm": True,
                    "capture_method": "manual", "description": "Hardware deposit",
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
        )  # fmt: skip
        v1.payment_intents.capture(intent.id, params={"amount_to_capture": 12000})
    advance(DAY)
    if len(charges) >= 3:
        first, second, third = charges[:3]
        v1.refunds.create(
            params={"charge": first, "amount": 500, "reason": "requested_by_customer"}
        )
        v1.refunds.create(params={"charge": second, "amount": 300})
        v1.refunds.create(params={"charge": second, "amount": 200})
        v1.refunds.create(params={"charge": third})
    # A refund to an expired card: it succeeds, then fails, and the money comes back.
    expired = v1.payment_intents.create(
        params={"amount": 2500, "currency": "usd", "customer": everyone[-1].id,
                "payment_method": "pm_card_refundFail", "confirm": True,
                "description": "Consulting hours",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    v1.refunds.create(params={"charge": str(expired.latest_charge)})
    advance(DAY)

    # Credit notes: before payment, and after payment as refund, credit and out of band.
    # Never more than the invoice still asks for (Stripe refuses a credit above it).
    creditable = [(inv, min(10000, inv.amount_remaining)) for inv in open_invoices]
    for invoice, amount in [(inv, amount) for inv, amount in creditable if amount > 0][:1]:
        v1.credit_notes.create(
            params={"invoice": invoice.id, "amount": amount, "reason": "order_change"}
        )
    paid = [s for s in subscriptions if s[0].card == "pm_card_visa"]
    for (who, sub_id, _tier), how in zip(
        paid[:3], ("refund_amount", "credit_amount", "out_of_band_amount"), strict=False
    ):
        invoice_id = v1.subscriptions.retrieve(sub_id).latest_invoice
        invoice = v1.invoices.retrieve(str(invoice_id))
        amount = min(1000, invoice.amount_paid) if who.currency != "jpy" else 1000
        if invoice.amount_paid >= amount > 0:
            note: dict[str, Any] = {"invoice": invoice.id, "amount": amount, how: amount,
                                    "reason": "product_unsatisfactory"}  # fmt: skip
            v1.credit_notes.create(params=note)  # type: ignore[arg-type]
    advance(DAY)
    _books_cases(client, business, others[:3], one_off)
    advance(DAY)

    # Mid-month upgrades, invoiced at once with prorations.
    for who, sub_id, tier in paid[3:6]:
        if tier == "Scale":
            continue
        sub = v1.subscriptions.retrieve(sub_id)
        upgrade = "Scale" if tier == "Growth" else "Growth"
        v1.subscriptions.update(
            sub_id,
            params={"items": [{"id": sub["items"].data[0].id,
                               "price": prices[(upgrade, who.currency)]}],
                    "proration_behavior": "always_invoice"},
        )  # fmt: skip
    advance(DAY * 3)

    # The disputes: one won (after its withdrawal was paid out), one lost.
    disputes = list(v1.disputes.list(params={"limit": 10}).data)
    for dispute, evidence in zip(disputes, ("winning_evidence", "losing_evidence"), strict=False):
        v1.disputes.update(dispute.id, params={"evidence": {"uncategorized_text": evidence}})
    # The rest of the month: renewals at its end, then daily payouts.
    advance(DAY * 24)
    return business


def _books_cases(
    client: stripe.StripeClient, business: Business, who: list[_Customer], one_off: dict[str, str]
) -> None:
    """VAT-inclusive invoices: one paid, refunded in part and then credited by a credit note
    naming that refund; one voided; one marked uncollectible."""
    v1 = client.v1
    vat = v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20.0, "inclusive": True, "country": "IE"}
    )
    for n, customer in enumerate(who):
        v1.invoice_items.create(
            params={"customer": customer.id, "pricing": {"price": one_off[customer.currency]},
                    "tax_rates": [vat.id]}
        )  # fmt: skip
        invoice = v1.invoices.create(
            params={"customer": customer.id, "currency": customer.currency,
                    "pending_invoice_items_behavior": "include",
                    "collection_method": "send_invoice", "days_until_due": 30}
        )  # fmt: skip
        invoice = v1.invoices.finalize_invoice(invoice.id)
        business.add("invoice", invoice.id)
        if invoice.status != "open":
            continue
        if n == 0:
            # Writes only (the payments ride along expanded): reads are rate limited.
            invoice = v1.invoices.pay(
                invoice.id, params={"payment_method": "pm_card_visa", "expand": ["payments"]}
            )
            intent = str(invoice.payments.data[0].payment.payment_intent)  # type: ignore[union-attr]
            amount = min(1000, invoice.amount_paid, invoice.lines.data[0].amount)
            refund = v1.refunds.create(params={"payment_intent": intent, "amount": amount})
            v1.credit_notes.create(
                params={"invoice": invoice.id,
                        "refunds": [{"refund": refund.id, "amount_refunded": amount}],
                        "lines": [{"type": "invoice_line_item", "amount": amount,
                                   "invoice_line_item": invoice.lines.data[0].id}]}
            )  # fmt: skip
        elif n == 1:
            v1.invoices.void_invoice(invoice.id)
        else:
            v1.invoices.mark_uncollectible(invoice.id)


def _every_currency(everyone: list[_Customer]) -> None:
    """Make sure some customer pays in each currency: a currency the draw left out is
    taken up by the last customer of the most common one (the disputed pair excepted).
    Only the local record changes: Stripe learns the currency from the first bill."""
    for currency in ("usd", "eur", "jpy"):
        held = [c.currency for c in everyone]
        if currency in held:
            continue
        common = max(("usd", "eur", "jpy"), key=held.count)
        for who in reversed(everyone[2:]):
            if who.currency == common:
                who.currency = currency
                break


def _person(
    client: stripe.StripeClient, business: Business, rng: random.Random, first: str, last: str
) -> _Customer:
    currency = rng.choices(["usd", "eur", "jpy"], weights=[7, 2, 1])[0]
    customer = client.v1.customers.create(
        params={"name": f"{first} {last}", "email": f"{first}.{last}@mail.example".lower(),
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
                "metadata": {"netsuite_first_name": first, "netsuite_last_name": last}}
    )  # fmt: skip
    business.add("customer", customer.id)
    return _Customer(customer.id, currency, "pm_card_visa")


def _company(
    client: stripe.StripeClient, business: Business, rng: random.Random, name: str
) -> _Customer:
    currency = rng.choices(["usd", "eur", "jpy"], weights=[7, 2, 1])[0]
    slug = "".join(ch for ch in name.lower() if ch.isalpha())[:16]
    customer = client.v1.customers.create(
        params={"name": name, "email": f"billing@{slug}.example",
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
                "address": {"line1": f"{rng.randint(1, 900)} Market Street",
                            "city": "San Francisco", "postal_code": "94105", "country": "US"},
                "metadata": {"segment": rng.choice(["smb", "mid-market", "enterprise"])}}
    )  # fmt: skip
    business.add("customer", customer.id)
    return _Customer(customer.id, currency, "pm_card_visa")
