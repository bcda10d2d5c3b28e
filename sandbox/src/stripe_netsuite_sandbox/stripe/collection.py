"""Collecting invoices: finalize, pay (by payment intent or out of band), void, uncollectible.

An invoice's life after its draft: the number and customer balance are fixed at
finalization, then payments are taken until nothing remains.
"""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import billing, errors, intents, params
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj


def finalize(sb: Sandbox, inv: Obj, *, attempt: bool = True) -> Obj:
    """`POST /v1/invoices/{id}/finalize`: number, balance applied, open (or paid at $0)."""
    if inv["status"] != "draft":
        raise errors.invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    billing.compute(sb, inv)
    billing.check_automatic_tax(sb, inv)
    cus = sb.need(inv["customer"], "customer")
    now = billing.time_for(sb, cus)
    seq = int(cus["next_invoice_sequence"])
    cus["next_invoice_sequence"] = seq + 1
    inv["number"] = f"{cus['invoice_prefix']}-{seq:04d}"
    balance = int(cus.get("balance") or 0)
    inv["starting_balance"] = balance
    delta, amount_due = billing.balance_application(int(inv["total"]), balance)
    if delta:
        billing.adjust_balance(
            sb,
            cus,
            delta,
            type="applied_to_invoice",
            currency_code=inv["currency"],
            invoice=inv["id"],
            emit=True,
        )
    inv["_applied_balance"] = delta
    inv["ending_balance"] = int(cus["balance"])
    inv["amount_due"] = amount_due
    inv["amount_remaining"] = inv["amount_due"] - inv["amount_paid"]
    inv["status"] = "open"
    inv["status_transitions"]["finalized_at"] = now
    inv["effective_at"] = now
    inv["automatically_finalizes_at"] = None
    inv["webhooks_delivered_at"] = now
    if inv["_days_until_due"] is not None and inv["collection_method"] == "send_invoice":
        inv["due_date"] = now + int(inv["_days_until_due"]) * billing.DAY
    token = inv["id"].removeprefix("in_")
    inv["hosted_invoice_url"] = f"https://invoice.stripe.com/i/sandbox/{token}"
    inv["invoice_pdf"] = f"https://pay.stripe.com/invoice/sandbox/{token}/pdf"
    sb.touch(cus)
    sb.touch(inv)
    sb.emit("invoice.finalized", inv)
    if inv["amount_remaining"] == 0:
        mark_paid(sb, inv)
    elif attempt and inv["auto_advance"] and inv["collection_method"] == "charge_automatically":
        try:
            pay(sb, inv, {})
        except errors.StripeError:
            pass  # the failure is recorded on the invoice and its events
    return inv


def auto_finalize(sb: Sandbox, moment: int) -> None:
    """Drafts with `auto_advance` are finalized (and collected) an hour after creation."""
    for inv in sb.store.all_of("invoice"):
        when = inv.get("automatically_finalizes_at")
        if inv["status"] == "draft" and inv["auto_advance"] and when and when <= moment:
            if inv.get("test_clock") or inv.get("_deleted"):
                continue
            with sb.at(when):
                finalize(sb, inv)


def mark_paid(sb: Sandbox, inv: Obj) -> None:
    """Nothing is left to pay: the invoice is paid and collection stops."""
    cus = sb.get(inv["customer"], "customer")
    inv["status"] = "paid"
    inv["status_transitions"]["paid_at"] = billing.time_for(sb, cus)
    inv["auto_advance"] = False
    inv["next_payment_attempt"] = None
    sb.touch(inv)
    sb.emit("invoice.paid", inv, {"status": "open"})
    sb.emit("invoice.payment_succeeded", inv)


def payment_method_for(sb: Sandbox, inv: Obj, q: params.Params) -> str | None:
    """The payment method an invoice payment uses, in Stripe's order of preference."""
    explicit = params.string(q, "payment_method") or params.string(q, "source")
    if explicit:
        return explicit
    if inv.get("default_payment_method"):
        return str(inv["default_payment_method"])
    sub = sb.get(inv.get("subscription"), "subscription")
    if sub is not None and sub.get("default_payment_method"):
        return str(sub["default_payment_method"])
    cus = sb.need(inv["customer"], "customer")
    return cus["invoice_settings"].get("default_payment_method") or cus.get("default_source")


