"""Invoice arithmetic: discounts and taxes per line, then totals (integers, `Decimal` rates)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stripe_netsuite_sandbox.stripe.store import Obj


def round_minor(value: Decimal) -> int:
    """Half-up rounding to whole minor units."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def coupon_amount(coupon: Obj, base: int) -> int:
    """What *coupon* takes off *base* (never more than *base*)."""
    if base <= 0:
        return 0
    if coupon.get("percent_off") is not None:
        pct = Decimal(str(coupon["percent_off"]))
        return min(base, round_minor(Decimal(base) * pct / 100))
    return min(base, int(coupon.get("amount_off") or 0))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split *total* over *weights* proportionally, largest remainder, summing exactly."""
    whole = sum(w for w in weights if w > 0)
    if whole <= 0 or total <= 0:
        return [0 for _ in weights]
    raw = [Decimal(total) * max(w, 0) / whole for w in weights]
    base = [int(r) for r in raw]
    left = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - base[i], reverse=True)
    for i in order[:left]:
        base[i] += 1
    return base


def tax_entry(rate: Obj, taxable: int) -> dict[str, Any]:
    """A `taxes[]` entry of `tax_rate_details` for *taxable* minor units."""
    pct = Decimal(str(rate["percentage"]))
    if rate.get("inclusive"):
        net = round_minor(Decimal(taxable) * 100 / (100 + pct))
        amount, base = taxable - net, net
    else:
        amount, base = round_minor(Decimal(taxable) * pct / 100), taxable
    return {
        "amount": amount,
        "tax_behavior": "inclusive" if rate.get("inclusive") else "exclusive",
        "tax_rate_details": {"tax_rate": rate["id"]},
        "taxability_reason": "standard_rated",
        "taxable_amount": base,
        "type": "tax_rate_details",
    }


#: Automatic tax: the standard rate (percent) by the customer's country, as Stripe Tax
#: would compute it for a plain digital service. Elsewhere Stripe collects nothing here.
AUTOMATIC_RATES: dict[str, str] = {
    "IE": "23", "DE": "19", "FR": "20", "GB": "20", "NL": "21", "ES": "21", "IT": "22",
    "JP": "10", "AU": "10",
}  # fmt: skip


def automatic_tax_entry(rate: Obj, taxable: int, *, collecting: bool) -> dict[str, Any]:
    """A `taxes[]` entry computed by automatic tax (a zero one where nothing is collected)."""
    entry = tax_entry(rate, taxable)
    if not collecting:
        entry.update(amount=0, taxability_reason="not_collecting", taxable_amount=0)
    return entry


def aggregate_taxes(lines: list[Obj]) -> list[dict[str, Any]]:
    """`total_taxes`: line taxes summed per tax rate."""
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        for tax in line.get("taxes") or []:
            key = tax["tax_rate_details"]["tax_rate"]
            if key not in out:
                out[key] = {**tax, "amount": 0, "taxable_amount": 0}
            out[key]["amount"] += tax["amount"]
            out[key]["taxable_amount"] += tax["taxable_amount"]
    return list(out.values())


def aggregate_discounts(lines: list[Obj]) -> list[dict[str, Any]]:
    """`total_discount_amounts`: line discounts summed per discount."""
    out: dict[str, int] = {}
    for line in lines:
        for d in line.get("discount_amounts") or []:
            out[d["discount"]] = out.get(d["discount"], 0) + int(d["amount"])
    return [{"amount": v, "discount": k} for k, v in out.items()]


def totals(lines: list[Obj], invoice_discount_ids: set[str]) -> dict[str, Any]:
    """Invoice-level totals from priced lines."""
    item_discounts = sum(
        int(d["amount"])
        for line in lines
        for d in line.get("discount_amounts") or []
        if d["discount"] not in invoice_discount_ids
    )
    invoice_discounts = sum(
        int(d["amount"])
        for line in lines
        for d in line.get("discount_amounts") or []
        if d["discount"] in invoice_discount_ids
    )
    gross = sum(int(line["amount"]) for line in lines)
    taxes = aggregate_taxes(lines)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    subtotal = gross - item_discounts
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total_excluding_tax": subtotal - invoice_discounts - inclusive,
        "total": subtotal - invoice_discounts + exclusive,
        "total_taxes": taxes,
        "total_discount_amounts": aggregate_discounts(lines),
        "total_pretax_credit_amounts": [
            {
                "amount": d["amount"],
                "credit_balance_transaction": None,
                "discount": d["discount"],
                "type": "discount",
            }
            for d in aggregate_discounts(lines)
        ],
    }
