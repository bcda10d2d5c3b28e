"""Cutting a payout's deposit lines into deposits of at most N lines."""

from __future__ import annotations

import random

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.deposit_parts import Part, signed, split
from stripe_netsuite.mapping.payout_lines import Line

CLEARING = "11"


def payment(order: int, minor: int) -> Line:
    return Line("payment", str(1000 + order), minor, f"ch_{order}", order=order)


def refund(order: int, minor: int) -> Line:
    return Line("cashback", CLEARING, minor, f"re_{order}", order=order)


def fees(minor: int) -> Line:
    return Line("cashback", "60", minor, "Stripe fee (stripe_fee)")


def check(parts: list[Part], lines: list[Line], max_lines: int) -> None:
    assert sum(part.total for part in parts) == sum(signed(line) for line in lines)
    assert all(part.total >= 0 for part in parts)
    assert all(len(part.lines) <= max_lines for part in parts)
    assert [part.number for part in parts] == list(range(1, len(parts) + 1))
    assert {part.of for part in parts} == {len(parts)}
    # Every original line is in exactly one part; only carries through clearing are added.
    placed = [line for part in parts for line in part.lines if "carried" not in line.memo]
    assert sorted(map(id, placed)) == sorted(map(id, lines))
    carried = [line for part in parts for line in part.lines if "carried" in line.memo]
    assert all(line.target == CLEARING for line in carried)
    assert sum(signed(line) for line in carried) == 0


def test_lines_that_fit_stay_one_deposit_unchanged() -> None:
    lines = [payment(0, 500), payment(1, 700), fees(40)]
    (part,) = split(lines, max_lines=5, clearing=CLEARING, payout_id="po_1")
    assert part.lines == lines and (part.number, part.of) == (1, 1)


def test_a_long_payout_is_spread_evenly_with_the_fees_in_the_first_deposit() -> None:
    lines = [payment(i, 1000) for i in range(25)] + [fees(750)]
    parts = split(lines, max_lines=10, clearing=CLEARING, payout_id="po_1")
    check(parts, lines, 10)
    assert len(parts) == 4
    assert parts[0].lines[-1].memo.startswith("Stripe fee")
    # In Stripe's order: each deposit's payments follow the previous deposit's.
    orders = [line.order for part in parts for line in part.lines if line.order >= 0]
    assert orders == sorted(orders)


def test_a_part_that_would_be_negative_borrows_through_clearing() -> None:
    # The refunds come last: the last deposit alone would total less than zero.
    lines = [payment(i, 1000) for i in range(6)] + [refund(6 + i, 1500) for i in range(3)]
    parts = split(lines, max_lines=5, clearing=CLEARING, payout_id="po_1")
    check(parts, lines, 5)
    assert any("carried" in line.memo for part in parts for line in part.lines)


def test_borrowing_needs_a_clearing_account() -> None:
    lines = [payment(i, 1000) for i in range(6)] + [refund(6 + i, 1500) for i in range(3)]
    with pytest.raises(exceptions.MappingError, match=r"gl\.stripe_clearing"):
        split(lines, max_lines=5, clearing=None, payout_id="po_1")


def test_lines_of_one_balance_transaction_stay_together() -> None:
    lines: list[Line] = []
    for i in range(9):
        lines.append(payment(i, 800))
        if i % 3 == 0:  # a partial capture: the released part clears Stripe clearing
            lines.append(Line("other", CLEARING, 50, f"ch_{i} released", order=i))
    parts = split(lines, max_lines=5, clearing=CLEARING, payout_id="po_1")
    check(parts, lines, 5)
    where = {line.order: part.number for part in parts for line in part.lines if line.order >= 0}
    for part in parts:
        for line in part.lines:
            if line.order >= 0:
                assert where[line.order] == part.number


def test_a_line_changing_kind_keeps_every_line_in_its_deposit() -> None:
    lines = [payment(i, 1000 + i) for i in range(12)] + [fees(300)]
    before = split(lines, max_lines=6, clearing=CLEARING, payout_id="po_1")
    # The payment of balance transaction 5 was in suspense, and now syncs.
    changed = list(lines)
    changed[5] = Line("other", "99", 1005, "Suspense: ch_5", suspense=True, order=5)
    after = split(changed, max_lines=6, clearing=CLEARING, payout_id="po_1")

    def layout(parts: list[Part]) -> list[list[int]]:
        return [[ln.order for ln in part.lines if ln.order >= 0] for part in parts]

    assert layout(before) == layout(after)


def test_a_raised_limit_needs_fewer_parts_and_the_lines_move_only_to_earlier_ones() -> None:
    lines = [payment(i, 1000) for i in range(20)] + [fees(700)]
    before = split(lines, max_lines=6, clearing=CLEARING, payout_id="po_1")
    after = split(lines, max_lines=10, clearing=CLEARING, payout_id="po_1")
    check(before, lines, 6)
    check(after, lines, 10)
    assert (len(before), len(after)) == (6, 3)

    def part_of(parts: list[Part]) -> dict[int, int]:
        return {ln.order: p.number for p in parts for ln in p.lines if ln.order >= 0}

    # The flow posts the last deposit first: a payment moves only to an earlier deposit,
    # so it has left its old one before the new one takes it.
    old, new = part_of(before), part_of(after)
    assert all(new[order] <= old[order] for order in old)


def test_a_limit_too_small_for_the_summed_lines_is_refused() -> None:
    lines = [payment(i, 1000) for i in range(8)] + [fees(10), fees(20), fees(30)]
    with pytest.raises(exceptions.MappingError, match="deposit_max_lines = 5"):
        split(lines, max_lines=5, clearing=CLEARING, payout_id="po_1")


@pytest.mark.parametrize("seed", range(40))
def test_random_payouts_always_split_into_valid_deposits(seed: int) -> None:
    rng = random.Random(seed)
    lines: list[Line] = []
    for order in range(rng.randint(6, 60)):
        minor = rng.randint(1, 50_000)
        lines.append(refund(order, minor) if rng.random() < 0.3 else payment(order, minor))
    lines.append(fees(rng.randint(0, 5_000)))
    if sum(signed(line) for line in lines) < 0:
        lines.append(payment(len(lines), -sum(signed(line) for line in lines) + 1))
    max_lines = rng.randint(5, 12)
    parts = split(lines, max_lines=max_lines, clearing=CLEARING, payout_id="po_1")
    check(parts, lines, max_lines)
