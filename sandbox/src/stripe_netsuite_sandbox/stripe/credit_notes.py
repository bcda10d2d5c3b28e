"""Credit notes: pre-payment (reduce what is owed) and post-payment (refund, credit, oob)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.stripe import (
    billing,
    charges,
    collection,
    errors,
    filters,
    params,
    pricing,
    shapes,
)
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj


def _scaled(entries: list[dict[str, Any]], part: int, whole: int, key: str) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        value = pricing.round_minor(Decimal(e[key]) * part / whole) if whole else 0
        out.append({**e, key: value})
    return out


def _lines(sb: Sandbox, inv: Obj, q: params.Params) -> list[Obj]:
    specs = params.array(q, "lines")
    amount = params.integer(q, "amount")
    if not specs and amount is None:
        raise errors.invalid(
            "You must pass either `lines` or `amount` to create a credit note.", param="lines"
        )
    if not specs:
        specs = [
            {
                "type": "custom_line_item",
                "unit_amount": amount,
                "quantity": 1,
                "description": "Credit",
            }
        ]
    by_id = {ln["id"]: ln for ln in inv["lines"]["data"]}
    out = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise errors.invalid(
                f"Invalid lines[{i}]: must be an object such as lines[{i}][type]=…",
                param=f"lines[{i}]",
            )
        kind = spec.get("type")
        line = shapes.skeleton("credit_note_line_item", id=sb.new_id("cnli"))
        line.update(discount_amounts=[], metadata={}, pretax_credit_amounts=[], tax_rates=[])
        if kind == "invoice_line_item":
            il = by_id.get(str(spec.get("invoice_line_item")))
            if il is None:
                raise errors.invalid(
                    f"Invalid invoice_line_item: {spec.get('invoice_line_item')} is not a line "
                    f"of {inv['id']}.",
                    param=f"lines[{i}][invoice_line_item]",
                )
            qty = params.integer(spec, "quantity")
            amt = params.integer(spec, "amount")
            if amt is None:
                use_qty = qty if qty is not None else il["quantity"]
                amt = pricing.round_minor(Decimal(il["amount"]) * use_qty / (il["quantity"] or 1))
            if amt > il["amount"]:
                raise errors.invalid(
                    "The credit note line amount cannot exceed the invoice line amount.",
                    param=f"lines[{i}][amount]",
                )
            discounts = _scaled(il["discount_amounts"], amt, il["amount"], "amount")
            taxes = _scaled(il["taxes"] or [], amt, il["amount"], "amount")
            taxes = _scaled(taxes, amt, il["amount"], "taxable_amount")
            line.update(
                amount=amt,
                description=il["description"],
                invoice_line_item=il["id"],
                quantity=qty if qty is not None else il["quantity"],
                discount_amounts=discounts,
                taxes=taxes,
                type="invoice_line_item",
                discount_amount=sum(d["amount"] for d in discounts),
            )
        elif kind == "custom_line_item":
            unit = params.integer(spec, "unit_amount")
            if unit is None:
                raise errors.missing_param(f"lines[{i}][unit_amount]")
            qty = params.integer(spec, "quantity") or 1
            amt = unit * qty
            rates = [sb.need(str(r), "tax_rate") for r in params.array(spec, "tax_rates")]
            line.update(
                amount=amt,
                description=params.string(spec, "description"),
                quantity=qty,
                unit_amount=unit,
                unit_amount_decimal=str(unit),
                type="custom_line_item",
                discount_amount=0,
                tax_rates=[sb.render(r) for r in rates],
                taxes=[pricing.tax_entry(r, amt) for r in rates],
            )
        else:
            raise errors.invalid(
                f"Invalid type: must be one of invoice_line_item or custom_line_item "
                f"(got {kind!r}).",
                param=f"lines[{i}][type]",
            )
        if line["amount"] <= 0:
            raise errors.invalid("Credit note lines must be positive.", param=f"lines[{i}]")
        out.append(line)
    return out


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/credit_notes`."""
    inv = sb.need(params.string(q, "invoice", required=True), "invoice", param="invoice")
    if inv["status"] not in {"open", "paid", "uncollectible"}:
        raise errors.invalid(
            f"You can only create a credit note for an invoice that is open, paid or "
            f"uncollectible; {inv['id']} is {inv['status']}.",
            param="invoice",
        )
    lines = _lines(sb, inv, q)
    gross = sum(ln["amount"] for ln in lines)
    discount = sum(ln["discount_amount"] for ln in lines)
    taxes = pricing.aggregate_taxes(lines)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    total = gross - discount + exclusive
    credited = sum(
        cn["total"]
        for cn in sb.store.all_of("credit_note")
        if cn["invoice"] == inv["id"] and cn["status"] == "issued"
    )
    if credited + total > inv["total"]:
        raise errors.invalid(
            f"The sum of credit amounts ({credited + total}) must be less than or equal to the "
            f"invoice total ({inv['total']}).",
            param="lines",
        )
    pre = min(total, int(inv["amount_remaining"])) if inv["status"] != "paid" else 0
    post = total - pre
    refund_amount = params.integer(q, "refund_amount") or 0
    credit_amount = params.integer(q, "credit_amount") or 0
    oob = params.integer(q, "out_of_band_amount") or 0
    named = _named_refunds(sb, inv, q)
    named_total = sum(entry["amount_refunded"] for entry in named)
    if post and not (refund_amount or credit_amount or oob or named):
        credit_amount = post
    if refund_amount + named_total + credit_amount + oob != post:
        raise errors.invalid(
            f"The sum of refund_amount, refunds, credit_amount and out_of_band_amount "
            f"({refund_amount + named_total + credit_amount + oob}) must equal the "
            f"post-payment amount ({post}).",
            param="refund_amount",
        )
    seq = 1 + sum(1 for cn in sb.store.all_of("credit_note") if cn["invoice"] == inv["id"])
    kind = "mixed" if pre and post else ("pre_payment" if pre else "post_payment")
    now = billing.time_for(sb, sb.get(inv["customer"], "customer"))
    cn = sb.create(
        "credit_note",
        "cn",
        amount=total,
        amount_shipping=0,
        created=now,
        currency=inv["currency"],
        customer=inv["customer"],
        discount_amount=discount,
        discount_amounts=pricing.aggregate_discounts(lines),
        effective_at=params.integer(q, "effective_at") or now,
        invoice=inv["id"],
        memo=params.string(q, "memo"),
        number=f"{inv['number']}-CN-{seq:02d}",
        out_of_band_amount=oob or None,
        post_payment_amount=post,
        pre_payment_amount=pre,
        pretax_credit_amounts=[
            {
                "amount": d["amount"],
                "discount": d["discount"],
                "type": "discount",
                "credit_balance_transaction": None,
            }
            for d in pricing.aggregate_discounts(lines)
        ],
        reason=params.string(q, "reason"),
        refunds=named,
        status="issued",
        subtotal=gross,
        subtotal_excluding_tax=gross - inclusive,
        total=total,
        total_excluding_tax=gross - discount - inclusive,
        total_taxes=taxes,
        type=kind,
    )
    cn["lines"] = sb.sublist(lines, f"/v1/credit_notes/{cn['id']}/lines")
    cn["pdf"] = f"https://pay.stripe.com/credit_notes/sandbox/{cn['id']}/pdf"
    params.apply_metadata(cn, q)
    before = sb.snapshot(
        inv,
        [
            "amount_due",
            "amount_remaining",
            "status",
            "pre_payment_credit_notes_amount",
            "post_payment_credit_notes_amount",
        ],
    )
    if pre:
        inv["pre_payment_credit_notes_amount"] += pre
        inv["amount_due"] -= pre
        inv["amount_remaining"] -= pre
    inv["post_payment_credit_notes_amount"] += post
    if refund_amount:
        ch = _invoice_charge(sb, inv)
        re = charges.refund_charge(sb, ch, refund_amount, reason="requested_by_customer")
        cn["refunds"].append(
            {
                "amount_refunded": refund_amount,
                "refund": re["id"],
                "type": "refund",
                "payment_record_refund": None,
            }
        )
    if credit_amount:
        cus = sb.need(inv["customer"], "customer")
        txn = billing.adjust_balance(
            sb,
            cus,
            -credit_amount,
            type="credit_note",
            currency_code=inv["currency"],
            credit_note=cn["id"],
            invoice=inv["id"],
        )
        cn["customer_balance_transaction"] = txn["id"]
    sb.touch(inv)
    sb.emit("credit_note.created", cn)
    if inv["status"] == "open" and inv["amount_remaining"] == 0:
        collection.mark_paid(sb, inv)
    else:
        sb.update_event("invoice.updated", inv, before)
    return cn


