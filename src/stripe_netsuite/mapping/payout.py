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
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.mapping import deposit_parts, payout_records, payout_summary
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.payout_context import (
    Alert,
    CheckedPayout,
    DepositContext,
    DepositResult,
)
from stripe_netsuite.mapping.payout_lines import Line, LineBuilder
from stripe_netsuite.mapping.reconciliation import SUSPENSE_MEMO, deposit_total
from stripe_netsuite.mapping.records import NetSuiteRecord
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
    # A dict keeps the first-seen order and finds a repeat at once (payouts run to tens
    # of thousands of balance transactions).
    found: dict[Dependency, None] = {}
    for bt in balance_transactions:
        kind = kinds.for_reporting_category(str(bt.get("reporting_category")))
        source = id_of(bt.get("source"))
        if kind is not None and source:
            found.setdefault(Dependency(kind.name, source), None)
    return list(found)


def reinstated_disputes(balance_transactions: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The disputes whose funds the payout gives back (``dispute_reversal`` lines)."""
    return frozenset(
        source
        for bt in balance_transactions
        if bt.get("reporting_category") == "dispute_reversal"
        and (source := id_of(bt.get("source")))
    )


def linked_deposit_id(payout: Mapping[str, Any]) -> str | None:
    """The NetSuite deposit named by the payout's ``netsuite_deposit_id`` metadata."""
    return linked_id(payout, kinds.get("payout").role)


def map_deposit(
    payout: Mapping[str, Any],
    balance_transactions: Sequence[Mapping[str, Any]],
    ctx: DepositContext,
) -> DepositResult:
    """The NetSuite records for a payout: its deposits (one, or several of at most
    ``options.deposit_max_lines`` lines), a journal entry for a negative payout, or one
    summary journal under ``options.payout_posting = "summary"``; plus a reversing journal
    entry when the payout failed or was canceled.

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
    detail = None
    if ctx.account.options.payout_posting == "summary":
        records = [payout_summary.summary_journal(po, lines, ctx)]
        detail = (
            payout_summary.detail_name(po, ctx),
            payout_summary.detail_csv(po, lines, ctx),
        )
    elif po.amount < 0:
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
        records = _deposits(po, lines, ctx)
    if po.status in REVERSED_STATUSES:
        records.append(payout_records.failure_journal(po, ctx))
    return DepositResult(tuple(records), alerts, linked_deposit_id(payout), detail)


def _deposits(po: CheckedPayout, lines: list[Line], ctx: DepositContext) -> list[NetSuiteRecord]:
    parts = deposit_parts.split(
        lines,
        max_lines=ctx.account.options.deposit_max_lines,
        clearing=ctx.account.gl.stripe_clearing,
        payout_id=po.id,
    )
    records = [
        payout_records.deposit(po, part.lines, ctx, number=part.number, of=part.of)
        for part in parts
    ]
    total = sum((deposit_total(r.body) for r in records), Decimal(0))
    if total != money.to_decimal(po.amount, po.currency):
        # Unreachable by construction; kept so a regression can never post a wrong split.
        raise exceptions.MappingError(
            f"the {len(records)} deposits add up to {total}, not the payout amount",
            stripe_id=po.id,
        )
    return records
