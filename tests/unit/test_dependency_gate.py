"""Skip rules and dependencies: what skips an object on its own events, and what still
skips it when another object needs it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.flows import fetch
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.settings import Options

OLD = 1_700_000_000  # 2023-11-14


def ctx(**options: Any) -> FlowContext:
    return cast(FlowContext, SimpleNamespace(account=SimpleNamespace(options=Options(**options))))


CASES = [
    ({"sync_start": "2024-01-01"}, {"object": "customer", "created": OLD}, "before_sync_start"),
    ({"metadata_mode": "allow"}, {"object": "customer", "created": OLD}, "not_allowed"),
    ({"customer_sync": False}, {"object": "customer", "created": OLD}, "customer_sync_disabled"),
]


@pytest.mark.parametrize(("options", "obj", "rule"), CASES)
def test_rules_of_its_own_events_skip_it_alone_but_not_as_a_dependency(
    options: dict[str, Any], obj: dict[str, Any], rule: str
) -> None:
    with pytest.raises(exceptions.Skip) as info:
        fetch.check_gate(ctx(**options), obj, "cus_1")
    assert info.value.rule == rule
    with fetch.as_dependency():
        fetch.check_gate(ctx(**options), obj, "cus_1")  # no Skip
    with pytest.raises(exceptions.Skip):
        fetch.check_gate(ctx(**options), obj, "cus_1")  # the mode ends with the block


@pytest.mark.parametrize(
    ("obj", "rule"),
    [
        ({"object": "customer", "metadata": {"netsuite_block_integration": "true"}},
         "netsuite_block_integration"),
        ({"object": "charge", "status": "failed"}, "charge_not_succeeded"),
        ({"object": "invoice", "status": "draft"}, "draft_invoice"),
    ],
)  # fmt: skip
def test_a_block_or_a_state_that_cannot_post_skips_a_dependency_too(
    obj: dict[str, Any], rule: str
) -> None:
    with fetch.as_dependency(), pytest.raises(exceptions.Skip) as info:
        fetch.check_gate(ctx(), obj, "x_1")
    assert info.value.rule == rule


def test_a_failed_refund_may_be_let_through_by_its_flow() -> None:
    refund = {"object": "refund", "status": "failed"}
    with pytest.raises(exceptions.Skip):
        fetch.check_gate(ctx(), refund, "re_1")
    fetch.check_gate(ctx(), refund, "re_1", allow={"refund_not_succeeded"})
