"""Bank deposits: undeposited payments, other deposits and cash back, in one currency."""

from __future__ import annotations

from decimal import Decimal

from stripe_netsuite_sandbox.netsuite import chart, errors
from stripe_netsuite_sandbox.netsuite.ledger import (
    CUSTOMER_FIELD,
    DEPOSITABLE,
    ZERO,
    Context,
    lines,
    own_amount,
    precision,
    quantize,
    ref_id,
)
from stripe_netsuite_sandbox.netsuite.store import Body

#: NetSuite refuses a bank deposit with more lines than this (selected payments, other
#: deposits and cash back together); businesses with more payments split the deposit.
MAX_LINES = 10_000


def _line_count(body: Body) -> int:
    selected = sum(1 for line in lines(body, "payment") if line.get("deposit") is not False)
    return selected + len(lines(body, "other")) + len(lines(body, "cashback"))


def check(ctx: Context, body: Body) -> set[str]:
    me = str(body["id"])
    count = _line_count(body)
    if count > MAX_LINES:
        raise errors.user_error(
            f"A deposit cannot have more than {MAX_LINES:,} lines; this one has {count:,}."
        )
    account_id = ref_id(body, "account")
    if account_id is None:
        raise errors.missing("Account")
    account = ctx.store.get("account", account_id) or {}
    if ref_id(account, "acctType") != "Bank":
        raise errors.invalid_value(account_id, "account", "account")
    currency = ref_id(body, "currency") or ref_id(account, "currency") or chart.USD
    if currency != (ref_id(account, "currency") or currency):
        raise errors.invalid_value(currency, "currency", "currency")
    body["currency"] = {"id": currency}
    digits = precision(ctx.store, currency)
    total = ZERO
    chosen: set[str] = set()
    payment_lines = lines(body, "payment")
    for i, line in enumerate(payment_lines):
        path = f"payment.items[{i}]"
        if line.get("deposit") is False:
            continue
        if line.get("id") is None:
            raise errors.user_error("Please enter value(s) for: id.", f"{path}.id")
        pid = str(line["id"])
        ptype = ctx.ledger.tx_types.get(pid)
        payment = ctx.store.get(ptype, pid) if ptype in DEPOSITABLE and ptype else None
        if payment is None or ptype is None:
            raise errors.invalid_value(pid, "id", f"{path}.id")
        if not payment.get("undepFunds"):
            raise errors.user_error(
                f"Transaction {pid} is not in Undeposited Funds and cannot be deposited.",
                f"{path}.id",
            )
        holder = ctx.ledger.deposited_in.get(pid)
        if (holder is not None and holder != me) or pid in chosen:
            raise errors.user_error(
                f"Transaction {pid} has already been deposited (deposit {holder or me}).",
                f"{path}.id",
            )
        if ref_id(payment, "currency") != currency:
            raise errors.user_error(
                f"Transaction {pid} is in another currency than the deposit.", f"{path}.id"
            )
        chosen.add(pid)
        amount = own_amount(ptype, payment)
        customer_field = CUSTOMER_FIELD.get(ptype, "customer")
        line.update(
            id=int(pid),
            deposit=True,
            paymentAmount=amount,
            transactionAmount=amount,
            currency={"id": currency},
            docDate=payment.get("tranDate"),
            docNumber=payment.get("tranId"),
            type={
                "id": {"customerPayment": "CustPymt", "cashSale": "CashSale"}.get(ptype, "CustDep")
            },
        )
        if payment.get(customer_field):
            line["entity"] = dict(payment[customer_field])
        total += amount
    for sublist, sign in (("other", 1), ("cashback", -1)):
        for i, line in enumerate(lines(body, sublist)):
            path = f"{sublist}.items[{i}]"
            if ref_id(line, "account") is None:
                raise errors.user_error("Please enter value(s) for: Account.", f"{path}.account")
            if not isinstance(line.get("amount"), Decimal):
                raise errors.user_error("Please enter value(s) for: Amount.", f"{path}.amount")
            line["amount"] = quantize(line["amount"], digits)
            total += sign * line["amount"]
    if not chosen and not lines(body, "other") and not lines(body, "cashback"):
        raise errors.user_error("You must enter at least one line item for this transaction.")
    if total < 0:
        raise errors.user_error(f"The total of the deposit cannot be negative ({total}).")
    body["total"] = total
    if ref_id(body, "subsidiary") is None:
        body["subsidiary"] = {"id": chart.SUBSIDIARY_PARENT}
    return ctx.ledger.payments_of(me) | chosen
