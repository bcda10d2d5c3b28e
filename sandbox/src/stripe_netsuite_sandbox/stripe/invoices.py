"""Invoice items and draft invoices: create, edit, delete, list.

Pricing is `billing`'s, and what happens once a draft is finalized is `collection`'s.
"""

from __future__ import annotations

from decimal import Decimal

from stripe_netsuite_sandbox.stripe import (
    billing,
    catalog,
    currency,
    errors,
    filters,
    params,
    pricing,
    shapes,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj


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
    now = billing.time_for(sb, cus)
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
        tax_rates=billing.tax_rates(sb, q, "tax_rates"),
        _tax_behavior=params.string(q, "tax_behavior") or "unspecified",
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
    ii["discounts"] = billing.discount_refs(sb, q, customer=cus["id"], invoice_item=ii["id"])
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
        billing.compute(sb, sb.need(invoice_id, "invoice"))
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
        ii["tax_rates"] = billing.tax_rates(sb, q, "tax_rates")
    params.apply_metadata(ii, q)
    sb.touch(ii)
    if ii.get("invoice"):
        billing.compute(sb, sb.need(ii["invoice"], "invoice"))
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
        billing.compute(sb, sb.need(ii["invoice"], "invoice"))
    return shapes.deleted(ii)


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
    now = billing.time_for(sb, cus)
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
        due_date=now + days_until_due * billing.DAY if days_until_due is not None else None,
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
    inv["default_tax_rates"] = billing.tax_rates(sb, q, "default_tax_rates")
    if params.boolean(params.mapping(q, "automatic_tax"), "enabled", default=False):
        inv["automatic_tax"].update(enabled=True, liability={"type": "self"}, provider="stripe")
    inv["discounts"] = billing.discount_refs(sb, q, customer=cus["id"], invoice=inv["id"])
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
    billing.compute(sb, inv)
    sb.emit("invoice.created", inv)
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
        inv["default_tax_rates"] = billing.tax_rates(sb, q, "default_tax_rates")
    if "discounts" in q:
        inv["discounts"] = billing.discount_refs(sb, q, customer=inv["customer"], invoice=inv["id"])
    params.apply_metadata(inv, q)
    if inv["status"] == "draft":
        billing.compute(sb, inv)
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
    return shapes.deleted(inv)


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
