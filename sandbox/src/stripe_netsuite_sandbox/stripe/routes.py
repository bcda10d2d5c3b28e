"""The route table: (method, path pattern) → handler(sandbox, params, *path ids)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stripe_netsuite_sandbox.stripe import (
    catalog,
    charges,
    checkout,
    clock,
    collection,
    credit_notes,
    customers,
    disputes,
    errors,
    filters,
    intents,
    invoices,
    ledger,
    methods,
    params,
    payment_links,
    search,
    shapes,
    subscriptions,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

Handler = Callable[..., Any]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
ID = r"([^/]+)"


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for *method* and *pattern* (`{id}` matches one path segment)."""

    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile("^" + pattern.replace("{id}", ID) + "$"), fn))
        return fn

    return register


def match(method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler and path ids for a request, or None."""
    for verb, pattern, fn in ROUTES:
        if verb == method:
            found = pattern.match(path)
            if found:
                return fn, found.groups()
    return None


def _expand(q: params.Params) -> list[str]:
    return [str(e) for e in params.array(q, "expand")]


def _list(sb: Sandbox, items: list[Obj], q: params.Params, url: str) -> Obj:
    return sb.page(items, q, url, _expand(q))


def _all(sb: Sandbox, object_type: str, q: params.Params) -> list[Obj]:
    return filters.apply(sb.store.all_of(object_type), filters.range_filter(q, "created"))


def crud(
    path: str,
    object_type: str,
    kind: str,
    *,
    create: Handler | None = None,
    update: Handler | None = None,
    delete: Handler | None = None,
    listing: Handler | None = None,
) -> None:
    """Register the standard list / create / retrieve / update / delete routes."""

    def retrieve(sb: Sandbox, q: params.Params, oid: str) -> Obj:
        obj = sb.get(oid, object_type)
        if obj is None:
            raise errors.no_such(kind, oid)
        if obj.get("_deleted"):
            return shapes.deleted(obj)
        return obj

    def lister(sb: Sandbox, q: params.Params) -> Obj:
        items = listing(sb, q) if listing else _all(sb, object_type, q)
        return _list(sb, items, q, path)

    route("GET", path)(lister)
    route("GET", path + "/{id}")(retrieve)
    if create:
        route("POST", path)(lambda sb, q: create(sb, q))
    if update:
        route("POST", path + "/{id}")(
            lambda sb, q, oid: update(sb, sb.need(oid, object_type, kind=kind), q)
        )
    if delete:
        route("DELETE", path + "/{id}")(
            lambda sb, q, oid: delete(sb, sb.need(oid, object_type, kind=kind))
        )


# -- account, balance, events -------------------------------------------------------------
@route("GET", "/v1/account")
def _account(sb: Sandbox, q: params.Params) -> Obj:
    return {
        "id": sb.account_id,
        "object": "account",
        "business_type": "company",
        "charges_enabled": True,
        "country": "US",
        "created": 1700000000,
        "default_currency": sb.default_currency,
        "details_submitted": True,
        "email": "sandbox@example.com",
        "payouts_enabled": True,
        "type": "standard",
        "metadata": {},
        "settings": {"payouts": {"schedule": {"delay_days": 2, "interval": "daily"}}},
    }


@route("GET", "/v1/balance")
def _balance(sb: Sandbox, q: params.Params) -> Obj:
    bal = ledger.balance(sb)
    bal.pop("id")
    return bal


def _bt_list(sb: Sandbox, q: params.Params) -> Obj:
    return _list(sb, ledger.list_balance_transactions(sb, q), q, "/v1/balance_transactions")


route("GET", "/v1/balance_transactions")(_bt_list)
route("GET", "/v1/balance/history")(_bt_list)
route("GET", "/v1/balance_transactions/{id}")(
    lambda sb, q, oid: sb.need(oid, "balance_transaction", kind="balance transaction")
)
route("GET", "/v1/balance/history/{id}")(
    lambda sb, q, oid: sb.need(oid, "balance_transaction", kind="balance transaction")
)


def _events(sb: Sandbox, q: params.Params) -> list[Obj]:
    oldest = sb.now() - sb.event_retention
    kind = params.string(q, "type")
    kinds = {str(t) for t in params.array(q, "types")}
    if len(kinds) > 20:
        raise errors.invalid("You may pass up to 20 types.", param="types")

    def wanted(ev: Obj) -> bool:
        if kind and not re.fullmatch(re.escape(kind).replace(r"\*", ".*"), ev["type"]):
            return False
        return not kinds or ev["type"] in kinds

    preds = [wanted, filters.range_filter(q, "created"), lambda ev: ev["created"] >= oldest]
    if "delivery_success" in q and not params.boolean(q, "delivery_success"):
        preds.append(lambda ev: bool(ev.get("pending_webhooks")))
    return filters.apply(sb.store.all_of("event"), *preds)


route("GET", "/v1/events")(lambda sb, q: _list(sb, _events(sb, q), q, "/v1/events"))
route("GET", "/v1/events/{id}")(lambda sb, q, oid: sb.need(oid, "event"))


# -- customers ----------------------------------------------------------------------------
crud(
    "/v1/customers",
    "customer",
    "customer",
    create=customers.create,
    update=customers.update,
    delete=customers.delete,
    listing=customers.listing,
)
route("GET", "/v1/customers/search")(
    lambda sb, q: search.run(sb, "customer", q, "/v1/customers/search")
)
ROUTES.insert(0, ROUTES.pop())  # search must win over /v1/customers/{id}


@route("GET", "/v1/customers/{id}/balance_transactions")
def _cbtxns(sb: Sandbox, q: params.Params, cid: str) -> Obj:
    sb.need(cid, "customer")
    items = [t for t in sb.store.all_of("customer_balance_transaction") if t["customer"] == cid]
    return _list(sb, items, q, f"/v1/customers/{cid}/balance_transactions")


route("POST", "/v1/customers/{id}/balance_transactions")(
    lambda sb, q, cid: customers.create_balance_transaction(sb, sb.need(cid, "customer"), q)
)
route("GET", "/v1/customers/{id}/balance_transactions/{id}")(
    lambda sb, q, cid, tid: sb.need(tid, "customer_balance_transaction")
)
route("POST", "/v1/customers/{id}/balance_transactions/{id}")(
    lambda sb, q, cid, tid: customers.update_balance_transaction(
        sb, sb.need(tid, "customer_balance_transaction"), q
    )
)
route("POST", "/v1/customers/{id}/sources")(
    lambda sb, q, cid: customers.add_source(sb, sb.need(cid, "customer"), q)
)


@route("GET", "/v1/customers/{id}/sources")
def _sources(sb: Sandbox, q: params.Params, cid: str) -> Obj:
    items = [c for c in sb.store.all_of("card") if c["customer"] == cid]
    return _list(sb, filters.apply(items), q, f"/v1/customers/{cid}/sources")


route("GET", "/v1/customers/{id}/sources/{id}")(lambda sb, q, cid, sid: sb.need(sid, "card"))
route("POST", "/v1/customers/{id}/sources/{id}")(
    lambda sb, q, cid, sid: customers.update_source(sb, sb.need(sid, "card", kind="source"), q)
)
route("DELETE", "/v1/customers/{id}/sources/{id}")(
    lambda sb, q, cid, sid: customers.delete_source(
        sb, sb.need(cid, "customer"), sb.need(sid, "card", kind="source")
    )
)


@route("GET", "/v1/customers/{id}/payment_methods")
def _customer_pms(sb: Sandbox, q: params.Params, cid: str) -> Obj:
    items = [p for p in sb.store.all_of("payment_method") if p["customer"] == cid]
    kind = params.string(q, "type")
    items = [p for p in items if not kind or p["type"] == kind]
    return _list(sb, items, q, f"/v1/customers/{cid}/payment_methods")


route("GET", "/v1/customers/{id}/cash_balance")(
    lambda sb, q, cid: customers.cash_balance(sb.need(cid, "customer"))
)
route("POST", "/v1/test_helpers/customers/{id}/fund_cash_balance")(
    lambda sb, q, cid: customers.fund_cash_balance(sb, sb.need(cid, "customer"), q)
)
route("POST", "/v1/billing_portal/sessions")(customers.portal_session)

# -- catalogue ----------------------------------------------------------------------------
crud(
    "/v1/products",
    "product",
    "product",
    create=catalog.create_product,
    update=catalog.update_product,
    delete=catalog.delete_product,
    listing=lambda sb, q: catalog.listing(sb, "product", q),
)
crud(
    "/v1/prices",
    "price",
    "price",
    create=catalog.create_price,
    update=catalog.update_price,
    listing=lambda sb, q: catalog.listing(sb, "price", q),
)
crud(
    "/v1/plans",
    "plan",
    "plan",
    create=catalog.create_plan,
    update=catalog.update_plan,
    delete=lambda sb, p: catalog.delete_plan(sb, p),
    listing=lambda sb, q: catalog.listing(sb, "plan", q),
)
crud(
    "/v1/coupons",
    "coupon",
    "coupon",
    create=catalog.create_coupon,
    update=catalog.update_coupon,
    delete=catalog.delete_coupon,
)
crud(
    "/v1/promotion_codes",
    "promotion_code",
    "promotion code",
    create=catalog.create_promotion_code,
    update=catalog.update_promotion_code,
    listing=lambda sb, q: catalog.listing(sb, "promotion_code", q),
)
crud(
    "/v1/tax_rates",
    "tax_rate",
    "tax rate",
    create=catalog.create_tax_rate,
    update=catalog.update_tax_rate,
    listing=lambda sb, q: catalog.listing(sb, "tax_rate", q),
)

# -- payments -----------------------------------------------------------------------------
crud(
    "/v1/payment_methods",
    "payment_method",
    "PaymentMethod",
    create=methods.create,
    listing=lambda sb, q: filters.apply(
        sb.store.all_of("payment_method"), filters.equal(q, "customer", "type")
    ),
)
route("POST", "/v1/payment_methods/{id}/attach")(lambda sb, q, pid: methods.attach(sb, pid, q))
route("POST", "/v1/payment_methods/{id}/detach")(lambda sb, q, pid: methods.detach(sb, pid))


@route("POST", "/v1/payment_methods/{id}")
def _update_pm(sb: Sandbox, q: params.Params, pid: str) -> Obj:
    pm = sb.need(pid, "payment_method", kind="PaymentMethod")
    params.apply_metadata(pm, q)
    sb.touch(pm)
    sb.emit("payment_method.updated", pm)
    return pm


crud(
    "/v1/payment_intents",
    "payment_intent",
    "payment_intent",
    create=intents.create,
    update=intents.update,
    listing=intents.listing,
)
for _action, _fn in (
    ("confirm", intents.confirm),
    ("capture", intents.capture),
    ("cancel", intents.cancel),
):
    route("POST", "/v1/payment_intents/{id}/" + _action)(
        lambda sb, q, pid, fn=_fn: fn(sb, sb.need(pid, "payment_intent", kind="payment_intent"), q)
    )
crud(
    "/v1/charges",
    "charge",
    "charge",
    create=intents.charge_for_source,
    update=intents.update_charge,
    listing=lambda sb, q: filters.apply(
        sb.store.all_of("charge"),
        filters.equal(q, "customer", "payment_intent"),
        filters.range_filter(q, "created"),
    ),
)
route("POST", "/v1/charges/{id}/capture")(
    lambda sb, q, cid: intents.capture_charge(sb, sb.need(cid, "charge"), q)
)


@route("GET", "/v1/charges/{id}/refunds")
def _charge_refunds(sb: Sandbox, q: params.Params, cid: str) -> Obj:
    ch = sb.need(cid, "charge")
    return _list(sb, charges.refunds_of(sb, ch), q, f"/v1/charges/{cid}/refunds")


crud(
    "/v1/refunds",
    "refund",
    "refund",
    create=charges.create_refund,
    update=charges.update_refund,
    listing=lambda sb, q: filters.apply(
        sb.store.all_of("refund"),
        filters.equal(q, "charge", "payment_intent"),
        filters.range_filter(q, "created"),
    ),
)
route("POST", "/v1/refunds/{id}/cancel")(
    lambda sb, q, rid: charges.cancel_refund(sb, sb.need(rid, "refund"))
)
crud("/v1/disputes", "dispute", "dispute", update=disputes.update, listing=disputes.listing)
route("POST", "/v1/disputes/{id}/close")(
    lambda sb, q, did: disputes.close(sb, sb.need(did, "dispute"))
)

# -- checkout, payment links -------------------------------------------------------------
crud("/v1/checkout/sessions", "checkout.session", "checkout session", create=checkout.create,
     update=checkout.update, listing=checkout.listing)  # fmt: skip
route("GET", "/v1/checkout/sessions/{id}/line_items")(checkout.list_line_items)
route("POST", "/v1/checkout/sessions/{id}/expire")(
    lambda sb, q, sid: checkout.expire(sb, sb.need(sid, "checkout.session")))  # fmt: skip
crud("/v1/payment_links", "payment_link", "payment link", create=payment_links.create,
     update=payment_links.update, listing=payment_links.listing)  # fmt: skip
route("GET", "/v1/payment_links/{id}/line_items")(payment_links.list_line_items)

# -- payouts ------------------------------------------------------------------------------
crud(
    "/v1/payouts",
    "payout",
    "payout",
    create=ledger.create_payout,
    listing=lambda sb, q: filters.apply(
        sb.store.all_of("payout"),
        filters.equal(q, "status"),
        filters.range_filter(q, "created"),
        filters.range_filter(q, "arrival_date"),
    ),
)


@route("POST", "/v1/payouts/{id}")
def _update_payout(sb: Sandbox, q: params.Params, pid: str) -> Obj:
    po = sb.need(pid, "payout")
    before = sb.snapshot(po, ["metadata"])
    params.apply_metadata(po, q)
    sb.touch(po)
    sb.update_event("payout.updated", po, before)
    return po


route("POST", "/v1/payouts/{id}/cancel")(
    lambda sb, q, pid: ledger.cancel_payout(sb, sb.need(pid, "payout"))
)

# -- billing ------------------------------------------------------------------------------
crud(
    "/v1/invoiceitems",
    "invoiceitem",
    "invoiceitem",
    create=invoices.create_item,
    update=invoices.update_item,
    delete=invoices.delete_item,
    listing=invoices.item_listing,
)
crud(
    "/v1/invoices",
    "invoice",
    "invoice",
    create=invoices.create,
    update=invoices.update,
    delete=invoices.delete,
    listing=invoices.listing,
)
route("GET", "/v1/invoices/search")(
    lambda sb, q: search.run(sb, "invoice", q, "/v1/invoices/search")
)
ROUTES.insert(0, ROUTES.pop())
_INVOICE_ACTIONS: tuple[tuple[str, Handler], ...] = (
    ("finalize", lambda sb, inv, q: collection.finalize(sb, inv)),
    ("pay", collection.pay),
    ("void", lambda sb, inv, q: collection.void(sb, inv)),
    ("mark_uncollectible", lambda sb, inv, q: collection.mark_uncollectible(sb, inv)),
    ("send", lambda sb, inv, q: collection.send(sb, inv)),
)
for _action, _fn in _INVOICE_ACTIONS:
    route("POST", "/v1/invoices/{id}/" + _action)(
        lambda sb, q, iid, fn=_fn: fn(sb, sb.need(iid, "invoice"), q)
    )


@route("GET", "/v1/invoices/{id}/lines")
def _invoice_lines(sb: Sandbox, q: params.Params, iid: str) -> Obj:
    inv = sb.need(iid, "invoice")
    lines = list(inv["lines"]["data"])
    return _list(sb, lines, q, f"/v1/invoices/{iid}/lines")


def _invoice_payments(sb: Sandbox, q: params.Params) -> list[Obj]:
    payment = params.mapping(q, "payment")
    wanted = {k: str(v) for k, v in payment.items() if v not in (None, "")}

    def matches(ip: Obj) -> bool:
        return all(str(ip["payment"].get(k)) == v for k, v in wanted.items())

    return filters.apply(
        sb.store.all_of("invoice_payment"), filters.equal(q, "invoice", "status"), matches
    )


crud("/v1/invoice_payments", "invoice_payment", "invoice payment", listing=_invoice_payments)
crud(
    "/v1/credit_notes",
    "credit_note",
    "credit note",
    create=credit_notes.create,
    update=credit_notes.update,
    listing=credit_notes.listing,
)
route("POST", "/v1/credit_notes/{id}/void")(
    lambda sb, q, cid: credit_notes.void(sb, sb.need(cid, "credit_note", kind="credit note"))
)


@route("GET", "/v1/credit_notes/{id}/lines")
def _credit_note_lines(sb: Sandbox, q: params.Params, cid: str) -> Obj:
    cn = sb.need(cid, "credit_note", kind="credit note")
    return _list(sb, list(cn["lines"]["data"]), q, f"/v1/credit_notes/{cid}/lines")


crud(
    "/v1/subscriptions",
    "subscription",
    "subscription",
    create=subscriptions.create,
    update=subscriptions.update,
    listing=subscriptions.listing,
)
route("DELETE", "/v1/subscriptions/{id}")(
    lambda sb, q, sid: subscriptions.cancel(sb, sb.need(sid, "subscription"), q)
)
route("POST", "/v1/subscriptions/{id}/resume")(
    lambda sb, q, sid: subscriptions.resume(sb, sb.need(sid, "subscription"), q)
)
route("GET", "/v1/subscription_items")(
    lambda sb, q: _list(sb, subscriptions.items_of(sb, q), q, "/v1/subscription_items")
)
route("GET", "/v1/subscriptions/search")(
    lambda sb, q: search.run(sb, "subscription", q, "/v1/subscriptions/search")
)
ROUTES.insert(0, ROUTES.pop())

# -- test clocks --------------------------------------------------------------------------
crud(
    "/v1/test_helpers/test_clocks",
    "test_helpers.test_clock",
    "test clock",
    create=clock.create_test_clock,
    delete=clock.delete_test_clock,
)
route("POST", "/v1/test_helpers/test_clocks/{id}/advance")(
    lambda sb, q, cid: clock.advance_test_clock(
        sb, sb.need(cid, "test_helpers.test_clock", kind="test clock"), q
    )
)


# -- webhook endpoints --------------------------------------------------------------------
def _create_endpoint(sb: Sandbox, q: params.Params) -> Obj:
    url = params.string(q, "url", required=True)
    events = [str(e) for e in params.array(q, "enabled_events")]
    if not events:
        raise errors.missing_param("enabled_events")
    assert url is not None
    secret = "whsec_" + sb.token(32)
    sb.add_webhook(url, events, secret)
    ep = [e for e in sb.store.all_of("webhook_endpoint") if e["url"] == url][-1]
    ep["description"] = params.string(q, "description")
    params.apply_metadata(ep, q)
    out: Obj = sb.render(ep)
    out["secret"] = ep["_secret"]
    return out


def _update_endpoint(sb: Sandbox, ep: Obj, q: params.Params) -> Obj:
    if "url" in q:
        ep["url"] = params.string(q, "url")
    if "enabled_events" in q:
        ep["enabled_events"] = [str(e) for e in params.array(q, "enabled_events")]
    if "disabled" in q:
        ep["status"] = "disabled" if params.boolean(q, "disabled") else "enabled"
    if "description" in q:
        ep["description"] = params.string(q, "description")
    params.apply_metadata(ep, q)
    sb.touch(ep)
    return ep


def _delete_endpoint(sb: Sandbox, ep: Obj) -> Obj:
    ep["_deleted"] = True
    sb.webhook_secrets.pop(ep["url"], None)
    sb.touch(ep)
    return shapes.deleted(ep)


crud(
    "/v1/webhook_endpoints",
    "webhook_endpoint",
    "webhook endpoint",
    create=_create_endpoint,
    update=_update_endpoint,
    delete=_delete_endpoint,
)


for _path, _type in (
    ("/v1/charges", "charge"),
    ("/v1/payment_intents", "payment_intent"),
    ("/v1/products", "product"),
    ("/v1/prices", "price"),
):
    route("GET", _path + "/search")(
        lambda sb, q, t=_type, p=_path: search.run(sb, t, q, p + "/search")
    )
    ROUTES.insert(0, ROUTES.pop())