def _named_refunds(sb: Sandbox, inv: Obj, q: params.Params) -> list[dict[str, Any]]:
    """``refunds[]``: refunds already made on the invoice's payment that the note covers."""
    out: list[dict[str, Any]] = []
    for i, spec in enumerate(params.array(q, "refunds")):
        where = f"refunds[{i}]"
        if not isinstance(spec, dict):
            raise errors.invalid(f"Invalid {where}: expected an object.", param=where)
        re = sb.need(str(spec.get("refund") or ""), "refund", param=f"{where}[refund]")
        amount = params.integer(spec, "amount_refunded")
        amount = int(re["amount"]) if amount is None else amount
        charge = _invoice_charge(sb, inv)
        if re.get("charge") != charge["id"]:
            raise errors.invalid(
                f"Refund {re['id']} is not a refund of invoice {inv['id']}'s payment.",
                param=f"{where}[refund]",
            )
        if re.get("status") not in {"succeeded", "pending"}:
            raise errors.invalid(
                f"Refund {re['id']} is {re.get('status')}; only a succeeded or pending "
                "refund can be linked to a credit note.",
                param=f"{where}[refund]",
            )
        used = amount + sum(
            int(entry["amount_refunded"])
            for cn in sb.store.all_of("credit_note")
            if cn["status"] == "issued"
            for entry in cn["refunds"]
            if entry["refund"] == re["id"]
        )
        if amount <= 0 or used > int(re["amount"]):
            raise errors.invalid(
                f"amount_refunded ({amount}) must be positive and, with what other credit "
                f"notes cover, no more than refund {re['id']}'s amount ({re['amount']}).",
                param=f"{where}[amount_refunded]",
            )
        out.append(
            {
                "amount_refunded": amount,
                "refund": re["id"],
                "type": "refund",
                "payment_record_refund": None,
            }
        )
    return out


