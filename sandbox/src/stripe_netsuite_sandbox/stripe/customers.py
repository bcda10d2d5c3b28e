"""Customers, their discounts, balance transactions, card sources and cash balance."""

from __future__ import annotations

from stripe_netsuite_sandbox.stripe import (
    billing,
    catalog,
    currency,
    errors,
    filters,
    intents,
    methods,
    params,
    shapes,
    subscriptions,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

_TEXT = ("email", "name", "description", "phone", "tax_exempt")
_HEX = "0123456789ABCDEF"


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/customers`."""
    clock = params.string(q, "test_clock")
    if clock:
        clk = sb.need(clock, "test_helpers.test_clock", param="test_clock", kind="test clock")
        created = int(clk["frozen_time"])
    else:
        created = sb.now()
    cus = sb.create(
        "customer",
        "cus",
        address=None,
        balance=0,
        created=created,
        invoice_prefix=sb.token(8, _HEX),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        next_invoice_sequence=1,
        preferred_locales=[],
        tax_exempt="none",
        test_clock=clock,
        _cash={},
    )
    _apply(sb, cus, q, creating=True)
    sb.emit("customer.created", cus)
    if cus.get("discount"):
        sb.emit("customer.discount.created", sb.store.get(cus["discount"]["id"]) or cus)
    pm_ref = params.string(q, "payment_method")
    if pm_ref:
        methods.attach(sb, pm_ref, {"customer": cus["id"]})
        default = cus["invoice_settings"].get("default_payment_method")
        if default and default == pm_ref and pm_ref.startswith(("pm_card_", "tok_")):
            # A test id stands for the clone just attached.
            attached = [p for p in sb.store.all_of("payment_method") if p["customer"] == cus["id"]]
            cus["invoice_settings"]["default_payment_method"] = attached[-1]["id"]
    balance = params.integer(q, "balance")
    if balance:
        billing.adjust_balance(sb, cus, balance, type="initial", emit=False)
    return cus


def _apply(sb: Sandbox, cus: Obj, q: params.Params, *, creating: bool) -> None:
    for key in _TEXT:
        if key in q:
            cus[key] = params.string(q, key)
    for key in ("address", "shipping"):
        if key in q:
            value = params.mapping(q, key) or None
            if value is not None and key == "address":
                base = {k: None for k in shapes.fixtures()["customer"]["address"]}
                base.update(value)
                value = base
            cus[key] = value
    if "preferred_locales" in q:
        cus["preferred_locales"] = [str(v) for v in params.array(q, "preferred_locales")]
    settings = params.mapping(q, "invoice_settings")
    if settings:
        ref = settings.get("default_payment_method")
        if ref and not str(ref).startswith(("pm_card_", "tok_")):
            pm = sb.get(str(ref), ("payment_method", "card"))
            if pm is None:
                raise errors.no_such(
                    "PaymentMethod", str(ref), "invoice_settings[default_payment_method]"
                )
            if not creating and pm.get("customer") != cus["id"]:
                raise errors.invalid(
                    f"The customer does not have a payment method with the ID {ref}. The "
                    "payment method must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
        cus["invoice_settings"].update(
            {k: (v or None) for k, v in settings.items() if k in cus["invoice_settings"]}
        )
    params.apply_metadata(cus, q)
    if "coupon" in q or "promotion_code" in q:
        set_discount(sb, cus, params.string(q, "coupon"), params.string(q, "promotion_code"))
    source = params.string(q, "source")
    if source:
        card = methods.card_source(sb, source, cus)
        cus["default_source"] = card["id"]
    if "default_source" in q and not creating:
        ref = params.string(q, "default_source")
        if ref and sb.get(ref, "card") is None:
            raise errors.no_such("source", ref, "default_source")
        cus["default_source"] = ref


def set_discount(sb: Sandbox, cus: Obj, coupon: str | None, promo: str | None) -> None:
    """Attach (or with both None, remove) the customer's discount."""
    old = cus.get("discount")
    if not coupon and not promo:
        if old:
            cus["discount"] = None
            gone = sb.store.get(old["id"])
            if gone is not None:
                sb.emit("customer.discount.deleted", gone)
        return
    disc = catalog.discount(sb, coupon=coupon, promotion_code=promo, customer=cus["id"])
    cus["discount"] = sb.render(disc)
    if old:
        sb.emit("customer.discount.updated", disc, {"source": old.get("source")})


def update(sb: Sandbox, cus: Obj, q: params.Params) -> Obj:
    """`POST /v1/customers/{id}`."""
    keys = [
        *_TEXT,
        "address",
        "shipping",
        "metadata",
        "invoice_settings",
        "discount",
        "default_source",
        "balance",
        "preferred_locales",
    ]
    before = sb.snapshot(cus, keys)
    had_discount = bool(cus.get("discount"))
    _apply(sb, cus, q, creating=False)
    if "balance" in q:
        target = params.integer(q, "balance") or 0
        if target != cus["balance"]:
            billing.adjust_balance(
                sb, cus, target - int(cus["balance"]), type="adjustment", emit=False
            )
    sb.touch(cus)
    if cus.get("discount") and not had_discount:
        disc = sb.store.get(cus["discount"]["id"])
        sb.emit("customer.discount.created", disc or cus)
    sb.update_event("customer.updated", cus, before)
    return cus


def delete(sb: Sandbox, cus: Obj) -> Obj:
    """`DELETE /v1/customers/{id}`: subscriptions are canceled, the customer is gone."""
    for sub in sb.store.all_of("subscription"):
        if sub["customer"] == cus["id"] and sub["status"] not in {"canceled", "incomplete_expired"}:
            subscriptions.cancel(sb, sub, {})
    cus["_deleted"] = True
    sb.touch(cus)
    sb.emit("customer.deleted", cus)
    return shapes.deleted(cus)


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Customers filtered by email / created / test_clock."""
    return filters.apply(
        sb.store.all_of("customer"),
        filters.equal(q, "email", "test_clock"),
        filters.range_filter(q, "created"),
    )


def create_balance_transaction(sb: Sandbox, cus: Obj, q: params.Params) -> Obj:
    """`POST /v1/customers/{id}/balance_transactions`."""
    amount = params.integer(q, "amount", required=True)
    cur = currency.check_known(params.currency(q, required=True) or "")
    assert amount is not None
    txn = billing.adjust_balance(
        sb,
        cus,
        amount,
        type="adjustment",
        currency_code=cur,
        description=params.string(q, "description"),
    )
    params.apply_metadata(txn, q)
    return txn


def update_balance_transaction(sb: Sandbox, txn: Obj, q: params.Params) -> Obj:
    """`POST /v1/customers/{id}/balance_transactions/{txn}`: description and metadata."""
    if "description" in q:
        txn["description"] = params.string(q, "description")
    params.apply_metadata(txn, q)
    sb.touch(txn)
    return txn


def add_source(sb: Sandbox, cus: Obj, q: params.Params) -> Obj:
    """`POST /v1/customers/{id}/sources`."""
    token = params.string(q, "source", required=True)
    assert token is not None
    card = methods.card_source(sb, token, cus)
    params.apply_metadata(card, q)
    sb.emit("customer.source.created", card)
    if not cus.get("default_source"):
        before = {"default_source": None}
        cus["default_source"] = card["id"]
        sb.touch(cus)
        sb.emit("customer.updated", cus, before)
    return card


def update_source(sb: Sandbox, card: Obj, q: params.Params) -> Obj:
    """`POST /v1/customers/{id}/sources/{card}`."""
    before = sb.snapshot(card, ["metadata", "name", "exp_month", "exp_year", "address_zip"])
    for key in ("name", "address_zip", "address_line1", "address_city", "address_country"):
        if key in q:
            card[key] = params.string(q, key)
    for key in ("exp_month", "exp_year"):
        if key in q:
            card[key] = params.integer(q, key)
    params.apply_metadata(card, q)
    sb.touch(card)
    sb.update_event("customer.source.updated", card, before)
    return card


def delete_source(sb: Sandbox, cus: Obj, card: Obj) -> Obj:
    """`DELETE /v1/customers/{id}/sources/{card}`."""
    card["_deleted"] = True
    card["customer"] = None
    sb.touch(card)
    if cus.get("default_source") == card["id"]:
        cus["default_source"] = None
        sb.touch(cus)
    sb.emit("customer.source.deleted", card)
    return shapes.deleted(card)


def portal_session(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/billing_portal/sessions`."""
    cus = sb.need(params.string(q, "customer", required=True), "customer", param="customer")
    sess = sb.create(
        "billing_portal.session",
        "bps",
        configuration=f"bpc_{sb.account_id.removeprefix('acct_')}",
        customer=cus["id"],
        flow=None,
        locale=params.string(q, "locale"),
        return_url=params.string(q, "return_url"),
    )
    sess["url"] = f"https://billing.stripe.com/p/session/test_{sess['id'].removeprefix('bps_')}"
    sb.emit("billing_portal.session.created", sess)
    return sess


def fund_cash_balance(sb: Sandbox, cus: Obj, q: params.Params) -> Obj:
    """`POST /v1/test_helpers/customers/{id}/fund_cash_balance`."""
    amount = params.integer(q, "amount", required=True)
    cur = currency.check_known(params.currency(q, required=True) or "")
    assert amount is not None
    if amount <= 0:
        raise errors.invalid("This value must be greater than or equal to 1.", param="amount")
    cash: dict[str, int] = cus.setdefault("_cash", {})
    cash[cur] = cash.get(cur, 0) + amount
    sb.touch(cus)
    txn = sb.create(
        "customer_cash_balance_transaction",
        "ccsbtxn",
        currency=cur,
        customer=cus["id"],
        ending_balance=cash[cur],
        funded={
            "bank_transfer": {
                "reference": params.string(q, "reference"),
                "type": "jp_bank_transfer",
            }
        },
        net_amount=amount,
        type="funded",
    )
    sb.emit("customer_cash_balance_transaction.created", txn)
    sb.emit("cash_balance.funds_available", cash_balance(cus))
    for pi in sb.store.all_of("payment_intent"):
        if pi["customer"] == cus["id"] and pi["status"] == "requires_action":
            intents.apply_cash_balance(sb, pi)
    return txn


def cash_balance(cus: Obj) -> Obj:
    """The customer's `cash_balance` object."""
    return {
        "object": "cash_balance",
        "available": dict(cus.get("_cash") or {}),
        "customer": cus["id"],
        "livemode": False,
        "customer_account": None,
        "settings": {"reconciliation_mode": "automatic", "using_merchant_default": True},
    }
