"""Stripe dispute → cash out (refund), the dispute fee, and their reversal when won.

Stripe takes the disputed amount plus the fee from the balance in one balance
transaction (reporting category ``dispute``) and, when the dispute is won, gives back
the amount (and, where Stripe refunds it, the fee) in another (``dispute_reversal``).

* Funds withdrawn: a customer refund (``options.dispute_refund_record``), applied to a
  credit memo when the charge paid an invoice, else to the charge's payment — the same
  shape as a refund — or a cash refund. Both are paid from the Stripe clearing account.
* The fee: a journal entry, debit ``gl.dispute_fees``, credit the Stripe clearing
  account, in the settlement currency. A journal entry, not an item line, because the
  fee is Stripe's charge to the merchant and never the customer's: it must not touch the
  customer's balance or revenue.
* Funds reinstated: the mirror of the withdrawal. When the withdrawal credited the
  sale (a credit memo), an invoice books the same lines again (`map_reinstatement_invoice`)
  and the cash comes back as a customer payment applied to it; otherwise as a customer
  payment or a cash sale (``options.dispute_reversal_record``). The cash lands in
  undeposited funds, or in Stripe clearing when it settled in another currency (the
  payout's deposit clears it there); a returned fee is reversed by a journal entry the
  other way round.
* Inquiries (``warning_*``) move no money and post nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping import records, reversal
from stripe_netsuite.mapping import refund as refunds
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for, sublist

FEE_PREFIX = "fee"
FEE_REVERSAL_PREFIX = "feerev"
REVERSAL_PREFIX = "rev"
CREDIT_MEMO_PREFIX = "cm"
#: externalId prefix of the invoice that books a won dispute's sale again.
REINSTATEMENT_PREFIX = "reinv"


def dependencies(dispute: Mapping[str, Any]) -> list[Dependency]:
    """The disputed charge."""
    charge = tx.id_of(dispute.get("charge"))
    return [Dependency("charge", charge)] if charge else []


def stage(dispute: Mapping[str, Any]) -> str:
    """``inquiry``, ``open`` (no money moved yet), ``withdrawn`` or ``reinstated``."""
    if str(dispute.get("status", "")).startswith("warning_"):
        return "inquiry"
    if _bt(dispute, "dispute_reversal"):
        return "reinstated"
    if _bt(dispute, "dispute"):
        return "withdrawn"
    return "open"


def needs_credit_memo(dispute: Mapping[str, Any], ctx: MappingContext) -> bool:
    """Whether the withdrawal gets a credit memo (customer refunds of invoiced charges)."""
    return (
        stage(dispute) in ("withdrawn", "reinstated")
        and ctx.account.options.dispute_refund_record == "customerRefund"
        and bool(ctx.invoice_id)
        and not linked_id(dispute, "credit_memo")
    )


def map_dispute_credit_memo(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord:
    """The credit memo reversing the disputed part of the sale's lines, pro rata."""
    sid = _sid(dispute)
    currency = tx.currency_of(dispute, sid)
    withdrawal = _require_bt(dispute, "dispute", sid)
    return refunds.credit_memo(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(withdrawal, dispute),
        value=_disputed(dispute, sid),
        text=f"Dispute {sid} ({_text(dispute.get('reason')) or 'chargeback'})",
        source=dispute,
        balance_transaction=withdrawal,
        prefix=CREDIT_MEMO_PREFIX,
        sale=sale,
    )


