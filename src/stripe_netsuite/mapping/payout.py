"""Stripe payout + its balance transactions → one NetSuite bank deposit (or a journal entry).

The deposit's total equals the payout amount to the cent. Every balance transaction
becomes a line: customer payments are selected from Undeposited Funds, refunds and
dispute withdrawals clear the Stripe clearing account, fees are aggregated per account
and fee type, and anything that cannot be mapped lands in suspense, labelled, with an
`Alert`. docs/reconciliation.md describes the accounting model.

The lines are built in `payout_lines`, the records from them in `payout_records`; the
context and result types live in `payout_context` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.mapping import payout_records
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.payout_context import (
    Alert,
    CheckedPayout,
    DepositContext,
    DepositResult,
)
from stripe_netsuite.mapping.payout_lines import LineBuilder
from stripe_netsuite.mapping.reconciliation import SUSPENSE_MEMO, deposit_total
from stripe_netsuite.mapping.transaction import id_of

#: Payout statuses whose deposit is reversed by a journal entry.
REVERSED_STATUSES = frozenset({"failed", "canceled"})

__all__ = [
    "SUSPENSE_MEMO",
    "Alert",
    "DepositContext",
    "DepositResult",
    "dependencies",
    "deposit_total",
    "linked_deposit_id",
    "map_deposit",
]


def dependencies(balance_transactions: Sequence[Mapping[str, Any]]) -> list[Dependency]:
    """The charges, refunds and disputes whose NetSuite records the deposit references."""
    found: list[Dependency] = []
    for bt in balance_transactions:
        kind = kinds.for_reporting_category(str(bt.get("reporting_category")))
        source = id_of(bt.get("source"))
        if kind is not None and source:
            dep = Dependency(kind.name, source)
            if dep not in found:
                found.append(dep)
    return found


def linked_deposit_id(payout: Mapping[str, Any]) -> str | None:
    """The NetSuite deposit named by the payout's ``netsuite_deposit_id`` metadata."""
    return linked_id(payout, kinds.get("payout").role)


def map_deposit(
    payout: Mapping[str, Any],
    balance_transactions: Sequence[Mapping[str, Any]],
    ctx: DepositContext,
) -> DepositResult:
    """The NetSuite records for a payout: a deposit, or a journal entry for a negative
    payout, plus a reversing journal entry when the payout failed or was canceled.

    Raises `MappingError` for malformed input or missing configuration, and
    `NeedsAttention` for suspense lines under ``options.unmappable_deposit_lines = block``.
    """
    po = CheckedPayout.of(payout)
    builder = LineBuilder(po, ctx)
    for bt in balance_transactions:
        builder.add(bt)
    lines = builder.finish()
    alerts = tuple(builder.alerts)
    blocked = builder.suspense_alerts
    if blocked and ctx.account.options.unmappable_deposit_lines == "block":
        raise exceptions.NeedsAttention(
            "the payout has balance transactions that cannot be mapped",
            stripe_id=po.id,
            balance_transactions=", ".join(
                f"{a.balance_transaction_id} ({a.reason})" for a in blocked
            ),
        )
    if po.amount < 0:
        records = [payout_records.negative_payout_journal(po, lines, ctx)]
        alerts += tuple(
            Alert(
                line.source,
                f"a negative payout cannot select customer payment {line.target}:"
                " mark it deposited in NetSuite",
            )
            for line in lines
            if line.sublist == "payment"
        )
    else:
        records = [payout_records.deposit(po, lines, ctx)]
    if po.status in REVERSED_STATUSES:
        records.append(payout_records.failure_journal(po, ctx))
    return DepositResult(tuple(records), alerts, linked_deposit_id(payout))
