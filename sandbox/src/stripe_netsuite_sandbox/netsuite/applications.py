"""Applications: payments, credit memos and refunds applied to the documents they settle."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import chart, errors
from stripe_netsuite_sandbox.netsuite.ledger import (
    APPLY_TARGETS,
    CUSTOMER_FIELD,
    ZERO,
    Context,
    lines,
    own_amount,
    precision,
    quantize,
    ref_id,
)
from stripe_netsuite_sandbox.netsuite.store import Body


def remaining(ctx: Context, target: str, *, excluding: str | None = None) -> Decimal:
    """What is still open on a target, leaving out what *excluding* applies to it."""
    rtype = ctx.ledger.tx_types.get(target)
    body = ctx.store.get(rtype, target) if rtype else None
    if body is None or rtype is None:
        return ZERO
    applied_to_it = ctx.ledger.applied_to(target, excluding=excluding)
    if rtype == "invoice":
        return _dec(body.get("total")) - applied_to_it
    return own_amount(rtype, body) - ctx.ledger.applied_by(target) - applied_to_it


def check(ctx: Context, rtype: str, body: Body) -> set[str]:
    me = str(body["id"])
    digits = precision(ctx.store, ref_id(body, "currency"))
    customer = ref_id(body, CUSTOMER_FIELD[rtype])
    currency = ref_id(body, "currency")
    seen: set[str] = set()
    total = ZERO
    apply_lines = lines(body, "apply")
    for i, line in enumerate(apply_lines):
        path = f"apply.items[{i}]"
        if line.get("apply") is False:
            continue
        doc = ref_id(line, "doc")
        if doc is None:
            raise errors.user_error("Please enter value(s) for: doc.", f"{path}.doc")
        target_type = ctx.ledger.tx_types.get(doc)
        if target_type not in APPLY_TARGETS[rtype]:
            raise errors.invalid_value(doc, "doc", f"{path}.doc")
        if doc in seen:
            raise errors.user_error(f"Transaction {doc} is applied more than once.", f"{path}.doc")
        seen.add(doc)
        target = ctx.store.get(target_type, doc) or {}
        if ref_id(target, CUSTOMER_FIELD.get(target_type, "entity")) != customer:
            raise errors.user_error(
                f"Transaction {doc} belongs to another customer and cannot be applied.",
                f"{path}.doc",
            )
        if ref_id(target, "currency") != currency:
            raise errors.user_error(
                f"Transaction {doc} is in another currency and cannot be applied.", f"{path}.doc"
            )
        available = remaining(ctx, doc, excluding=me)
        amount = line.get("amount")
        if amount is None:
            budget = own_amount(rtype, body) - ctx.ledger.applied_to(me) - total
            amount = available if rtype == "customerRefund" else min(available, budget)
        amount = quantize(amount, digits)
        if amount <= 0:
            raise errors.invalid_value(amount, "amount", f"{path}.amount")
        if amount > available:
            raise errors.user_error(
                f"The amount applied to transaction {doc} ({amount}) exceeds its amount "
                f"remaining ({available}).",
                f"{path}.amount",
            )
        line.update(
            apply=True,
            amount=amount,
            due=available,
            total=_dec(target.get("total", target.get("payment"))),
            refNum=str(target.get("tranId", "")),
            type=target_type,
            doc={"id": doc},
        )
        total += amount
    if rtype == "customerRefund" and apply_lines and total:
        body["total"] = total
    own = own_amount(rtype, body) - ctx.ledger.applied_to(me)
    if total > own:
        raise errors.user_error(
            f"The total applied ({total}) exceeds the amount available on this transaction "
            f"({own}).",
            "apply",
        )
    if apply_lines:
        body["apply"] = {"items": apply_lines}
    return ctx.ledger.targets_of(me) | seen


def payment(ctx: Context, body: Body) -> None:
    amount = body.get("payment")
    if amount is None:
        raise errors.missing("Payment Amount")
    if amount < 0:
        raise errors.invalid_value(amount, "payment", "payment")
    body["payment"] = quantize(amount, precision(ctx.store, ref_id(body, "currency")))
    undeposited(ctx, body)


def undeposited(ctx: Context, body: Body) -> None:
    """``undepFunds`` (default: yes unless an account is given) books to Undeposited Funds."""
    undeposited = body.get("undepFunds")
    if undeposited is None:
        undeposited = ref_id(body, "account") is None
    body["undepFunds"] = undeposited
    if undeposited:
        body["account"] = {"id": chart.UNDEPOSITED_FUNDS}
    elif ref_id(body, "account") is None:
        raise errors.missing("Account")
    me = str(body["id"])
    if me in ctx.ledger.deposited_in and not undeposited:
        raise errors.user_error(
            f"This transaction is in deposit {ctx.ledger.deposited_in[me]} and must stay in "
            "Undeposited Funds.",
            "undepFunds",
        )


def refund(ctx: Context, body: Body) -> None:
    if not isinstance(body.get("total"), Decimal) or body["total"] <= 0:
        raise errors.missing("Refund Amount")
    body["total"] = quantize(body["total"], precision(ctx.store, ref_id(body, "currency")))
    if ref_id(body, "account") is None:
        code = {v: k for k, v in chart.CURRENCIES.items()}.get(ref_id(body, "currency") or "")
        bank = chart.BANK_ACCOUNTS.get(code or "")
        if bank is None:
            raise errors.missing("Account")
        body["account"] = {"id": bank}


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else ZERO