def pay(sb: Sandbox, inv: Obj, q: params.Params) -> Obj:
    """`POST /v1/invoices/{id}/pay`: a payment intent + charge, or out of band."""
    if inv["status"] == "draft":
        finalize(sb, inv, attempt=False)
        if inv["status"] == "paid":
            return inv
    if inv["status"] not in {"open", "uncollectible"}:
        raise errors.invalid(f"Invoice is already {inv['status']}")
    if params.boolean(q, "paid_out_of_band"):
        inv["amount_paid"] += inv["amount_remaining"]
        inv["amount_remaining"] = 0
        mark_paid(sb, inv)
        return inv
    ref = payment_method_for(sb, inv, q)
    if not ref:
        raise errors.invalid(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
        )
    inv["attempted"] = True
    inv["attempt_count"] += 1
    cus = sb.need(inv["customer"], "customer")
    pi_params: dict[str, Any] = {
        "amount": inv["amount_remaining"],
        "currency": inv["currency"],
        "customer": inv["customer"],
        "description": f"Payment for Invoice {inv['number']}",
        "payment_method": ref,
        "off_session": "true" if params.boolean(q, "off_session") else "false",
    }
    with sb.at(billing.time_for(sb, cus), detached=bool(cus.get("test_clock"))):
        try:
            pi = intents.create(sb, pi_params)
            pi["_invoice"] = inv["id"]
            intents.confirm(sb, pi, {})
        except errors.StripeError as exc:
            _payment_failed(sb, inv, exc)
            raise
    if pi["status"] == "requires_action":
        _action_required(sb, inv, pi)
    if pi["status"] != "succeeded":
        return inv
    record_payment(sb, inv, pi)
    return inv


def _payment_failed(sb: Sandbox, inv: Obj, exc: errors.StripeError) -> None:
    inv["next_payment_attempt"] = None
    sb.touch(inv)
    sb.emit("invoice.payment_failed", inv)
    exc.extra.setdefault("invoice", inv["id"])


def _action_required(sb: Sandbox, inv: Obj, pi: Obj) -> None:
    sb.touch(inv)
    sb.emit("invoice.payment_action_required", inv)
    raise errors.StripeError(
        "This payment requires additional user action before it can be completed "
        "successfully. Payment can be completed using the PaymentIntent associated with the "
        "invoice.",
        status=402,
        type="card_error",
        code="invoice_payment_intent_requires_action",
        extra={"payment_intent": sb.render(pi)},
    )


def record_payment(sb: Sandbox, inv: Obj, pi: Obj) -> Obj:
    """An `invoice_payment` for a succeeded payment intent; the invoice is paid."""
    cus = sb.get(inv["customer"], "customer")
    now = billing.time_for(sb, cus)
    amount = int(pi["amount_received"])
    ip = sb.create(
        "invoice_payment",
        "inpay",
        amount_paid=amount,
        amount_requested=int(pi["amount"]),
        created=now,
        currency=pi["currency"],
        invoice=inv["id"],
        is_default=True,
        payment={"type": "payment_intent", "payment_intent": pi["id"]},
        status="paid",
        status_transitions={"canceled_at": None, "paid_at": now},
    )
    inv["amount_paid"] += amount
    inv["amount_remaining"] = max(0, inv["amount_due"] - inv["amount_paid"])
    sb.emit("invoice_payment.paid", ip)
    if inv["amount_remaining"] == 0:
        mark_paid(sb, inv)
    return ip


def void(sb: Sandbox, inv: Obj) -> Obj:
    """`POST /v1/invoices/{id}/void`: open or uncollectible only."""
    if inv["status"] not in {"open", "uncollectible"}:
        raise errors.invalid(f"You can only void open invoices; this invoice is {inv['status']}.")
    if inv["amount_paid"]:
        raise errors.invalid("You cannot void an invoice that has payments; refund them instead.")
    before = {"status": inv["status"]}
    applied = int(inv.get("_applied_balance") or 0)
    if applied:
        cus = sb.need(inv["customer"], "customer")
        billing.adjust_balance(
            sb,
            cus,
            -applied,
            type="unapplied_from_invoice",
            currency_code=inv["currency"],
            invoice=inv["id"],
        )
    inv["status"] = "void"
    inv["amount_remaining"] = 0
    inv["status_transitions"]["voided_at"] = billing.time_for(
        sb, sb.get(inv["customer"], "customer")
    )
    sb.touch(inv)
    sb.emit("invoice.voided", inv, before)
    return inv


def mark_uncollectible(sb: Sandbox, inv: Obj) -> Obj:
    """`POST /v1/invoices/{id}/mark_uncollectible`."""
    if inv["status"] != "open":
        raise errors.invalid(
            f"You can only mark open invoices as uncollectible; this invoice is {inv['status']}."
        )
    inv["status"] = "uncollectible"
    inv["status_transitions"]["marked_uncollectible_at"] = sb.now()
    sb.touch(inv)
    sb.emit("invoice.marked_uncollectible", inv, {"status": "open"})
    return inv


def send(sb: Sandbox, inv: Obj) -> Obj:
    """`POST /v1/invoices/{id}/send` (a draft is finalized first)."""
    if inv["status"] == "draft":
        finalize(sb, inv, attempt=False)
    if inv["status"] not in {"open", "paid"}:
        raise errors.invalid(f"You can only send open invoices; this invoice is {inv['status']}.")
    sb.emit("invoice.sent", inv)
    return inv


def payments(sb: Sandbox, inv: Obj) -> Obj:
    """`invoice.payments` (an includable list)."""
    items = [p for p in sb.store.all_of("invoice_payment") if p["invoice"] == inv["id"]]
    return sb.sublist(items, f"/v1/invoice_payments?invoice={inv['id']}")
