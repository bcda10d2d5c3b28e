"""Subscriptions: create, update with prorations, cancel, trials, and renewals on each cycle."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.stripe import (
    billing,
    catalog,
    collection,
    errors,
    filters,
    invoices,
    params,
    pricing,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

DAY = 86400
TRIAL_WILL_END_NOTICE = 3 * DAY
LIVE = {"active", "trialing", "past_due"}


def add_interval(moment: int, interval: str, count: int, anchor_day: int | None = None) -> int:
    """*moment* moved by *count* intervals; months keep the anchor day where it exists."""
    if interval == "day":
        return moment + count * DAY
    if interval == "week":
        return moment + count * 7 * DAY
    months = count * (12 if interval == "year" else 1)
    dt = datetime.fromtimestamp(moment, UTC)
    total = dt.month - 1 + months
    year, month = dt.year + total // 12, total % 12 + 1
    day = min(anchor_day or dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def _price(sb: Sandbox, spec: dict[str, Any], index: int) -> Obj:
    ref = spec.get("price") or spec.get("plan")
    if not ref and isinstance(spec.get("price_data"), dict):
        data = dict(spec["price_data"])
        return catalog.create_price(sb, data)
    if not ref:
        raise errors.missing_param(f"items[{index}][price]")
    return catalog.price_ref(sb, str(ref), f"items[{index}][price]")


def _item(sb: Sandbox, sub: Obj, price_obj: Obj, quantity: int, spec: dict[str, Any]) -> Obj:
    price = catalog.as_price(price_obj)
    if not price.get("recurring"):
        raise errors.invalid(
            f"The price specified ({price['id']}) is not recurring; subscriptions need a "
            "recurring price.",
            param="items",
        )
    rates = [sb.render(sb.need(str(r), "tax_rate")) for r in params.array(spec, "tax_rates")]
    item = {
        "id": sb.new_id("si"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": sub["created"],
        "current_period_end": sub["_period_end"],
        "current_period_start": sub["_period_start"],
        "discounts": [],
        "metadata": {},
        "plan": catalog.as_plan(price_obj),
        "price": sb.render(price),
        "quantity": quantity,
        "subscription": sub["id"],
        "tax_rates": rates,
    }
    params.apply_metadata(item, spec)
    return item


def _unit(item: Obj) -> Decimal:
    price = item["price"]
    return Decimal(price.get("unit_amount_decimal") or price.get("unit_amount") or 0)


def _product_name(sb: Sandbox, item: Obj) -> str:
    prod = sb.store.get(item["price"]["product"])
    return str(prod["name"]) if prod else "product"


def _period_lines(sb: Sandbox, sub: Obj, inv: Obj, *, trial: bool) -> list[Obj]:
    lines = []
    for item in sub["items"]["data"]:
        amount = 0 if trial else pricing.round_minor(_unit(item) * item["quantity"])
        name = _product_name(sb, item)
        rec = item["price"]["recurring"]
        desc = (
            f"Trial period for {name}"
            if trial
            else f"{item['quantity']} × {name} (at {item['price']['unit_amount']} / "
            f"{rec['interval']})"
        )
        line = billing.new_line(
            inv,
            id=sb.new_id("il"),
            amount=amount,
            description=desc,
            discountable=True,
            period={"start": sub["_period_start"], "end": sub["_period_end"]},
            quantity=item["quantity"],
            quantity_decimal=str(item["quantity"]),
            subtotal=amount,
            subscription=sub["id"],
            parent={
                "invoice_item_details": None,
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"],
                    "subscription_item": item["id"],
                },
            },
            pricing={
                "price_details": {
                    "price": item["price"]["id"],
                    "product": item["price"]["product"],
                },
                "type": "price_details",
                "unit_amount_decimal": str(_unit(item)),
            },
            _tax_rates=list(item["tax_rates"]) or list(sub["default_tax_rates"]),
        )
        lines.append(line)
    return lines


def _invoice(sb: Sandbox, sub: Obj, reason: str, *, trial: bool, period: bool = True) -> Obj:
    cus = sb.need(sub["customer"], "customer")
    inv = invoices.new_invoice(
        sb,
        cus,
        currency_code=sub["currency"],
        collection_method=sub["collection_method"],
        billing_reason=reason,
        subscription=sub,
        auto_advance=True,
        days_until_due=sub["days_until_due"],
    )
    inv["discounts"] = list(sub["discounts"])
    if not inv["discounts"] and cus.get("discount"):
        inv["discounts"] = [cus["discount"]["id"]]
    if period:
        inv["_sub_lines"] = _period_lines(sb, sub, inv, trial=trial)
    for ii in sb.store.all_of("invoiceitem"):
        if (
            ii.get("_subscription") == sub["id"]
            and not ii.get("invoice")
            and not ii.get("_deleted")
        ):
            ii["invoice"] = inv["id"]
            sb.touch(ii)
    billing.compute(sb, inv)
    sub["latest_invoice"] = inv["id"]
    sb.emit("invoice.created", inv)
    return inv


def _collect(sb: Sandbox, sub: Obj, inv: Obj) -> bool:
    """Finalize and (when charging automatically) pay; True when the invoice is paid."""
    collection.finalize(sb, inv, attempt=False)
    if inv["status"] == "paid":
        return True
    if sub["collection_method"] == "send_invoice":
        sb.emit("invoice.sent", inv)
        return True
    if sub.get("_payment_behavior") == "default_incomplete":
        return False
    if not collection.payment_method_for(sb, inv, {}):
        return False
    try:
        collection.pay(sb, inv, {"off_session": "true"} if sub["status"] != "incomplete" else {})
    except errors.StripeError:
        return False
    return bool(inv["status"] == "paid")


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/subscriptions`."""
    cus = sb.need(params.string(q, "customer", required=True), "customer", param="customer")
    specs = params.array(q, "items")
    if not specs:
        raise errors.missing_param("items")
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise errors.invalid(
                f"Invalid items[{i}]: must be an object such as items[{i}][price]=price_…",
                param=f"items[{i}]",
            )
    now = billing.time_for(sb, cus)
    prices = [_price(sb, spec, i) for i, spec in enumerate(specs)]
    first = catalog.as_price(prices[0])
    rec = first.get("recurring") or {}
    trial_end = params.timestamp(q, "trial_end", now)
    days = params.integer(q, "trial_period_days")
    if days is None and params.boolean(q, "trial_from_plan"):
        days = rec.get("trial_period_days")
    if trial_end is None and days:
        trial_end = now + days * DAY
    if trial_end is not None and trial_end <= now:
        trial_end = None
    behaviour = params.string(q, "payment_behavior") or "allow_incomplete"
    missing = (
        params.string(
            params.mapping(params.mapping(q, "trial_settings"), "end_behavior"),
            "missing_payment_method",
        )
        or "create_invoice"
    )
    period_end = trial_end or add_interval(
        now, rec.get("interval", "month"), rec.get("interval_count", 1)
    )
    sub = sb.create(
        "subscription",
        "sub",
        automatic_tax={"enabled": False, "liability": None, "disabled_reason": None},
        billing_cycle_anchor=period_end if trial_end else now,
        billing_cycle_anchor_config=None,
        cancel_at=params.integer(q, "cancel_at"),
        cancel_at_period_end=params.boolean(q, "cancel_at_period_end"),
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method=params.string(q, "collection_method") or "charge_automatically",
        created=now,
        currency=first["currency"],
        customer=cus["id"],
        days_until_due=params.integer(q, "days_until_due"),
        default_payment_method=params.string(q, "default_payment_method"),
        default_tax_rates=[
            sb.render(sb.need(str(r), "tax_rate")) for r in params.array(q, "default_tax_rates")
        ],
        description=params.string(q, "description"),
        discounts=[],
        invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
        items={"object": "list", "data": [], "has_more": False, "total_count": 0, "url": None},
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        start_date=now,
        status="incomplete",
        test_clock=cus.get("test_clock"),
        trial_end=trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": missing}},
        trial_start=now if trial_end else None,
        billing_mode={"type": "classic", "flexible": None},
        _period_start=now,
        _period_end=period_end,
        _anchor_day=datetime.fromtimestamp(period_end if trial_end else now, UTC).day,
        _payment_behavior=behaviour,
        _trial_notice_sent=False,
    )
    sub["items"]["url"] = f"/v1/subscription_items?subscription={sub['id']}"
    for spec, price in zip(specs, prices, strict=True):
        quantity = params.integer(spec, "quantity")
        sub["items"]["data"].append(
            _item(sb, sub, price, 1 if quantity is None else quantity, spec)
        )
    sub["items"]["total_count"] = len(sub["items"]["data"])
    coupon = params.string(q, "coupon")
    promo = params.string(q, "promotion_code")
    sub["discounts"] = billing.discount_refs(sb, q, customer=cus["id"], subscription=sub["id"])
    if coupon or promo:
        disc = catalog.discount(
            sb, coupon=coupon, promotion_code=promo, customer=cus["id"], subscription=sub["id"]
        )
        sub["discounts"].append(disc["id"])
    params.apply_metadata(sub, q)
    sb.emit("customer.subscription.created", sub)
    inv = _invoice(sb, sub, "subscription_create", trial=bool(trial_end))
    paid = _collect(sb, sub, inv)
    if behaviour == "error_if_incomplete" and not paid:
        sub["status"] = "incomplete_expired"
        sb.touch(sub)
        raise errors.card_declined(extra={"subscription": sub["id"]})
    before = {"status": sub["status"]}
    sub["status"] = "trialing" if trial_end else ("active" if paid else "incomplete")
    sb.touch(sub)
    if sub["status"] != before["status"]:
        sb.emit("customer.subscription.updated", sub, before)
    _trial_notice(sb, sub, now)
    return sub


