"""Templates (Jinja2, autoescaped), the links out to NetSuite and Stripe, and formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.responses import HTMLResponse

from stripe_netsuite.settings import AccountConfig

_HERE = Path(__file__).parent
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC = _HERE / "static"

#: Sent with every page: no framing, scripts and styles from this site only.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template into a response with the console's security headers."""
    html = ENV.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def when(value: datetime | None) -> str:
    """A UTC time to the second, or a dash."""
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(seconds: float | None) -> str:
    """``42 s``, ``5 min``, ``3 h``, or a dash."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


ENV.filters["when"] = when
ENV.filters["ago"] = ago

#: NetSuite UI paths by record type; transactions share one.
_ENTITY = "/app/common/entity/custjob.nl?id="
_ITEM = "/app/common/item/item.nl?id="
_TRANSACTION = "/app/accounting/transactions/transaction.nl?id="
_ITEM_TYPES = ("item", "Item", "discountItem", "taxItem")


def netsuite_url(account: AccountConfig, record_type: str, internal_id: str) -> str:
    """The record in the NetSuite UI (``{account}.app.netsuite.com``)."""
    host = account.netsuite.account_id.lower().replace("_", "-")
    if record_type == "customer":
        path = _ENTITY
    elif record_type.endswith(_ITEM_TYPES):
        path = _ITEM
    else:
        path = _TRANSACTION
    return f"https://{host}.app.netsuite.com{path}{quote(internal_id)}"


#: Stripe dashboard paths by id prefix; anything else is found with the dashboard's search.
_STRIPE_PATHS = {
    "cus_": "customers/",
    "in_": "invoices/",
    "ch_": "payments/",
    "py_": "payments/",
    "pi_": "payments/",
    "po_": "payouts/",
    "dp_": "disputes/",
    "du_": "disputes/",
    "prod_": "products/",
    "price_": "prices/",
    "cn_": "credit_notes/",
    "re_": "refunds/",
}


def stripe_url(account: AccountConfig, object_id: str) -> str:
    """The object in the Stripe dashboard (test mode for a test key)."""
    key = account.stripe_api_key.get_secret_value()
    base = "https://dashboard.stripe.com/" + ("test/" if "_test_" in key else "")
    for prefix, path in _STRIPE_PATHS.items():
        if object_id.startswith(prefix):
            return base + path + quote(object_id)
    return base + "search?query=" + quote(object_id)


def common(session: Any, **context: Any) -> dict[str, Any]:
    """What every page's template gets besides its own data: the user and the CSRF token."""
    return {"user": session.user, "csrf_token": session.csrf_token, **context}
