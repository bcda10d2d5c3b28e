"""Hosted invoice pages: what a customer opens from ``hosted_invoice_url`` and pays on.

Stripe serves them at ``https://invoice.stripe.com/i/...``; the sandbox serves the same path
on its own address (`local_url` turns one into the other), without an API key, as the real
page needs none. ``GET`` shows the invoice; ``POST`` (form field ``payment_method``, a test
card such as ``pm_card_visa``) pays it as the page's card form does: a payment intent and a
charge on the invoice, with the same events as ``POST /v1/invoices/{id}/pay``.
"""

from __future__ import annotations

import html
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from stripe_netsuite_sandbox.stripe import collection, currency, errors
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

PATH = "/i/sandbox/{token}"


def local_url(hosted_invoice_url: str, base_url: str) -> str:
    """The sandbox's own address of a hosted invoice page."""
    return base_url.rstrip("/") + urlsplit(hosted_invoice_url).path


def _invoice(sb: Sandbox, token: str) -> Obj:
    inv = sb.get("in_" + token, "invoice")
    if inv is None or not inv.get("hosted_invoice_url"):
        raise errors.StripeError("This invoice link is not valid.", status=404)
    return inv


def _money(minor: int, code: str) -> str:
    digits = currency.exponent(code)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f} {code.upper()}"


def _render(inv: Obj, note: str = "") -> str:
    amount = _money(int(inv["amount_remaining"]), str(inv["currency"]))
    rows = "".join(
        f"<tr><td>{html.escape(str(line.get('description') or ''))}</td>"
        f"<td>{_money(int(line['amount']), str(inv['currency']))}</td></tr>"
        for line in (inv.get("lines") or {}).get("data", [])
    )
    form = (
        '<form method="post"><input name="payment_method" value="pm_card_visa">'
        "<button>Pay</button></form>"
        if inv["status"] == "open"
        else ""
    )
    return (
        f"<!doctype html><title>Invoice {html.escape(str(inv.get('number')))}</title>"
        f"<h1>Invoice {html.escape(str(inv.get('number')))}</h1>"
        f'<p class="status">{html.escape(str(inv["status"]))}</p>'
        f'<p class="due">{amount} due</p><table>{rows}</table>{form}'
        f"<p>{html.escape(note)}</p>"
    )


async def page(request: Request) -> Response:
    """``GET`` shows the invoice; ``POST`` pays it with the card named in the form."""
    sb: Sandbox = request.app.state.sandbox
    try:
        inv = _invoice(sb, request.path_params["token"])
        if request.method == "GET":
            return HTMLResponse(_render(inv))
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        method = form.get("payment_method", "")
        if not method:
            raise errors.invalid("Enter a card to pay with.", param="payment_method")
        if inv["status"] != "open":
            raise errors.invalid(f"This invoice is {inv['status']}; there is nothing to pay.")
        collection.pay(sb, inv, {"payment_method": method})
        return HTMLResponse(_render(inv, "Thank you for your payment."))
    except errors.StripeError as exc:
        return HTMLResponse(html.escape(str(exc.body()["error"]["message"])), exc.status)
    finally:
        sb.commit()
