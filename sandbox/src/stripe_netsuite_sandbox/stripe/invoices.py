"""Invoice items and invoices: draft → open → paid / void / uncollectible, with payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.stripe import (
    catalog,
    currency,
    customers,
    errors,
    filters,
    intents,
    params,
    pricing,
    shapes,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

DAY = 86400


def time_for(sb: Sandbox, customer: Obj | None) -> int:
    """The customer's test clock time, or the sandbox clock."""
    clock_id = customer.get("test_clock") if customer else None
    if clock_id and sb._at is None:
        clk = sb.store.get(clock_id)
        if clk is not None:
            return int(clk["frozen_time"])
    return sb.now()


def _discount_refs(
    sb: Sandbox, q: params.Params, *, customer: str | None, **owner: str | None
) -> list[str]:
    ids = []
    for i, spec in enumerate(params.array(q, "discounts")):
        if not isinstance(spec, dict):
            raise errors.invalid("Invalid discounts: expected objects.", param=f"discounts[{i}]")
        if spec.get("discount"):
            ids.append(sb.need(str(spec["discount"]), "discount")["id"])
            continue
        disc = catalog.discount(
            sb,
            coupon=spec.get("coupon") or None,
            promotion_code=spec.get("promotion_code") or None,
            customer=customer,
            **owner,
        )
        ids.append(disc["id"])
    return ids


def _tax_rates(sb: Sandbox, q: params.Params, name: str) -> list[Obj]:
    out = []
    for i, ref in enumerate(params.array(q, name)):
        out.append(sb.render(sb.need(str(ref), "tax_rate", param=f"{name}[{i}]")))
    return out