def _trial_notice(sb: Sandbox, sub: Obj, moment: int) -> None:
    end = sub.get("trial_end")
    if sub["status"] != "trialing" or not end or sub["_trial_notice_sent"]:
        return
    if end - moment <= TRIAL_WILL_END_NOTICE:
        sub["_trial_notice_sent"] = True
        sb.touch(sub)
        with sb.at(max(moment, end - TRIAL_WILL_END_NOTICE), detached=bool(sub["test_clock"])):
            sb.emit("customer.subscription.trial_will_end", sub)


def _has_payment_method(sb: Sandbox, sub: Obj) -> bool:
    cus = sb.need(sub["customer"], "customer")
    return bool(
        sub.get("default_payment_method")
        or cus["invoice_settings"].get("default_payment_method")
        or cus.get("default_source")
    )


def _end_trial(sb: Sandbox, sub: Obj, moment: int) -> None:
    before = sb.snapshot(sub, ["status", "trial_end", "current_period_start"])
    sub["trial_end"] = moment
    if not _has_payment_method(sb, sub):
        behaviour = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behaviour == "pause":
            sub["status"] = "paused"
            sub["pause_collection"] = None
            sb.touch(sub)
            sb.emit("customer.subscription.paused", sub, before)
            sb.emit("customer.subscription.updated", sub, before)
            return
        if behaviour == "cancel":
            _cancel_now(sb, sub, "cancellation_requested")
            return
    _start_period(sb, sub, moment, before)


