"""Flows: fetch fresh from Stripe, gate, ensure dependencies, map, upsert, link, write back.

`REGISTRY` maps a job kind to the coroutine that syncs one object of that kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from stripe_netsuite.flows import customer
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.settings import AccountConfig

Flow = Callable[[FlowContext, str], Awaitable[None]]

REGISTRY: dict[str, Flow] = {
    "customer": customer.sync,
}

#: Which account flow switch turns each kind on.
SWITCHES: dict[str, str] = {
    "customer": "customers",
}


def enabled_kinds(account: AccountConfig) -> frozenset[str]:
    """The kinds whose flow is registered and switched on for *account*."""
    return frozenset(
        kind for kind in REGISTRY if getattr(account.flows, SWITCHES.get(kind, kind), False)
    )


__all__ = ["REGISTRY", "Flow", "FlowContext", "enabled_kinds"]
