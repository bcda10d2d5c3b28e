"""Which flow syncs which kind of object, and `ensure`: a dependency's NetSuite id.

A flow *ensures* what its records reference (the customer before the invoice, items
before lines, payments before the deposit) through the same idempotent path as the
object's own job, so the order in which Stripe's events arrive never matters.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterable

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import fetch
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.settings import AccountConfig
from stripe_netsuite.store import links

Flow = Callable[[FlowContext, str], Awaitable[None]]
#: Runs after every job with ``(ctx, kind, object_id)`` once its flow succeeded; returns
#: follow-up jobs ``(kind, object_id)`` to queue.
Hook = Callable[[FlowContext, str, str], Awaitable[Iterable[tuple[str, str]]]]

#: The flow of each kind; what a kind is (role, switch, …) is in `kinds`.
REGISTRY: dict[str, Flow] = {}
#: The after-sync hooks, in registration order.
HOOKS: list[Hook] = []


def register(name: str, flow: Flow) -> None:
    """Make *flow* the one that syncs objects of kind *name* (a row of `kinds`)."""
    kinds.get(name)  # a name that is no kind raises KeyError here, not at the first job
    REGISTRY[name] = flow


def after_sync(hook: Hook) -> Hook:
    """Run *hook* after every job, so a flow can react to other kinds' syncs."""
    HOOKS.append(hook)
    return hook


async def follow_ups(ctx: FlowContext, kind: str, object_id: str) -> list[tuple[str, str]]:
    """The jobs the after-sync hooks ask for once *object_id* of *kind* synced."""
    found: list[tuple[str, str]] = []
    for hook in HOOKS:
        found.extend(await hook(ctx, kind, object_id))
    return found


def enabled_kinds(account: AccountConfig) -> frozenset[str]:
    """The kinds whose flow is registered and switched on for *account*."""
    return frozenset(
        name for name in REGISTRY if getattr(account.flows, kinds.get(name).switch, False)
    )


async def ensure(ctx: FlowContext, kind: str, stripe_id: str, *, again: bool = False) -> str:
    """The NetSuite internal id of a dependency, syncing it first when it has none (or,
    with *again*, even when it has: the object moved on since, as a dispute won after its
    withdrawal was posted).

    A dependency skipped by a rule skips its dependant too, under a rule that says so.
    """
    flow = REGISTRY[kind]
    role = kinds.get(kind).role
    async with object_lock(ctx, stripe_id):
        link = await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)
        if link is not None and not again:
            return link.internal_id
        if ctx.preview is not None:
            # A preview shows the object's own records; its dependencies stay placeholders.
            return f"new:{kind}:{stripe_id}"
        try:
            # Rules that only keep an object from syncing on its own events do not apply.
            with fetch.as_dependency():
                await flow(ctx, stripe_id)
        except exceptions.Skip as exc:
            raise exceptions.Skip(f"{kind}_skipped:{exc.rule}", object_id=stripe_id) from exc
        link = await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)
    if link is None:
        raise exceptions.NeedsAttention(f"{kind} {stripe_id} was synced but left no link")
    return link.internal_id


def object_lock(ctx: FlowContext, stripe_id: str) -> asyncio.Lock:
    """The process-wide lock of one Stripe object.

    A job and another job's `ensure` of the same object would otherwise both post it:
    no duplicate (the upsert is by externalId), but a wasted NetSuite call. Dependencies
    run one way (customer ← invoice ← charge ← refund ← payout), so the locks never wait
    on each other in a circle.
    """
    # Weak: a lock nobody holds or waits for is dropped, so the map does not grow.
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = ctx.cache.setdefault(
        "object_locks", weakref.WeakValueDictionary()
    )
    lock = locks.get(stripe_id)
    if lock is None:
        lock = asyncio.Lock()
        locks[stripe_id] = lock
    return lock


async def ensure_all(ctx: FlowContext, wanted: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`ensure` each ``(kind, stripe_id)``; NetSuite ids by Stripe id."""
    found: dict[str, str] = {}
    for kind, stripe_id in wanted:
        if stripe_id not in found:
            found[stripe_id] = await ensure(ctx, kind, stripe_id)
    return found
