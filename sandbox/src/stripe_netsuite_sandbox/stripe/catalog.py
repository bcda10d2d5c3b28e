"""Products, prices, plans, coupons, promotion codes, discounts and tax rates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from stripe_netsuite_sandbox.stripe import currency, errors, filters, params, shapes
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
INTERVALS = {"day", "week", "month", "year"}


def _percentage(q: params.Params, name: str, *, required: bool = False) -> float | None:
    raw = params.string(q, name, required=required)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise errors.invalid(f"Invalid decimal: {raw}", param=name) from None
    # Percentages are rates, not money; Stripe renders them as JSON numbers.
    return float(value)


def _set_text(obj: Obj, q: params.Params, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in q:
            obj[key] = params.string(q, key)


def _unique(sb: Sandbox, q: params.Params, kind: str) -> None:
    oid = params.string(q, "id")
    if oid and sb.store.get(oid) is not None:
        raise errors.invalid(f"{kind} already exists.", param="id", code="resource_already_exists")


def _deleted(sb: Sandbox, obj: Obj, event: str) -> Obj:
    obj["_deleted"] = True
    sb.touch(obj)
    sb.emit(event, obj)
    return shapes.deleted(obj)


# -- products ---------------------------------------------------------------------------
def create_product(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/products`."""
    name = params.string(q, "name", required=True)
    _unique(sb, q, "Product")
    prod = sb.create(
        "product",
        "prod",
        id=params.string(q, "id"),
        active=params.boolean(q, "active", default=True),
        description=params.string(q, "description"),
        images=[str(i) for i in params.array(q, "images")],
        marketing_features=[],
        name=name,
        shippable=None,
        statement_descriptor=params.string(q, "statement_descriptor"),
        tax_code=params.string(q, "tax_code"),
        unit_label=params.string(q, "unit_label"),
        url=params.string(q, "url"),
        type="service",
    )
    prod["updated"] = prod["created"]
    params.apply_metadata(prod, q)
    sb.emit("product.created", prod)
    data = params.mapping(q, "default_price_data")
    if data:
        price = create_price(sb, {**data, "product": prod["id"]})
        prod["default_price"] = price["id"]
    return prod


def update_product(sb: Sandbox, prod: Obj, q: params.Params) -> Obj:
    """`POST /v1/products/{id}`."""
    keys = (
        "name",
        "description",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "url",
        "default_price",
    )
    before = sb.snapshot(prod, [*keys, "active", "metadata"])
    _set_text(prod, q, keys)
    if "active" in q:
        prod["active"] = params.boolean(q, "active")
    params.apply_metadata(prod, q)
    prod["updated"] = sb.now()
    sb.touch(prod)
    sb.update_event("product.updated", prod, before)
    return prod