# -- invoice items ------------------------------------------------------------------------
def create_item(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/invoiceitems`."""
    cus = sb.need(params.string(q, "customer", required=True), "customer", param="customer")
    quantity = params.integer(q, "quantity") or 1
    price_id = params.string(q, "price") or params.string(params.mapping(q, "pricing"), "price")
    unit_decimal = params.string(q, "unit_amount_decimal")
    product = None
    if price_id:
        price = catalog.as_price(catalog.price_ref(sb, price_id, "price"))
        product = price["product"]
        cur = price["currency"]
        unit = Decimal(price["unit_amount_decimal"] or price["unit_amount"] or 0)
        amount = pricing.round_minor(unit * quantity)
    elif params.integer(q, "amount") is not None:
        amount = params.integer(q, "amount") or 0
        cur = currency.check_known(params.currency(q, required=True) or "")
        unit = Decimal(amount) / quantity
    elif unit_decimal is not None or params.integer(q, "unit_amount") is not None:
        unit = Decimal(unit_decimal or str(params.integer(q, "unit_amount")))
        amount = pricing.round_minor(unit * quantity)
        cur = currency.check_known(params.currency(q, required=True) or "")
    else:
        raise errors.invalid(
            "You must specify either `amount`, `pricing[price]`, or `unit_amount_decimal`.",
            param="amount",
        )
    invoice_id = params.string(q, "invoice")
    if invoice_id:
        inv = sb.need(invoice_id, "invoice", param="invoice")
        if inv["status"] != "draft":
            raise errors.invalid(
                f"You can only add invoice items to draft invoices; {invoice_id} is "
                f"{inv['status']}.",
                param="invoice",
            )
    now = time_for(sb, cus)
    period = params.mapping(q, "period")
    ii = sb.create(
        "invoiceitem",
        "ii",
        amount=amount,
        currency=cur,
        customer=cus["id"],
        date=now,
        description=params.string(q, "description"),
        discountable=params.boolean(q, "discountable", default=amount >= 0),
        invoice=invoice_id,
        period={
            "start": params.integer(period, "start") or now,
            "end": params.integer(period, "end") or now,
        },
        proration=False,
        quantity=quantity,
        tax_rates=_tax_rates(sb, q, "tax_rates"),
        test_clock=cus.get("test_clock"),
        parent=None,
        pricing={
            "price_details": {"price": price_id, "product": product} if price_id else None,
            "type": "price_details",
            "unit_amount_decimal": str(unit),
        },
        net_amount=amount,
        quantity_decimal=str(quantity),
        _line_id=sb.new_id("il"),
    )
    ii["discounts"] = _discount_refs(sb, q, customer=cus["id"], invoice_item=ii["id"])
    sub_id = params.string(q, "subscription")
    if sub_id:
        ii["parent"] = {
            "subscription_details": {"subscription": sub_id},
            "type": "subscription_details",
        }
        ii["_subscription"] = sub_id
    params.apply_metadata(ii, q)
    sb.emit("invoiceitem.created", ii)
    if invoice_id:
        compute(sb, sb.need(invoice_id, "invoice"))
    return ii


def update_item(sb: Sandbox, ii: Obj, q: params.Params) -> Obj:
    """`POST /v1/invoiceitems/{id}`."""
    _editable_item(sb, ii)
    if "description" in q:
        ii["description"] = params.string(q, "description")
    if "amount" in q:
        ii["amount"] = params.integer(q, "amount")
        ii["net_amount"] = ii["amount"]
    if "discountable" in q:
        ii["discountable"] = params.boolean(q, "discountable")
    if "tax_rates" in q:
        ii["tax_rates"] = _tax_rates(sb, q, "tax_rates")
    params.apply_metadata(ii, q)
    sb.touch(ii)
    if ii.get("invoice"):
        compute(sb, sb.need(ii["invoice"], "invoice"))
    return ii


def _editable_item(sb: Sandbox, ii: Obj) -> None:
    inv = sb.get(ii.get("invoice"), "invoice")
    if inv is not None and inv["status"] != "draft":
        raise errors.invalid(
            f"This invoice item is attached to invoice {inv['id']}, which is no longer a "
            "draft, and can no longer be modified."
        )


def delete_item(sb: Sandbox, ii: Obj) -> Obj:
    """`DELETE /v1/invoiceitems/{id}`."""
    _editable_item(sb, ii)
    ii["_deleted"] = True
    sb.touch(ii)
    sb.emit("invoiceitem.deleted", ii)
    if ii.get("invoice"):
        compute(sb, sb.need(ii["invoice"], "invoice"))
    return customers.deleted(ii)


# -- invoices -----------------------------------------------------------------------------
def new_invoice(
    sb: Sandbox,
    cus: Obj,
    *,
    currency_code: str,
    collection_method: str = "charge_automatically",
    billing_reason: str = "manual",
    subscription: Obj | None = None,
    auto_advance: bool = False,
    description: str | None = None,
    days_until_due: int | None = None,
) -> Obj:
    """A draft invoice with the customer's details copied in."""
    now = time_for(sb, cus)
    parent = None
    if subscription is not None:
        parent = {
            "quote_details": None,
            "type": "subscription_details",
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
        }
    inv = sb.create(
        "invoice",
        "in",
        account_country="US",
        account_name="Sandbox account",
        amount_due=0,
        amount_overpaid=0,
        amount_paid=0,
        amount_remaining=0,
        amount_shipping=0,
        attempt_count=0,
        attempted=False,
        auto_advance=auto_advance,
        automatic_tax={
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        billing_reason=billing_reason,
        collection_method=collection_method,
        created=now,
        currency=currency_code,
        customer=cus["id"],
        customer_address=cus.get("address"),
        customer_email=cus.get("email"),
        customer_name=cus.get("name"),
        customer_phone=cus.get("phone"),
        customer_shipping=cus.get("shipping"),
        customer_tax_exempt=cus.get("tax_exempt") or "none",
        description=description,
        discounts=[],
        due_date=now + days_until_due * DAY if days_until_due is not None else None,
        issuer={"type": "self"},
        lines={"object": "list", "data": [], "has_more": False, "url": None},
        parent=parent,
        payment_settings={
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        period_end=now,
        period_start=now,
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        rendering=None,
        starting_balance=int(cus.get("balance") or 0),
        status="draft",
        status_transitions={
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        subscription=subscription["id"] if subscription else None,
        subtotal=0,
        subtotal_excluding_tax=0,
        test_clock=cus.get("test_clock"),
        total=0,
        total_excluding_tax=0,
        webhooks_delivered_at=None,
        _sub_lines=[],
        _days_until_due=days_until_due,
        _applied_balance=0,
    )
    inv["lines"]["url"] = f"/v1/invoices/{inv['id']}/lines"
    inv["automatically_finalizes_at"] = now + 3600 if auto_advance else None
    return inv


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/invoices`."""
    cus = sb.need(params.string(q, "customer", required=True), "customer", param="customer")
    method = params.string(q, "collection_method") or "charge_automatically"
    if method not in {"charge_automatically", "send_invoice"}:
        raise errors.invalid(f"Invalid collection_method: {method}", param="collection_method")
    days = params.integer(q, "days_until_due")
    due_date = params.integer(q, "due_date")
    if method == "send_invoice" and days is None and due_date is None:
        raise errors.invalid(
            "Invoices with `collection_method=send_invoice` must have a `due_date` or "
            "`days_until_due`.",
            param="days_until_due",
        )
    behaviour = params.string(q, "pending_invoice_items_behavior") or "exclude"
    if behaviour not in {"include", "exclude"}:
        raise errors.invalid(
            f"Invalid pending_invoice_items_behavior: {behaviour}",
            param="pending_invoice_items_behavior",
        )
    cur = params.currency(q) or cus.get("currency") or sb.default_currency
    inv = new_invoice(
        sb,
        cus,
        currency_code=currency.check_known(cur),
        collection_method=method,
        auto_advance=params.boolean(q, "auto_advance", default=False),
        description=params.string(q, "description"),
        days_until_due=days,
    )
    if due_date is not None:
        inv["due_date"] = due_date
    inv["footer"] = params.string(q, "footer")
    inv["default_payment_method"] = params.string(q, "default_payment_method")
    inv["default_tax_rates"] = _tax_rates(sb, q, "default_tax_rates")
    inv["discounts"] = _discount_refs(sb, q, customer=cus["id"], invoice=inv["id"])
    if not inv["discounts"] and cus.get("discount") and "discounts" not in q:
        inv["discounts"] = [cus["discount"]["id"]]
    params.apply_metadata(inv, q)
    if behaviour == "include":
        for ii in sb.store.all_of("invoiceitem"):
            if (
                ii["customer"] == cus["id"]
                and not ii.get("invoice")
                and not ii.get("_deleted")
                and ii["currency"] == inv["currency"]
            ):
                ii["invoice"] = inv["id"]
                sb.touch(ii)
    compute(sb, inv)
    sb.emit("invoice.created", inv)
    return inv


def _line(sb: Sandbox, inv: Obj, **values: Any) -> Obj:
    line = shapes.skeleton("line_item")
    line.update(
        currency=inv["currency"],
        discount_amounts=[],
        discounts=[],
        invoice=inv["id"],
        metadata={},
        pretax_credit_amounts=[],
        taxes=[],
    )
    line.update(values)
    return line


def _item_lines(sb: Sandbox, inv: Obj) -> list[Obj]:
    lines = []
    for ii in sb.store.all_of("invoiceitem"):
        if ii.get("invoice") != inv["id"] or ii.get("_deleted"):
            continue
        sub = ii.get("_subscription")
        lines.append(
            _line(
                sb,
                inv,
                id=ii["_line_id"],
                amount=ii["amount"],
                description=ii["description"],
                discountable=ii["discountable"],
                metadata=dict(ii["metadata"]),
                period=dict(ii["period"]),
                quantity=ii["quantity"],
                quantity_decimal=str(ii["quantity"]),
                subtotal=ii["amount"],
                subscription=sub,
                parent={
                    "invoice_item_details": {
                        "invoice_item": ii["id"],
                        "proration": ii["proration"],
                        "proration_details": {"credited_items": None},
                        "subscription": sub,
                    },
                    "subscription_item_details": None,
                    "type": "invoice_item_details",
                },
                pricing=dict(ii["pricing"]),
                _item_discounts=list(ii["discounts"]),
                _tax_rates=list(ii["tax_rates"]),
            )
        )
    return lines


def compute(sb: Sandbox, inv: Obj) -> Obj:
    """Price a draft invoice: lines, discounts, taxes, totals, balance."""
    lines = [dict(x) for x in inv["_sub_lines"]] + _item_lines(sb, inv)
    coupons = {}
    for line in lines:
        line["discount_amounts"] = []
        line["discounts"] = list(line.get("_item_discounts") or [])
        for did in line["discounts"]:
            disc = sb.need(did, "discount")
            coupons[did] = catalog.coupon_of(sb, disc)
            base = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
            take = pricing.coupon_amount(coupons[did], base)
            line["discount_amounts"].append({"amount": take, "discount": did})
    for did in inv["discounts"]:
        coupon = catalog.coupon_of(sb, sb.need(did, "discount"))
        eligible = [ln for ln in lines if ln["discountable"] and ln["amount"] > 0]
        bases = [ln["amount"] - sum(d["amount"] for d in ln["discount_amounts"]) for ln in eligible]
        if coupon.get("percent_off") is not None:
            takes = [pricing.coupon_amount(coupon, b) for b in bases]
        else:
            off = min(int(coupon["amount_off"] or 0), sum(bases))
            if coupon.get("currency") and coupon["currency"] != inv["currency"]:
                off = 0
            takes = pricing.allocate(off, bases)
        for ln, take in zip(eligible, takes, strict=True):
            ln["discount_amounts"].append({"amount": take, "discount": did})
    for line in lines:
        rates = line.get("_tax_rates") or inv.get("default_tax_rates") or []
        taxable = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
        line["taxes"] = [pricing.tax_entry(r, taxable) for r in rates]
        line["pretax_credit_amounts"] = [
            {
                "amount": d["amount"],
                "credit_balance_transaction": None,
                "discount": d["discount"],
                "type": "discount",
            }
            for d in line["discount_amounts"]
        ]
    inv.update(pricing.totals(lines, set(inv["discounts"])))
    inv["lines"]["data"] = lines
    inv["lines"]["total_count"] = len(lines)
    if lines:
        inv["period_start"] = min(ln["period"]["start"] for ln in lines if ln.get("period"))
        inv["period_end"] = max(ln["period"]["end"] for ln in lines if ln.get("period"))
    if inv["status"] == "draft":
        cus = sb.need(inv["customer"], "customer")
        inv["starting_balance"] = int(cus.get("balance") or 0)
        inv["amount_due"] = max(0, inv["total"] + inv["starting_balance"])
        inv["amount_remaining"] = inv["amount_due"]
    sb.touch(inv)
    return inv


def update(sb: Sandbox, inv: Obj, q: params.Params) -> Obj:
    """`POST /v1/invoices/{id}`."""
    keys = [
        "metadata",
        "description",
        "footer",
        "auto_advance",
        "discounts",
        "default_tax_rates",
        "collection_method",
        "due_date",
        "default_payment_method",
    ]
    before = sb.snapshot(inv, keys)
    draft_only = {"discounts", "default_tax_rates", "collection_method"}
    if inv["status"] != "draft" and draft_only & set(q):
        raise errors.invalid(
            f"This invoice is no longer editable because it is {inv['status']}; only "
            "metadata, description and footer can change.",
        )
    for key in ("description", "footer", "default_payment_method", "collection_method"):
        if key in q:
            inv[key] = params.string(q, key)
    if "auto_advance" in q:
        inv["auto_advance"] = params.boolean(q, "auto_advance")
    if "due_date" in q:
        inv["due_date"] = params.integer(q, "due_date")
    if "days_until_due" in q:
        inv["_days_until_due"] = params.integer(q, "days_until_due")
    if "default_tax_rates" in q:
        inv["default_tax_rates"] = _tax_rates(sb, q, "default_tax_rates")
    if "discounts" in q:
        inv["discounts"] = _discount_refs(sb, q, customer=inv["customer"], invoice=inv["id"])
    params.apply_metadata(inv, q)
    if inv["status"] == "draft":
        compute(sb, inv)
    sb.touch(inv)
    sb.update_event("invoice.updated", inv, before)
    return inv


def delete(sb: Sandbox, inv: Obj) -> Obj:
    """`DELETE /v1/invoices/{id}`: drafts only; their items become pending again."""
    if inv["status"] != "draft":
        raise errors.invalid(
            f"You can only delete draft invoices; this invoice is {inv['status']}. Void it instead."
        )
    for ii in sb.store.all_of("invoiceitem"):
        if ii.get("invoice") == inv["id"]:
            ii["invoice"] = None
            sb.touch(ii)
    inv["_deleted"] = True
    sb.touch(inv)
    sb.emit("invoice.deleted", inv)
    return customers.deleted(inv)


def finalize(sb: Sandbox, inv: Obj, *, attempt: bool = True) -> Obj:
    """`POST /v1/invoices/{id}/finalize`: number, balance applied, open (or paid at $0)."""
    if inv["status"] != "draft":
        raise errors.invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    compute(sb, inv)
    cus = sb.need(inv["customer"], "customer")
    now = time_for(sb, cus)
    seq = int(cus["next_invoice_sequence"])
    cus["next_invoice_sequence"] = seq + 1
    inv["number"] = f"{cus['invoice_prefix']}-{seq:04d}"
    balance = int(cus.get("balance") or 0)
    inv["starting_balance"] = balance
    total = int(inv["total"])
    applied = 0
    if total < 0:
        applied = total
    elif balance < 0:
        applied = -min(-balance, total)
    elif balance > 0:
        applied = balance
    delta = -applied if total >= 0 else applied
    if delta:
        customers.adjust_balance(
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
    inv["amount_due"] = max(0, total + applied) if total >= 0 else 0
    inv["amount_remaining"] = inv["amount_due"] - inv["amount_paid"]
    inv["status"] = "open"
    inv["status_transitions"]["finalized_at"] = now
    inv["effective_at"] = now
    inv["automatically_finalizes_at"] = None
    inv["webhooks_delivered_at"] = now
    if inv["_days_until_due"] is not None and inv["collection_method"] == "send_invoice":
        inv["due_date"] = now + int(inv["_days_until_due"]) * DAY
    token = inv["id"].removeprefix("in_")
    inv["hosted_invoice_url"] = f"https://invoice.stripe.com/i/sandbox/{token}"
    inv["invoice_pdf"] = f"https://pay.stripe.com/invoice/sandbox/{token}/pdf"
    sb.touch(cus)
    sb.touch(inv)
    sb.emit("invoice.finalized", inv)
    if inv["amount_remaining"] == 0:
        _mark_paid(sb, inv)
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


def _mark_paid(sb: Sandbox, inv: Obj) -> None:
    cus = sb.get(inv["customer"], "customer")
    inv["status"] = "paid"
    inv["status_transitions"]["paid_at"] = time_for(sb, cus)
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
        _mark_paid(sb, inv)
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
    with sb.at(time_for(sb, cus), detached=bool(cus.get("test_clock"))):
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
    now = time_for(sb, cus)
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
        _mark_paid(sb, inv)
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
        customers.adjust_balance(
            sb,
            cus,
            -applied,
            type="unapplied_from_invoice",
            currency_code=inv["currency"],
            invoice=inv["id"],
        )
    inv["status"] = "void"
    inv["amount_remaining"] = 0
    inv["status_transitions"]["voided_at"] = time_for(sb, sb.get(inv["customer"], "customer"))
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


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Invoices filtered by customer / status / subscription / created."""
    return filters.apply(
        sb.store.all_of("invoice"),
        filters.equal(q, "customer", "status", "subscription", "collection_method"),
        filters.range_filter(q, "created"),
    )


def item_listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Invoice items filtered by customer / invoice / pending."""
    preds = [filters.equal(q, "customer", "invoice"), filters.range_filter(q, "created", "date")]
    if "pending" in q:
        pending = params.boolean(q, "pending")
        preds.append(lambda ii: (ii.get("invoice") is None) == pending)
    return filters.apply(sb.store.all_of("invoiceitem"), *preds)
