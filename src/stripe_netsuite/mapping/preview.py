"""A readable text rendering of NetSuite records, for ``stripe-netsuite preview``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from stripe_netsuite.mapping.records import NetSuiteRecord

#: Columns shown per sublist, in order; other sublists show every key.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "item": ("item", "quantity", "rate", "amount", "tax1Amt", "taxCode", "description",
             "revRecStartDate", "revRecEndDate"),
    "apply": ("doc", "amount"),
    "line": ("account", "debit", "credit", "entity", "memo"),
    "addressBook": ("label", "defaultBilling", "defaultShipping", "addressBookAddress"),
}  # fmt: skip


def render(records: Sequence[NetSuiteRecord]) -> str:
    """Every record with its fields, its lines and their totals, as plain text."""
    if not records:
        return "Nothing to post.\n"
    return "\n".join(_record(r) for r in records)


def _record(record: NetSuiteRecord) -> str:
    out = [f"{record.record_type} {record.external_id}  ({record.role} for {record.stripe_id})"]
    sublists = {k: v for k, v in record.body.items() if _is_sublist(v)}
    for key, value in record.body.items():
        if key in sublists or key == "externalId":
            continue
        out.append(f"  {key}: {_value(value)}")
    for key, value in sublists.items():
        out += _table(key, value["items"])
    return "\n".join(out) + "\n"


def _table(name: str, rows: list[Mapping[str, Any]]) -> list[str]:
    columns = COLUMNS.get(name)
    if columns is None:
        columns = tuple(dict.fromkeys(k for row in rows for k in row))
    used = [c for c in columns if any(c in row for row in rows)]
    extra = sorted({k for row in rows for k in row} - set(used))
    used += extra
    cells = [[_value(row.get(c, "")) for c in used] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(used)]
    lines = [f"  {name} ({len(rows)} line{'s' if len(rows) != 1 else ''}):"]
    lines.append("    " + "  ".join(c.ljust(w) for c, w in zip(used, widths, strict=True)).rstrip())
    for row in cells:
        lines.append(
            "    " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        )
    lines += _totals(name, rows)
    return lines


def _totals(name: str, rows: list[Mapping[str, Any]]) -> list[str]:
    if name == "line":
        debit = sum((r.get("debit", Decimal(0)) for r in rows), Decimal(0))
        credit = sum((r.get("credit", Decimal(0)) for r in rows), Decimal(0))
        return [f"    debits {debit}  credits {credit}"]
    if any(isinstance(r.get("amount"), Decimal | int) for r in rows):
        total = sum((r.get("amount", 0) + r.get("tax1Amt", 0) for r in rows), Decimal(0))
        return [f"    total {total}"]
    return []


def _is_sublist(value: Any) -> bool:
    # A multi-select ({"items": [{"id": …}]}) is a value, not a table.
    items = value.get("items") if isinstance(value, Mapping) else None
    return isinstance(items, list) and any(not _is_ref(v) for v in items)


def _is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"id"}


def _value(value: Any) -> str:
    if _is_ref(value):
        return f"#{value['id']}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if isinstance(value.get("items"), list):
            return ", ".join(_value(v) for v in value["items"])
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items())
    return str(value)
