"""A NetSuite user at a desk, for the NetSuite → Stripe tests: records entered by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, jsonio

#: The engine config switching the NetSuite → Stripe direction on.
FROM_NETSUITE: dict[str, dict[str, Any]] = {
    "flows": {"netsuite_customers": True, "netsuite_invoices": True, "netsuite_refunds": True},
    "from_netsuite": {"push_secret": "push-secret-for-tests", "overlap_seconds": 120},
}


def user(stack: demo.Stack, action: str, body: dict[str, Any] | None = None) -> str:
    """Run a user action on the NetSuite sandbox; the id of the record it touched."""
    response = httpx.post(
        f"{stack.netsuite.base_url}/__sandbox/user/{action}",
        content=jsonio.dumps(body or {}),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def customer(stack: demo.Stack, name: str, email: str) -> str:
    body = {"companyName": name, "email": email, "subsidiary": {"id": chart.SUBSIDIARY_US}}
    return user(stack, "create/customer", body)


def invoice(stack: demo.Stack, customer_id: str, *lines: tuple[str, str], **extra: Any) -> str:
    """An invoice of (description, amount) service lines, sent to Stripe by its checkbox."""
    items = [
        {"item": {"id": chart.SERVICE_ITEM}, "quantity": 1, "rate": Decimal(amount),
         "description": text}
        for text, amount in lines
    ]  # fmt: skip
    body = {
        "entity": {"id": customer_id},
        "currency": {"id": chart.CURRENCIES["usd"]},
        "item": {"items": items},
        "custbody_sns_send_to_stripe": True,
        **extra,
    }
    return user(stack, "create/invoice", body)


def record(stack: demo.Stack, record_type: str, internal_id: str) -> dict[str, Any]:
    books = stack.netsuite.app.app.state.sandbox.account
    found: dict[str, Any] = books.get(record_type, internal_id)
    return found


def records(stack: demo.Stack, record_type: str) -> list[dict[str, Any]]:
    books = stack.netsuite.app.app.state.sandbox.account
    return list(books.store.all(record_type))


def meta(obj: Any) -> dict[str, str]:
    """A Stripe object's metadata as a plain dict."""
    found = getattr(obj, "metadata", None)
    return dict(found.to_dict()) if found else {}
