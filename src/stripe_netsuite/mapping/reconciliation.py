"""Per-payout comparison of Stripe's payout amount with the NetSuite deposit total.

Behind ``stripe-netsuite reconcile``: for each payout, the Stripe amount, the total of
its NetSuite deposit (by NetSuite's own rule), the difference and the suspense lines
that still wait for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping import payout as payout_mapping


@dataclass(frozen=True)
class PayoutReport:
    """One payout next to its deposit. ``netsuite_total`` is None when there is no deposit."""

    payout_id: str
    currency: str
    stripe_amount: Decimal
    netsuite_total: Decimal | None
    difference: Decimal
    #: ``(memo, amount)`` of each suspense line; cash-back lines are negative.
    suspense_lines: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def ties_out(self) -> bool:
        """Whether a deposit exists and its total equals the payout amount."""
        return self.netsuite_total is not None and self.difference == 0


def compare(
    payout: Mapping[str, Any],
    deposit_body: Mapping[str, Any] | None,
    *,
    suspense_account: str | None = None,
) -> PayoutReport:
    """Compare a Stripe payout with its NetSuite deposit body (None when none was found).

    Suspense lines are found by their memo marker, or by *suspense_account* when given
    (lines entered by hand carry no marker).
    """
    pid = payout.get("id")
    amount = payout.get("amount")
    currency = payout.get("currency")
    if not isinstance(pid, str) or not pid:
        raise exceptions.MappingError(f"not a Stripe payout: id is {pid!r}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise exceptions.MappingError(f"payout amount is not an integer: {amount!r}", stripe_id=pid)
    if not isinstance(currency, str) or not currency:
        raise exceptions.MappingError("the payout has no currency", stripe_id=pid)
    stripe_amount = money.to_decimal(amount, currency)
    if deposit_body is None:
        return PayoutReport(pid, currency.lower(), stripe_amount, None, stripe_amount)
    total = payout_mapping.deposit_total(deposit_body)
    suspense = list(payout_mapping.iter_suspense(deposit_body, suspense_account))
    return PayoutReport(
        pid, currency.lower(), stripe_amount, total, stripe_amount - total, suspense
    )


def any_difference(reports: Sequence[PayoutReport]) -> bool:
    """Whether any payout lacks its deposit or differs from it."""
    return any(not r.ties_out for r in reports)


HEADERS = ("payout", "currency", "Stripe", "NetSuite", "difference", "status")


def render(reports: Sequence[PayoutReport]) -> str:
    """A plain-text table: one row per payout, its suspense lines indented below it."""
    rows: list[tuple[str, ...]] = [HEADERS]
    notes: dict[int, list[str]] = {}
    for report in reports:
        if report.netsuite_total is None:
            status, total = "no deposit", "-"
        else:
            status = "ok" if report.difference == 0 else "DIFFERENCE"
            total = str(report.netsuite_total)
        if report.suspense_lines and status == "ok":
            status = "ok, suspense"
        rows.append((report.payout_id, report.currency.upper(), str(report.stripe_amount),
                     total, str(report.difference), status))  # fmt: skip
        notes[len(rows) - 1] = [
            f"    suspense {amount:>14}  {memo}" for memo, amount in report.suspense_lines
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    right = {2, 3, 4}
    out: list[str] = []
    for index, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]  # fmt: skip
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
        out.extend(notes.get(index, []))
    differing = sum(1 for r in reports if not r.ties_out)
    out.append(f"{len(reports)} payouts, {differing} with a difference or no deposit")
    return "\n".join(out) + "\n"
