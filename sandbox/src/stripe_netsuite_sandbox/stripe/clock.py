"""Moving time: funds becoming available, daily payouts, renewals, and test clocks."""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import (
    collection,
    errors,
    intents,
    ledger,
    params,
    subscriptions,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

DAY = ledger.DAY
#: With a running clock, scheduled work is looked at no more often than this (seconds).
CHECK_EVERY = 60


def _step(sb: Sandbox, moment: int) -> None:
    intents.settle_processing(sb, moment)
    subscriptions.run_due(sb, moment, clock_id=None)
    collection.auto_finalize(sb, moment)
    ledger.release_due(sb, moment)
    ledger.settle_manual(sb, moment)


def run_due(sb: Sandbox, target: int | None = None) -> list[Obj]:
    """Do, in time order, whatever Stripe would have done up to *target*; returns new payouts."""
    target = sb.wall() if target is None else target
    last = int(sb.store.kv.get("processed_until", target))
    payouts: list[Obj] = []
    midnight = ledger.midnight_after(last, 1)
    while midnight <= target:
        with sb.at(midnight):
            _step(sb, midnight)
        payouts.extend(ledger.automatic_payouts(sb, midnight))
        midnight += DAY
    with sb.at(target):
        _step(sb, target)
    sb.store.set("processed_until", target)
    sb.next_check = min(ledger.midnight_after(target, 1), target + CHECK_EVERY)
    return payouts


def advance(sb: Sandbox, q: params.Params) -> dict[str, Any]:
    """`POST /__sandbox/advance`: move the clock by `seconds` and catch up."""
    seconds = params.integer(q, "seconds", required=True)
    assert seconds is not None
    if seconds < 0:
        raise errors.invalid("The sandbox clock only moves forward.", param="seconds")
    run_due(sb)
    sb.shift(seconds)
    payouts = run_due(sb)
    return {"object": "sandbox.clock", "now": sb.wall(), "payouts": [p["id"] for p in payouts]}


def payout_all(sb: Sandbox) -> dict[str, Any]:
    """`POST /__sandbox/payout_all`: pay out everything available now, per currency."""
    run_due(sb)
    made = ledger.automatic_payouts(sb, sb.now())
    return {
        "object": "list",
        "data": [sb.render(p) for p in made],
        "has_more": False,
        "url": "/__sandbox/payout_all",
    }


# -- test clocks ------------------------------------------------------------------------
def create_test_clock(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/test_helpers/test_clocks`."""
    frozen = params.integer(q, "frozen_time", required=True)
    assert frozen is not None
    clk = sb.create(
        "test_helpers.test_clock",
        "clock",
        deletes_after=sb.now() + 30 * DAY,
        frozen_time=frozen,
        name=params.string(q, "name"),
        status="ready",
        status_details={},
    )
    sb.emit("test_helpers.test_clock.created", clk)
    return clk


def advance_test_clock(sb: Sandbox, clk: Obj, q: params.Params) -> Obj:
    """`POST /v1/test_helpers/test_clocks/{id}/advance`: renewals up to `frozen_time`."""
    target = params.integer(q, "frozen_time", required=True)
    assert target is not None
    if target <= clk["frozen_time"]:
        raise errors.invalid(
            "The frozen_time must be later than the test clock's current frozen_time.",
            param="frozen_time",
        )
    if target > clk["frozen_time"] + 2 * 366 * DAY:
        raise errors.invalid(
            "Cannot advance the test clock by more than two intervals of the shortest "
            "subscription or two years.",
            param="frozen_time",
        )
    clk["status"] = "advancing"
    clk["status_details"] = {"advancing": {"target_frozen_time": target}}
    sb.touch(clk)
    sb.emit("test_helpers.test_clock.advancing", clk)
    subscriptions.run_due(sb, target, clock_id=clk["id"])
    clk["frozen_time"] = target
    clk["status"] = "ready"
    clk["status_details"] = {}
    sb.emit("test_helpers.test_clock.ready", clk)
    return clk


def delete_test_clock(sb: Sandbox, clk: Obj) -> Obj:
    """`DELETE /v1/test_helpers/test_clocks/{id}`: its customers go with it."""
    for cus in sb.store.all_of("customer"):
        if cus.get("test_clock") == clk["id"]:
            cus["_deleted"] = True
            sb.touch(cus)
    clk["_deleted"] = True
    sb.touch(clk)
    sb.emit("test_helpers.test_clock.deleted", clk)
    return {"id": clk["id"], "object": clk["object"], "deleted": True}
