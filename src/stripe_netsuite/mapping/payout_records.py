"""Deposit lines → a payout's NetSuite records: its bank deposit, or the journal entry of
a negative payout, and the journal entry that reverses a failed or canceled payout."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.mapping.payout_context import CheckedPayout, DepositContext
from stripe_netsuite.mapping.payout_lines import Line
from stripe_netsuite.mapping.reconciliation import deposit_total
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for, sublist, tran_date

#: NetSuite's memo length.
MEMO_LIMIT = 4000


def part_role(number: int) -> str:
    """The link role (and externalId prefix) of deposit *number* of a split payout; the
    first keeps the payout's own, so a payout that grows past one deposit keeps it."""
    role = kinds.get("payout").role
    return role if number == 1 else f"{role}_part_{number}"


def part_number(role: str) -> int | None:
    """The deposit number a link role stands for (`part_role` read back), or None."""
    base = kinds.get("payout").role
    if role == base:
        return 1
    prefix = f"{base}_part_"
    if role.startswith(prefix) and role[len(prefix) :].isdigit():
        return int(role[len(prefix) :])
    return None


def _memo(text: str) -> str:
    return text[:MEMO_LIMIT]


def _amount(minor: int, currency: str) -> Decimal:
    return money.to_decimal(minor, currency)


def header(
    po: CheckedPayout, ctx: DepositContext, role_prefix: str | None, when: int
) -> dict[str, Any]:
    """The header fields every payout record shares: externalId, date, currency, subsidiary."""
    body: dict[str, Any] = {
        "externalId": external_id_for(ctx.stripe_account_id, po.id, role_prefix),
        "tranDate": tran_date(when),
    }
    if ctx.account.options.multi_currency:
        found = ctx.currency_ids.get(po.currency) or ctx.account.currencies.get(po.currency)
        if not found:
            raise exceptions.MappingError(
                f"no NetSuite currency is known for {po.currency.upper()}",
                stripe_id=po.id,
                missing=f"currency_ids[{po.currency}]",
            )
        body["currency"] = {"id": found}
    if ctx.account.subsidiary:
        body["subsidiary"] = {"id": ctx.account.subsidiary}
    return body


def bank_account(po: CheckedPayout, ctx: DepositContext) -> str:
    """The bank account configured for the payout's currency."""
    found = ctx.account.gl.bank.get(po.currency)
    if not found:
        raise exceptions.MappingError(
            f"no bank account is configured for {po.currency.upper()} payouts",
            stripe_id=po.id,
            missing=f"gl.bank.{po.currency}",
        )
    return found


def deposit(
    po: CheckedPayout, lines: list[Line], ctx: DepositContext, *, number: int = 1, of: int = 1
) -> NetSuiteRecord:
    """The bank deposit: payments selected, other lines in, cash back out; it totals the
    payout, or, as deposit *number* of *of*, its part of it."""
    role = part_role(number)
    body = header(po, ctx, None if number == 1 else role, po.date)
    body["account"] = {"id": bank_account(po, ctx)}
    body["memo"] = _memo(
        f"Stripe payout {po.id}" + (f", deposit {number} of {of}" if of > 1 else "")
    )
    sublists: dict[str, list[dict[str, Any]]] = {"payment": [], "other": [], "cashback": []}
    for line in lines:
        value = _amount(line.minor, po.currency)
        if line.sublist == "payment":
            sublists["payment"].append(
                {
                    "id": int(line.target),
                    "deposit": True,
                    "paymentAmount": value,
                    "memo": _memo(line.memo),
                }
            )
        else:
            sublists[line.sublist].append(
                {"account": {"id": line.target}, "amount": value, "memo": _memo(line.memo)}
            )
    for name, items in sublists.items():
        if items:
            body[name] = sublist(items)
    total = deposit_total(body)
    if of == 1 and total != _amount(po.amount, po.currency):
        # Unreachable by construction; kept so a regression can never post a wrong deposit.
        raise exceptions.MappingError(
            f"deposit lines add up to {total}, not the payout amount", stripe_id=po.id
        )
    if total < 0:
        raise exceptions.MappingError(
            f"deposit {number} of {of} would total {total}", stripe_id=po.id
        )
    return NetSuiteRecord(
        "deposit", body["externalId"], body, po.id, role, ("payment", "other", "cashback")
    )


def negative_payout_journal(
    po: CheckedPayout, lines: list[Line], ctx: DepositContext
) -> NetSuiteRecord:
    """A negative payout as a journal entry: a deposit cannot take money out of the bank."""
    body = header(po, ctx, None, po.date)
    body["memo"] = _memo(f"Stripe payout {po.id}: withdrawal to cover a negative balance")
    journal: list[dict[str, Any]] = []
    for line in lines:
        value = _amount(line.minor, po.currency)
        if line.sublist == "payment":
            # A journal cannot select an undeposited payment: credit Undeposited Funds and
            # alert, so someone marks the payment deposited.
            account = ctx.account.gl.undeposited_funds
            if not account:
                raise exceptions.MappingError(
                    "the payout needs gl.undeposited_funds",
                    stripe_id=po.id,
                    missing="gl.undeposited_funds",
                )
            journal.append(
                {
                    "account": {"id": account},
                    "credit": value,
                    "memo": _memo(f"{line.memo}: customer payment {line.target}"),
                }
            )
        elif line.sublist == "other":
            journal.append(
                {"account": {"id": line.target}, "credit": value, "memo": _memo(line.memo)}
            )
        else:
            journal.append(
                {"account": {"id": line.target}, "debit": value, "memo": _memo(line.memo)}
            )
    journal.append(
        {
            "account": {"id": bank_account(po, ctx)},
            "credit": _amount(-po.amount, po.currency),
            "memo": _memo(f"Stripe payout {po.id} debited from the bank"),
        }
    )
    body["line"] = sublist(journal)
    return NetSuiteRecord(
        "journalEntry", body["externalId"], body, po.id, "negative_payout", ("line",)
    )


def failure_journal(po: CheckedPayout, ctx: DepositContext) -> NetSuiteRecord:
    """The journal entry that moves a failed or canceled payout back to the Stripe balance."""
    body = header(po, ctx, "payout_failure", po.failure_date)
    body["memo"] = _memo(f"Stripe payout {po.id} {po.status}: reverses its deposit")
    clearing = ctx.account.gl.stripe_clearing
    if not clearing:
        raise exceptions.MappingError(
            "the payout needs gl.stripe_clearing, which is not configured",
            stripe_id=po.id,
            missing="gl.stripe_clearing",
        )
    value = _amount(abs(po.amount), po.currency)
    # The money goes back to the Stripe balance; the payout_failure balance transaction of a
    # later payout then clears it with an other line from Stripe clearing.
    back, out = ("debit", "credit") if po.amount > 0 else ("credit", "debit")
    body["line"] = sublist(
        [
            {
                "account": {"id": clearing},
                back: value,
                "memo": _memo(f"Stripe payout {po.id} returned to the Stripe balance"),
            },
            {
                "account": {"id": bank_account(po, ctx)},
                out: value,
                "memo": _memo(f"Stripe payout {po.id} {po.status}"),
            },
        ]
    )
    return NetSuiteRecord(
        "journalEntry", body["externalId"], body, po.id, "payout_reversal", ("line",)
    )
