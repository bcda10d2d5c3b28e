"""NetSuite invoice → Stripe invoice: the invoice's parameters and one invoice item per line.

Pure: the NetSuite record (as read with its sublists) goes in, with the Stripe customer
and the currency code already resolved; what to send to Stripe comes out. Amounts are
``Decimal`` in NetSuite and integer minor units in Stripe (`money.to_minor`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.settings import FromNetSuite

#: Stripe refuses an invoice of more than 250 line items.
MAX_LINES = 250
#: Longest description Stripe keeps on an invoice item.
MAX_DESCRIPTION = 500
#: Metadata naming the NetSuite record on everything the engine makes in Stripe from it.
ORIGIN_KEY = "sns_origin"


@dataclass(frozen=True)
class InvoicePlan:
    """What the Stripe invoice of one NetSuite invoice is made of."""

    netsuite_id: str
    currency: str
    #: ``POST /v1/invoices`` parameters (the customer is filled in by the flow).
    invoice: dict[str, Any]
    #: ``POST /v1/invoiceitems`` parameters, in line order (without customer and invoice).
    items: list[dict[str, Any]] = field(default_factory=list)
    #: The NetSuite total in minor units: the finalized Stripe invoice must match it.
    total: int = 0


def status(record: Mapping[str, Any]) -> str:
    """``open``, ``paid`` or ``void``: the NetSuite invoice's state as Stripe names it."""
    if record.get("voided"):
        return "void"
    found = record.get("status")
    code = found.get("id") if isinstance(found, dict) else None
    if code == "V":
        return "void"
    remaining = _decimal(record.get("amountRemaining"), "amountRemaining", record)
    total = _decimal(record.get("total"), "total", record)
    if code == "B" or (total > 0 and remaining == 0):
        return "paid"
    return "open"


def map_invoice(
    record: Mapping[str, Any], *, currency: str, rules: FromNetSuite, today: date
) -> InvoicePlan:
    """The Stripe invoice for a NetSuite invoice: its lines, discounts, tax and due date.

    Each item line becomes an invoice item of its amount (discount lines are negative
    items). Tax is a line of its own (``Tax``), so the Stripe total is NetSuite's total.
    Past `MAX_LINES` the lines from the 250th on are consolidated into one, whose
    description keeps their detail (as much as Stripe keeps).
    """
    nid = str(record.get("id") or "")
    if not nid:
        raise exceptions.MappingError("the NetSuite invoice has no internal id")
    currency = currency.lower()
    items = [_item(line, currency, nid, i) for i, line in enumerate(_lines(record), start=1)]
    tax = _decimal(record.get("taxTotal"), "taxTotal", record)
    if tax:
        items.append({"amount": _minor(tax, currency, nid), "description": "Tax"})
    if not items:
        raise exceptions.MappingError(f"NetSuite invoice {nid} has no lines to bill")
    items = consolidate(items)
    total = _minor(_decimal(record.get("total"), "total", record), currency, nid)
    if sum(int(item["amount"]) for item in items) != total:
        raise exceptions.MappingError(
            f"NetSuite invoice {nid}: its lines and tax do not add up to its total {total}"
        )
    tran_id = str(record.get("tranId") or nid)
    params: dict[str, Any] = {
        "currency": currency,
        "collection_method": rules.collection_method,
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "description": _text(record.get("memo")) or f"NetSuite invoice {tran_id}",
        "metadata": {
            "netsuite_invoice_id": nid,
            "netsuite_invoice_number": tran_id,
            ORIGIN_KEY: "netsuite",
        },
    }
    if rules.collection_method == "send_invoice":
        due = _due(record.get("dueDate"), today)
        if due is None:
            params["days_until_due"] = rules.days_until_due
        else:
            params["due_date"] = due
    return InvoicePlan(netsuite_id=nid, currency=currency, invoice=params, items=items, total=total)


def consolidate(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most `MAX_LINES` items: the last one sums the rest and lists them."""
    if len(items) <= MAX_LINES:
        return list(items)
    kept, rest = list(items[: MAX_LINES - 1]), items[MAX_LINES - 1 :]
    detail = "; ".join(str(item.get("description") or "") for item in rest)
    text = f"{len(rest)} more lines: {detail}"
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1] + "…"
    kept.append(
        {
            "amount": sum(int(item["amount"]) for item in rest),
            "description": text,
            "discountable": False,
        }
    )
    return kept


def _lines(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sublist = record.get("item")
    found = sublist.get("items") if isinstance(sublist, Mapping) else None
    return [line for line in found or [] if isinstance(line, Mapping)]


def _item(line: Mapping[str, Any], currency: str, nid: str, number: int) -> dict[str, Any]:
    amount = _decimal(line.get("amount"), f"item[{number}].amount", {"id": nid})
    found = line.get("item")
    item: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = _text(line.get("description")) or _text(item.get("refName")) or f"Line {number}"
    quantity = line.get("quantity")
    rate = line.get("rate")
    if quantity not in (None, 1, Decimal(1)) and rate is not None:
        name = f"{name} ({_plain(quantity)} × {_plain(rate)})"
    return {
        "amount": _minor(amount, currency, nid),
        "description": name[:MAX_DESCRIPTION],
        # A discount line lowers the total; Stripe discounts never apply to it.
        "discountable": amount > 0,
        "metadata": {"netsuite_line": str(line.get("line") or number)},
    }


def _minor(value: Decimal, currency: str, nid: str) -> int:
    try:
        return money.to_minor(value, currency)
    except ValueError as exc:
        raise exceptions.MappingError(f"NetSuite invoice {nid}: {exc}") from exc


def _due(value: Any, today: date) -> int | None:
    if not value:
        return None
    day = date.fromisoformat(str(value)[:10])
    # Stripe wants a due date still ahead; a NetSuite date already past is due today.
    day = max(day, today)
    return int(datetime.combine(day, time(23, 59, 59), tzinfo=UTC).timestamp())


def _decimal(value: Any, name: str, record: Mapping[str, Any]) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise exceptions.MappingError(f"NetSuite invoice {record.get('id')}: {name} is no number")
    return Decimal(str(value))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plain(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")
