"""Reversing part of a sale: the original document's lines, pro rata, tax kept apart.

A refund or a lost dispute gives back part (or all) of what a sale posted. The credit
memo that books it must credit what the invoice credited: each item's account (income,
discount, shipping) and the tax account, in proportion, never one generic line for the
gross. A won dispute and a failed refund book the same lines again, the other way round.

The split is done in two pools so that the tax given back is the one figure Stripe's
side can compute from the invoice alone: tax part = round(value × tax ÷ total), half
up, in minor units; the rest is the net part. Each pool is then shared over its lines by
largest remainder, so the lines add up to *value* exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping import transaction as tx

#: Decimals of the sale's amounts kept when they weigh a share (NetSuite keeps 8).
WEIGHT_PLACES = 8


@dataclass(frozen=True)
class SaleLine:
    """One item line of the sale as NetSuite holds it."""

    item: str
    amount: Decimal
    #: The line's tax in ``options.tax = codes`` (``tax1Amt``), with its tax code.
    tax: Decimal = Decimal(0)
    tax_code: str | None = None
    #: A tax line (the account's tax item) in ``options.tax = lines``.
    is_tax: bool = False
    description: str = ""


def sale_lines(record: Mapping[str, Any], *, tax_item: str | None) -> list[SaleLine]:
    """The item lines of a NetSuite invoice or cash sale read with its sublists expanded."""
    sub = record.get("item")
    items = sub.get("items") if isinstance(sub, Mapping) else None
    found: list[SaleLine] = []
    for line in items or []:
        item = tx.id_of(line.get("item"))
        if not item:
            continue
        found.append(
            SaleLine(
                item=item,
                amount=Decimal(str(line.get("amount") or 0)),
                tax=Decimal(str(line.get("tax1Amt") or 0)),
                tax_code=tx.id_of(line.get("taxCode")),
                is_tax=bool(tax_item) and item == tax_item,
                description=str(line.get("description") or ""),
            )
        )
    return found


def tax_share(value: int, tax: int, total: int) -> int:
    """The tax part, in minor units, of *value* given back on a sale of *total* with *tax*.

    Half up, as Stripe's side of the tie-out computes it (`mapping.tieout`).
    """
    if not total or not tax:
        return 0
    share = (Decimal(value) * Decimal(tax) / Decimal(total)).to_integral_value(ROUND_HALF_UP)
    return int(share)


def pro_rata(
    lines: Sequence[SaleLine], value: Decimal, *, currency: str, sid: str, text: str
) -> list[dict[str, Any]]:
    """Item lines giving back *value* of the sale *lines*, in proportion, summing to it.

    `MappingError` when the sale has nothing to reverse against (no lines, or a zero total).
    """
    total = sum((ln.amount + ln.tax for ln in lines), Decimal(0))
    if not lines or total == 0:
        raise exceptions.MappingError(
            "the sale has no lines to reverse pro rata", stripe_id=sid, missing="sale_lines"
        )
    minor = money.to_minor(value, currency)
    tax_parts = [ln.amount if ln.is_tax else ln.tax for ln in lines]
    tax_total = sum(tax_parts, Decimal(0))
    # Only proportions of the sale matter, so its amounts are weights at a fixed scale
    # (the sale may be booked in another currency: a single-currency account's base).
    taxed = tax_share(minor, _weight(tax_total), _weight(total))
    if value == total:
        taxed = money.to_minor(tax_total, currency)
    # Net pool over the net amounts; tax pool over the tax amounts.
    nets = [0 if ln.is_tax else _weight(ln.amount) for ln in lines]
    net_out = _share(minor - taxed, nets)
    tax_out = _share(taxed, [_weight(t) for t in tax_parts])
    out: list[dict[str, Any]] = []
    for ln, net, tax in zip(lines, net_out, tax_out, strict=True):
        amount = money.to_decimal(tax if ln.is_tax else net, currency)
        if amount == 0 and (ln.is_tax or tax == 0):
            continue
        description = f"{text}: {ln.description}" if ln.description else text
        line = tx.item_line(ln.item, amount, description=description)
        if not ln.is_tax and ln.tax_code:
            line["taxCode"] = {"id": ln.tax_code}
            line["tax1Amt"] = money.to_decimal(tax, currency)
        out.append(line)
    return out


def _weight(amount: Decimal) -> int:
    return int(amount.scaleb(WEIGHT_PLACES).to_integral_value(ROUND_HALF_UP))


def _share(pool: int, weights: list[int]) -> list[int]:
    """*pool* spread over *weights* in proportion, largest remainder, summing to *pool*."""
    whole = sum(weights)
    if not whole:
        out = [0] * len(weights)
        if pool and out:
            out[0] = pool
        return out
    exact = [Decimal(pool) * w / whole for w in weights]
    floors = [int(e.to_integral_value(ROUND_FLOOR)) for e in exact]
    left = pool - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: abs(left)]:
        floors[i] += 1 if left > 0 else -1
    return floors
