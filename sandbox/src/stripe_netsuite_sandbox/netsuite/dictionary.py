"""The field dictionary: which record types, fields, references and enums the sandbox accepts.

Loaded from the copy shipped in the package (see ``data/README.md`` for its origin), so an
installed package works on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from stripe_netsuite_sandbox.netsuite import custom_fields

#: Reference targets that mean "any item" (the browser types the item column as kitItem).
ITEM_TYPES = (
    "serviceSaleItem",
    "discountItem",
    "nonInventorySaleItem",
    "inventoryItem",
    "otherChargeSaleItem",
    "salesTaxItem",
    "taxGroup",
)
ITEM_REF_ALIASES = frozenset({"kititem", "item", "inventoryitem"})

TRANSACTION_TYPES = (
    "invoice",
    "creditMemo",
    "customerPayment",
    "customerRefund",
    "deposit",
    "journalEntry",
    "salesOrder",
    "cashSale",
    "cashRefund",
    "customerDeposit",
)

#: Types the browser references but that records.json does not describe; the sandbox stores
#: them with a minimal shape so references to them can be checked.
EXTRA_TYPES = (
    "paymentMethod",
    "department",
    "classification",
    "location",
    "term",
    "priceLevel",
    "accountingPeriod",
    "customerStatus",
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record or sublist element."""

    name: str
    type: str
    format: str | None
    ref: str | None
    enum: frozenset[str] | None
    read_only: bool


@dataclass(frozen=True)
class Schema:
    """The fields of one record type or sub-schema, with case-insensitive lookup."""

    name: str
    fields: dict[str, FieldSpec]
    sublists: dict[str, str] = field(default_factory=dict)
    multi_selects: dict[str, str] = field(default_factory=dict)
    by_lower: dict[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> FieldSpec | None:
        canonical = self.by_lower.get(name.lower())
        return self.fields[canonical] if canonical else None


@dataclass(frozen=True)
class Dictionary:
    """Every record type and sub-schema the sandbox knows."""

    records: dict[str, Schema]
    schemas: dict[str, Schema]
    type_by_lower: dict[str, str]

    def record_type(self, name: str) -> str | None:
        """The canonical spelling of a record type, looked up case-insensitively."""
        return self.type_by_lower.get(name.lower())

    def schema(self, name: str) -> Schema | None:
        return self.records.get(name) or self.schemas.get(name)


def _field(name: str, raw: dict[str, Any]) -> FieldSpec:
    enum = raw.get("enum")
    return FieldSpec(
        name=name,
        type=str(raw.get("type") or "string"),
        format=raw.get("format"),
        ref=raw.get("ref"),
        enum=frozenset(str(v) for v in enum) if enum else None,
        read_only=bool(raw.get("readOnly")),
    )


def _schema(name: str, raw: dict[str, Any]) -> Schema:
    fields = {fname: _field(fname, f) for fname, f in raw.get("fields", {}).items()}
    return Schema(
        name=name,
        fields=fields,
        sublists=dict(raw.get("sublists") or {}),
        multi_selects=dict(raw.get("multiSelects") or {}),
        by_lower={fname.lower(): fname for fname in fields},
    )


def _extra_schema(name: str) -> Schema:
    def spec(fname: str, ftype: str, ref: str | None = None) -> FieldSpec:
        return FieldSpec(fname, ftype, None, ref, None, fname == "links")

    fields = {
        "id": spec("id", "string"),
        "name": spec("name", "string"),
        "externalId": spec("externalId", "string"),
        "isInactive": spec("isInactive", "boolean"),
        "account": spec("account", "object", "account"),
        "lastModifiedDate": FieldSpec("lastModifiedDate", "string", "date-time", None, None, False),
    }
    return Schema(name=name, fields=fields, by_lower={f.lower(): f for f in fields})


def load_raw() -> dict[str, Any]:
    """The raw records.json shipped in the package."""
    text = resources.files(__package__).joinpath("data/records.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@cache
def load() -> Dictionary:
    """The dictionary, parsed once per process."""
    raw = load_raw()
    records = {name: _schema(name, rec) for name, rec in raw["records"].items()}
    for name in EXTRA_TYPES:
        records.setdefault(name, _extra_schema(name))
    for rtype, fname, ftype, read_only in custom_fields.FIELDS:
        schema = records[rtype]
        schema.fields[fname] = FieldSpec(fname, ftype, None, None, None, read_only)
        schema.by_lower[fname.lower()] = fname
    schemas = {name: _schema(name, sch) for name, sch in raw["schemas"].items()}
    return Dictionary(
        records=records,
        schemas=schemas,
        type_by_lower={name.lower(): name for name in records},
    )
