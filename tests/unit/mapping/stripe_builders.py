"""Keyword-default builders of Stripe API objects (plain dicts, as the API returns them)."""

from __future__ import annotations

from typing import Any

MAY_1 = 1777593600  # 2026-05-01T00:00:00Z
JUNE_1 = 1780272000  # 2026-06-01T00:00:00Z
MAY_3 = MAY_1 + 2 * 86400


def discount(di_id: str = "di_1", coupon: str = "20OFF", *, clover: bool = True) -> dict[str, Any]:
    """An expanded discount; *clover* puts the coupon under ``source`` as newer APIs do."""
    obj: dict[str, Any] = {"id": di_id, "object": "discount"}
    if clover:
        obj["source"] = {"type": "coupon", "coupon": coupon}
    else:
        obj["coupon"] = {"id": coupon, "object": "coupon"}
    return obj


def line(
    amount: int,
    *,
    line_id: str = "il_1",
    quantity: int = 1,
    price: str | None = "price_pro",
    product: str = "prod_pro",
    description: str = "Pro plan",
    period: tuple[int, int] = (MAY_1, JUNE_1),
    discounts: list[tuple[str, int]] | None = None,
    taxes: list[tuple[int, bool, str]] | None = None,
    proration: bool = False,
    metadata: dict[str, str] | None = None,
    currency: str = "usd",
) -> dict[str, Any]:
    """An invoice line item; *discounts* are ``(discount id, amount)``, *taxes*
    ``(amount, inclusive, tax rate id)``."""
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [{"amount": a, "discount": d} for d, a in discounts or []],
        "discountable": not proration,
        "discounts": [d for d, _ in discounts or []],
        "metadata": metadata or {},
        "period": {"start": period[0], "end": period[1]},
        "quantity": quantity,
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price, "product": product},
            "unit_amount_decimal": None,
        }
        if price
        else None,
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {"proration": proration, "subscription": "sub_1"},
        },
        "taxes": [
            {
                "amount": a,
                "tax_behavior": "inclusive" if inc else "exclusive",
                "taxability_reason": "standard_rated",
                "taxable_amount": amount,
                "type": "tax_rate_details",
                "tax_rate_details": {"tax_rate": rate},
            }
            for a, inc, rate in taxes or []
        ],
        "pretax_credit_amounts": [],
    }


def invoice(
    lines: list[dict[str, Any]] | None = None,
    *,
    invoice_id: str = "in_1",
    currency: str = "usd",
    shipping: int = 0,
    shipping_taxes: list[tuple[int, bool, str]] | None = None,
    starting_balance: int = 0,
    ending_balance: int | None = None,
    discounts: list[Any] | None = None,
    metadata: dict[str, str] | None = None,
    status: str = "open",
    **overrides: Any,
) -> dict[str, Any]:
    """A finalized invoice whose totals follow Stripe's arithmetic from its lines."""
    lines = [line(1000, currency=currency)] if lines is None else lines
    subtotal = sum(ln["amount"] for ln in lines)
    per_discount: dict[str, int] = {}
    taxes: dict[tuple[str, bool], int] = {}
    for ln in lines:
        for entry in ln["discount_amounts"]:
            per_discount[entry["discount"]] = (
                per_discount.get(entry["discount"], 0) + entry["amount"]
            )
        for tax in ln["taxes"]:
            key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"] == "inclusive")
            taxes[key] = taxes.get(key, 0) + tax["amount"]
    for amount, inclusive, rate in shipping_taxes or []:
        taxes[(rate, inclusive)] = taxes.get((rate, inclusive), 0) + amount
    discount_total = sum(per_discount.values())
    exclusive = sum(a for (_, inc), a in taxes.items() if not inc)
    total = subtotal - discount_total + exclusive + shipping
    used = min(-starting_balance, total) if starting_balance < 0 else 0
    if ending_balance is None:
        ending_balance = starting_balance + used if starting_balance < 0 else 0
    obj: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": max(total - used, 0) + max(starting_balance, 0),
        "amount_paid": 0,
        "amount_remaining": max(total - used, 0),
        "amount_shipping": shipping,
        "created": MAY_1,
        "currency": currency,
        "customer": "cus_Q1",
        "description": None,
        "discounts": discounts if discounts is not None else [],
        "due_date": MAY_1 + 30 * 86400,
        "effective_at": MAY_1,
        "ending_balance": ending_balance,
        "lines": {"object": "list", "data": lines, "has_more": False},
        "metadata": metadata or {},
        "number": "INV-0001",
        "shipping_cost": {
            "amount_subtotal": shipping,
            "amount_tax": sum(a for a, _, _ in shipping_taxes or []),
            "amount_total": shipping + sum(a for a, inc, _ in shipping_taxes or [] if not inc),
            "shipping_rate": "shr_1",
            "taxes": [
                {
                    "amount": a,
                    "tax_behavior": "inclusive" if inc else "exclusive",
                    "type": "tax_rate_details",
                    "tax_rate_details": {"tax_rate": r},
                }
                for a, inc, r in shipping_taxes or []
            ],
        }
        if shipping
        else None,
        "starting_balance": starting_balance,
        "status": status,
        "status_transitions": {"finalized_at": MAY_1, "paid_at": None},
        "subtotal": subtotal,
        "total": total,
        "total_discount_amounts": [{"amount": a, "discount": d} for d, a in per_discount.items()],
        "total_taxes": [
            {
                "amount": a,
                "tax_behavior": "inclusive" if inc else "exclusive",
                "type": "tax_rate_details",
                "tax_rate_details": {"tax_rate": r},
            }
            for (r, inc), a in taxes.items()
        ],
    }
    obj.update(overrides)
    return obj


