"""Balance transactions, the balance, and payouts (automatic sweeps, manual, failed)."""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import currency, errors, filters, params
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

DAY = 86400
#: Card funds become available two days after the charge, at midnight UTC.
CARD_DELAY_DAYS = 2


def midnight_after(moment: int, days: int) -> int:
    """Midnight UTC *days* days after the day of *moment*."""
    return (moment // DAY + days) * DAY


def record(
    sb: Sandbox,
    *,
    amount: int,
    currency_code: str,
    type: str,
    category: str,
    source: str,
    description: str | None = None,
    fee_details: list[dict[str, Any]] | None = None,
    available_on: int | None = None,
) -> Obj:
    """A balance transaction in the account's currency for *amount* of *currency_code*."""
    settle = sb.settlement_currency(currency_code)
    settled, rate = currency.convert(amount, currency_code, settle)
    fees = fee_details or []
    fee = sum(int(f["amount"]) for f in fees)
    now = sb.now()
    when = now if available_on is None else available_on
    return sb.create(
        "balance_transaction",
        "txn",
        amount=settled,
        available_on=when,
        currency=settle,
        description=description,
        exchange_rate=float(rate) if rate is not None else None,
        fee=fee,
        fee_details=fees,
        net=settled - fee,
        reporting_category=category,
        source=source,
        status="available" if when <= now else "pending",
        type=type,
        balance_type="payments",
        _payout=None,
    )


def stripe_fee(amount: int, description: str = "Stripe processing fees") -> dict[str, Any]:
    """A `fee_details` entry of type `stripe_fee` in the account currency."""
    return {
        "amount": amount,
        "application": None,
        "currency": None,
        "description": description,
        "type": "stripe_fee",
    }


def fee_entry(
    sb: Sandbox, amount: int, description: str, settle: str | None = None
) -> dict[str, Any]:
    """A `stripe_fee` entry in the settlement currency (the account's by default)."""
    entry = stripe_fee(amount, description)
    entry["currency"] = settle or sb.default_currency
    return entry


def charge_fee(sb: Sandbox, settled_amount: int, settle: str | None = None) -> list[dict[str, Any]]:
    """Card processing fee details for an amount settled in *settle*."""
    code = settle or sb.default_currency
    fee = currency.card_fee(settled_amount, code)
    return [fee_entry(sb, fee, "Stripe processing fees", code)] if fee else []


def release_due(sb: Sandbox, moment: int) -> list[Obj]:
    """Pending balance transactions whose `available_on` has passed become available."""
    released = []
    for bt in sb.store.all_of("balance_transaction"):
        if bt["status"] == "pending" and bt["available_on"] <= moment:
            bt["status"] = "available"
            sb.touch(bt)
            released.append(bt)
    if released:
        with sb.at(moment):
            sb.emit("balance.available", balance(sb))
    return released


def balance(sb: Sandbox) -> Obj:
    """The `balance` object computed from balance transactions."""
    avail: dict[str, int] = {}
    pending: dict[str, int] = {}
    for bt in sb.store.all_of("balance_transaction"):
        target = avail if bt["status"] == "available" else pending
        target[bt["currency"]] = target.get(bt["currency"], 0) + int(bt["net"])
    currencies = sorted(set(avail) | set(pending) | {sb.default_currency})

    def rows(src: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {"amount": src.get(c, 0), "currency": c, "source_types": {"card": src.get(c, 0)}}
            for c in currencies
        ]

    return {
        "object": "balance",
        "available": rows(avail),
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
        "pending": rows(pending),
        "id": "balance",
    }


def available(sb: Sandbox, currency_code: str) -> int:
    """Available balance in *currency_code*."""
    return sum(
        int(bt["net"])
        for bt in sb.store.all_of("balance_transaction")
        if bt["currency"] == currency_code and bt["status"] == "available"
    )


def _new_payout(
    sb: Sandbox, *, amount: int, currency_code: str, automatic: bool, description: str | None
) -> Obj:
    po = sb.create(
        "payout",
        "po",
        amount=amount,
        arrival_date=midnight_after(sb.now(), 1),
        automatic=automatic,
        currency=currency_code,
        description=description or "STRIPE PAYOUT",
        destination=f"ba_{sb.account_id.removeprefix('acct_')}",
        method="standard",
        reconciliation_status="in_progress" if automatic else "not_applicable",
        source_type="card",
        status="pending",
        type="bank_account",
        trace_id={"status": "pending", "value": None},
    )
    bt = record(
        sb,
        amount=-amount,
        currency_code=currency_code,
        type="payout",
        category="payout",
        source=po["id"],
        description=po["description"],
    )
    bt["_payout"] = po["id"] if automatic else None
    po["balance_transaction"] = bt["id"]
    return po


def sweep(sb: Sandbox, currency_code: str) -> Obj | None:
    """An automatic payout of everything available and not yet paid out, marked paid."""
    swept = [
        bt
        for bt in sb.store.all_of("balance_transaction")
        if bt["currency"] == currency_code and bt["status"] == "available" and not bt["_payout"]
    ]
    amount = sum(int(bt["net"]) for bt in swept)
    if amount <= 0:
        return None
    po = _new_payout(
        sb, amount=amount, currency_code=currency_code, automatic=True, description=None
    )
    for bt in swept:
        bt["_payout"] = po["id"]
        sb.touch(bt)
    sb.emit("payout.created", po)
    mark_paid(sb, po)
    return po


def mark_paid(sb: Sandbox, po: Obj) -> None:
    """Move a payout to `paid` (and, when automatic, reconciliation to `completed`)."""
    before = sb.snapshot(po, ["status", "arrival_date", "reconciliation_status", "trace_id"])
    po["status"] = "paid"
    po["arrival_date"] = min(po["arrival_date"], sb.now())
    po["trace_id"] = {"status": "supported", "value": f"TRACE{po['id'][-10:].upper()}"}
    sb.touch(po)
    sb.emit("payout.paid", po, {k: v for k, v in before.items() if po.get(k) != v})
    if po["automatic"]:
        po["reconciliation_status"] = "completed"
        sb.emit("payout.reconciliation_completed", po)


def automatic_payouts(sb: Sandbox, moment: int) -> list[Obj]:
    """The daily automatic payouts at *moment* (midnight UTC), one per currency."""
    made = []
    with sb.at(moment):
        currencies = {bt["currency"] for bt in sb.store.all_of("balance_transaction")}
        for cur in sorted(currencies):
            po = sweep(sb, cur)
            if po is not None:
                made.append(po)
    return made


def settle_manual(sb: Sandbox, moment: int) -> None:
    """Manual payouts whose arrival date has passed are paid."""
    for po in sb.store.all_of("payout"):
        if po["status"] in {"pending", "in_transit"} and po["arrival_date"] <= moment:
            with sb.at(max(po["arrival_date"], po["created"])):
                mark_paid(sb, po)


def create_payout(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/payouts`: a manual payout from the available balance."""
    amount = params.integer(q, "amount", required=True)
    cur = currency.check_known(params.currency(q, required=True) or "")
    assert amount is not None
    currency.check_payout_amount(amount, cur)
    if cur != sb.settlement_currency(cur):
        raise errors.invalid(
            f"You do not have a balance in {cur}; payouts must be in {sb.default_currency}.",
            param="currency",
        )
    if available(sb, cur) < amount:
        raise errors.invalid(
            "You have insufficient funds in your Stripe account for this transfer. "
            "Your card balance is too low.",
            code="balance_insufficient",
        )
    po = _new_payout(
        sb,
        amount=amount,
        currency_code=cur,
        automatic=False,
        description=params.string(q, "description"),
    )
    po["statement_descriptor"] = params.string(q, "statement_descriptor")
    po["method"] = params.string(q, "method") or "standard"
    if po["method"] == "instant":
        po["arrival_date"] = sb.now()
    params.apply_metadata(po, q)
    sb.emit("payout.created", po)
    return po


def fail_payout(sb: Sandbox, po: Obj, code: str = "account_closed") -> Obj:
    """A payout fails: a `payout_failure` balance transaction returns the funds."""
    if po["status"] in {"failed", "canceled"}:
        raise errors.invalid(f"Payout {po['id']} is already {po['status']}.")
    before = sb.snapshot(po, ["status", "failure_code", "failure_message"])
    bt = record(
        sb,
        amount=int(po["amount"]),
        currency_code=po["currency"],
        type="payout_failure",
        category="payout_reversal",
        source=po["id"],
        description="Payout failure",
    )
    po["status"] = "failed"
    po["failure_code"] = code
    po["failure_message"] = "The bank account has been closed."
    po["failure_balance_transaction"] = bt["id"]
    sb.touch(po)
    sb.emit("payout.failed", po, before)
    return po


def cancel_payout(sb: Sandbox, po: Obj) -> Obj:
    """`POST /v1/payouts/{id}/cancel`: only pending payouts."""
    if po["status"] != "pending":
        raise errors.invalid(f"Payouts can only be canceled while pending; it is {po['status']}.")
    bt = record(
        sb,
        amount=int(po["amount"]),
        currency_code=po["currency"],
        type="payout_cancel",
        category="payout_reversal",
        source=po["id"],
        description="Payout cancellation",
    )
    po["status"] = "canceled"
    po["reversed_by"] = None
    po["failure_balance_transaction"] = bt["id"]
    sb.touch(po)
    sb.emit("payout.canceled", po, {"status": "pending"})
    return po


def list_balance_transactions(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Balance transactions filtered like Stripe's list endpoint."""
    payout_id = params.string(q, "payout")
    preds = [filters.equal(q, "type", "source", "currency"), filters.range_filter(q, "created")]
    if payout_id:
        po = sb.need(payout_id, "payout", param="payout")
        if not po["automatic"]:
            raise errors.invalid(
                "Balance transaction history can only be filtered on automatic transfers, "
                "not manual.",
                param="payout",
            )
        preds.append(lambda bt: bt.get("_payout") == payout_id)
    return filters.apply(sb.store.all_of("balance_transaction"), *preds)