def delete_product(sb: Sandbox, prod: Obj) -> Obj:
    """`DELETE /v1/products/{id}` (refused while prices exist, as Stripe does)."""
    if any(p["product"] == prod["id"] for p in sb.store.all_of("price")):
        raise errors.invalid(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    return _deleted(sb, prod, "product.deleted")


def _product_ref(sb: Sandbox, q: params.Params) -> str:
    ref = q.get("product")
    if isinstance(ref, dict):
        return str(create_product(sb, ref)["id"])
    data = params.mapping(q, "product_data")
    if data:
        return str(create_product(sb, data)["id"])
    pid = params.string(q, "product", required=True)
    return str(sb.need(pid, "product", param="product")["id"])


def _recurring(q: params.Params, name: str = "recurring") -> dict[str, Any] | None:
    rec = params.mapping(q, name)
    if not rec:
        return None
    interval = params.string(rec, "interval", required=True)
    if interval not in INTERVALS:
        raise errors.invalid(f"Invalid interval: {interval}", param=f"{name}[interval]")
    return {
        "interval": interval,
        "interval_count": params.integer(rec, "interval_count") or 1,
        "meter": None,
        "usage_type": params.string(rec, "usage_type") or "licensed",
        "trial_period_days": params.integer(rec, "trial_period_days"),
    }


# -- prices -----------------------------------------------------------------------------
def create_price(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/prices`."""
    cur = currency.check_known(params.currency(q, required=True) or "")
    amount = params.integer(q, "unit_amount")
    decimal = params.string(q, "unit_amount_decimal")
    if amount is None and decimal is None and not params.mapping(q, "custom_unit_amount"):
        raise errors.invalid(
            "Missing required param: unit_amount.", param="unit_amount", code="parameter_missing"
        )
    if amount is not None and amount < 0:
        raise errors.invalid("This value must be greater than or equal to 0.", param="unit_amount")
    product = _product_ref(sb, q)
    rec = _recurring(q)
    price = sb.create(
        "price",
        "price",
        active=params.boolean(q, "active", default=True),
        billing_scheme="per_unit",
        currency=cur,
        lookup_key=params.string(q, "lookup_key"),
        nickname=params.string(q, "nickname"),
        product=product,
        recurring=rec,
        tax_behavior=params.string(q, "tax_behavior") or "unspecified",
        type="recurring" if rec else "one_time",
        unit_amount=amount,
        unit_amount_decimal=decimal or (str(amount) if amount is not None else None),
    )
    params.apply_metadata(price, q)
    sb.emit("price.created", price)
    return price


def update_price(sb: Sandbox, price: Obj, q: params.Params) -> Obj:
    """`POST /v1/prices/{id}`."""
    before = sb.snapshot(price, ["active", "nickname", "lookup_key", "tax_behavior", "metadata"])
    _set_text(price, q, ("nickname", "lookup_key", "tax_behavior"))
    if "active" in q:
        price["active"] = params.boolean(q, "active")
    params.apply_metadata(price, q)
    sb.touch(price)
    sb.update_event("price.updated", price, before)
    return price


# -- plans ------------------------------------------------------------------------------
def create_plan(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/plans` (plans share the price id space)."""
    cur = currency.check_known(params.currency(q, required=True) or "")
    interval = params.string(q, "interval", required=True)
    if interval not in INTERVALS:
        raise errors.invalid(f"Invalid interval: {interval}", param="interval")
    amount = params.integer(q, "amount")
    if amount is None and params.string(q, "amount_decimal") is None:
        raise errors.missing_param("amount")
    _unique(sb, q, "Plan")
    product = _product_ref(sb, q)
    plan = sb.create(
        "plan",
        "price",
        id=params.string(q, "id"),
        active=params.boolean(q, "active", default=True),
        amount=amount,
        amount_decimal=params.string(q, "amount_decimal") or str(amount),
        billing_scheme="per_unit",
        currency=cur,
        interval=interval,
        interval_count=params.integer(q, "interval_count") or 1,
        nickname=params.string(q, "nickname"),
        product=product,
        trial_period_days=params.integer(q, "trial_period_days"),
        usage_type=params.string(q, "usage_type") or "licensed",
    )
    params.apply_metadata(plan, q)
    sb.emit("plan.created", plan)
    return plan


def update_plan(sb: Sandbox, plan: Obj, q: params.Params) -> Obj:
    """`POST /v1/plans/{id}`."""
    before = sb.snapshot(plan, ["active", "nickname", "metadata", "trial_period_days"])
    _set_text(plan, q, ("nickname",))
    if "active" in q:
        plan["active"] = params.boolean(q, "active")
    if "trial_period_days" in q:
        plan["trial_period_days"] = params.integer(q, "trial_period_days")
    params.apply_metadata(plan, q)
    sb.touch(plan)
    sb.update_event("plan.updated", plan, before)
    return plan


def as_price(obj: Obj) -> Obj:
    """A price view of a price or a plan."""
    if obj["object"] == "price":
        return obj
    return {
        "id": obj["id"],
        "object": "price",
        "active": obj["active"],
        "billing_scheme": "per_unit",
        "created": obj["created"],
        "currency": obj["currency"],
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": obj["metadata"],
        "nickname": obj["nickname"],
        "product": obj["product"],
        "recurring": {
            "interval": obj["interval"],
            "interval_count": obj["interval_count"],
            "meter": None,
            "usage_type": obj["usage_type"],
            "trial_period_days": obj["trial_period_days"],
        },
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": obj["amount"],
        "unit_amount_decimal": obj["amount_decimal"],
    }


def as_plan(obj: Obj) -> Obj | None:
    """A plan view of a recurring price or a plan."""
    if obj["object"] == "plan":
        return obj
    rec = obj.get("recurring")
    if not rec:
        return None
    return {
        "id": obj["id"],
        "object": "plan",
        "active": obj["active"],
        "amount": obj["unit_amount"],
        "amount_decimal": obj["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": obj["created"],
        "currency": obj["currency"],
        "interval": rec["interval"],
        "interval_count": rec["interval_count"],
        "livemode": False,
        "metadata": obj["metadata"],
        "meter": None,
        "nickname": obj["nickname"],
        "product": obj["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": rec["trial_period_days"],
        "usage_type": rec["usage_type"],
    }


def price_ref(sb: Sandbox, ref: str | None, param: str) -> Obj:
    """A price or plan by id (404 otherwise)."""
    obj = sb.get(ref, ("price", "plan"))
    if obj is None or obj.get("_deleted"):
        raise errors.no_such("price", str(ref), param)
    return obj


# -- coupons, promotion codes, discounts --------------------------------------------------
def create_coupon(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/coupons`."""
    percent = _percentage(q, "percent_off")
    amount_off = params.integer(q, "amount_off")
    if (percent is None) == (amount_off is None):
        raise errors.invalid("You must pass exactly one of percent_off or amount_off.")
    if percent is not None and not 0 < percent <= 100:
        raise errors.invalid(
            "Invalid percent_off: must be greater than 0 and at most 100.", param="percent_off"
        )
    cur = params.currency(q)
    if amount_off is not None:
        if not cur:
            raise errors.invalid(
                "You must pass currency when passing amount_off.", param="currency"
            )
        currency.check_known(cur)
        if amount_off <= 0:
            raise errors.invalid("Invalid amount_off: must be positive.", param="amount_off")
    duration = params.string(q, "duration") or "once"
    if duration not in {"once", "repeating", "forever"}:
        raise errors.invalid(f"Invalid duration: {duration}", param="duration")
    months = params.integer(q, "duration_in_months")
    if duration == "repeating" and not months:
        raise errors.missing_param("duration_in_months")
    cid = params.string(q, "id") or sb.token(8, _UPPER)
    if sb.store.get(cid) is not None:
        raise errors.invalid("Coupon already exists.", param="id", code="resource_already_exists")
    coupon = sb.create(
        "coupon",
        None,
        id=cid,
        amount_off=amount_off,
        currency=cur if amount_off is not None else None,
        duration=duration,
        duration_in_months=months if duration == "repeating" else None,
        max_redemptions=params.integer(q, "max_redemptions"),
        name=params.string(q, "name"),
        percent_off=percent,
        redeem_by=params.integer(q, "redeem_by"),
        times_redeemed=0,
        valid=True,
    )
    params.apply_metadata(coupon, q)
    sb.emit("coupon.created", coupon)
    return coupon


def update_coupon(sb: Sandbox, coupon: Obj, q: params.Params) -> Obj:
    """`POST /v1/coupons/{id}`: name and metadata only."""
    before = sb.snapshot(coupon, ["name", "metadata"])
    _set_text(coupon, q, ("name",))
    params.apply_metadata(coupon, q)
    sb.touch(coupon)
    sb.update_event("coupon.updated", coupon, before)
    return coupon


def delete_plan(sb: Sandbox, plan: Obj) -> Obj:
    """`DELETE /v1/plans/{id}`."""
    return _deleted(sb, plan, "plan.deleted")


def delete_coupon(sb: Sandbox, coupon: Obj) -> Obj:
    """`DELETE /v1/coupons/{id}`."""
    return _deleted(sb, coupon, "coupon.deleted")


def create_promotion_code(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/promotion_codes` (`promotion[coupon]`, or the older `coupon`)."""
    promo = params.mapping(q, "promotion")
    ref = params.string(promo, "coupon") or params.string(q, "coupon")
    if not ref:
        raise errors.missing_param("promotion[coupon]")
    coupon = sb.need(ref, "coupon", param="promotion[coupon]")
    code = params.string(q, "code") or sb.token(8, _UPPER)
    pc = sb.create(
        "promotion_code",
        "promo",
        active=params.boolean(q, "active", default=True),
        code=code,
        customer=params.string(q, "customer"),
        expires_at=params.integer(q, "expires_at"),
        max_redemptions=params.integer(q, "max_redemptions"),
        restrictions={
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        times_redeemed=0,
        promotion={"coupon": coupon["id"], "type": "coupon"},
    )
    params.apply_metadata(pc, q)
    sb.emit("promotion_code.created", pc)
    return pc


def update_promotion_code(sb: Sandbox, pc: Obj, q: params.Params) -> Obj:
    """`POST /v1/promotion_codes/{id}`."""
    before = sb.snapshot(pc, ["active", "metadata"])
    if "active" in q:
        pc["active"] = params.boolean(q, "active")
    params.apply_metadata(pc, q)
    sb.touch(pc)
    sb.update_event("promotion_code.updated", pc, before)
    return pc


def discount(
    sb: Sandbox,
    *,
    coupon: str | None = None,
    promotion_code: str | None = None,
    customer: str | None = None,
    subscription: str | None = None,
    invoice: str | None = None,
    invoice_item: str | None = None,
) -> Obj:
    """A stored `discount` object for a coupon or promotion code."""
    if promotion_code:
        pc = sb.need(promotion_code, "promotion_code", param="promotion_code")
        if not pc["active"]:
            raise errors.invalid(
                f"Promotion code {promotion_code} is inactive.", param="promotion_code"
            )
        coupon = pc["promotion"]["coupon"]
        pc["times_redeemed"] += 1
        sb.touch(pc)
    cpn = sb.need(coupon, "coupon", param="coupon")
    if not cpn["valid"] or (
        cpn["max_redemptions"] and cpn["times_redeemed"] >= cpn["max_redemptions"]
    ):
        raise errors.invalid(
            f"Coupon {cpn['id']} is no longer valid.", param="coupon", code="coupon_expired"
        )
    cpn["times_redeemed"] += 1
    sb.touch(cpn)
    start = sb.now()
    end = None
    if cpn["duration"] == "repeating":
        end = start + int(cpn["duration_in_months"]) * 30 * 86400
    return sb.create(
        "discount",
        "di",
        customer=customer,
        end=end,
        invoice=invoice,
        invoice_item=invoice_item,
        promotion_code=promotion_code,
        start=start,
        subscription=subscription,
        source={"coupon": cpn["id"], "type": "coupon"},
    )


def coupon_of(sb: Sandbox, disc: Obj) -> Obj:
    """The coupon behind a discount."""
    return sb.need(disc["source"]["coupon"], "coupon")


# -- tax rates ---------------------------------------------------------------------------
def create_tax_rate(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/tax_rates`."""
    name = params.string(q, "display_name", required=True)
    pct = _percentage(q, "percentage", required=True)
    if "inclusive" not in q:
        raise errors.missing_param("inclusive")
    assert pct is not None
    if not 0 <= pct <= 100:
        raise errors.invalid("Invalid percentage: must be between 0 and 100.", param="percentage")
    rate = sb.create(
        "tax_rate",
        "txr",
        active=params.boolean(q, "active", default=True),
        country=params.string(q, "country"),
        description=params.string(q, "description"),
        display_name=name,
        effective_percentage=pct,
        inclusive=params.boolean(q, "inclusive"),
        jurisdiction=params.string(q, "jurisdiction"),
        percentage=pct,
        state=params.string(q, "state"),
        tax_type=params.string(q, "tax_type"),
        rate_type="percentage",
    )
    params.apply_metadata(rate, q)
    sb.emit("tax_rate.created", rate)
    return rate


def update_tax_rate(sb: Sandbox, rate: Obj, q: params.Params) -> Obj:
    """`POST /v1/tax_rates/{id}`."""
    keys = ("display_name", "description", "jurisdiction", "country", "state", "tax_type")
    before = sb.snapshot(rate, [*keys, "active", "metadata"])
    _set_text(rate, q, keys)
    if "active" in q:
        rate["active"] = params.boolean(q, "active")
    params.apply_metadata(rate, q)
    sb.touch(rate)
    sb.update_event("tax_rate.updated", rate, before)
    return rate


def listing(sb: Sandbox, object_type: str, q: params.Params) -> list[Obj]:
    """Catalogue objects filtered by the usual keys."""
    preds = [filters.range_filter(q, "created"), filters.equal(q, "product", "currency", "code")]
    if "active" in q:
        active = params.boolean(q, "active")
        preds.append(lambda o: o.get("active") == active)
    if object_type == "price" and "type" in q:
        kind = params.string(q, "type")
        preds.append(lambda o: o.get("type") == kind)
    return filters.apply(sb.store.all_of(object_type), *preds)
