"""Pure mapping: a Stripe object (a dict as the API returns it) → NetSuite records.

No I/O, no clock, no database. One module per Stripe object; each has ``map_*``
functions and a ``dependencies`` function naming what a flow must sync first.
"""

from __future__ import annotations

from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.credit_note import (
    map_balance_transfer,
    map_credit_note,
    map_out_of_band_refund,
)
from stripe_netsuite.mapping.customer import customer_update_body, map_customer
from stripe_netsuite.mapping.dispute import (
    map_dispute_credit_memo,
    map_dispute_fee,
    map_dispute_refund,
    map_dispute_reversal,
)
from stripe_netsuite.mapping.invoice import map_balance_credit, map_invoice
from stripe_netsuite.mapping.item import map_coupon, map_price, map_product
from stripe_netsuite.mapping.metadata import gate, linked_id, linked_item, mapped_fields
from stripe_netsuite.mapping.order import map_order
from stripe_netsuite.mapping.payment import map_charge_invoice, map_payment
from stripe_netsuite.mapping.payout import DepositContext, DepositResult, map_deposit
from stripe_netsuite.mapping.preview import render
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for
from stripe_netsuite.mapping.refund import map_customer_refund, map_refund_credit_memo

__all__ = [
    "Dependency",
    "DepositContext",
    "DepositResult",
    "MappingContext",
    "NetSuiteRecord",
    "customer_update_body",
    "external_id_for",
    "gate",
    "linked_id",
    "linked_item",
    "map_balance_credit",
    "map_balance_transfer",
    "map_charge_invoice",
    "map_coupon",
    "map_credit_note",
    "map_customer",
    "map_customer_refund",
    "map_deposit",
    "map_dispute_credit_memo",
    "map_dispute_fee",
    "map_dispute_refund",
    "map_dispute_reversal",
    "map_invoice",
    "map_order",
    "map_out_of_band_refund",
    "map_payment",
    "map_price",
    "map_product",
    "map_refund_credit_memo",
    "mapped_fields",
    "render",
]
