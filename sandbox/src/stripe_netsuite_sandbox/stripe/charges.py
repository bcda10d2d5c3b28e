"""Charges and refunds, with their balance transactions and fees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.stripe import currency, errors, ledger, methods, params, shapes
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

DECLINES: dict[str, tuple[str, str]] = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "fraudulent": ("card_declined", "Your card was declined."),
    "expired_card": ("expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": ("processing_error", "An error occurred while processing your card."),
    "lost_card": ("card_declined", "Your card was declined."),
    "stolen_card": ("card_declined", "Your card was declined."),
}


def behaviour(pm: Obj) -> str:
    """How the sandbox treats a charge on *pm*."""
    return str(pm.get("_behaviour", "ok"))


def declines(pm: Obj) -> str | None:
    """The decline code if charging *pm* fails, else None."""
    what = behaviour(pm)
    if what == "customer_fail" or what == "sepa_fail":
        return "generic_decline"
    if what.startswith("decline:"):
        return what.split(":", 1)[1]
    return None


def _details(pm: Obj, amount: int) -> dict[str, Any]:
    if pm.get("type") == "sepa_debit":
        return {"sepa_debit": dict(pm["sepa_debit"]), "type": "sepa_debit"}
    if pm.get("type") == "customer_balance":
        return {"customer_balance": {}, "type": "customer_balance"}
    card = shapes.nested("charge", "payment_method_details")["card"]
    card.update({k: v for k, v in methods.card_details(pm).items() if k in card})
    card["amount_authorized"] = amount
    card["network"] = card.get("brand")
    card["overcapture"] = {"maximum_amount_capturable": amount, "status": "unavailable"}
    card["wallet"] = None
    card["three_d_secure"] = None
    return {"card": card, "type": "card"}


def new_charge(
    sb: Sandbox,
    *,
    amount: int,
    currency_code: str,
    pm: Obj,
    customer: str | None,
    payment_intent: str | None,
    description: str | None,
    metadata: dict[str, Any] | None = None,
    failed: str | None = None,
    pending: bool = False,
) -> Obj:
    """A charge object (no money moves yet)."""
    billing = pm.get("billing_details") or shapes.nested("charge", "billing_details")
    outcome = {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }
    ch = sb.create(
        "charge",
        "ch",
        amount=amount,
        amount_captured=0,
        amount_refunded=0,
        billing_details=billing,
        calculated_statement_descriptor="SANDBOX",
        captured=False,
        currency=currency_code,
        customer=customer,
        description=description,
        disputed=False,
        fraud_details={},
        metadata=dict(metadata or {}),
        outcome=outcome,
        paid=failed is None,
        payment_intent=payment_intent,
        payment_method=pm["id"],
        payment_method_details=_details(pm, amount),
        receipt_url=None,
        refunded=False,
        shipping=None,
        status="pending" if pending else ("failed" if failed else "succeeded"),
        transfer_data=None,
        source=None,
        _behaviour=behaviour(pm),
        _user_refunded=0,
    )
    ch["receipt_url"] = f"https://pay.stripe.com/receipts/sandbox/{ch['id']}"
    if failed:
        code, message = DECLINES.get(failed, ("card_declined", "Your card was declined."))
        ch["failure_code"] = code
        ch["failure_message"] = message
        ch["outcome"].update(
            {
                "network_status": "declined_by_network",
                "reason": failed,
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            }
        )
    return ch


def capture(sb: Sandbox, ch: Obj, amount: int | None = None) -> Obj:
    """Capture *ch* (fully or partially): the charge BT, and a reversal for the remainder."""
    if ch["captured"]:
        raise errors.invalid(
            f"Charge {ch['id']} has already been captured.", code="charge_already_captured"
        )
    take = ch["amount"] if amount is None else amount
    if take <= 0 or take > ch["amount"]:
        raise errors.invalid(
            f"The amount to capture must be between 1 and {ch['amount']}.",
            param="amount_to_capture",
        )
    settle = sb.settlement_currency(ch["currency"])
    settled_taken, _ = currency.convert(take, ch["currency"], settle)
    bypass = ch["_behaviour"] == "bypass"
    bt = ledger.record(
        sb,
        amount=ch["amount"],
        currency_code=ch["currency"],
        type="charge" if ch["payment_method_details"]["type"] == "card" else "payment",
        category="charge",
        source=ch["id"],
        description=ch.get("description"),
        fee_details=ledger.charge_fee(sb, settled_taken, settle),
        available_on=None if bypass else ledger.midnight_after(sb.now(), ledger.CARD_DELAY_DAYS),
    )
    ch.update(captured=True, amount_captured=take, balance_transaction=bt["id"])
    if take < ch["amount"]:
        rest = ch["amount"] - take
        re = sb.create(
            "refund",
            "re",
            amount=rest,
            charge=ch["id"],
            currency=ch["currency"],
            payment_intent=ch["payment_intent"],
            status="succeeded",
            reason=None,
            customer=ch["customer"],
            payment_method=ch["payment_method"],
            destination_details={"card": {"type": "reversal"}, "type": "card"},
        )
        rbt = ledger.record(
            sb,
            amount=-rest,
            currency_code=ch["currency"],
            type="refund",
            category="partial_capture_reversal",
            source=re["id"],
            description="Partial capture reversal",
        )
        re["balance_transaction"] = rbt["id"]
        ch["amount_refunded"] = rest
    sb.touch(ch)
    if bypass:
        sb.emit("balance.available", ledger.balance(sb))
    return ch


def refunds_of(sb: Sandbox, ch: Obj) -> list[Obj]:
    """Refunds of *ch*, oldest first."""
    return [r for r in sb.store.all_of("refund") if r["charge"] == ch["id"]]


def refundable(ch: Obj) -> int:
    """What may still be refunded on *ch*."""
    return int(ch["amount_captured"]) - int(ch["_user_refunded"])


def create_refund(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/refunds`: a refund of a charge or payment intent."""
    charge_id = params.string(q, "charge")
    pi_id = params.string(q, "payment_intent")
    if not charge_id and not pi_id:
        raise errors.invalid(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    if pi_id:
        pi = sb.need(pi_id, "payment_intent", param="payment_intent", kind="payment_intent")
        charge_id = pi.get("latest_charge")
        if not charge_id or pi["status"] != "succeeded":
            raise errors.invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
    ch = sb.need(charge_id, "charge", param="charge")
    amount = params.integer(q, "amount")
    return refund_charge(
        sb,
        ch,
        amount,
        reason=params.string(q, "reason"),
        metadata=params.mapping(q, "metadata"),
    )


def refund_charge(
    sb: Sandbox,
    ch: Obj,
    amount: int | None,
    *,
    reason: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Obj:
    """Refund *amount* (default: everything left) of *ch*."""
    if ch["status"] != "succeeded" or not ch["captured"]:
        raise errors.invalid(
            f"Charge {ch['id']} has not been captured and cannot be refunded.",
            code="charge_not_refundable",
        )
    if ch.get("_dispute_withdrawn"):
        raise errors.invalid(
            f"Charge {ch['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
        )
    left = refundable(ch)
    take = left if amount is None else amount
    if take <= 0:
        raise errors.invalid(
            f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded"
        )
    if take > left:
        cur = ch["currency"]
        raise errors.invalid(
            f"Refund amount ({_shown(take, cur)}) is greater than unrefunded amount on charge "
            f"({_shown(left, cur)})",
            param="amount",
        )
    if ch["currency"] in currency.THREE_DECIMAL and take % 10:
        raise errors.invalid(
            f"Invalid amount: {ch['currency'].upper()} refunds must have 0 as their last digit, "
            f"got {take}.",
            param="amount",
            code="amount_invalid",
        )
    if reason and reason not in {"duplicate", "fraudulent", "requested_by_customer"}:
        raise errors.invalid(f"Invalid reason: {reason}", param="reason")
    before = sb.snapshot(ch, ["amount_refunded", "refunded"])
    re = sb.create(
        "refund",
        "re",
        amount=take,
        charge=ch["id"],
        currency=ch["currency"],
        payment_intent=ch["payment_intent"],
        status="succeeded",
        reason=reason,
        customer=ch["customer"],
        payment_method=ch["payment_method"],
        metadata={str(k): str(v) for k, v in (metadata or {}).items() if v != ""},
        destination_details={
            "card": {"type": "refund", "reference_status": "available"},
            "type": "card",
        },
    )
    bt = ledger.record(
        sb,
        amount=-take,
        currency_code=ch["currency"],
        type="refund" if ch["payment_method_details"]["type"] == "card" else "payment_refund",
        category="refund",
        source=re["id"],
        description="REFUND FOR CHARGE" + (f" ({ch['description']})" if ch["description"] else ""),
    )
    re["balance_transaction"] = bt["id"]
    ch["_user_refunded"] += take
    ch["amount_refunded"] += take
    ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
    sb.touch(ch)
    sb.emit("refund.created", re)
    sb.emit("charge.refunded", ch, {k: v for k, v in before.items() if ch.get(k) != v})
    if ch["_behaviour"] == "refund_fail":
        # As in test mode: the refund succeeds, and fails some time later.
        re["_fails_at"] = sb.now() + REFUND_FAILS_AFTER
    return re


#: How long after it succeeded a refund to a failing card fails (seconds).
REFUND_FAILS_AFTER = 3600


def fail_due_refunds(sb: Sandbox, moment: int) -> None:
    """Refunds to a failing card whose time has come fail (run as the clock moves)."""
    for re in sb.store.all_of("refund"):
        at = re.get("_fails_at")
        if at is None or at > moment or re["status"] != "succeeded":
            continue
        re["_fails_at"] = None
        with sb.at(at):
            fail_refund(sb, re, sb.need(re["charge"], "charge"))


def fail_refund(sb: Sandbox, re: Obj, ch: Obj) -> None:
    """A refund fails after the fact: a `refund_failure` BT returns the money."""
    fbt = ledger.record(
        sb,
        amount=int(re["amount"]),
        currency_code=re["currency"],
        type="refund_failure",
        category="refund_failure",
        source=re["id"],
        description="REFUND FAILURE",
    )
    re.update(
        status="failed",
        failure_balance_transaction=fbt["id"],
        failure_reason="expired_or_canceled_card",
    )
    ch["_user_refunded"] -= re["amount"]
    ch["amount_refunded"] -= re["amount"]
    ch["refunded"] = False
    sb.touch(ch)
    sb.emit("refund.failed", re, {"status": "succeeded"})
    sb.emit("refund.updated", re, {"status": "succeeded"})
    sb.emit("charge.refund.updated", re, {"status": "succeeded"})


def update_refund(sb: Sandbox, re: Obj, q: params.Params) -> Obj:
    """`POST /v1/refunds/{id}`: metadata only."""
    before = sb.snapshot(re, ["metadata"])
    params.apply_metadata(re, q)
    sb.touch(re)
    sb.update_event("refund.updated", re, before)
    sb.update_event("charge.refund.updated", re, before)
    return re


def cancel_refund(sb: Sandbox, re: Obj) -> Obj:
    """`POST /v1/refunds/{id}/cancel`: only refunds that require action."""
    if re["status"] != "requires_action":
        raise errors.invalid(
            f"Refund {re['id']} cannot be canceled because it has a status of {re['status']}. "
            "Only refunds with a status of requires_action can be canceled."
        )
    return re


def _shown(amount: int, cur: str) -> str:
    value = Decimal(amount).scaleb(-currency.exponent(cur))
    return f"{value} {cur.upper()}" if cur != "usd" else f"${value}"


def refunds_list(sb: Sandbox, ch: Obj) -> Obj:
    """`charge.refunds` as an embedded list."""
    items = list(reversed(refunds_of(sb, ch)))
    return sb.sublist(items, f"/v1/charges/{ch['id']}/refunds")