def _start_period(sb: Sandbox, sub: Obj, start: int, before: dict[str, Any]) -> None:
    item0 = sub["items"]["data"][0]["price"]["recurring"]
    sub["_period_start"] = start
    sub["_period_end"] = add_interval(
        start, item0["interval"], item0["interval_count"], sub["_anchor_day"]
    )
    for item in sub["items"]["data"]:
        item["current_period_start"] = sub["_period_start"]
        item["current_period_end"] = sub["_period_end"]
    inv = _invoice(sb, sub, "subscription_cycle", trial=False)
    paid = _collect(sb, sub, inv)
    sub["status"] = "active" if paid else "past_due"
    sb.touch(sub)
    sb.emit("customer.subscription.updated", sub, before)


def run_due(sb: Sandbox, moment: int, *, clock_id: str | None) -> None:
    """Renew, end trials, and cancel at period end, for subscriptions due by *moment*."""
    for _ in range(1000):
        due = []
        for sub in sb.store.all_of("subscription"):
            if sub.get("test_clock") != clock_id or sub["status"] not in LIVE:
                continue
            _trial_notice(sb, sub, moment)
            when = sub["_period_end"]
            if sub.get("cancel_at") and sub["cancel_at"] <= moment:
                when = min(when, sub["cancel_at"])
            if when <= moment:
                due.append((when, sub))
        if not due:
            return
        when, sub = min(due, key=lambda pair: pair[0])
        with sb.at(when, detached=clock_id is not None):
            _advance(sb, sub, when)
            if clock_id:
                clk = sb.store.get(clock_id)
                if clk is not None:
                    clk["frozen_time"] = when


