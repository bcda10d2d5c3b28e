"""Summary posting: a payout as one journal entry, with its detail as a CSV.

``options.payout_posting = "summary"`` trades the deposit's line per payment for one
journal entry per payout (a payout has one currency): the bank takes the payout, and each
GL account the deposit would have touched gets one line, summed. A journal cannot mark a
payment deposited, so under summary posting the charges' payments wait in Stripe clearing
(not Undeposited Funds) and leave it in one credit, netted with refunds and disputes;
a dispute's reinstated funds leave Undeposited Funds; fees are expensed in one line per
account. The lines behind the sums go to a
CSV (`detail_csv`) that the flow writes beside the journal and names in its memo.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.mapping.payout_context import CheckedPayout, DepositContext
from stripe_netsuite.mapping.payout_lines import Line
from stripe_netsuite.mapping.payout_records import MEMO_LIMIT, bank_account, header
from stripe_netsuite.mapping.reconciliation import SUSPENSE_MEMO
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of a summary journal (a deposit of the same payout keeps its own).
ROLE_PREFIX = "payout_summary"
#: Columns of the detail CSV.
CSV_COLUMNS = (
    "payout",
    "position",
    "balance_transaction",
    "line",
    "account",
    "customer_payment",
    "debit",
    "credit",
    "currency",
    "memo",
)


def detail_name(po: CheckedPayout, ctx: DepositContext) -> str:
    """The detail CSV's file name: one per Stripe account and payout."""
    return f"{ctx.stripe_account_id}_{po.id}.csv"


def _side(
    line: Line, ctx: DepositContext, po: CheckedPayout, charged: frozenset[str]
) -> tuple[str, str]:
    """(GL account, ``debit`` or ``credit``) of a deposit line moved into a journal.

    A charge's payment (in *charged*) waits in Stripe clearing under summary posting
    (`mapping.payment`), and so do a won dispute's reinstated funds (`mapping.dispute`).
    """
    if line.sublist == "payment":
        key = "stripe_clearing" if line.target in charged else "undeposited_funds"
        account = getattr(ctx.account.gl, key)
        if not account:
            raise exceptions.MappingError(
                f"summary posting needs gl.{key}", stripe_id=po.id, missing=f"gl.{key}"
            )
        return account, "credit"
    return line.target, "credit" if line.sublist == "other" else "debit"


def _charged(ctx: DepositContext) -> frozenset[str]:
    """The internal ids of the charges' customer payments and of won disputes'
    reinstatements, which wait in Stripe clearing.

    Under ``options.payment_mode = "find"`` another integration posted the payments, into
    Undeposited Funds as such integrations do: the journal credits that account for them.
    """
    reinstated = frozenset(
        (*ctx.reversal_payment_ids.values(), *ctx.reversal_cash_sale_ids.values())
    )
    if ctx.account.options.payment_mode == "find":
        return reinstated
    return reinstated | frozenset(ctx.payment_ids.values())


def summary_journal(
    po: CheckedPayout, lines: Sequence[Line], ctx: DepositContext
) -> NetSuiteRecord:
    """One journal entry for the payout: the bank line and one summed line per account and
    side; debits equal credits because the deposit lines total the payout."""
    body = header(po, ctx, ROLE_PREFIX, po.date)
    name = detail_name(po, ctx)
    body["memo"] = f"Stripe payout {po.id}, {len(lines)} lines summed; detail in {name}"[
        :MEMO_LIMIT
    ]
    sums: dict[tuple[str, str], list[int]] = {}
    suspense: dict[tuple[str, str], bool] = {}
    charged = _charged(ctx)
    for line in lines:
        key = _side(line, ctx, po, charged)
        entry = sums.setdefault(key, [0, 0])
        entry[0] += line.minor
        entry[1] += 1
        suspense[key] = suspense.get(key, False) or line.suspense
    bank = bank_account(po, ctx)
    value = money.to_decimal(abs(po.amount), po.currency)
    journal: list[dict[str, Any]] = [
        {
            "account": {"id": bank},
            "debit" if po.amount >= 0 else "credit": value,
            "memo": f"Stripe payout {po.id}",
        }
    ]
    for (account, side), (minor, count) in sums.items():
        if minor == 0:
            continue
        noun = "line" if count == 1 else "lines"
        memo = f"Stripe payout {po.id}: {count} {noun}, see {name}"
        if suspense[(account, side)]:
            memo = f"{SUSPENSE_MEMO}{memo}"
        journal.append(
            {"account": {"id": account}, side: money.to_decimal(minor, po.currency), "memo": memo}
        )
    debit = sum((Decimal(ln.get("debit", 0)) for ln in journal), Decimal(0))
    credit = sum((Decimal(ln.get("credit", 0)) for ln in journal), Decimal(0))
    if debit != credit:
        # Unreachable by construction; kept so a regression can never post an unbalanced entry.
        raise exceptions.MappingError(
            f"summary journal debits {debit} but credits {credit}", stripe_id=po.id
        )
    body["line"] = sublist(journal)
    return NetSuiteRecord(
        "journalEntry", body["externalId"], body, po.id, kinds.get("payout").role, ("line",)
    )


def detail_csv(po: CheckedPayout, lines: Sequence[Line], ctx: DepositContext) -> str:
    """Every line the summary journal sums, one row each, in the payout's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    charged = _charged(ctx)
    for line in sorted(lines, key=lambda ln: (ln.order < 0, ln.order)):
        account, side = _side(line, ctx, po, charged)
        value = str(money.to_decimal(line.minor, po.currency))
        writer.writerow(
            (
                po.id,
                line.order if line.order >= 0 else "",
                line.source,
                line.sublist,
                account,
                line.target if line.sublist == "payment" else "",
                value if side == "debit" else "",
                value if side == "credit" else "",
                po.currency.upper(),
                line.memo,
            )
        )
    return out.getvalue()
