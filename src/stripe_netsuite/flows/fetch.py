"""Fetching the current object from Stripe (a webhook says *what* changed, never *how*).

The skip rules (`mapping.metadata.gate`) decide whether an object syncs on its own
events. An object ensured as another's dependency is still created under the rules that
only say "not on its own" (`DEPENDENCY_RULES`: ``sync_start``, allow-list mode,
``customer_sync = false``); a block flag or a state that cannot post still skips it, and
its dependant with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.metadata import gate
from stripe_netsuite.stripe_api.client import retrieve


async def fetch(
    ctx: FlowContext, resource: str, object_id: str, *, expand: Sequence[str] = ()
) -> dict[str, Any]:
    """The object as Stripe has it now, as plain dicts (or as the caller gave it)."""
    if object_id in ctx.given:
        return dict(ctx.given[object_id])
    # Plain JSON, never SDK objects: building those cost more CPU than the request.
    return await retrieve(ctx.stripe, resource, object_id, expand=expand)


#: Skip rules that keep an object from syncing on its own events but not from being
#: created when another object needs it.
DEPENDENCY_RULES = frozenset({"before_sync_start", "not_allowed", "customer_sync_disabled"})

_AS_DEPENDENCY: ContextVar[bool] = ContextVar("sns_as_dependency", default=False)


@contextlib.contextmanager
def as_dependency() -> Iterator[None]:
    """While inside, the objects fetched are ensured for another object (`registry.ensure`)."""
    token = _AS_DEPENDENCY.set(True)
    try:
        yield
    finally:
        _AS_DEPENDENCY.reset(token)


async def fetch_gated(
    ctx: FlowContext, resource: str, object_id: str, *, expand: Sequence[str] = ()
) -> dict[str, Any]:
    """`fetch`, then raise `Skip` when a metadata or option rule keeps it out of NetSuite."""
    obj = await fetch(ctx, resource, object_id, expand=expand)
    check_gate(ctx, obj, object_id)
    return obj


def check_gate(
    ctx: FlowContext, obj: dict[str, Any], object_id: str, *, allow: Collection[str] = ()
) -> None:
    """Raise `Skip` naming the rule that keeps *obj* out, unless the rule is in *allow* or
    the object is ensured as a dependency and the rule is one of `DEPENDENCY_RULES`."""
    if obj.get("deleted"):
        raise exceptions.Skip("deleted_in_stripe", object_id=object_id)
    rule = gate(obj, ctx.account.options)
    if not rule or rule in allow:
        return
    if _AS_DEPENDENCY.get() and rule in DEPENDENCY_RULES:
        return
    raise exceptions.Skip(rule, object_id=object_id)


def service_for(ctx: FlowContext, resource: str) -> Any:
    """The SDK service of a resource path such as ``customers`` or ``checkout.sessions``."""
    service: Any = ctx.stripe.v1
    for part in resource.split("."):
        service = getattr(service, part)
    return service