def balance_transaction(
    amount: int,
    *,
    bt_id: str = "txn_1",
    currency: str = "usd",
    fee: int = 0,
    exchange_rate: float | None = None,
    reporting_category: str = "charge",
    source: str = "ch_1",
    created: int = MAY_3,
) -> dict[str, Any]:
    """A balance transaction (amounts in the settlement currency)."""
    return {
        "id": bt_id,
        "object": "balance_transaction",
        "amount": amount,
        "currency": currency,
        "created": created,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "currency": currency,
                "type": "stripe_fee",
                "description": "Stripe processing fees",
            }
        ]
        if fee
        else [],
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "type": "charge" if reporting_category == "charge" else "adjustment",
    }


def charge(
    amount: int = 1000,
    *,
    charge_id: str = "ch_1",
    currency: str = "usd",
    amount_captured: int | None = None,
    invoice: str | None = None,
    bt: dict[str, Any] | str | None = None,
    metadata: dict[str, str] | None = None,
    customer: str | None = "cus_Q1",
    description: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A succeeded, captured charge; *invoice* is where older APIs and expansions put it."""
    obj: dict[str, Any] = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if amount_captured is None else amount_captured,
        "amount_refunded": 0,
        "balance_transaction": bt if bt is not None else "txn_1",
        "captured": True,
        "created": MAY_3,
        "currency": currency,
        "customer": customer,
        "description": description,
        "metadata": metadata or {},
        "paid": True,
        "payment_intent": "pi_1",
        "refunded": False,
        "status": "succeeded",
    }
    if invoice:
        obj["invoice"] = invoice
    obj.update(overrides)
    return obj


def refund(
    amount: int = 1000,
    *,
    refund_id: str = "re_1",
    charge_id: str | dict[str, Any] = "ch_1",
    currency: str = "usd",
    bt: dict[str, Any] | str | None = None,
    metadata: dict[str, str] | None = None,
    status: str = "succeeded",
    **overrides: Any,
) -> dict[str, Any]:
    """A refund of (part of) a charge."""
    obj: dict[str, Any] = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": bt if bt is not None else "txn_re",
        "charge": charge_id,
        "created": MAY_3 + 86400,
        "currency": currency,
        "metadata": metadata or {},
        "payment_intent": "pi_1",
        "reason": "requested_by_customer",
        "status": status,
    }
    obj.update(overrides)
    return obj