def _advance(sb: Sandbox, sub: Obj, when: int) -> None:
    if sub.get("cancel_at") and sub["cancel_at"] <= when:
        _cancel_now(sb, sub, "cancellation_requested")
    elif sub["cancel_at_period_end"] and when >= sub["_period_end"]:
        _cancel_now(sb, sub, "cancellation_requested")
    elif sub["status"] == "trialing":
        _end_trial(sb, sub, when)
    else:
        _start_period(sb, sub, when, sb.snapshot(sub, ["status"]))


def _cancel_now(sb: Sandbox, sub: Obj, reason: str) -> None:
    now = sb.now() if sb.pinned else billing.time_for(sb, sb.get(sub["customer"], "customer"))
    sub["status"] = "canceled"
    sub["canceled_at"] = sub.get("canceled_at") or now
    sub["ended_at"] = now
    sub["cancellation_details"]["reason"] = reason
    sb.touch(sub)
    sb.emit("customer.subscription.deleted", sub)


def cancel(sb: Sandbox, sub: Obj, q: params.Params) -> Obj:
    """`DELETE /v1/subscriptions/{id}` (optionally `invoice_now`, `prorate`)."""
    if sub["status"] in {"canceled", "incomplete_expired"}:
        raise errors.invalid(f"This subscription is already canceled: {sub['id']}.")
    if params.boolean(q, "prorate"):
        _prorate(sb, sub, [(item, None, 0) for item in sub["items"]["data"]])
    _cancel_now(sb, sub, "cancellation_requested")
    if params.boolean(q, "invoice_now"):
        pending = [
            ii
            for ii in sb.store.all_of("invoiceitem")
            if ii.get("_subscription") == sub["id"] and not ii.get("invoice")
        ]
        if pending:
            inv = _invoice(sb, sub, "subscription_update", trial=False, period=False)
            _collect(sb, sub, inv)
    return sub


def _prorate(sb: Sandbox, sub: Obj, changes: list[tuple[Obj, Obj | None, int]]) -> None:
    """Proration invoice items for (old item, new price or None, new quantity) changes."""
    cus = sb.need(sub["customer"], "customer")
    now = billing.time_for(sb, cus)
    start, end = sub["_period_start"], sub["_period_end"]
    if end <= start or now >= end:
        return
    frac = Decimal(end - now) / Decimal(end - start)
    for old, new_price, new_qty in changes:
        old_amount = pricing.round_minor(_unit(old) * old["quantity"] * frac)
        name = _product_name(sb, old)
        date = datetime.fromtimestamp(now, UTC).strftime("%d %b %Y")
        entries = []
        if old_amount:
            entries.append((-old_amount, f"Unused time on {name} after {date}"))
        if new_price is not None and new_qty:
            unit = Decimal(new_price.get("unit_amount_decimal") or new_price["unit_amount"] or 0)
            amount = pricing.round_minor(unit * new_qty * frac)
            entries.append((amount, f"Remaining time on {name} after {date}"))
        for amount, desc in entries:
            ii = invoices.create_item(
                sb,
                {
                    "customer": cus["id"],
                    "amount": amount,
                    "currency": sub["currency"],
                    "description": desc,
                    "subscription": sub["id"],
                    "period": {"start": now, "end": end},
                },
            )
            ii["proration"] = True
            ii["discountable"] = False


