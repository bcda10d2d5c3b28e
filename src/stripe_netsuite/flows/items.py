"""Stripe prices, plans, products and coupons → NetSuite items and discount items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.mapping import item as item_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import LINK_KEYS, linked_id, linked_item
from stripe_netsuite.mapping.records import NetSuiteRecord

Mapper = Callable[[Mapping[str, Any], MappingContext], NetSuiteRecord]


async def _sync(
    ctx: FlowContext,
    object_id: str,
    *,
    resource: str,
    mapper: Mapper,
    expand: tuple[str, ...] = (),
) -> None:
    obj = await fetch_gated(ctx, resource, object_id, expand=expand)
    record = mapper(obj, MappingContext(account=ctx.account))
    linked: tuple[str, str] | None
    if record.role == "discount_item":
        found = linked_id(obj, "discount_item")
        linked = (record.record_type, found) if found else None
    else:
        linked = linked_item(obj)
    if linked and await posting.linked_instead(
        ctx, stripe_id=object_id, role=record.role, record_type=linked[0], internal_id=linked[1]
    ):
        return
    internal_id = await posting.post(ctx, record)
    # The same key that links instead of creating: for us it names our own record.
    key = LINK_KEYS["discount_item" if record.role == "discount_item" else record.record_type]
    await posting.write_back(
        ctx,
        resource=resource,
        object_id=object_id,
        metadata=obj.get("metadata") or {},
        key=key,
        internal_id=internal_id,
    )


async def sync_price(ctx: FlowContext, price_id: str) -> None:
    """A price → its item (the product's name on it)."""
    await _sync(
        ctx, price_id, resource="prices", mapper=item_mapping.map_price, expand=("product",)
    )


async def sync_plan(ctx: FlowContext, plan_id: str) -> None:
    """A legacy plan → its item."""
    await _sync(ctx, plan_id, resource="plans", mapper=item_mapping.map_price, expand=("product",))


async def sync_product(ctx: FlowContext, product_id: str) -> None:
    """A product sold through orders → a non-inventory (or inventory) item."""
    await _sync(ctx, product_id, resource="products", mapper=item_mapping.map_product)


async def sync_coupon(ctx: FlowContext, coupon_id: str) -> None:
    """A coupon → a discount item."""
    await _sync(ctx, coupon_id, resource="coupons", mapper=item_mapping.map_coupon)
