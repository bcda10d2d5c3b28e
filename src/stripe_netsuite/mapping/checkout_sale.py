"""A Checkout sale in the books: the invoice its charge pays, and its buyer without a
Stripe customer.

A Checkout Session's sales order does not post; the sale reaches the general ledger
through the invoice made for the session's charge. That invoice carries the session's
own lines (each item at its net, tax on the tax item or tax code, inclusive tax split
out of the price), so revenue and tax land where an invoice's would.

A charge with no Stripe customer (a payment link or session without customer creation)
is posted against ``options.guest_customer`` when set, else against a NetSuite customer
made once per billing email from the charge's ``billing_details``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import order
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.payment import CHARGE_INVOICE_PREFIX, captured
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for, sublist

#: Link key prefix of a buyer known only by email (hashed: ids at rest, no addresses).
GUEST_PREFIX = "guest_"


def map_session_invoice(
    session: Mapping[str, Any], charge: Mapping[str, Any], ctx: MappingContext
) -> NetSuiteRecord:
    """The invoice of the charge that paid *session*: the session's lines, to its total.

    Same externalId and role as a standalone charge's invoice, so the payment, refunds and
    disputes of the charge find it as they find any charge's invoice.
    """
    sid = tx.stripe_id(charge, "charge", ("ch_", "py_"))
    session_id = tx.stripe_id(session, "checkout session", "cs_")
    currency = tx.currency_of(charge, sid)
    if tx.currency_of(session, session_id) != currency:
        raise exceptions.MappingError(
            f"the charge's currency differs from its checkout session {session_id}",
            stripe_id=sid,
        )
    lines = order.session_lines(session, ctx, sid=session_id, currency=currency)
    tx.check_total(lines, captured(charge, sid), sid=sid)
    created = charge.get("created")
    if not isinstance(created, int):
        raise exceptions.MappingError("the charge has no created time", stripe_id=sid)
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=created,
        role_prefix=CHARGE_INVOICE_PREFIX,
        memo=f"Stripe Checkout {session_id}",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    body["item"] = sublist(lines)
    body.update(tx.body_fields(ctx, "invoice", charge))
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "invoice", replace=("item",))


def session_buyer(session: Mapping[str, Any]) -> dict[str, Any]:
    """A completed session without a Stripe customer, shaped as the charge it made is
    (``billing_details``), so that its sales order names the same guest customer."""
    return {
        "id": session.get("id"),
        "currency": session.get("currency"),
        "billing_details": session.get("customer_details") or {},
    }


def buyer_email(charge: Mapping[str, Any]) -> str | None:
    """The billing email of a charge, lower-cased (None when the buyer gave none)."""
    details = charge.get("billing_details")
    email = details.get("email") if isinstance(details, Mapping) else None
    return email.strip().lower() if isinstance(email, str) and email.strip() else None


def guest_key(email: str) -> str:
    """The link key of the NetSuite customer made for a buyer's *email*."""
    return GUEST_PREFIX + hashlib.sha256(email.encode()).hexdigest()[:24]


def map_guest_customer(charge: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The NetSuite customer for a buyer with no Stripe customer, from the charge's
    billing details (company named by the buyer's name, else the email)."""
    sid = str(charge.get("id"))
    email = buyer_email(charge)
    if email is None:
        raise exceptions.MappingError(
            "the charge has no Stripe customer and no billing email; set "
            "options.guest_customer to post such charges against one NetSuite customer",
            stripe_id=sid,
            missing="options.guest_customer",
        )
    details = charge.get("billing_details") or {}
    name = details.get("name") if isinstance(details, Mapping) else None
    key = guest_key(email)
    body: dict[str, Any] = {
        "externalId": external_id_for(ctx.stripe_account_id, key),
        "isPerson": False,
        "companyName": (name.strip() if isinstance(name, str) and name.strip() else email)[:83],
        "email": email,
        "comments": f"Stripe buyer without a Stripe customer (first charge {sid})",
    }
    subsidiary = ctx.subsidiary_ref()
    if subsidiary:
        body["subsidiary"] = subsidiary
    found = ctx.currency_ids.get(str(charge.get("currency", "")).lower())
    if found and ctx.account.options.multi_currency:
        body["currency"] = {"id": found}
    return NetSuiteRecord("customer", body["externalId"], body, key, "customer")
