"""Billing arithmetic shared by invoices, subscriptions, credit notes and customers.

Pricing a draft invoice (lines, discounts, taxes, totals), applying the customer balance
when an invoice finalizes, and recording customer balance transactions. The billing
modules (invoices, collection, subscriptions, credit notes, customers) import this one
and it imports none of them, so they depend on each other in one direction only.
"""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import catalog, errors, params, pricing, shapes
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

#: Seconds in a day; due dates are whole days after creation or finalization.
DAY = 86400


def time_for(sb: Sandbox, customer: Obj | None) -> int:
    """The customer's test clock time, or the sandbox clock: "now" for its billing."""
    clock_id = customer.get("test_clock") if customer else None
    if clock_id and not sb.pinned:
        clk = sb.store.get(clock_id)
        if clk is not None:
            return int(clk["frozen_time"])
    return sb.now()


# -- what a draft refers to ------------------------------------------------------------
def discount_refs(
    sb: Sandbox, q: params.Params, *, customer: str | None, **owner: str | None
) -> list[str]:
    """Discount ids for the `discounts[]` parameter; coupons and codes become discounts."""
    ids = []
    for i, spec in enumerate(params.array(q, "discounts")):
        if not isinstance(spec, dict):
            raise errors.invalid("Invalid discounts: expected objects.", param=f"discounts[{i}]")
        if spec.get("discount"):
            ids.append(sb.need(str(spec["discount"]), "discount")["id"])
            continue
        disc = catalog.discount(
            sb,
            coupon=spec.get("coupon") or None,
            promotion_code=spec.get("promotion_code") or None,
            customer=customer,
            **owner,
        )
        ids.append(disc["id"])
    return ids


def tax_rates(sb: Sandbox, q: params.Params, name: str) -> list[Obj]:
    """The tax rates named by the array parameter *name*, rendered."""
    out = []
    for i, ref in enumerate(params.array(q, name)):
        out.append(sb.render(sb.need(str(ref), "tax_rate", param=f"{name}[{i}]")))
    return out


# -- pricing a draft -------------------------------------------------------------------
def new_line(inv: Obj, **values: Any) -> Obj:
    """An invoice line of *inv*, before discounts and taxes are priced."""
    line = shapes.skeleton("line_item")
    line.update(
        currency=inv["currency"],
        discount_amounts=[],
        discounts=[],
        invoice=inv["id"],
        metadata={},
        pretax_credit_amounts=[],
        taxes=[],
    )
    line.update(values)
    return line


def _item_lines(sb: Sandbox, inv: Obj) -> list[Obj]:
    lines = []
    for ii in sb.store.all_of("invoiceitem"):
        if ii.get("invoice") != inv["id"] or ii.get("_deleted"):
            continue
        sub = ii.get("_subscription")
        lines.append(
            new_line(
                inv,
                id=ii["_line_id"],
                amount=ii["amount"],
                description=ii["description"],
                discountable=ii["discountable"],
                metadata=dict(ii["metadata"]),
                period=dict(ii["period"]),
                quantity=ii["quantity"],
                quantity_decimal=str(ii["quantity"]),
                subtotal=ii["amount"],
                subscription=sub,
                parent={
                    "invoice_item_details": {
                        "invoice_item": ii["id"],
                        "proration": ii["proration"],
                        "proration_details": {"credited_items": None},
                        "subscription": sub,
                    },
                    "subscription_item_details": None,
                    "type": "invoice_item_details",
                },
                pricing=dict(ii["pricing"]),
                _item_discounts=list(ii["discounts"]),
                _tax_rates=list(ii["tax_rates"]),
                _tax_behavior=ii.get("_tax_behavior"),
            )
        )
    return lines


def compute(sb: Sandbox, inv: Obj) -> Obj:
    """Price a draft invoice: lines, discounts, taxes, totals, balance."""
    lines = [dict(x) for x in inv["_sub_lines"]] + _item_lines(sb, inv)
    coupons = {}
    for line in lines:
        line["discount_amounts"] = []
        line["discounts"] = list(line.get("_item_discounts") or [])
        for did in line["discounts"]:
            disc = sb.need(did, "discount")
            coupons[did] = catalog.coupon_of(sb, disc)
            base = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
            take = pricing.coupon_amount(coupons[did], base)
            line["discount_amounts"].append({"amount": take, "discount": did})
    for did in inv["discounts"]:
        coupon = catalog.coupon_of(sb, sb.need(did, "discount"))
        eligible = [ln for ln in lines if ln["discountable"] and ln["amount"] > 0]
        bases = [ln["amount"] - sum(d["amount"] for d in ln["discount_amounts"]) for ln in eligible]
        if coupon.get("percent_off") is not None:
            takes = [pricing.coupon_amount(coupon, b) for b in bases]
        else:
            off = min(int(coupon["amount_off"] or 0), sum(bases))
            if coupon.get("currency") and coupon["currency"] != inv["currency"]:
                off = 0
            takes = pricing.allocate(off, bases)
        for ln, take in zip(eligible, takes, strict=True):
            ln["discount_amounts"].append({"amount": take, "discount": did})
    automatic = bool((inv.get("automatic_tax") or {}).get("enabled"))
    for line in lines:
        rates = line.get("_tax_rates") or inv.get("default_tax_rates") or []
        taxable = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
        line["taxes"] = [pricing.tax_entry(r, taxable) for r in rates]
        if automatic and not rates:
            line["taxes"] = _automatic_taxes(sb, inv, line, taxable)
        line["pretax_credit_amounts"] = [
            {
                "amount": d["amount"],
                "credit_balance_transaction": None,
                "discount": d["discount"],
                "type": "discount",
            }
            for d in line["discount_amounts"]
        ]
    inv.update(pricing.totals(lines, set(inv["discounts"])))
    inv["lines"]["data"] = lines
    inv["lines"]["total_count"] = len(lines)
    if lines:
        inv["period_start"] = min(ln["period"]["start"] for ln in lines if ln.get("period"))
        inv["period_end"] = max(ln["period"]["end"] for ln in lines if ln.get("period"))
    if inv["status"] == "draft":
        cus = sb.need(inv["customer"], "customer")
        inv["starting_balance"] = int(cus.get("balance") or 0)
        inv["amount_due"] = max(0, inv["total"] + inv["starting_balance"])
        inv["amount_remaining"] = inv["amount_due"]
    sb.touch(inv)
    return inv


