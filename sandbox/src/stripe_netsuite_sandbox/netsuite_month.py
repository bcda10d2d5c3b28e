"""The demo month's NetSuite side: invoices raised in NetSuite and paid through Stripe.

Four invoices are entered in NetSuite with the "send to Stripe" box ticked. Once the
engine has issued them in Stripe, two are paid by card on Stripe's hosted invoice page,
one is paid by wire in NetSuite (Stripe then shows it paid out of band), and one is
voided in NetSuite (and so in Stripe). `summary` puts each beside its Stripe invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import stripe

from stripe_netsuite_sandbox.netsuite import chart, jsonio
from stripe_netsuite_sandbox.stripe import currency as stripe_currency
from stripe_netsuite_sandbox.stripe import hosted

#: (customer, [(line description, amount)], what happens to it).
INVOICES: tuple[tuple[str, tuple[tuple[str, str], ...], str], ...] = (
    ("Harbor Supplies Co", (("Consulting, October", "1200.00"), ("Travel", "80.50")), "card"),
    ("Harbor Supplies Co", (("Training day", "450.00"),), "card"),
    ("Lakeside Clinic", (("Annual support", "500.00"), ("Loyalty discount", "-50.00")), "wire"),
    ("Lakeside Clinic", (("Setup fee", "75.00"),), "void"),
)
_STATES = {"A": "open", "B": "paid", "V": "void"}


@dataclass(frozen=True)
class Row:
    """One NetSuite-raised invoice beside its Stripe invoice."""

    netsuite_id: str
    netsuite_total: Decimal
    netsuite_state: str
    stripe_id: str | None
    stripe_total: Decimal | None
    stripe_state: str | None
    currency: str
    hosted_url_written: bool
    how: str


def _user(netsuite_base: str, action: str, body: dict[str, Any]) -> str:
    response = httpx.post(
        f"{netsuite_base}/__sandbox/user/{action}",
        content=jsonio.dumps(body),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    response.raise_for_status()
    return str(response.json()["id"])


def _record(netsuite_base: str, rtype: str, rid: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{netsuite_base}/__sandbox/records", timeout=60).json()
    return next(r for r in found.get(rtype, []) if str(r["id"]) == rid)


def raise_invoices(netsuite_base: str) -> list[tuple[str, str]]:
    """Enter the customers and invoices in NetSuite; (internal id, what happens to it)."""
    customers: dict[str, str] = {}
    raised = []
    for name, lines, how in INVOICES:
        if name not in customers:
            email = "ap@" + name.split()[0].lower() + ".example"
            entry = {"companyName": name, "email": email, "subsidiary": {"id": chart.SUBSIDIARY_US}}
            customers[name] = _user(netsuite_base, "create/customer", entry)
        items = [
            {"item": {"id": chart.SERVICE_ITEM if Decimal(amount) > 0 else chart.DISCOUNT_ITEM},
             "quantity": 1, "rate": Decimal(amount), "description": text}
            for text, amount in lines
        ]  # fmt: skip
        body: dict[str, Any] = {
            "entity": {"id": customers[name]},
            "currency": {"id": chart.CURRENCIES["usd"]},
            "item": {"items": items},
            "custbody_sns_send_to_stripe": True,
        }
        raised.append((_user(netsuite_base, "create/invoice", body), how))
    return raised


def settle(
    netsuite_base: str, stripe_base: str, raised: list[tuple[str, str]], sync: Callable[[], None]
) -> None:
    """Pay, wire and void as `INVOICES` says, once the engine issued them in Stripe."""
    sync()
    for internal_id, how in raised:
        record = _record(netsuite_base, "invoice", internal_id)
        if how == "card":
            url = str(record["custbody_sns_stripe_hosted_url"])
            page = hosted.local_url(url, stripe_base)
            httpx.post(page, data={"payment_method": "pm_card_visa"}, timeout=60).raise_for_status()
        elif how == "wire":
            wire = {"account": chart.BANK_ACCOUNTS["usd"], "memo": "wire received"}
            _user(netsuite_base, f"pay/{internal_id}", wire)
        elif how == "void":
            _user(netsuite_base, f"void/invoice/{internal_id}", {})
    sync()


def summary(
    netsuite_base: str, client: stripe.StripeClient, raised: list[tuple[str, str]]
) -> list[Row]:
    """Each NetSuite-raised invoice beside the Stripe invoice made from it."""
    rows = []
    for internal_id, how in raised:
        record = _record(netsuite_base, "invoice", internal_id)
        stripe_id = record.get("custbody_sns_stripe_invoice_id")
        found = client.v1.invoices.retrieve(str(stripe_id)) if stripe_id else None
        currency = str(found.currency) if found else "usd"
        digits = stripe_currency.exponent(currency)
        rows.append(
            Row(
                netsuite_id=internal_id,
                netsuite_total=Decimal(str(record.get("total") or 0)).quantize(
                    Decimal(1).scaleb(-digits)
                ),
                netsuite_state=_STATES.get(str((record.get("status") or {}).get("id")), "?"),
                stripe_id=str(stripe_id) if stripe_id else None,
                stripe_total=Decimal(found.total).scaleb(-digits) if found else None,
                stripe_state=str(found.status) if found else None,
                currency=currency,
                hosted_url_written=found is not None
                and record.get("custbody_sns_stripe_hosted_url") == found.hosted_invoice_url,
                how=how,
            )
        )
    return rows


def problems(rows: list[Row]) -> list[str]:
    """What does not hold: one Stripe invoice each, same total, state mirrored, URL written."""
    found = []
    for row in rows:
        if row.stripe_id is None:
            found.append(f"NetSuite invoice {row.netsuite_id} has no Stripe invoice")
            continue
        # A void zeroes the NetSuite invoice; its Stripe invoice keeps its total, voided.
        if row.netsuite_state != "void" and row.stripe_total != row.netsuite_total:
            found.append(f"NetSuite invoice {row.netsuite_id}: totals differ")
        if row.stripe_state != row.netsuite_state:
            found.append(f"NetSuite invoice {row.netsuite_id}: {row.netsuite_state} in NetSuite, "
                         f"{row.stripe_state} in Stripe")  # fmt: skip
        if not row.hosted_url_written:
            found.append(f"NetSuite invoice {row.netsuite_id}: hosted URL not written back")
    return found


def render(rows: list[Row]) -> str:
    """The summary table printed by the demo."""
    out = [
        "Invoices raised in NetSuite, beside their Stripe invoices",
        f"  {'NetSuite':<10}{'total':>10}{'state':>7}  {'Stripe':<28}{'total':>10}{'state':>7}"
        f"  {'how':<6}url",
    ]
    for r in rows:
        out.append(
            f"  {r.netsuite_id:<10}{r.netsuite_total:>10}{r.netsuite_state:>7}  "
            f"{r.stripe_id or '-':<28}{r.stripe_total if r.stripe_total is not None else '-':>10}"
            f"{r.stripe_state or '-':>7}  {r.how:<6}{'yes' if r.hosted_url_written else 'no'}"
        )
    return "\n".join(out)