def _invoice_charge(sb: Sandbox, inv: Obj) -> Obj:
    for ip in reversed(sb.store.all_of("invoice_payment")):
        if ip["invoice"] == inv["id"] and ip["status"] == "paid":
            pi = sb.need(ip["payment"]["payment_intent"], "payment_intent")
            return sb.need(pi["latest_charge"], "charge")
    raise errors.invalid(
        f"Invoice {inv['id']} has no payment to refund; use credit_amount or "
        "out_of_band_amount instead.",
        param="refund_amount",
    )


def update(sb: Sandbox, cn: Obj, q: params.Params) -> Obj:
    """`POST /v1/credit_notes/{id}`: memo and metadata."""
    before = sb.snapshot(cn, ["memo", "metadata"])
    if "memo" in q:
        cn["memo"] = params.string(q, "memo")
    params.apply_metadata(cn, q)
    sb.touch(cn)
    sb.update_event("credit_note.updated", cn, before)
    return cn


def void(sb: Sandbox, cn: Obj) -> Obj:
    """`POST /v1/credit_notes/{id}/void`: undoes the pre-payment and balance credit."""
    if cn["status"] == "void":
        raise errors.invalid(f"Credit note {cn['id']} is already void.")
    if cn["refunds"]:
        raise errors.invalid(
            "A credit note with a refund cannot be voided; the refund has already been issued."
        )
    inv = sb.need(cn["invoice"], "invoice")
    if cn["pre_payment_amount"]:
        inv["pre_payment_credit_notes_amount"] -= cn["pre_payment_amount"]
        inv["amount_due"] += cn["pre_payment_amount"]
        inv["amount_remaining"] += cn["pre_payment_amount"]
        if inv["status"] == "paid" and inv["amount_remaining"] > 0:
            inv["status"] = "open"
            inv["status_transitions"]["paid_at"] = None
    inv["post_payment_credit_notes_amount"] -= cn["post_payment_amount"]
    txn = sb.get(cn.get("customer_balance_transaction"), "customer_balance_transaction")
    if txn is not None:
        cus = sb.need(cn["customer"], "customer")
        billing.adjust_balance(
            sb,
            cus,
            -int(txn["amount"]),
            type="credit_note",
            currency_code=cn["currency"],
            credit_note=cn["id"],
        )
    cn["status"] = "void"
    cn["voided_at"] = sb.now()
    sb.touch(inv)
    sb.touch(cn)
    sb.emit("credit_note.voided", cn, {"status": "issued"})
    return cn


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Credit notes filtered by customer / invoice / created."""
    return filters.apply(
        sb.store.all_of("credit_note"),
        filters.equal(q, "customer", "invoice"),
        filters.range_filter(q, "created"),
    )