def map_reinstatement_invoice(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord | None:
    """When a dispute whose withdrawal credited the sale is won: an invoice booking the
    same lines again (revenue, tax and receivable restored); None otherwise."""
    sid = _sid(dispute)
    reinstated = _bt(dispute, "dispute_reversal")
    if reinstated is None or not needs_credit_memo(dispute, ctx):
        return None
    currency = tx.currency_of(dispute, sid)
    return refunds.credit_memo(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(reinstated, dispute),
        value=_reinstated(dispute, reinstated, sid),
        text=f"Dispute {sid} won: sale reinstated",
        source=dispute,
        balance_transaction=reinstated,
        prefix=REINSTATEMENT_PREFIX,
        sale=sale,
        record_type="invoice",
        role="dispute_reinstatement",
    )


def map_dispute_refund(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord | None:
    """The cash withdrawn: a customer refund or a cash refund; None before withdrawal.

    A cash refund credits the sale's lines pro rata when *sale* is given.
    """
    sid = _sid(dispute)
    withdrawal = _bt(dispute, "dispute")
    if stage(dispute) == "inquiry" or withdrawal is None:
        return None
    currency = tx.currency_of(dispute, sid)
    value = _disputed(dispute, sid)
    when = _when(withdrawal, dispute)
    if ctx.account.options.dispute_refund_record == "cashRefund":
        return _cash_refund(
            dispute, ctx, sid=sid, currency=currency, value=value, when=when, sale=sale
        )
    target = linked_id(dispute, "credit_memo") or ctx.credit_memo_ids.get(sid)
    if not target:
        if needs_credit_memo(dispute, ctx):
            raise exceptions.MappingError(
                "the dispute's credit memo is not known; post it first",
                stripe_id=sid,
                missing=f"credit_memo_ids[{sid}]",
            )
        charge = tx.id_of(dispute.get("charge"))
        if not charge:
            raise exceptions.MappingError("the dispute names no charge", stripe_id=sid)
        target = ctx.lookup("payment_ids", charge, owner=sid)
    return refunds.customer_refund(
        ctx,
        sid=sid,
        currency=currency,
        when=when,
        value=value,
        apply_to=target,
        source=dispute,
        balance_transaction=withdrawal,
        memo=f"dispute: {_text(dispute.get('reason')) or 'chargeback'}",
    )


def map_dispute_fee(dispute: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """The dispute fee as a journal entry; None when no fee was taken."""
    sid = _sid(dispute)
    fees = _fees(dispute, "dispute")
    if not fees:
        return None
    currency, fee = fees
    return _fee_entry(dispute, ctx, sid=sid, currency=currency, fee=fee, reverse=False)


def map_dispute_reversal(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    apply_to: str | None = None,
    sale: Sequence[reversal.SaleLine] = (),
) -> list[NetSuiteRecord]:
    """When funds are reinstated: the cash reversal and, if Stripe returned it, the fee
    reversal. Empty before that.

    *apply_to* is the reinstatement invoice (`map_reinstatement_invoice`), which the
    customer payment then pays; the payment is left unapplied without one.
    """
    sid = _sid(dispute)
    reinstated = _bt(dispute, "dispute_reversal")
    if reinstated is None:
        return []
    currency = tx.currency_of(dispute, sid)
    value = _reinstated(dispute, reinstated, sid)
    when = _when(reinstated, dispute)
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=when,
        role_prefix=REVERSAL_PREFIX,
        entity_field=None,
        memo="dispute won: funds reinstated",
    )
    rate = tx.put_exchange_rate(body, ctx, reinstated, currency)
    summary = ctx.account.options.payout_posting == "summary"
    if (rate is not None or summary) and ctx.account.gl.stripe_clearing:
        # Settled in another currency, or paid out by a summary journal (which cannot mark
        # a payment deposited): like a payment, it waits in Stripe clearing, which the
        # payout's deposit or journal clears at Stripe's amount.
        body["undepFunds"] = False
        body["account"] = {"id": ctx.account.gl.stripe_clearing}
    else:
        body["undepFunds"] = True
    customer = ctx.require_customer(sid)
    if apply_to:
        body["customer"] = customer
        body["payment"] = value
        if ctx.account.gl.receivables:
            body["arAcct"] = {"id": ctx.account.gl.receivables}
        body["apply"] = sublist([tx.apply_line(apply_to, value)])
        record_type = "customerPayment"
    elif ctx.account.options.dispute_reversal_record == "cashSale":
        body["entity"] = customer
        body["item"] = sublist(
            _lines(dispute, ctx, sid=sid, currency=currency, value=value, sale=sale, won=True)
        )
        record_type = "cashSale"
    else:
        body["customer"] = customer
        body["payment"] = value
        record_type = "customerPayment"
    body.update(tx.body_fields(ctx, record_type, dispute))
    replace = ("apply",) if apply_to else ("item",) if record_type == "cashSale" else ()
    records = [
        NetSuiteRecord(
            record_type, body["externalId"], body, sid, "dispute_reversal", replace=replace
        )
    ]
    returned = _fees(dispute, "dispute_reversal")
    if returned:
        fee_currency, fee = returned
        records.append(
            _fee_entry(dispute, ctx, sid=sid, currency=fee_currency, fee=fee, reverse=True)
        )
    return records


def _cash_refund(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    value: Decimal,
    when: int,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord:
    body = tx.header(
        ctx, sid=sid, currency=currency, when=when, memo=f"dispute: {_text(dispute.get('reason'))}"
    )
    tx.put_exchange_rate(body, ctx, _bt(dispute, "dispute"), currency)
    if ctx.account.gl.stripe_clearing:
        body["account"] = {"id": ctx.account.gl.stripe_clearing}
    body["item"] = sublist(
        _lines(dispute, ctx, sid=sid, currency=currency, value=value, sale=sale, won=False)
    )
    body.update(tx.body_fields(ctx, "cashRefund", dispute))
    return NetSuiteRecord("cashRefund", body["externalId"], body, sid, "refund")


def _lines(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    value: Decimal,
    sale: Sequence[reversal.SaleLine],
    won: bool,
) -> list[dict[str, Any]]:
    """A cash refund's or cash sale's lines: the sale's pro rata, else the refund item."""
    text = f"Dispute {sid} won" if won else f"Dispute {sid}"
    if sale:
        return reversal.pro_rata(sale, value, currency=currency, sid=sid, text=text)
    item = refunds.refund_item(ctx, dispute, sid)
    return [tx.item_line(item, value, description=text)]


def _fee_entry(
    dispute: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    fee: Decimal,
    reverse: bool,
) -> NetSuiteRecord:
    gl = ctx.account.gl
    if not gl.dispute_fees or not gl.stripe_clearing:
        raise exceptions.MappingError(
            "a dispute fee needs gl.dispute_fees and gl.stripe_clearing",
            stripe_id=sid,
            missing="gl.dispute_fees" if not gl.dispute_fees else "gl.stripe_clearing",
        )
    prefix = FEE_REVERSAL_PREFIX if reverse else FEE_PREFIX
    bt = _bt(dispute, "dispute_reversal" if reverse else "dispute")
    text = f"Stripe dispute fee {'returned ' if reverse else ''}{sid}"
    body: dict[str, Any] = {"externalId": external_id_for(ctx.stripe_account_id, sid, prefix)}
    sub = ctx.subsidiary_ref()
    if sub:
        body["subsidiary"] = sub
    cur = ctx.currency_ref(currency, stripe_id=sid)
    if cur:
        body["currency"] = cur
    body["tranDate"] = records.tran_date(_when(bt or {}, dispute))
    body["memo"] = text
    expense = {"account": {"id": gl.dispute_fees}, "memo": text}
    clearing = {"account": {"id": gl.stripe_clearing}, "memo": text}
    if ctx.customer_id:
        expense["entity"] = {"id": ctx.customer_id}
    debit, credit = (clearing, expense) if reverse else (expense, clearing)
    body["line"] = sublist([{**debit, "debit": fee}, {**credit, "credit": fee}])
    role = "dispute_fee_reversal" if reverse else "dispute_fee"
    return NetSuiteRecord("journalEntry", body["externalId"], body, sid, role)


def _fees(dispute: Mapping[str, Any], category: str) -> tuple[str, Decimal] | None:
    """Currency and size of the fee taken (``dispute``) or returned (``dispute_reversal``)."""
    total = 0
    currency = ""
    for bt in _bts(dispute, category):
        fee = bt.get("fee")
        if isinstance(fee, int):
            # A returned fee shows as a negative fee on the reinstatement.
            total += fee if category == "dispute" else -fee
            currency = str(bt.get("currency", "")).lower()
    if total <= 0 or not currency:
        return None
    return currency, money.to_decimal(total, currency)


def _bts(dispute: Mapping[str, Any], category: str) -> list[Mapping[str, Any]]:
    found = []
    for bt in dispute.get("balance_transactions") or []:
        if not isinstance(bt, Mapping):
            continue
        cat = bt.get("reporting_category")
        if cat is None:
            # Older payloads: the withdrawal is negative, the reinstatement positive.
            amount = bt.get("amount", 0)
            cat = "dispute" if isinstance(amount, int) and amount < 0 else "dispute_reversal"
        if cat == category:
            found.append(bt)
    return found


def balance_transaction(dispute: Mapping[str, Any], category: str) -> Mapping[str, Any] | None:
    """The dispute's withdrawal (``dispute``) or reinstatement (``dispute_reversal``)."""
    return _bt(dispute, category)


def _bt(dispute: Mapping[str, Any], category: str) -> Mapping[str, Any] | None:
    found = _bts(dispute, category)
    return found[0] if found else None


def _require_bt(dispute: Mapping[str, Any], category: str, sid: str) -> Mapping[str, Any]:
    bt = _bt(dispute, category)
    if bt is None:
        raise exceptions.MappingError(
            f"the dispute has no {category} balance transaction", stripe_id=sid
        )
    return bt


def _reinstated(dispute: Mapping[str, Any], bt: Mapping[str, Any], sid: str) -> Decimal:
    """What came back: the reinstatement's own amount when it settled in the dispute's
    currency; else the disputed amount (the balance transaction is in another currency)."""
    currency = tx.currency_of(dispute, sid)
    amount = bt.get("amount")
    if str(bt.get("currency", "")).lower() == currency and isinstance(amount, int):
        return tx.amount(amount, currency, where="dispute reinstatement amount")
    return _disputed(dispute, sid)


def _disputed(dispute: Mapping[str, Any], sid: str) -> Decimal:
    return tx.amount(dispute.get("amount"), tx.currency_of(dispute, sid), where="dispute.amount")


def _when(bt: Mapping[str, Any], dispute: Mapping[str, Any]) -> int:
    for value in (bt.get("created"), dispute.get("created")):
        if isinstance(value, int):
            return value
    raise exceptions.MappingError("the dispute has no date", stripe_id=str(dispute.get("id")))


def _sid(dispute: Mapping[str, Any]) -> str:
    return tx.stripe_id(dispute, "dispute", ("dp_", "du_"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
