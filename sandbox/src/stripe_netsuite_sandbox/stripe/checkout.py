"""Checkout Sessions (``mode=payment``) and the hosted page that pays them.

A session holds priced line items (a price, or ``price_data`` that makes one), taxed by
tax rates or automatic tax, each rate inclusive or exclusive as Stripe's are. Nothing is
charged at creation: the hosted page (``url``, served by the sandbox without an API key
like the real page) takes a test card, creates the customer when asked, then a payment
intent, charge and balance transaction through `intents`, and completes the session with
``checkout.session.completed`` after the payment's own events.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from stripe_netsuite_sandbox.stripe import (
    billing,
    catalog,
    currency,
    customers,
    errors,
    filters,
    intents,
    params,
    pricing,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

PATH = "/c/pay/{session}"
#: Stripe's default: a session can be paid for 24 hours.
LIFETIME = 24 * 3600


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/checkout/sessions`."""
    mode = params.string(q, "mode", required=True)
    if mode != "payment":
        raise errors.invalid(
            f"The sandbox's Checkout supports mode=payment only, not mode={mode}.", param="mode"
        )
    raw = params.array(q, "line_items")
    if not raw:
        raise errors.missing_param("line_items")
    automatic = params.boolean(params.mapping(q, "automatic_tax"), "enabled")
    lines = [_line_spec(sb, _entry(e, i), i, automatic) for i, e in enumerate(raw)]
    customer = params.string(q, "customer")
    if customer:
        sb.need(customer, "customer", param="customer")
    creation = params.string(q, "customer_creation")
    if creation not in (None, "always", "if_required"):
        raise errors.invalid(f"Invalid customer_creation: {creation}", param="customer_creation")
    if creation and customer:
        raise errors.invalid(
            "You may only specify one of these parameters: customer, customer_creation.",
            param="customer_creation",
        )
    return new_session(
        sb,
        lines,
        customer=customer,
        customer_email=params.string(q, "customer_email"),
        customer_creation=creation,
        automatic_tax=automatic,
        metadata=q,
        payment_intent_data=params.mapping(q, "payment_intent_data"),
        success_url=params.string(q, "success_url"),
        cancel_url=params.string(q, "cancel_url"),
        client_reference_id=params.string(q, "client_reference_id"),
        currency_code=params.currency(q),
    )


def _entry(value: Any, i: int) -> params.Params:
    if not isinstance(value, dict):
        raise errors.invalid(f"Invalid hash: line_items[{i}]", param=f"line_items[{i}]")
    return value


def _line_spec(sb: Sandbox, entry: params.Params, i: int, automatic: bool) -> dict[str, Any]:
    """One ``line_items[i]``: its price object (made from ``price_data`` when given),
    quantity and tax rates."""
    where = f"line_items[{i}]"
    data = params.mapping(entry, "price_data")
    if data:
        price = catalog.create_price(sb, data)
    else:
        ref = params.string(entry, "price")
        if not ref:
            raise errors.invalid(
                f"You must specify either `price` or `price_data` in {where}.", param=where
            )
        price = catalog.as_price(catalog.price_ref(sb, ref, f"{where}[price]"))
    if price.get("recurring"):
        raise errors.invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{where}[price]",
        )
    if price.get("unit_amount") is None:
        raise errors.invalid(f"The price in {where} has no unit_amount.", param=where)
    quantity = params.integer(entry, "quantity")
    if quantity is None or quantity < 1:
        raise errors.invalid(
            f"Quantity is required and must be at least 1 in {where}.", param=f"{where}[quantity]"
        )
    rates = billing.tax_rates(sb, entry, "tax_rates")
    if automatic and rates:
        raise errors.invalid(
            "You cannot specify `tax_rates` when `automatic_tax[enabled]` is true.",
            param=f"{where}[tax_rates]",
        )
    if automatic and price.get("tax_behavior") not in ("inclusive", "exclusive"):
        raise errors.invalid(
            "When automatic_tax[enabled]=true, all line items must have a price with "
            f"tax_behavior set to inclusive or exclusive ({where} is unspecified).",
            param=f"{where}[price]",
        )
    return {"price": price["id"], "quantity": quantity, "tax_rates": [r["id"] for r in rates]}


