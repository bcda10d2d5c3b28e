"""Per-payout comparison of Stripe's payout amount with the NetSuite deposit total.

Behind ``stripe-netsuite reconcile``: for each payout, the Stripe amount, the total of
its NetSuite deposit (by NetSuite's own rule), the difference and the suspense lines
that still wait for a person.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping.transaction import id_of

#: Starts the memo of every suspense line the mapping writes, so a report finds them
#: without the account config.
SUSPENSE_MEMO = "Suspense: "


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
    #: A payout split into several deposits: ``(deposit, total)`` of each, its NetSuite
    #: internal id (or ``missing``) and its total (None when missing); they add up to
    #: ``netsuite_total``. Empty for a payout with one deposit.
    deposits: list[tuple[str, Decimal | None]] = field(default_factory=list)

    @property
    def ties_out(self) -> bool:
        """Whether a deposit exists and its total equals the payout amount."""
        return self.netsuite_total is not None and self.difference == 0


def compare(
    payout: Mapping[str, Any],
    deposit_body: Mapping[str, Any] | None,
    *,
    suspense_account: str | None = None,
    bank_account: str | None = None,
) -> PayoutReport:
    """Compare a Stripe payout with its NetSuite deposit body (None when none was found).

    Suspense lines are found by their memo marker, or by *suspense_account* when given
    (lines entered by hand carry no marker). A negative payout is a journal entry: pass
    its body and *bank_account*, and its total is what the journal moved into the bank.
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
    if "line" in deposit_body:
        if not bank_account:
            raise exceptions.MappingError(
                "a journal entry is compared through its bank line; pass bank_account",
                stripe_id=pid,
            )
        total = journal_bank_total(deposit_body, bank_account)
        suspense = list(_journal_suspense(deposit_body, suspense_account))
    else:
        total = deposit_total(deposit_body)
        suspense = list(iter_suspense(deposit_body, suspense_account))
    return PayoutReport(
        pid, currency.lower(), stripe_amount, total, stripe_amount - total, suspense
    )


def compare_parts(
    payout: Mapping[str, Any],
    parts: Sequence[tuple[str, Mapping[str, Any] | None]],
    *,
    suspense_account: str | None = None,
) -> PayoutReport:
    """Compare a Stripe payout with the deposits it was split into: ``(internal id, body)``
    of each, in order, the body None when NetSuite no longer has it (a difference).

    Each deposit counts with NetSuite's own ``total`` when the body has one (what the bank
    statement is matched against), else by `deposit_total`.
    """
    first = compare(payout, None)
    places = Decimal(1).scaleb(-money.exponent(first.currency))
    totals: list[tuple[str, Decimal | None]] = []
    suspense: list[tuple[str, Decimal]] = []
    for internal_id, body in parts:
        if body is None:
            totals.append((f"{internal_id} missing", None))
            continue
        if body.get("total") is not None:
            total = _number(body["total"], "total").quantize(places)
        else:
            total = deposit_total(body)
        totals.append((internal_id, total))
        suspense.extend(iter_suspense(body, suspense_account))
    found = sum((t for _, t in totals if t is not None), Decimal(0))
    return PayoutReport(
        first.payout_id, first.currency, first.stripe_amount, found,
        first.stripe_amount - found, suspense, totals,
    )  # fmt: skip


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
            f"    deposit {index} of {len(report.deposits)}  {label:<14} "
            f"{'-' if total is None else total:>14}"
            for index, (label, total) in enumerate(report.deposits, start=1)
        ] + [f"    suspense {amount:>14}  {memo}" for memo, amount in report.suspense_lines]
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


def deposit_total(body: Mapping[str, Any]) -> Decimal:
    """NetSuite's rule on a deposit body: Σ selected payments + Σ other − Σ cash back."""
    total = Decimal(0)
    for line in _items(body, "payment"):
        if line.get("deposit", True) is not False:
            total += _number(line.get("paymentAmount"), "payment.paymentAmount")
    for line in _items(body, "other"):
        total += _number(line.get("amount"), "other.amount")
    for line in _items(body, "cashback"):
        total -= _number(line.get("amount"), "cashback.amount")
    return total


def _items(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = body.get(name)
    if value is None:
        return []
    items = value.get("items") if isinstance(value, Mapping) else None
    if not isinstance(items, list):
        raise exceptions.MappingError(f"sublist {name} is not {{'items': [...]}}")
    return items


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise exceptions.MappingError(f"deposit {where} is not an amount: {value!r}")
    try:
        # Through str: a float read from JSON must not bring its binary noise along.
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise exceptions.MappingError(f"deposit {where} is not an amount: {value!r}") from exc


def iter_suspense(
    body: Mapping[str, Any], suspense_account: str | None = None
) -> Iterator[tuple[str, Decimal]]:
    """``(memo, signed amount)`` of each suspense line of a deposit body.

    A line is a suspense line when it posts to *suspense_account* or its memo carries
    the suspense marker; cash-back lines come out negative.
    """
    for name, sign in (("other", 1), ("cashback", -1)):
        for line in _items(body, name):
            memo = str(line.get("memo") or "")
            account = id_of(line.get("account"))
            if memo.startswith(SUSPENSE_MEMO) or (suspense_account and account == suspense_account):
                yield memo, sign * _number(line.get("amount"), f"{name}.amount")


def journal_bank_total(body: Mapping[str, Any], bank_account: str) -> Decimal:
    """What a journal entry moves into *bank_account*: Σ debit − Σ credit on its lines."""
    total = Decimal(0)
    for line in _items(body, "line"):
        if id_of(line.get("account")) == bank_account:
            total += _number(line.get("debit", 0), "line.debit")
            total -= _number(line.get("credit", 0), "line.credit")
    return total


def _journal_suspense(
    body: Mapping[str, Any], suspense_account: str | None
) -> Iterator[tuple[str, Decimal]]:
    for line in _items(body, "line"):
        memo = str(line.get("memo") or "")
        account = id_of(line.get("account"))
        if memo.startswith(SUSPENSE_MEMO) or (suspense_account and account == suspense_account):
            credit = _number(line.get("credit", 0), "line.credit")
            yield memo, credit - _number(line.get("debit", 0), "line.debit")