def tax_behavior(sb: Sandbox, line: Obj) -> str:
    """A line's tax behavior: its own (invoice item), else its price's; ``unspecified``."""
    own = line.get("_tax_behavior")
    if own and own != "unspecified":
        return str(own)
    details = (line.get("pricing") or {}).get("price_details") or {}
    price = sb.get(details.get("price"), "price") if details.get("price") else None
    return str((price or {}).get("tax_behavior") or "unspecified")


def _automatic_taxes(sb: Sandbox, inv: Obj, line: Obj, taxable: int) -> list[dict[str, Any]]:
    """Automatic tax on one line: the customer's country rate, inside the price or on top
    of it as the line's tax behavior says (unspecified lines are refused at finalization)."""
    behavior = tax_behavior(sb, line)
    if behavior not in {"inclusive", "exclusive"}:
        return []
    cus = sb.get(inv["customer"], "customer") or {}
    country = str((cus.get("address") or {}).get("country") or "")
    percent = pricing.AUTOMATIC_RATES.get(country)
    rate = automatic_rate(sb, country, percent or "0", inclusive=behavior == "inclusive")
    return [pricing.automatic_tax_entry(rate, taxable, collecting=percent is not None)]


def automatic_rate(sb: Sandbox, country: str, percent: str, *, inclusive: bool) -> Obj:
    """The tax rate object automatic tax uses for *country* (made once, as Stripe Tax does)."""
    key = f"{country or 'none'}:{'inclusive' if inclusive else 'exclusive'}"
    for rate in sb.store.all_of("tax_rate"):
        if rate.get("_automatic") == key:
            return rate
    pct = float(percent)
    return sb.create(
        "tax_rate",
        "txr",
        active=True,
        country=country or None,
        description=None,
        display_name="VAT" if pct else "No tax",
        effective_percentage=pct,
        inclusive=inclusive,
        jurisdiction=country or None,
        metadata={},
        percentage=pct,
        rate_type="percentage",
        state=None,
        tax_type="vat" if pct else None,
        _automatic=key,
    )


def check_automatic_tax(sb: Sandbox, inv: Obj) -> None:
    """Refuse to finalize an automatic-tax invoice Stripe Tax could not compute."""
    if not (inv.get("automatic_tax") or {}).get("enabled"):
        return
    cus = sb.get(inv["customer"], "customer") or {}
    if not (cus.get("address") or {}).get("country"):
        inv["automatic_tax"]["status"] = "requires_location_inputs"
        raise errors.invalid(
            "The customer's location isn't recognized; automatic tax needs a customer address "
            "with a country.",
            code="customer_tax_location_invalid",
        )
    for line in inv["lines"]["data"]:
        if not line.get("_tax_rates") and tax_behavior(sb, line) == "unspecified":
            raise errors.invalid(
                f"Line {line['id']} has no tax behavior; automatic tax needs prices (or "
                "invoice items) with `tax_behavior` inclusive or exclusive.",
            )
    inv["automatic_tax"]["status"] = "complete"


# -- customer balance ------------------------------------------------------------------
def balance_application(total: int, balance: int) -> tuple[int, int]:
    """(change to the customer balance, amount due) when an invoice of *total* finalizes.

    A credit balance (negative) pays the invoice down as far as it reaches, a debit
    balance (positive) is added to it, and a negative total becomes a credit.
    """
    if total < 0:
        return total, 0
    applied = 0
    if balance < 0:
        applied = -min(-balance, total)
    elif balance > 0:
        applied = balance
    return -applied, max(0, total + applied)


def adjust_balance(
    sb: Sandbox,
    cus: Obj,
    amount: int,
    *,
    type: str,
    currency_code: str | None = None,
    description: str | None = None,
    invoice: str | None = None,
    credit_note: str | None = None,
    emit: bool = True,
) -> Obj:
    """A customer balance transaction; negative *amount* is a credit to the customer."""
    cur = currency_code or cus.get("currency") or sb.default_currency
    if cus.get("currency") and cus["currency"] != cur:
        raise errors.invalid(
            f"The customer's balance is in {cus['currency']}; a {cur} balance transaction "
            "cannot be applied.",
            param="currency",
        )
    before = {"balance": cus["balance"]}
    cus["balance"] = int(cus["balance"]) + amount
    cus["currency"] = cur
    sb.touch(cus)
    txn = sb.create(
        "customer_balance_transaction",
        "cbtxn",
        amount=amount,
        currency=cur,
        customer=cus["id"],
        description=description,
        ending_balance=cus["balance"],
        invoice=invoice,
        credit_note=credit_note,
        metadata={},
        type=type,
    )
    if emit:
        sb.emit("customer.updated", cus, before)
    return txn
