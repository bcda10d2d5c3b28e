"""Business rules applied to a record before it is saved, and the amounts derived from them.

``prepare`` completes and checks a full record body (defaults, totals, applications, deposits)
and raises ``NetSuiteError`` when NetSuite would refuse it. ``derive`` recomputes the fields
that other records move (amountRemaining, applied, status).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import applications, chart, deposits, errors
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
from stripe_netsuite_sandbox.netsuite.store import Body, Store

ITEM_LINE_TYPES = ("invoice", "creditMemo", "cashSale", "salesOrder", "cashRefund")
TRAN_PREFIX = {
    "invoice": "INV",
    "creditMemo": "CM",
    "cashSale": "CS",
    "salesOrder": "SO",
    "cashRefund": "CR",
    "customerPayment": "PYMT",
    "customerRefund": "RFND",
    "customerDeposit": "CDEP",
    "deposit": "DEP",
    "journalEntry": "JE",
}
_ITEM_TYPE_CODE = {
    "serviceSaleItem": "Service",
    "discountItem": "Discount",
    "inventoryItem": "InvtPart",
    "salesTaxItem": "TaxItem",
    "taxGroup": "TaxItem",
}
_ITEM_TYPES = (
    "serviceSaleItem",
    "discountItem",
    "nonInventorySaleItem",
    "inventoryItem",
    "otherChargeSaleItem",
    "salesTaxItem",
    "taxGroup",
)


def prepare(ctx: Context, rtype: str, body: Body) -> set[str]:
    """Complete and check *body* in place; returns ids of other transactions it moves."""
    if rtype == "customer":
        _customer(ctx, body)
    elif rtype in _ITEM_TYPES:
        if not body.get("itemId"):
            raise errors.missing("Item Name/Number")
        code = _ITEM_TYPE_CODE.get(rtype)
        if code and rtype != "salesTaxItem" and "itemType" not in body:
            body["itemType"] = {"id": code}
    if rtype in CUSTOMER_FIELD:
        _transaction_header(ctx, rtype, body)
    elif rtype in ("deposit", "journalEntry"):
        _default_header(rtype, body, ctx.today)
    touched: set[str] = set()
    if rtype in ITEM_LINE_TYPES:
        _item_lines(ctx, rtype, body)
    if rtype in APPLY_TARGETS:
        touched |= applications.check(ctx, rtype, body)
    if rtype in ("customerPayment", "customerDeposit"):
        applications.payment(ctx, body)
    elif rtype == "cashSale":
        applications.undeposited(ctx, body)
    elif rtype == "customerRefund":
        applications.refund(ctx, body)
    elif rtype == "deposit":
        touched |= deposits.check(ctx, body)
    elif rtype == "journalEntry":
        _journal(ctx, body)
    derive(ctx, rtype, body)
    return touched


def _customer(ctx: Context, body: Body) -> None:
    is_person = bool(body.get("isPerson"))
    body["isPerson"] = is_person
    if is_person:
        missing = [
            label
            for key, label in (("firstName", "First Name"), ("lastName", "Last Name"))
            if not body.get(key)
        ]
    else:
        missing = [] if body.get("companyName") else ["Company Name"]
    if ref_id(body, "subsidiary") is None:
        missing.append("Subsidiary")
    if missing:
        raise errors.missing(*missing)
    subsidiary = ctx.store.get("subsidiary", str(ref_id(body, "subsidiary")))
    if ref_id(body, "currency") is None and subsidiary is not None:
        body["currency"] = dict(subsidiary["currency"])
    if not body.get("entityId"):
        name = body.get("companyName") or f"{body.get('firstName')} {body.get('lastName')}"
        body["entityId"] = name
        body["autoName"] = True
    currency = ref_id(body, "currency")
    currency_lines = lines(body, "currencyList")
    if currency and all(ref_id(line, "currency") != currency for line in currency_lines):
        currency_lines.insert(0, {"currency": {"id": currency}})
    body["currencyList"] = {"items": currency_lines}


def customer_currencies(customer: Body) -> set[str]:
    found = {ref_id(line, "currency") for line in lines(customer, "currencyList")}
    found.add(ref_id(customer, "currency"))
    return {c for c in found if c}


def _default_header(rtype: str, body: Body, today: str) -> None:
    body.setdefault("tranDate", today)
    if body.get("tranDate") is None:
        body["tranDate"] = today
    if body.get("exchangeRate") is None:
        body["exchangeRate"] = Decimal(1)
    if not body.get("tranId"):
        body["tranId"] = f"{TRAN_PREFIX[rtype]}{body['id']}"


def _transaction_header(ctx: Context, rtype: str, body: Body) -> None:
    field_name = CUSTOMER_FIELD[rtype]
    customer_id = ref_id(body, field_name)
    if customer_id is None:
        raise errors.missing("Customer")
    customer = ctx.store.get("customer", customer_id)
    if customer is None:
        raise errors.invalid_value(customer_id, field_name, field_name)
    cust_sub = ref_id(customer, "subsidiary")
    sub = ref_id(body, "subsidiary")
    if sub is None:
        if cust_sub:
            body["subsidiary"] = {"id": cust_sub}
    elif cust_sub and sub != cust_sub:
        raise errors.NetSuiteError(
            400,
            "INVALID_CONTENT",
            f"Error while accessing a resource. Invalid subsidiary reference key {sub} for "
            f"entity {customer_id}: the customer belongs to subsidiary {cust_sub}.",
            "subsidiary",
        )
    currency = ref_id(body, "currency")
    allowed = customer_currencies(customer)
    if currency is None:
        currency = ref_id(customer, "currency") or chart.USD
        body["currency"] = {"id": currency}
    elif currency not in allowed:
        raise errors.NetSuiteError(
            400,
            "INVALID_CONTENT",
            f"Error while accessing a resource. Invalid currency reference key {currency} for "
            f"entity {customer_id}: add the currency to the customer's currency list "
            f"(allowed: {', '.join(sorted(allowed, key=int))}).",
            "currency",
        )
    _default_header(rtype, body, ctx.today)
    if rtype in ("invoice", "creditMemo", "customerPayment", "customerRefund"):
        if ref_id(body, "account" if rtype in ("invoice", "creditMemo") else "arAcct") is None:
            body["account" if rtype in ("invoice", "creditMemo") else "arAcct"] = {
                "id": chart.ACCOUNTS_RECEIVABLE
            }


def _item_lines(ctx: Context, rtype: str, body: Body) -> None:
    items = lines(body, "item")
    if not items:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    digits = precision(ctx.store, ref_id(body, "currency"))
    subtotal = tax = ZERO
    for i, line in enumerate(items):
        path = f"item.items[{i}]"
        item_id = ref_id(line, "item")
        if item_id is None:
            raise errors.user_error("Please enter value(s) for: Item.", f"{path}.item")
        item_type, item = _find_item(ctx.store, item_id)
        quantity = line.get("quantity")
        if quantity is None:
            quantity = Decimal(1)
            line["quantity"] = quantity
        rate, amount = line.get("rate"), line.get("amount")
        if amount is None:
            if rate is None:
                rate = item.get("rate") if item else None
                if not isinstance(rate, Decimal):
                    raise errors.user_error("Please enter value(s) for: Amount.", f"{path}.amount")
                line["rate"] = rate
            amount = quantity * rate
        elif rate is None and quantity:
            line["rate"] = amount / quantity
        line["amount"] = quantize(amount, digits)
        if isinstance(line.get("tax1Amt"), Decimal):
            line["tax1Amt"] = quantize(line["tax1Amt"], digits)
            tax += line["tax1Amt"]
        line["line"] = i + 1
        code = _ITEM_TYPE_CODE.get(item_type or "")
        if code and "itemType" not in line:
            line["itemType"] = {"id": code}
        if code == "TaxItem":
            tax += line["amount"]
        else:
            subtotal += line["amount"]
    body["item"] = {"items": items}
    body["subtotal"] = subtotal
    body["taxTotal"] = tax
    body["total"] = subtotal + tax
    if body["total"] < 0:
        raise errors.user_error(
            f"The total of this transaction cannot be negative ({body['total']}).", "item"
        )


def _find_item(store: Store, item_id: str) -> tuple[str | None, Body | None]:
    for rtype in _ITEM_TYPES:
        found = store.get(rtype, item_id)
        if found is not None:
            return rtype, found
    return None, None


def _journal(ctx: Context, body: Body) -> None:
    sub = ref_id(body, "subsidiary")
    if sub is None:
        raise errors.missing("Subsidiary")
    if ref_id(body, "currency") is None:
        subsidiary = ctx.store.get("subsidiary", sub) or {}
        body["currency"] = dict(subsidiary.get("currency") or {"id": chart.USD})
    digits = precision(ctx.store, ref_id(body, "currency"))
    journal_lines = lines(body, "line")
    if len(journal_lines) < 2:
        raise errors.user_error("A journal entry needs at least two lines.", "line")
    debits = credits = ZERO
    for i, line in enumerate(journal_lines):
        path = f"line.items[{i}]"
        if ref_id(line, "account") is None:
            raise errors.user_error("Please enter value(s) for: Account.", f"{path}.account")
        debit, credit = line.get("debit"), line.get("credit")
        if (debit is None) == (credit is None):
            raise errors.user_error("Enter either a debit or a credit on each line.", path)
        for key in ("debit", "credit"):
            if line.get(key) is not None:
                if line[key] < 0:
                    raise errors.invalid_value(line[key], key, f"{path}.{key}")
                line[key] = quantize(line[key], digits)
        debits += line.get("debit") or ZERO
        credits += line.get("credit") or ZERO
        line["line"] = i
    if debits != credits:
        raise errors.user_error(
            f"The total debits ({debits}) must equal the total credits ({credits}).", "line"
        )


def derive(ctx: Context, rtype: str, body: Body) -> None:
    """Recompute the amounts and status that other transactions move."""
    me = str(body["id"])
    if rtype == "invoice":
        applied = ctx.ledger.applied_to(me)
        total = _dec(body.get("total"))
        if applied > total:
            raise errors.user_error(
                f"The total ({total}) cannot be less than the amount already paid ({applied})."
            )
        body["amountPaid"] = applied
        body["amountRemaining"] = total - applied
        body["status"] = {"id": "B" if total - applied == 0 else "A"}
        if body.get("voided"):
            body["status"] = {"id": "V"}
    elif rtype in ("creditMemo", "customerPayment"):
        applied = _preview_applied(ctx, me, body)
        refunded = ctx.ledger.applied_to(me)
        unapplied = own_amount(rtype, body) - applied - refunded
        if unapplied < 0:
            raise errors.user_error(
                f"The amount ({own_amount(rtype, body)}) is less than what is already applied "
                f"and refunded ({applied + refunded})."
            )
        body["applied"] = applied
        body["unapplied"] = unapplied
        if rtype == "creditMemo":
            body["amountRemaining"] = unapplied
            body["status"] = {"id": "A" if unapplied > 0 else "B"}
        else:
            body["total"] = body.get("payment")
            deposited = me in ctx.ledger.deposited_in
            body["status"] = {"id": "C" if deposited else "B"}
    elif rtype == "customerDeposit":
        body["total"] = body.get("payment")
        body["status"] = {"id": "B" if me in ctx.ledger.deposited_in else "A"}
    elif rtype == "cashSale":
        body["status"] = {"id": "C" if me in ctx.ledger.deposited_in else "B"}


def _preview_applied(ctx: Context, me: str, body: Body) -> Decimal:
    return sum(
        (_dec(line.get("amount")) for line in lines(body, "apply") if line.get("apply", True)),
        ZERO,
    )


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else ZERO
