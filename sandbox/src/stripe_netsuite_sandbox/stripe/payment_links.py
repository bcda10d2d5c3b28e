"""Payment links: a shareable page that sells fixed line items through Checkout.

Each visit that pays makes a Checkout Session for the link (``payment_link`` set, the
link's ``metadata`` copied onto it, ``payment_intent_data.metadata`` onto its payment
intent, as Stripe does) and pays it like the session's own hosted page. The sandbox
serves the page at the path of the link's ``url`` (``https://buy.stripe.com/test_…``).
"""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from stripe_netsuite_sandbox.stripe import catalog, checkout, errors, filters, params
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

PATH = "/test_{token}"
_COMPLETIONS = ("hosted_confirmation", "redirect")


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/payment_links`."""
    raw = params.array(q, "line_items")
    if not raw:
        raise errors.missing_param("line_items")
    lines = [_line(sb, entry, i) for i, entry in enumerate(raw)]
    currencies = {catalog.price_ref(sb, line["price"], "price")["currency"] for line in lines}
    if len(currencies) != 1:
        raise errors.invalid(
            "All line items must use prices in the same currency.", param="line_items"
        )
    creation = params.string(q, "customer_creation") or "if_required"
    _check_creation(creation)
    token = sb.token(14)
    link = sb.create(
        "payment_link",
        "plink",
        active=True,
        after_completion=_after_completion(q),
        allow_promotion_codes=False,
        automatic_tax={
            "enabled": params.boolean(params.mapping(q, "automatic_tax"), "enabled"),
            "liability": None,
        },
        billing_address_collection="auto",
        currency=currencies.pop(),
        customer_creation=creation,
        invoice_creation={"enabled": False, "invoice_data": None},
        payment_intent_data={
            "capture_method": None,
            "description": None,
            "metadata": dict(params.mapping(params.mapping(q, "payment_intent_data"), "metadata")),
            "setup_future_usage": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "transfer_group": None,
        },
        payment_method_collection="always",
        restrictions=None,
        submit_type="auto",
        url=f"https://buy.stripe.com/test_{token}",
        _lines=lines,
        _token=token,
        _completed=0,
    )
    params.apply_metadata(link, q)
    sb.emit("payment_link.created", link)
    return link


def _line(sb: Sandbox, entry: Any, i: int) -> dict[str, Any]:
    where = f"line_items[{i}]"
    if not isinstance(entry, dict):
        raise errors.invalid(f"Invalid hash: {where}", param=where)
    price = catalog.as_price(
        catalog.price_ref(sb, params.string(entry, "price", required=True), f"{where}[price]")
    )
    quantity = params.integer(entry, "quantity")
    if quantity is None or quantity < 1:
        raise errors.invalid(
            f"Quantity is required and must be at least 1 in {where}.", param=f"{where}[quantity]"
        )
    return {"price": price["id"], "quantity": quantity, "tax_rates": []}


def _check_creation(creation: str) -> None:
    if creation not in ("always", "if_required"):
        raise errors.invalid(f"Invalid customer_creation: {creation}", param="customer_creation")


def _after_completion(q: params.Params) -> dict[str, Any]:
    spec = params.mapping(q, "after_completion")
    kind = params.string(spec, "type") or "hosted_confirmation"
    if kind not in _COMPLETIONS:
        raise errors.invalid(f"Invalid after_completion[type]: {kind}", param="after_completion")
    if kind == "redirect":
        url = params.string(params.mapping(spec, "redirect"), "url")
        if not url:
            raise errors.missing_param("after_completion[redirect][url]")
        return {"type": "redirect", "redirect": {"url": url}}
    message = params.string(params.mapping(spec, "hosted_confirmation"), "custom_message")
    return {"type": "hosted_confirmation", "hosted_confirmation": {"custom_message": message}}


def update(sb: Sandbox, link: Obj, q: params.Params) -> Obj:
    """`POST /v1/payment_links/{id}`: active, after_completion, customer_creation, metadata."""
    before = sb.snapshot(link, ["active", "after_completion", "customer_creation", "metadata"])
    if "active" in q:
        link["active"] = params.boolean(q, "active")
    if "after_completion" in q:
        link["after_completion"] = _after_completion(q)
    if "customer_creation" in q:
        creation = params.string(q, "customer_creation") or "if_required"
        _check_creation(creation)
        link["customer_creation"] = creation
    params.apply_metadata(link, q)
    sb.touch(link)
    sb.update_event("payment_link.updated", link, before)
    return link


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Links, filtered by ``active``."""
    wanted = params.boolean(q, "active") if "active" in q else None
    return filters.apply(
        sb.store.all_of("payment_link"),
        lambda link: wanted is None or link["active"] == wanted,
    )


def line_items(sb: Sandbox, link: Obj) -> list[Obj]:
    """`GET /v1/payment_links/{id}/line_items`: the items a buyer gets (before tax)."""
    out = []
    for spec in link["_lines"]:
        price = catalog.as_price(catalog.price_ref(sb, spec["price"], "price"))
        product = sb.get(price.get("product"), "product") or {}
        amount = int(price["unit_amount"]) * int(spec["quantity"])
        out.append(
            {
                "id": spec.setdefault("id", sb.new_id("li")),
                "object": "item",
                "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": None},
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product.get("name") or price.get("nickname"),
                "metadata": {},
                "price": sb.render(price),
                "quantity": spec["quantity"],
            }
        )
    return out


def list_line_items(sb: Sandbox, q: params.Params, lid: str) -> Obj:
    """`GET /v1/payment_links/{id}/line_items`."""
    items = line_items(sb, sb.need(lid, "payment_link", kind="payment link"))
    return sb.page(items, q, f"/v1/payment_links/{lid}/line_items")


def buy(sb: Sandbox, link: Obj, form: dict[str, str]) -> Obj:
    """What the link's page does on paying: a session for the link, paid with the form."""
    if not link["active"]:
        raise errors.StripeError("This link is no longer active.", status=404)
    session = checkout.new_session(
        sb,
        [{"price": s["price"], "quantity": s["quantity"], "tax_rates": []} for s in link["_lines"]],
        customer_creation=link["customer_creation"],
        automatic_tax=bool(link["automatic_tax"]["enabled"]),
        metadata={"metadata": dict(link["metadata"])} if link["metadata"] else None,
        payment_intent_data={"metadata": link["payment_intent_data"]["metadata"]},
        payment_link=link["id"],
    )
    session["url"] = None  # reached through the link, not a page of its own
    try:
        checkout.pay(sb, session, form)
    except errors.StripeError:
        checkout.expire(sb, session)
        raise
    link["_completed"] += 1
    sb.touch(link)
    return session


def _link(sb: Sandbox, token: str) -> Obj:
    for link in sb.store.all_of("payment_link"):
        if link.get("_token") == token:
            return link
    raise errors.StripeError("This link is not valid.", status=404)


def _render(sb: Sandbox, link: Obj, note: str = "") -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(i['description'] or ''))}</td><td>{i['quantity']}</td>"
        f"<td>{i['amount_subtotal']} {html.escape(str(i['currency']).upper())}</td></tr>"
        for i in line_items(sb, link)
    )
    form = (
        '<form method="post"><input name="email"><input name="name"><input name="country">'
        '<input name="payment_method" value="pm_card_visa"><button>Pay</button></form>'
        if link["active"]
        else "<p>This link is no longer active.</p>"
    )
    return f"<!doctype html><title>Buy</title><table>{rows}</table>{form}<p>{html.escape(note)}</p>"


async def page(request: Request) -> Response:
    """``GET`` shows what the link sells; ``POST`` buys it with the card in the form."""
    sb: Sandbox = request.app.state.sandbox
    try:
        link = _link(sb, request.path_params["token"])
        if request.method == "GET":
            return HTMLResponse(_render(sb, link))
        session = buy(sb, link, await checkout.form_of(request))
        message = (link["after_completion"].get("hosted_confirmation") or {}).get(
            "custom_message"
        ) or "Thank you for your payment."
        return HTMLResponse(checkout.render(session, message))
    except errors.StripeError as exc:
        return HTMLResponse(html.escape(str(exc.body()["error"]["message"])), exc.status)
    finally:
        sb.commit()
