"""Fetching the current object from Stripe (a webhook says *what* changed, never *how*)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.metadata import gate
from stripe_netsuite.stripe_api.client import as_dict, call


async def fetch(
    ctx: FlowContext, resource: str, object_id: str, *, expand: Sequence[str] = ()
) -> dict[str, Any]:
    """The object as Stripe has it now, as plain dicts (or as the caller gave it)."""
    if object_id in ctx.given:
        return dict(ctx.given[object_id])
    service = service_for(ctx, resource)
    params: dict[str, Any] = {"expand": list(expand)} if expand else {}
    obj = await call(lambda: service.retrieve_async(object_id, params=params), object_id=object_id)
    return as_dict(obj)


async def fetch_gated(
    ctx: FlowContext, resource: str, object_id: str, *, expand: Sequence[str] = ()
) -> dict[str, Any]:
    """`fetch`, then raise `Skip` when a metadata or option rule keeps it out of NetSuite."""
    obj = await fetch(ctx, resource, object_id, expand=expand)
    if obj.get("deleted"):
        raise exceptions.Skip("deleted_in_stripe", object_id=object_id)
    rule = gate(obj, ctx.account.options)
    if rule:
        raise exceptions.Skip(rule, object_id=object_id)
    return obj


def service_for(ctx: FlowContext, resource: str) -> Any:
    """The SDK service of a resource path such as ``customers`` or ``checkout.sessions``."""
    service: Any = ctx.stripe.v1
    for part in resource.split("."):
        service = getattr(service, part)
    return service
