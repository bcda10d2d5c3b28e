"""Flows: fetch fresh from Stripe, gate, ensure dependencies, map, upsert, link, write back.

Importing this package registers every flow, and the payout flow's after-sync hook,
with `registry`.
"""

from __future__ import annotations

from stripe_netsuite.flows import (
    credit_note,
    customer,
    dispute,
    invoice,
    items,
    netsuite_customer,
    netsuite_invoice,
    netsuite_refund,
    order,
    payment,
    payout,
    refund,
)
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.registry import (
    REGISTRY,
    Flow,
    Hook,
    after_sync,
    enabled_kinds,
    ensure,
    register,
)

register("customer", customer.sync)
register("price", items.sync_price)
register("plan", items.sync_plan)
register("product", items.sync_product)
register("coupon", items.sync_coupon)
register("invoice", invoice.sync)
register("charge", payment.sync)
register("refund", refund.sync)
register("credit_note", credit_note.sync)
register("dispute", dispute.sync)
register("payout", payout.sync)
register("checkout_session", order.sync)
register("netsuite_customer", netsuite_customer.sync)
register("netsuite_invoice", netsuite_invoice.sync)
register("netsuite_credit_memo", netsuite_refund.sync)
after_sync(payout.release)

__all__ = [
    "REGISTRY",
    "Flow",
    "FlowContext",
    "Hook",
    "after_sync",
    "enabled_kinds",
    "ensure",
    "register",
]
