"""Payment intents: confirm, capture, cancel, the test-card outcomes, cash-balance funding."""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import (
    charges,
    currency,
    disputes,
    errors,
    filters,
    methods,
    params,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

_UPDATABLE = ("description", "receipt_email", "statement_descriptor", "setup_future_usage")


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/payment_intents`."""
    amount = params.integer(q, "amount", required=True)
    cur = currency.check_known(params.currency(q, required=True) or "")
    assert amount is not None
    currency.check_charge_amount(amount, cur)
    customer = params.string(q, "customer")
    if customer:
        sb.need(customer, "customer", param="customer")
    capture_method = params.string(q, "capture_method") or "automatic"
    if capture_method not in {"automatic", "automatic_async", "manual"}:
        raise errors.invalid(f"Invalid capture_method: {capture_method}", param="capture_method")
    types = [str(t) for t in params.array(q, "payment_method_types")] or ["card"]
    pi = sb.create(
        "payment_intent",
        "pi",
        amount=amount,
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=0,
        automatic_payment_methods=_automatic(q),
        capture_method=capture_method,
        confirmation_method=params.string(q, "confirmation_method") or "automatic",
        currency=cur,
        customer=customer,
        description=params.string(q, "description"),
        payment_method_options=params.mapping(q, "payment_method_options"),
        payment_method_types=types,
        receipt_email=params.string(q, "receipt_email"),
        setup_future_usage=params.string(q, "setup_future_usage"),
        shipping=params.mapping(q, "shipping") or None,
        statement_descriptor=params.string(q, "statement_descriptor"),
        status="requires_payment_method",
        _off_session=params.boolean(q, "off_session"),
        _invoice=None,
    )
    pi["client_secret"] = f"{pi['id']}_secret_{sb.token()}"
    params.apply_metadata(pi, q)
    _set_method(sb, pi, q)
    sb.emit("payment_intent.created", pi)
    if params.boolean(q, "confirm"):
        confirm(sb, pi, {})
    return pi


def _automatic(q: params.Params) -> dict[str, Any] | None:
    spec = params.mapping(q, "automatic_payment_methods")
    if not spec:
        return None
    out: dict[str, Any] = {"enabled": params.boolean(spec, "enabled")}
    if spec.get("allow_redirects"):
        out["allow_redirects"] = str(spec["allow_redirects"])
    return out


def _set_method(sb: Sandbox, pi: Obj, q: params.Params) -> None:
    ref = params.string(q, "payment_method")
    data = params.mapping(q, "payment_method_data")
    pm: Obj | None = None
    if ref:
        pm = methods.resolve(sb, ref)
    elif data:
        kind = str(data.get("type", ""))
        pm = (
            methods.customer_balance_pm(sb)
            if kind == "customer_balance"
            else methods.create(sb, data)
        )
    if pm is not None:
        if pm.get("customer") and pi.get("customer") and pm["customer"] != pi["customer"]:
            raise errors.invalid(
                "The provided PaymentMethod belongs to another Customer.", param="payment_method"
            )
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"


def update(sb: Sandbox, pi: Obj, q: params.Params) -> Obj:
    """`POST /v1/payment_intents/{id}`."""
    if "amount" in q:
        if pi["status"] not in {"requires_payment_method", "requires_confirmation"}:
            raise errors.invalid(
                f"This PaymentIntent's amount could not be updated because it has a status of "
                f"{pi['status']}.",
                param="amount",
                code="payment_intent_unexpected_state",
            )
        amount = params.integer(q, "amount")
        assert amount is not None
        currency.check_charge_amount(amount, pi["currency"])
        pi["amount"] = amount
    for key in _UPDATABLE:
        if key in q:
            pi[key] = params.string(q, key)
    params.apply_metadata(pi, q)
    _set_method(sb, pi, q)
    sb.touch(pi)
    return pi


def _fail(sb: Sandbox, pi: Obj, pm: Obj, decline: str) -> None:
    ch = charges.new_charge(
        sb,
        amount=pi["amount"],
        currency_code=pi["currency"],
        pm=pm,
        customer=pi["customer"],
        payment_intent=pi["id"],
        description=pi["description"],
        failed=decline,
    )
    code, message = charges.DECLINES.get(decline, ("card_declined", "Your card was declined."))
    pi["latest_charge"] = ch["id"]
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = {
        "charge": ch["id"],
        "code": code,
        "decline_code": decline,
        "message": message,
        "payment_method": sb.render(pm),
        "type": "card_error",
        "doc_url": f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}",
    }
    sb.touch(pi)
    sb.emit("charge.failed", ch)
    sb.emit("payment_intent.payment_failed", pi)
    raise errors.card_declined(
        message,
        code=code,
        decline_code=decline,
        extra={
            "charge": ch["id"],
            "payment_intent": sb.render(pi),
            "payment_method": sb.render(pm),
        },
    )


def confirm(sb: Sandbox, pi: Obj, q: params.Params) -> Obj:
    """`POST /v1/payment_intents/{id}/confirm`: run the payment method's test outcome."""
    if pi["status"] not in {"requires_payment_method", "requires_confirmation", "requires_action"}:
        raise errors.invalid(
            f"This PaymentIntent's payment_method could not be updated because it has a status "
            f"of {pi['status']}. You may only update the payment_method of a PaymentIntent with "
            "one of the following statuses: requires_payment_method, requires_confirmation, "
            "requires_action.",
            code="payment_intent_unexpected_state",
        )
    _set_method(sb, pi, q)
    if params.has(q, "off_session"):
        pi["_off_session"] = params.boolean(q, "off_session")
    pm = sb.get(pi.get("payment_method"), ("payment_method", "card"))
    if pm is None:
        raise errors.invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "To confirm the PaymentIntent with a payment method, pass payment_method.",
            code="payment_intent_unexpected_state",
        )
    pi["last_payment_error"] = None
    what = charges.behaviour(pm)
    decline = charges.declines(pm)
    if decline and pm.get("type") != "sepa_debit":
        _fail(sb, pi, pm, decline)
    if what == "auth" and pi["status"] != "requires_action":
        if pi["_off_session"]:
            pi["status"] = "requires_payment_method"
            raise errors.card_declined(
                "Your card was declined. This transaction requires authentication.",
                code="authentication_required",
                decline_code="authentication_required",
                extra={"payment_intent": sb.render(pi)},
            )
        pi["status"] = "requires_action"
        pi["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": "https://hooks.stripe.com/3d_secure",
            },
        }
        sb.touch(pi)
        sb.emit("payment_intent.requires_action", pi)
        return pi
    if what == "customer_balance":
        pi["status"] = "requires_action"
        pi["next_action"] = {
            "type": "display_bank_transfer_instructions",
            "display_bank_transfer_instructions": {
                "amount_remaining": pi["amount"],
                "currency": pi["currency"],
                "type": "jp_bank_transfer",
                "reference": pi["id"][-8:],
            },
        }
        sb.touch(pi)
        sb.emit("payment_intent.requires_action", pi)
        apply_cash_balance(sb, pi)
        return pi
    if pm.get("type") == "sepa_debit":
        ch = charges.new_charge(
            sb,
            amount=pi["amount"],
            currency_code=pi["currency"],
            pm=pm,
            customer=pi["customer"],
            payment_intent=pi["id"],
            description=pi["description"],
            pending=True,
        )
        ch["_settle_at"] = sb.now() + 180
        ch["_settle_fail"] = decline
        pi["latest_charge"] = ch["id"]
        pi["status"] = "processing"
        pi["next_action"] = None
        sb.touch(pi)
        sb.emit("charge.pending", ch)
        sb.emit("payment_intent.processing", pi)
        return pi
    succeed(sb, pi, pm)
    return pi


def succeed(sb: Sandbox, pi: Obj, pm: Obj, ch: Obj | None = None) -> None:
    """Authorize (and, unless manual capture, capture) the payment."""
    if ch is None:
        ch = charges.new_charge(
            sb,
            amount=pi["amount"],
            currency_code=pi["currency"],
            pm=pm,
            customer=pi["customer"],
            payment_intent=pi["id"],
            description=pi["description"],
            metadata=pi["metadata"],
        )
    ch["status"] = "succeeded"
    ch["paid"] = True
    pi["latest_charge"] = ch["id"]
    pi["next_action"] = None
    if pi["capture_method"] == "manual":
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        sb.touch(pi)
        sb.emit("charge.succeeded", ch)
        sb.emit("payment_intent.amount_capturable_updated", pi)
        return
    charges.capture(sb, ch)
    pi["status"] = "succeeded"
    pi["amount_received"] = pi["amount"]
    sb.touch(pi)
    sb.emit("charge.succeeded", ch)
    sb.emit("payment_intent.succeeded", pi)
    _after_capture(sb, ch)


def apply_cash_balance(sb: Sandbox, pi: Obj) -> None:
    """Move cash balance into a waiting customer-balance payment intent."""
    cus = sb.get(pi.get("customer"), "customer")
    pm = sb.get(pi.get("payment_method"), "payment_method")
    if cus is None or pm is None or pm.get("type") != "customer_balance":
        return
    cash: dict[str, int] = cus.setdefault("_cash", {})
    funded = int(pi.get("_funded") or 0)
    want = int(pi["amount"]) - funded
    take = min(want, cash.get(pi["currency"], 0))
    if take <= 0:
        return
    cash[pi["currency"]] -= take
    pi["_funded"] = funded + take
    sb.touch(cus)
    if take < want:
        pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] = want - take
        sb.touch(pi)
        sb.emit("payment_intent.partially_funded", pi)
        return
    succeed(sb, pi, pm)


def _after_capture(sb: Sandbox, ch: Obj) -> None:
    what = ch["_behaviour"]
    if what == "inquiry":
        disputes.open_dispute(sb, ch, inquiry=True)
    elif what.startswith("dispute:"):
        disputes.open_dispute(sb, ch, inquiry=False, reason=what.split(":", 1)[1])


def capture(sb: Sandbox, pi: Obj, q: params.Params) -> Obj:
    """`POST /v1/payment_intents/{id}/capture` (partial with `amount_to_capture`)."""
    if pi["status"] != "requires_capture":
        raise errors.invalid(
            f"This PaymentIntent could not be captured because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
            "captured: requires_capture.",
            code="payment_intent_unexpected_state",
        )
    amount = params.integer(q, "amount_to_capture")
    ch = sb.need(pi["latest_charge"], "charge")
    charges.capture(sb, ch, amount)
    before = {"amount_capturable": pi["amount_capturable"], "status": pi["status"]}
    pi["status"] = "succeeded"
    pi["amount_received"] = ch["amount_captured"]
    pi["amount_capturable"] = 0
    params.apply_metadata(pi, q)
    sb.touch(pi)
    sb.emit("charge.captured", ch, {"captured": False, "amount_captured": 0})
    sb.emit("payment_intent.succeeded", pi, before)
    _after_capture(sb, ch)
    return pi


def cancel(sb: Sandbox, pi: Obj, q: params.Params) -> Obj:
    """`POST /v1/payment_intents/{id}/cancel`; an authorization is released."""
    if pi["status"] in {"succeeded", "canceled", "processing"}:
        raise errors.invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be canceled: "
            "requires_payment_method, requires_capture, requires_confirmation, requires_action.",
            code="payment_intent_unexpected_state",
        )
    reason = params.string(q, "cancellation_reason")
    allowed = {"duplicate", "fraudulent", "requested_by_customer", "abandoned"}
    if reason and reason not in allowed:
        raise errors.invalid(f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
    if pi["status"] == "requires_capture":
        ch = sb.need(pi["latest_charge"], "charge")
        ch["amount_refunded"] = ch["amount"]
        ch["refunded"] = True
        sb.touch(ch)
        sb.emit("charge.refunded", ch, {"amount_refunded": 0})
    pi["status"] = "canceled"
    pi["canceled_at"] = sb.now()
    pi["cancellation_reason"] = reason
    pi["amount_capturable"] = 0
    sb.touch(pi)
    sb.emit("payment_intent.canceled", pi)
    return pi


def settle_processing(sb: Sandbox, moment: int) -> None:
    """Bank debits in `processing` succeed (or fail) once their settle time has passed;
    refunds to a failing card fail once theirs has."""
    charges.fail_due_refunds(sb, moment)
    for ch in sb.store.all_of("charge"):
        at = ch.get("_settle_at")
        if ch["status"] != "pending" or at is None or at > moment:
            continue
        pi = sb.store.get(ch["payment_intent"]) if ch["payment_intent"] else None
        pm = sb.store.get(ch["payment_method"])
        with sb.at(at):
            ch["_settle_at"] = None
            if ch.get("_settle_fail"):
                ch["status"] = "failed"
                ch["paid"] = False
                ch["failure_code"] = "insufficient_funds"
                sb.touch(ch)
                sb.emit("charge.failed", ch)
                if pi is not None:
                    pi["status"] = "requires_payment_method"
                    sb.emit("payment_intent.payment_failed", pi)
            elif pi is not None and pm is not None:
                succeed(sb, pi, pm, ch)


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Payment intents filtered by customer / created."""
    return filters.apply(
        sb.store.all_of("payment_intent"),
        filters.equal(q, "customer"),
        filters.range_filter(q, "created"),
    )


def charge_for_source(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/charges`: the legacy API with a token, card or customer's default source."""
    amount = params.integer(q, "amount", required=True)
    cur = currency.check_known(params.currency(q, required=True) or "")
    assert amount is not None
    currency.check_charge_amount(amount, cur)
    customer_id = params.string(q, "customer")
    source = params.string(q, "source")
    if customer_id:
        customer = sb.need(customer_id, "customer", param="customer")
        source = source or customer.get("default_source")
    if not source:
        raise errors.invalid(
            "Must provide source or customer.", param="source", code="parameter_missing"
        )
    pm = methods.resolve(sb, source, "source")
    decline = charges.declines(pm)
    ch = charges.new_charge(
        sb,
        amount=amount,
        currency_code=cur,
        pm=pm,
        customer=customer_id,
        payment_intent=None,
        description=params.string(q, "description"),
        metadata=params.mapping(q, "metadata"),
        failed=decline,
    )
    if decline:
        sb.emit("charge.failed", ch)
        code, message = charges.DECLINES.get(decline, ("card_declined", "Your card was declined."))
        raise errors.card_declined(
            message, code=code, decline_code=decline, extra={"charge": ch["id"]}
        )
    if params.boolean(q, "capture", default=True):
        charges.capture(sb, ch)
        sb.emit("charge.succeeded", ch)
        _after_capture(sb, ch)
    else:
        sb.emit("charge.succeeded", ch)
    return ch


def capture_charge(sb: Sandbox, ch: Obj, q: params.Params) -> Obj:
    """`POST /v1/charges/{id}/capture`."""
    if ch.get("payment_intent"):
        pi = sb.need(ch["payment_intent"], "payment_intent")
        capture(sb, pi, {"amount_to_capture": q.get("amount")} if "amount" in q else {})
        return ch
    charges.capture(sb, ch, params.integer(q, "amount"))
    sb.emit("charge.captured", ch, {"captured": False})
    _after_capture(sb, ch)
    return ch


def update_charge(sb: Sandbox, ch: Obj, q: params.Params) -> Obj:
    """`POST /v1/charges/{id}`: description, metadata, receipt_email, shipping."""
    before = sb.snapshot(ch, ["metadata", "description", "receipt_email", "shipping"])
    for key in ("description", "receipt_email"):
        if key in q:
            ch[key] = params.string(q, key)
    if "shipping" in q:
        ch["shipping"] = params.mapping(q, "shipping") or None
    params.apply_metadata(ch, q)
    sb.touch(ch)
    sb.update_event("charge.updated", ch, before)
    return ch
