"""Stripe customer balance adjustment → NetSuite journal entry.

A ``customer_balance_transaction`` of type ``adjustment`` is a change to the customer
balance made by hand (``POST /v1/customers/{id}/balance_transactions``). Nothing else
books it, yet the invoices that later consume the balance draw on the customer-credit
liability (`invoice.map_balance_credit`), so each adjustment is posted here:

* a credit to the customer (negative amount): Dr ``gl.customer_credit_adjustments`` (a
  sales allowance; else ``items.income_account``) / Cr the customer-credit liability
  (the customer balance item's account, ``ctx.customer_credit_account``);
* a debit to the customer (positive amount, the customer owes): Dr receivables / Cr the
  same allowance account, so the payment of the invoice that collects it clears it.

Every other type (``applied_to_invoice``, ``credit_note``, ``invoice_overpaid``,
``initial``, …) is represented by its invoice or credit note and is not posted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: The link role of the journal entry.
ROLE = "balance_adjustment"
#: The balance transaction types posted by `map_adjustment`.
POSTED_TYPES = frozenset({"adjustment"})


def is_posted(entry: Mapping[str, Any]) -> bool:
    """Whether the balance transaction is one `map_adjustment` books (a non-zero adjustment)."""
    amount = entry.get("amount")
    return entry.get("type") in POSTED_TYPES and isinstance(amount, int) and amount != 0


def map_adjustment(entry: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """The journal entry for a hand adjustment of the customer balance; None for other types.

    Needs ``ctx.customer_id`` and, for a credit, ``ctx.customer_credit_account``.
    """
    if not is_posted(entry):
        return None
    sid = tx.stripe_id(entry, "customer balance transaction", "cbtxn_")
    currency = tx.currency_of(entry, sid)
    minor = int(entry["amount"])
    value = tx.amount(abs(minor), currency, where="customer_balance_transaction.amount")
    when = entry.get("created")
    if not isinstance(when, int):
        raise exceptions.MappingError("the balance transaction has no date", stripe_id=sid)
    text = _text(entry.get("description")) or (
        "customer credit granted" if minor < 0 else "customer charged"
    )
    body = tx.header(ctx, sid=sid, currency=currency, when=when, entity_field=None, memo=text)
    customer = ctx.require_customer(sid)
    allowance = _allowance_account(ctx, sid)
    if minor < 0:
        debit, credit = allowance, _customer_credit_account(ctx, sid)
    else:
        debit, credit = _receivables(ctx, sid), allowance
    memo = body["memo"]
    body["line"] = sublist(
        [
            _line(debit, memo, customer, debit=value),
            _line(credit, memo, customer, credit=value),
        ]
    )
    return NetSuiteRecord("journalEntry", body["externalId"], body, sid, ROLE, ("line",))


def _line(
    account: str,
    memo: str,
    customer: Mapping[str, str],
    *,
    debit: Decimal | None = None,
    credit: Decimal | None = None,
) -> dict[str, Any]:
    line: dict[str, Any] = {"account": {"id": account}, "memo": memo, "entity": dict(customer)}
    if debit is not None:
        line["debit"] = debit
    if credit is not None:
        line["credit"] = credit
    return line


def _allowance_account(ctx: MappingContext, sid: str) -> str:
    found = ctx.account.gl.customer_credit_adjustments or ctx.account.items.income_account
    if not found:
        raise exceptions.MappingError(
            "a customer balance adjustment needs gl.customer_credit_adjustments "
            "(or items.income_account)",
            stripe_id=sid,
            missing="gl.customer_credit_adjustments",
        )
    return found


def _customer_credit_account(ctx: MappingContext, sid: str) -> str:
    if not ctx.customer_credit_account:
        raise exceptions.MappingError(
            "the customer-credit account (the customer balance item's account) is not known",
            stripe_id=sid,
            missing="customer_credit_account",
        )
    return ctx.customer_credit_account


def _receivables(ctx: MappingContext, sid: str) -> str:
    if not ctx.account.gl.receivables:
        raise exceptions.MappingError(
            "a balance the customer owes needs gl.receivables",
            stripe_id=sid,
            missing="gl.receivables",
        )
    return ctx.account.gl.receivables


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
