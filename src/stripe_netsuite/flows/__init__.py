"""Flows: fetch fresh from Stripe, gate, ensure dependencies, map, upsert, link, write back.

Importing this package registers every flow with `registry`.
"""

from __future__ import annotations

from stripe_netsuite.flows import (
    credit_note,
    customer,
    dispute,
    invoice,
    items,
    order,
    payment,
    payout,
    refund,
)
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.registry import REGISTRY, Flow, enabled_kinds, ensure, register

register("customer", flow=customer.sync, role="customer", switch="customers")
register("price", flow=items.sync_price, role="item", switch="items")
register("plan", flow=items.sync_plan, role="item", switch="items")
register("product", flow=items.sync_product, role="item", switch="items")
register("coupon", flow=items.sync_coupon, role="discount_item", switch="items")
register("invoice", flow=invoice.sync, role="invoice", switch="invoices")
register("charge", flow=payment.sync, role="payment", switch="payments")
register("refund", flow=refund.sync, role="refund", switch="refunds")
register("credit_note", flow=credit_note.sync, role="credit_memo", switch="credit_notes")
register("dispute", flow=dispute.sync, role="refund", switch="disputes")
register("payout", flow=payout.sync, role="deposit", switch="payouts")
register("checkout_session", flow=order.sync, role="sales_order", switch="orders")

__all__ = ["REGISTRY", "Flow", "FlowContext", "enabled_kinds", "ensure", "register"]