def new_session(
    sb: Sandbox,
    lines: list[dict[str, Any]],
    *,
    customer: str | None = None,
    customer_email: str | None = None,
    customer_creation: str | None = None,
    automatic_tax: bool = False,
    metadata: params.Params | None = None,
    payment_intent_data: params.Params | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
    client_reference_id: str | None = None,
    currency_code: str | None = None,
    payment_link: str | None = None,
) -> Obj:
    """An open session for *lines* (``{price, quantity, tax_rates}``), priced."""
    currencies = {_price_of(sb, line)["currency"] for line in lines}
    if currency_code and currencies != {currency_code}:
        raise errors.invalid(
            f"The line items' prices are in {', '.join(sorted(currencies))}, not {currency_code}.",
            param="currency",
        )
    if len(currencies) != 1:
        raise errors.invalid(
            "All line items must use prices in the same currency.", param="line_items"
        )
    now = sb.now()
    session = sb.create(
        "checkout.session",
        "cs_test",
        automatic_tax={
            "enabled": automatic_tax,
            "liability": {"type": "account"} if automatic_tax else None,
            "provider": "stripe" if automatic_tax else None,
            "status": None,
        },
        cancel_url=cancel_url,
        client_reference_id=client_reference_id,
        currency=currencies.pop(),
        customer=customer,
        customer_creation=customer_creation or (None if customer else "if_required"),
        customer_details=None,
        customer_email=customer_email,
        expires_at=now + LIFETIME,
        invoice_creation={"enabled": False, "invoice_data": None},
        mode="payment",
        payment_link=payment_link,
        payment_method_types=["card"],
        payment_status="unpaid",
        shipping_cost=None,
        status="open",
        success_url=success_url,
        ui_mode="hosted",
        _lines=lines,
        _pi_metadata=dict(params.mapping(payment_intent_data or {}, "metadata")),
    )
    session["url"] = f"https://checkout.stripe.com/c/pay/{session['id']}"
    if metadata:
        params.apply_metadata(session, metadata)
    cus = sb.get(customer, "customer")
    _price(sb, session, _country(cus.get("address") if cus else None))
    return session


def _price_of(sb: Sandbox, spec: dict[str, Any]) -> Obj:
    return catalog.as_price(catalog.price_ref(sb, spec["price"], "price"))


def _country(address: Any) -> str:
    return str((address or {}).get("country") or "") if isinstance(address, dict) else ""


def _price(sb: Sandbox, session: Obj, country: str) -> None:
    """Line items, taxes and totals, for the buyer's *country* under automatic tax."""
    automatic = session["automatic_tax"]["enabled"]
    items: list[Obj] = []
    for spec in session["_lines"]:
        price = _price_of(sb, spec)
        product = sb.get(price.get("product"), "product") or {}
        unit = Decimal(str(price.get("unit_amount_decimal") or price["unit_amount"]))
        subtotal = pricing.round_minor(unit * spec["quantity"])
        if automatic:
            taxes = _automatic(sb, price, subtotal, country)
        else:
            rates = [sb.need(r, "tax_rate") for r in spec["tax_rates"]]
            taxes = [_tax(sb, pricing.tax_entry(r, subtotal), r) for r in rates]
        exclusive = sum(t["amount"] for t in taxes if not t["rate"]["inclusive"])
        items.append(
            {
                "id": spec.setdefault("id", sb.new_id("li")),
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": subtotal,
                "amount_tax": sum(t["amount"] for t in taxes),
                "amount_total": subtotal + exclusive,
                "currency": session["currency"],
                "description": product.get("name") or price.get("nickname"),
                "discounts": [],
                "metadata": {},
                "price": sb.render(price),
                "quantity": spec["quantity"],
                "taxes": taxes,
            }
        )
    session["_items"] = items
    tax = sum(i["amount_tax"] for i in items)
    session["amount_subtotal"] = sum(i["amount_subtotal"] for i in items)
    session["amount_total"] = sum(i["amount_total"] for i in items)
    session["total_details"] = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": tax}
    if automatic:
        known = bool(country)
        session["automatic_tax"]["status"] = "complete" if known else "requires_location_inputs"
    sb.touch(session)


