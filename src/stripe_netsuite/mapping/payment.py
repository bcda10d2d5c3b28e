"""Stripe charge → NetSuite customer payment (applied to its invoice, or standalone).

Payments land in undeposited funds and the payout's deposit later selects them; under
summary payout posting they land in Stripe clearing, which the payout's journal credits. The
amount is what was captured (``amount_captured``), so a partial capture pays only its
part; refunds and disputes are their own records.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import is_true, linked_id, metadata_of
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the invoice made for a standalone charge.
CHARGE_INVOICE_PREFIX = "inv"


def dependencies(charge: Mapping[str, Any]) -> list[Dependency]:
    """The customer and, when the charge names one, its Stripe invoice."""
    deps = []
    if customer := tx.id_of(charge.get("customer")):
        deps.append(Dependency("customer", customer))
    if invoice := tx.id_of(charge.get("invoice")):
        deps.append(Dependency("invoice", invoice))
    return deps


def captured(charge: Mapping[str, Any], sid: str) -> Decimal:
    """The captured amount of the charge (a partial capture pays only its part)."""
    currency = tx.currency_of(charge, sid)
    raw = charge.get("amount_captured")
    if raw is None:
        raw = charge.get("amount")
    return tx.amount(raw, currency, where="charge.amount_captured")


def map_payment(
    charge: Mapping[str, Any],
    ctx: MappingContext,
    *,
    open_amount: Decimal | None = None,
) -> NetSuiteRecord:
    """The customer payment for a captured charge.

    Applied to the NetSuite invoice named by ``netsuite_invoice_id`` metadata, else to
    ``ctx.invoice_id`` (the charge's invoice, or the one made for it), else left
    unapplied. *open_amount* is what is still open on that invoice when the flow knows
    it: a payment larger than it applies only the open part; an invoice already paid
    gets an unapplied payment with a memo (``options.allow_duplicate_payments`` or
    ``netsuite_allow_duplicate`` metadata) or a `MappingError`.
    """
    sid = tx.stripe_id(charge, "charge", ("ch_", "py_"))
    currency = tx.currency_of(charge, sid)
    value = captured(charge, sid)
    note = _text(charge.get("description"))
    target = linked_id(charge, "invoice") or ctx.invoice_id
    applied = value
    if target and open_amount is not None and open_amount < value:
        applied = max(open_amount, Decimal(0))
        if applied == 0:
            allowed = ctx.account.options.allow_duplicate_payments or is_true(
                metadata_of(charge).get("netsuite_allow_duplicate")
            )
            if not allowed:
                raise exceptions.MappingError(
                    f"NetSuite invoice {target} is already paid; this payment would duplicate it",
                    stripe_id=sid,
                )
            note = f"Stripe Payment Error: could not apply to invoice {target} (already paid)"
            target = None
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(charge, sid),
        entity_field="customer",
        memo=note or None,
    )
    body["payment"] = value
    rate = tx.put_exchange_rate(body, ctx, charge.get("balance_transaction"), currency)
    clearing = ctx.account.gl.stripe_clearing
    if ctx.account.options.payout_posting == "summary":
        # A summary journal cannot mark a payment deposited: one left in Undeposited Funds
        # would stay on NetSuite's Make Deposits page for ever. It waits in Stripe
        # clearing instead, which the payout's journal credits.
        if not clearing:
            raise exceptions.MappingError(
                "summary payout posting needs gl.stripe_clearing for customer payments",
                stripe_id=sid,
                missing="gl.stripe_clearing",
            )
        body["undepFunds"] = False
        body["account"] = {"id": clearing}
    elif rate is not None and clearing:
        # Settled in another currency: no deposit of the payout's currency can select
        # it, so it lands in Stripe clearing, which the payout's deposit clears.
        body["undepFunds"] = False
        body["account"] = {"id": clearing}
    else:
        body["undepFunds"] = True
    if ctx.account.gl.receivables:
        body["arAcct"] = {"id": ctx.account.gl.receivables}
    if target:
        body["apply"] = sublist([tx.apply_line(target, applied)])
    body.update(tx.body_fields(ctx, "customerPayment", charge))
    return NetSuiteRecord(
        "customerPayment",
        body["externalId"],
        body,
        sid,
        "payment",
        replace=("apply",) if target else (),
    )


def map_charge_invoice(charge: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """An invoice for a standalone charge (``options.create_invoices_for_payments``).

    One line on the account's generic service item (or the item named by the charge's
    item metadata) for the captured amount; the payment is then applied to it.
    """
    sid = tx.stripe_id(charge, "charge", ("ch_", "py_"))
    currency = tx.currency_of(charge, sid)
    value = captured(charge, sid)
    description = _text(charge.get("description"))
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(charge, sid),
        role_prefix=CHARGE_INVOICE_PREFIX,
        memo=f"Stripe description: {description}" if description else None,
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    item = tx.line_item_id(charge, ctx, owner=sid)
    line = tx.item_line(item, value, description=description or f"Stripe charge {sid}")
    line.update(tx.line_fields(ctx, "invoice", metadata_of(charge)))
    body["item"] = sublist([line])
    body.update(tx.body_fields(ctx, "invoice", charge))
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "invoice", replace=("item",))


def needs_invoice(charge: Mapping[str, Any], ctx: MappingContext) -> bool:
    """Whether a standalone charge gets an invoice of its own before its payment.

    A charge that paid a Stripe invoice (``invoice`` on older payloads, else the invoice the
    flow found through its invoice payment: ``ctx.invoice_id``) is not standalone.
    """
    has_invoice = bool(
        tx.id_of(charge.get("invoice")) or linked_id(charge, "invoice") or ctx.invoice_id
    )
    return ctx.account.options.create_invoices_for_payments and not has_invoice


def _when(charge: Mapping[str, Any], sid: str) -> int:
    created = charge.get("created")
    if not isinstance(created, int):
        raise exceptions.MappingError("the charge has no created time", stripe_id=sid)
    return created


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
