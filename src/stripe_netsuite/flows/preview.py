"""``stripe-netsuite preview``: the records a Stripe object would produce, posting nothing.

The object runs through its real flow in preview mode, so what is shown is exactly
what a sync would post; references to records not yet in NetSuite show as ``new:…``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.records import NetSuiteRecord


@dataclass(frozen=True)
class Preview:
    """What a sync of one object would do."""

    kind: str
    object_id: str
    records: tuple[NetSuiteRecord, ...]
    #: The rule that would skip the object, if any.
    skipped: str | None = None


def kind_of(object_id: str, obj: Mapping[str, Any] | None = None) -> str:
    """The job kind of a Stripe object, from its ``object`` field or its id prefix.

    Coupons have ids of the user's choosing: only their ``object`` field tells.
    """
    found = kinds.by_object_type(str(obj.get("object"))) if obj is not None else None
    found = found or kinds.kind_of_id(object_id)
    if found is not None:
        return found.name
    raise exceptions.MappingError(
        f"cannot tell what kind of Stripe object {object_id!r} is; pass --file with its JSON"
    )


async def preview(
    ctx: FlowContext, *, object_id: str | None = None, obj: Mapping[str, Any] | None = None
) -> Preview:
    """Run the object's flow in preview mode and return the records it would post."""
    if obj is not None:
        object_id = str(obj.get("id") or "")
    if not object_id:
        raise exceptions.MappingError("give a Stripe object id or an object with an id")
    kind = kind_of(object_id, obj)
    dry = ctx.previewing({object_id: dict(obj)} if obj is not None else None)
    assert dry.preview is not None
    try:
        await registry.REGISTRY[kind](dry, object_id)
    except exceptions.Skip as exc:
        return Preview(kind, object_id, tuple(dry.preview), skipped=exc.rule)
    return Preview(kind, object_id, tuple(dry.preview))