def _automatic(sb: Sandbox, price: Obj, subtotal: int, country: str) -> list[dict[str, Any]]:
    """Stripe Tax on one line: the country's standard rate, in the price or on top of it."""
    if not country:
        return []
    percent = pricing.AUTOMATIC_RATES.get(country)
    inclusive = price.get("tax_behavior") == "inclusive"
    rate = billing.automatic_rate(sb, country, percent or "0", inclusive=inclusive)
    entry = pricing.automatic_tax_entry(rate, subtotal, collecting=percent is not None)
    return [_tax(sb, entry, rate)]


def _tax(sb: Sandbox, entry: dict[str, Any], rate: Obj) -> dict[str, Any]:
    """A line item's ``taxes[]`` entry (Checkout's shape: the rate object itself)."""
    return {
        "amount": entry["amount"],
        "rate": sb.render(rate),
        "taxability_reason": entry["taxability_reason"],
        "taxable_amount": entry["taxable_amount"],
    }


def items_of(session: Obj) -> list[Obj]:
    """The session's line items, in order."""
    return list(session.get("_items") or [])


def line_items(sb: Sandbox, session: Obj) -> Obj:
    """The ``line_items`` list object (includable on the session)."""
    return sb.sublist(items_of(session), f"/v1/checkout/sessions/{session['id']}/line_items")


def list_line_items(sb: Sandbox, q: params.Params, sid: str) -> Obj:
    """`GET /v1/checkout/sessions/{id}/line_items`."""
    items = items_of(sb.need(sid, "checkout.session", kind="checkout session"))
    expand = [str(e) for e in params.array(q, "expand")]
    return sb.page(items, q, f"/v1/checkout/sessions/{sid}/line_items", expand)


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Sessions filtered by payment intent, payment link, customer, status and created."""
    return filters.apply(
        sb.store.all_of("checkout.session"),
        filters.equal(q, "payment_intent", "payment_link", "customer", "status"),
        filters.range_filter(q, "created"),
    )


def update(sb: Sandbox, session: Obj, q: params.Params) -> Obj:
    """`POST /v1/checkout/sessions/{id}`: metadata (Stripe sends no event for it)."""
    params.apply_metadata(session, q)
    sb.touch(session)
    return session


def expire(sb: Sandbox, session: Obj) -> Obj:
    """`POST /v1/checkout/sessions/{id}/expire`: an open session can no longer be paid."""
    if session["status"] != "open":
        raise errors.invalid(
            f"Only Checkout Sessions with a status of open can be expired; this one is "
            f"{session['status']}.",
            param="session",
        )
    session["status"] = "expired"
    session["url"] = None
    sb.touch(session)
    sb.emit("checkout.session.expired", session)
    return session


def expire_due(sb: Sandbox, session: Obj) -> None:
    """An open session past its ``expires_at`` expires (at that moment)."""
    if session["status"] == "open" and sb.now() >= int(session["expires_at"]):
        with sb.at(int(session["expires_at"])):
            expire(sb, session)


def pay(sb: Sandbox, session: Obj, form: dict[str, str]) -> Obj:
    """What the hosted page's card form does: pay the session and complete it.

    *form* carries ``payment_method`` (a test card such as ``pm_card_visa``) and the
    buyer's ``email``, ``name`` and ``country``. A declined card leaves the session open
    (its payment intent waits for another card), as on the real page.
    """
    expire_due(sb, session)
    if session["status"] != "open":
        raise errors.invalid(f"This Checkout Session is {session['status']}; it cannot be paid.")
    method = form.get("payment_method", "")
    if not method:
        raise errors.invalid("Enter a card to pay with.", param="payment_method")
    cus = sb.get(session.get("customer"), "customer")
    email = form.get("email") or session.get("customer_email") or (cus or {}).get("email")
    if not email:
        raise errors.invalid("Enter an email address.", param="email")
    country = form.get("country") or _country((cus or {}).get("address"))
    if session["automatic_tax"]["enabled"]:
        if not country:
            raise errors.invalid("Enter a country to compute tax.", param="country")
        _price(sb, session, country)
    name = form.get("name") or (cus or {}).get("name")
    details: dict[str, Any] = {
        "address": {"city": None, "country": country or None, "line1": None, "line2": None,
                    "postal_code": None, "state": None},
        "email": email,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }  # fmt: skip
    pi = _intent(sb, session, method, details)
    if cus is None and session["customer_creation"] == "always":
        made: dict[str, Any] = {"email": email, "name": name or ""}
        if country:
            made["address"] = {"country": country}
        cus = customers.create(sb, {k: v for k, v in made.items() if v})
        session["customer"] = cus["id"]  # a retry after a decline keeps this customer
    if cus is not None:
        pi["customer"] = cus["id"]
    intents.confirm(sb, pi, {})
    if pi["status"] != "succeeded":
        raise errors.invalid(f"The payment is {pi['status']}; the session stays open.")
    session.update(
        customer=cus["id"] if cus else None,
        customer_details=details,
        payment_status="paid",
        status="complete",
        url=None,
    )
    sb.touch(session)
    sb.emit("checkout.session.completed", session)
    return session


def _intent(sb: Sandbox, session: Obj, method: str, details: dict[str, Any]) -> Obj:
    """The session's payment intent (made at the first attempt, reused after a decline),
    carrying the card with the buyer's billing details."""
    pi = sb.get(session.get("payment_intent"), "payment_intent")
    if pi is None:
        pi = intents.create(
            sb,
            {
                "amount": session["amount_total"],
                "currency": session["currency"],
                "metadata": session["_pi_metadata"],
            },
        )
        session["payment_intent"] = pi["id"]
    intents.update(sb, pi, {"amount": session["amount_total"], "payment_method": method})
    pm = sb.get(pi.get("payment_method"), ("payment_method", "card"))
    if pm is not None and pm.get("object") == "payment_method":
        pm["billing_details"] = {
            "address": details["address"],
            "email": details["email"],
            "name": details["name"],
            "phone": None,
        }
        sb.touch(pm)
    return pi