def update(sb: Sandbox, sub: Obj, q: params.Params) -> Obj:
    """`POST /v1/subscriptions/{id}`: items with prorations, trial end, cancel at period end."""
    keys = [
        "metadata",
        "items",
        "cancel_at_period_end",
        "cancel_at",
        "default_payment_method",
        "description",
        "trial_end",
        "status",
        "discounts",
        "collection_method",
    ]
    before = sb.snapshot(sub, keys)
    if sub["status"] in {"canceled", "incomplete_expired"} and set(q) - {
        "metadata",
        "cancellation_details",
        "expand",
    }:
        raise errors.invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    cus = sb.need(sub["customer"], "customer")
    now = billing.time_for(sb, cus)
    for key in ("default_payment_method", "description", "collection_method"):
        if key in q:
            sub[key] = params.string(q, key)
    if "days_until_due" in q:
        sub["days_until_due"] = params.integer(q, "days_until_due")
    if "cancel_at_period_end" in q:
        sub["cancel_at_period_end"] = params.boolean(q, "cancel_at_period_end")
        sub["cancel_at"] = sub["_period_end"] if sub["cancel_at_period_end"] else None
        sub["canceled_at"] = now if sub["cancel_at_period_end"] else None
    if "cancel_at" in q:
        sub["cancel_at"] = params.integer(q, "cancel_at")
    params.apply_metadata(sub, q)
    if "discounts" in q:
        sub["discounts"] = billing.discount_refs(sb, q, customer=cus["id"], subscription=sub["id"])
    behaviour = params.string(q, "proration_behavior") or "create_prorations"
    changes = _item_changes(sb, sub, q)
    if changes and behaviour != "none" and sub["status"] == "active":
        _prorate(sb, sub, changes)
    sb.touch(sub)
    sb.update_event("customer.subscription.updated", sub, before)
    if changes and behaviour == "always_invoice" and sub["status"] == "active":
        inv = _invoice(sb, sub, "subscription_update", trial=False, period=False)
        _collect(sb, sub, inv)
    trial = params.timestamp(q, "trial_end", now)
    if trial is not None and sub["status"] == "trialing":
        if trial <= now:
            _end_trial(sb, sub, now)
        else:
            sub["trial_end"] = trial
            sub["_period_end"] = trial
            sub["_trial_notice_sent"] = False
            _trial_notice(sb, sub, now)
    return sub


def _item_changes(sb: Sandbox, sub: Obj, q: params.Params) -> list[tuple[Obj, Obj | None, int]]:
    changes: list[tuple[Obj, Obj | None, int]] = []
    data = sub["items"]["data"]
    for i, spec in enumerate(params.array(q, "items")):
        if not isinstance(spec, dict):
            raise errors.invalid("Invalid items: expected objects.", param=f"items[{i}]")
        item_id = spec.get("id")
        if item_id:
            match = [it for it in data if it["id"] == item_id]
            if not match:
                raise errors.invalid(
                    f"The subscription item {item_id} does not belong to {sub['id']}.",
                    param=f"items[{i}][id]",
                )
            old = match[0]
            if params.boolean(spec, "deleted"):
                changes.append((dict(old), None, 0))
                data.remove(old)
                continue
            price = _price(sb, spec, i) if spec.get("price") or spec.get("plan") else None
            qty = params.integer(spec, "quantity")
            new_qty = old["quantity"] if qty is None else qty
            new_price = catalog.as_price(price) if price else old["price"]
            changes.append((dict(old), new_price, new_qty))
            old["price"] = sb.render(new_price)
            old["plan"] = catalog.as_plan(price) if price else old["plan"]
            old["quantity"] = new_qty
            params.apply_metadata(old, spec)
        else:
            price = _price(sb, spec, i)
            qty = params.integer(spec, "quantity")
            item = _item(sb, sub, price, 1 if qty is None else qty, spec)
            data.append(item)
            zero = dict(item, quantity=0)
            changes.append((zero, item["price"], item["quantity"]))
    sub["items"]["total_count"] = len(data)
    return changes


def resume(sb: Sandbox, sub: Obj, q: params.Params) -> Obj:
    """`POST /v1/subscriptions/{id}/resume`: a paused subscription starts a new period."""
    if sub["status"] != "paused":
        raise errors.invalid("Only paused subscriptions can be resumed.")
    cus = sb.need(sub["customer"], "customer")
    now = billing.time_for(sb, cus)
    before = sb.snapshot(sub, ["status"])
    sub["status"] = "active"
    _start_period(sb, sub, now, before)
    sb.emit("customer.subscription.resumed", sub, before)
    return sub


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Subscriptions filtered by customer / status / price."""
    status = params.string(q, "status")
    preds = [filters.equal(q, "customer", "test_clock"), filters.range_filter(q, "created")]
    if status and status != "all":
        preds.append(lambda s: s["status"] == status)
    elif not status:
        preds.append(lambda s: s["status"] != "canceled")
    price = params.string(q, "price")
    if price:
        preds.append(lambda s: any(it["price"]["id"] == price for it in s["items"]["data"]))
    return filters.apply(sb.store.all_of("subscription"), *preds)


def items_of(sb: Sandbox, q: params.Params) -> list[Obj]:
    """`GET /v1/subscription_items?subscription=…`."""
    sub = sb.need(params.string(q, "subscription", required=True), "subscription")
    return list(sub["items"]["data"])
