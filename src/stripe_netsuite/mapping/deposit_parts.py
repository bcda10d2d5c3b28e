"""A payout's deposit lines → deposits of at most N lines each, whose totals add up to it.

NetSuite refuses a bank deposit of more than 10,000 lines. A longer payout is cut into
parts along its balance transactions, in Stripe's order: the lines of one balance
transaction stay together, so a payment that moves from suspense to a selected payment
(once it syncs) keeps its part, and re-posting moves no payment from one deposit to
another (NetSuite lets a payment sit in one deposit only).

The lines that sum many balance transactions (fees, exchange differences, a remainder)
go into the first part. A part whose lines alone would total less than zero (NetSuite
refuses a negative deposit) borrows from a neighbour through Stripe clearing: one part
pays the amount out to clearing as cash back, the next takes it in as an other deposit.
Those pairs net to zero in clearing, and the parts still add up to the payout.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.payout_lines import Line

#: Lines each part keeps free for the carries to and from its neighbours.
CARRY_LINES = 2


@dataclass(frozen=True)
class Part:
    """One deposit of a split payout: its number (from 1), the count of parts, its lines."""

    number: int
    of: int
    lines: list[Line]

    @property
    def total(self) -> int:
        """What the deposit adds to the bank, in minor units."""
        return sum(signed(line) for line in self.lines)


def signed(line: Line) -> int:
    """A line's effect on the deposit total: cash back takes away."""
    return -line.minor if line.sublist == "cashback" else line.minor


def split(
    lines: list[Line],
    *,
    max_lines: int,
    clearing: str | None,
    payout_id: str,
) -> list[Part]:
    """The parts of one payout, as few as fit. A re-post that needs fewer parts than were
    posted (a raised limit, fewer lines) returns fewer: the flow deletes the stale ones.

    Lines that fit in one deposit come back as one part, unchanged.
    """
    if len(lines) <= max_lines:
        return [Part(1, 1, list(lines))]
    summed = [line for line in lines if line.order < 0]
    detail = sorted((line for line in lines if line.order >= 0), key=lambda ln: ln.order)
    first_room = max_lines - CARRY_LINES - len(summed)
    room = max_lines - CARRY_LINES
    if first_room < 1:
        raise exceptions.MappingError(
            f"options.deposit_max_lines = {max_lines} leaves no room for the payout's"
            f" {len(summed)} summed lines and the carries between deposits",
            stripe_id=payout_id,
        )
    groups = deque(_groups(detail))
    count = 1 + -(-max(0, len(detail) - first_room) // room)
    chunks: list[list[Line]] = []
    left = len(detail)
    while groups or len(chunks) < count:
        index = len(chunks)
        limit = first_room if index == 0 else room
        # Spread evenly over the parts still to fill; a group bigger than that still fits.
        target = min(limit, -(-left // max(count - index, 1)))
        chunk: list[Line] = []
        while groups and len(chunk) + len(groups[0]) <= max(target, 1 if chunk else limit):
            chunk.extend(groups.popleft())
        if not chunk and groups:
            raise exceptions.MappingError(
                "one balance transaction has more lines than a deposit may hold;"
                " raise options.deposit_max_lines",
                stripe_id=payout_id,
            )
        left -= len(chunk)
        chunks.append(chunk)
    chunks[0] = chunks[0] + summed
    # Lines that came in larger groups than the count assumed may leave a part empty.
    chunks = [chunk for chunk in chunks if chunk]
    return _carried(chunks, clearing, payout_id)


def _groups(detail: list[Line]) -> list[list[Line]]:
    groups: list[list[Line]] = []
    for line in detail:
        if groups and groups[-1][0].order == line.order:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _carried(chunks: list[list[Line]], clearing: str | None, payout_id: str) -> list[Part]:
    sums = [sum(signed(line) for line in chunk) for chunk in chunks]
    targets = [max(value, 0) for value in sums]
    deficit = sum(max(-value, 0) for value in sums)
    # The largest parts give first, so a part is brought down to zero only as a last resort.
    for index in sorted(range(len(targets)), key=lambda i: -targets[i]):
        given = min(targets[index], deficit)
        targets[index] -= given
        deficit -= given
    if deficit:
        raise exceptions.MappingError(
            "a negative payout cannot be split into deposits", stripe_id=payout_id
        )
    count = len(chunks)
    flow = 0
    for index in range(count - 1):
        # What part index+1 (counted from 1) hands on to the next part: positive forward.
        flow += sums[index] - targets[index]
        if flow == 0:
            continue
        if not clearing:
            raise exceptions.MappingError(
                "splitting the payout's deposit needs gl.stripe_clearing",
                stripe_id=payout_id,
                missing="gl.stripe_clearing",
            )
        here, there = index + 1, index + 2
        giver, taker = (here, there) if flow > 0 else (there, here)
        amount = abs(flow)
        memo = f"Stripe payout {payout_id}: carried"
        chunks[giver - 1].append(
            Line("cashback", clearing, amount, f"{memo} to deposit {taker} of {count}")
        )
        chunks[taker - 1].append(
            Line("other", clearing, amount, f"{memo} from deposit {giver} of {count}")
        )
    return [Part(i + 1, count, chunk) for i, chunk in enumerate(chunks)]