def _money(minor: int, code: str) -> str:
    digits = currency.exponent(code)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f} {code.upper()}"


def render(session: Obj, note: str = "") -> str:
    """The page: lines, tax, total and (while open) the card form."""
    code = str(session["currency"])
    rows = "".join(
        f"<tr><td>{html.escape(str(i.get('description') or ''))}</td><td>{i['quantity']}</td>"
        f"<td>{_money(int(i['amount_subtotal']), code)}</td></tr>"
        for i in items_of(session)
    )
    form = (
        '<form method="post"><input name="email"><input name="name"><input name="country">'
        '<input name="payment_method" value="pm_card_visa"><button>Pay</button></form>'
        if session["status"] == "open"
        else ""
    )
    tax = int(session["total_details"]["amount_tax"])
    return (
        f"<!doctype html><title>Checkout</title><h1>Checkout</h1>"
        f'<p class="status">{html.escape(str(session["status"]))}</p><table>{rows}</table>'
        f'<p class="tax">Tax {_money(tax, code)}</p>'
        f'<p class="total">{_money(int(session["amount_total"]), code)} total</p>{form}'
        f"<p>{html.escape(note)}</p>"
    )


async def form_of(request: Request) -> dict[str, str]:
    """The posted form fields."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


async def page(request: Request) -> Response:
    """``GET`` shows the session; ``POST`` pays it with the card named in the form."""
    sb: Sandbox = request.app.state.sandbox
    try:
        session = sb.get(request.path_params["session"], "checkout.session")
        if session is None or session.get("ui_mode") != "hosted":
            raise errors.StripeError("This Checkout link is not valid.", status=404)
        if request.method == "GET":
            expire_due(sb, session)
            return HTMLResponse(render(session))
        pay(sb, session, await form_of(request))
        return HTMLResponse(render(session, "Thank you for your payment."))
    except errors.StripeError as exc:
        return HTMLResponse(html.escape(str(exc.body()["error"]["message"])), exc.status)
    finally:
        sb.commit()
