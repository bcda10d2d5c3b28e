"""Stripe prices, plans, products and coupons → NetSuite items and discount items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stripe_netsuite import kinds
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.mapping import item as item_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id, linked_item
from stripe_netsuite.mapping.records import NetSuiteRecord

Mapper = Callable[[Mapping[str, Any], MappingContext], NetSuiteRecord]


async def _sync(
    ctx: FlowContext,
    object_id: str,
    *,
    kind: kinds.Kind,
    mapper: Mapper,
    expand: tuple[str, ...] = (),
) -> None:
    obj = await fetch_gated(ctx, kind.resource, object_id, expand=expand)
    record = mapper(obj, MappingContext(account=ctx.account))
    linked: tuple[str, str] | None
    if kind.write_back_key is None:
        # An item: whichever item record type the metadata names.
        linked = linked_item(obj)
    else:
        found = linked_id(obj, kind.role)
        linked = (record.record_type, found) if found else None
    if linked and await posting.linked_instead(
        ctx, stripe_id=object_id, role=record.role, record_type=linked[0], internal_id=linked[1]
    ):
        return
    internal_id = await posting.post(ctx, record)
    # The same key that links instead of creating: for us it names our own record.
    await posting.write_back(
        ctx,
        kind,
        object_id=object_id,
        metadata=obj.get("metadata") or {},
        internal_id=internal_id,
        key=kind.write_back_key or kinds.ITEM_LINK_KEYS[record.record_type],
    )


async def sync_price(ctx: FlowContext, price_id: str) -> None:
    """A price → its item (the product's name on it)."""
    await _sync(
        ctx, price_id, kind=kinds.get("price"), mapper=item_mapping.map_price, expand=("product",)
    )


async def sync_plan(ctx: FlowContext, plan_id: str) -> None:
    """A legacy plan → its item."""
    await _sync(
        ctx, plan_id, kind=kinds.get("plan"), mapper=item_mapping.map_price, expand=("product",)
    )


async def sync_product(ctx: FlowContext, product_id: str) -> None:
    """A product sold through orders → a non-inventory (or inventory) item."""
    await _sync(ctx, product_id, kind=kinds.get("product"), mapper=item_mapping.map_product)


async def sync_coupon(ctx: FlowContext, coupon_id: str) -> None:
    """A coupon → a discount item."""
    await _sync(ctx, coupon_id, kind=kinds.get("coupon"), mapper=item_mapping.map_coupon)
