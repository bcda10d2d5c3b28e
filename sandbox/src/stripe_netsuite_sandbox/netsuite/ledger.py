"""Who applies how much to whom: the index behind amountRemaining, applied and deposits.

Appliers (customer payments, credit memos, customer refunds) carry ``apply`` lines that point at
targets (invoices; credit memos and payments for refunds). Deposits carry ``payment`` lines that
take undeposited payments. The index is rebuilt from the records on start and kept in step with
every write, so derived amounts never need a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import chart, dictionary
from stripe_netsuite_sandbox.netsuite.store import Body, Store

ZERO = Decimal(0)

APPLIERS = ("customerPayment", "creditMemo", "customerRefund")
#: Which targets each applier may apply to.
APPLY_TARGETS: dict[str, tuple[str, ...]] = {
    "customerPayment": ("invoice",),
    "creditMemo": ("invoice",),
    "customerRefund": ("creditMemo", "customerPayment"),
}
DEPOSITABLE = ("customerPayment", "cashSale", "customerDeposit")
#: The field naming the customer, by transaction type.
CUSTOMER_FIELD = {
    "invoice": "entity",
    "creditMemo": "entity",
    "cashSale": "entity",
    "salesOrder": "entity",
    "cashRefund": "entity",
    "customerPayment": "customer",
    "customerRefund": "customer",
    "customerDeposit": "customer",
}


@dataclass
class Context:
    """What the rules may read: the store, the ledger and the clock."""

    store: Store
    ledger: Ledger
    today: str


def ref_id(body: Body, field_name: str) -> str | None:
    value = body.get(field_name)
    if isinstance(value, dict) and value.get("id") is not None:
        return str(value["id"])
    return None


def lines(body: Body, sublist: str) -> list[Body]:
    value = body.get(sublist)
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return list(value["items"])
    return []


def precision(store: Store, currency_id: str | None) -> int:
    if currency_id is None:
        return 2
    record = store.get("currency", currency_id)
    if record is not None and isinstance(record.get("currencyPrecision"), int):
        return int(record["currencyPrecision"])
    return chart.PRECISION.get(currency_id, 2)


def quantize(amount: Decimal, digits: int) -> Decimal:
    """Round half up to the currency's precision, as NetSuite does."""
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


class Ledger:
    """Applications and deposits between transactions, indexed both ways."""

    def __init__(self) -> None:
        self.tx_types: dict[str, str] = {}
        self._to_target: dict[str, dict[str, Decimal]] = {}
        self._by_applier: dict[str, dict[str, Decimal]] = {}
        self.deposited_in: dict[str, str] = {}
        self._deposit_payments: dict[str, set[str]] = {}

    def rebuild(self, store: Store) -> None:
        for rtype in dictionary.TRANSACTION_TYPES:
            for body in store.all(rtype):
                self.record(rtype, body)

    def record(self, rtype: str, body: Body) -> None:
        """Index a saved transaction."""
        rid = str(body["id"])
        self.tx_types[rid] = rtype
        if rtype in APPLIERS:
            self.set_applications(rid, applications(body))
        if rtype == "deposit":
            self.set_deposit(rid, deposit_payment_ids(body))

    def forget(self, rtype: str, rid: str) -> None:
        self.tx_types.pop(rid, None)
        if rtype in APPLIERS:
            self.set_applications(rid, {})
        if rtype == "deposit":
            self.set_deposit(rid, set())

    def set_applications(self, applier: str, new: dict[str, Decimal]) -> set[str]:
        """Replace what *applier* applies; returns every target touched."""
        old = self._by_applier.pop(applier, {})
        for target in old:
            self._to_target.get(target, {}).pop(applier, None)
        if new:
            self._by_applier[applier] = dict(new)
            for target, amount in new.items():
                self._to_target.setdefault(target, {})[applier] = amount
        return set(old) | set(new)

    def applied_to(self, target: str, *, excluding: str | None = None) -> Decimal:
        return sum(
            (amt for src, amt in self._to_target.get(target, {}).items() if src != excluding),
            ZERO,
        )

    def applied_by(self, applier: str) -> Decimal:
        return sum(self._by_applier.get(applier, {}).values(), ZERO)

    def appliers_of(self, target: str) -> list[str]:
        return list(self._to_target.get(target, {}))

    def targets_of(self, applier: str) -> set[str]:
        return set(self._by_applier.get(applier, {}))

    def payments_of(self, deposit: str) -> set[str]:
        return set(self._deposit_payments.get(deposit, set()))

    def set_deposit(self, deposit: str, payments: set[str]) -> set[str]:
        old = self._deposit_payments.pop(deposit, set())
        for pid in old:
            if self.deposited_in.get(pid) == deposit:
                del self.deposited_in[pid]
        if payments:
            self._deposit_payments[deposit] = set(payments)
            for pid in payments:
                self.deposited_in[pid] = deposit
        return old | payments


def applications(body: Body) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines(body, "apply"):
        doc = ref_id(line, "doc")
        amount = line.get("amount")
        if doc and line.get("apply", True) and isinstance(amount, Decimal):
            out[doc] = out.get(doc, ZERO) + amount
    return out


def deposit_payment_ids(body: Body) -> set[str]:
    return {
        str(line["id"])
        for line in lines(body, "payment")
        if line.get("deposit", True) and line.get("id") is not None
    }


def own_amount(rtype: str, body: Body) -> Decimal:
    """What an applier has to give: a payment's amount, a credit memo's or refund's total."""
    key = "payment" if rtype in ("customerPayment", "customerDeposit") else "total"
    value: Any = body.get(key)
    return value if isinstance(value, Decimal) else ZERO
