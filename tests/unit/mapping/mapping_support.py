"""Helpers for the mapping tests: a context builder, golden files, the field dictionary check."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from stripe_netsuite.mapping import MappingContext, NetSuiteRecord
from stripe_netsuite.mapping.records import as_dict
from stripe_netsuite.settings import AccountConfig

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
#: A condensed copy of the NetSuite REST field dictionary (2026.1 record schemas).
FIELDS_FILE = HERE / "data" / "netsuite_fields.json"
ACCOUNT = "acct_1Test"

#: Fields whose documented wire type differs from the schema browser's.
#: undepFunds is listed as a select, but real payloads carry a boolean.
WIRE_EXCEPTIONS = {("customerPayment", "undepFunds"): bool}
#: Record types the dictionary lacks, checked against the type they share their fields with.
RECORD_ALIASES = {
    "serviceResaleItem": "serviceSaleItem",
    "nonInventoryResaleItem": "nonInventorySaleItem",
}
CUSTOM_FIELD = re.compile(r"^cust(body|entity|col|item|record)_[a-z0-9_]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def account(**overrides: Any) -> AccountConfig:
    """An account config with every GL account and item set, changed by *overrides*."""
    raw: dict[str, Any] = {
        "stripe_account_id": ACCOUNT,
        "stripe_api_key": "sk_test_123",
        "netsuite": {"account_id": "TSTDRV1"},
        "subsidiary": "1",
        "gl": {
            "undeposited_funds": "120",
            "receivables": "121",
            "bank": {"usd": "1", "eur": "2", "jpy": "3", "kwd": "4"},
            "stripe_fees": "600",
            "dispute_fees": "601",
            "suspense": "999",
        },
        "items": {
            "service_sale_item": "500",
            "discount_item": "501",
            "tax_item": "502",
            "shipping_item": "503",
            "income_account": "400",
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return AccountConfig.model_validate(raw)


CURRENCIES = {"usd": "1", "eur": "2", "jpy": "3", "kwd": "4", "isk": "5", "huf": "6",
              "twd": "7", "ugx": "8", "gbp": "9"}  # fmt: skip


def context(acct: AccountConfig | None = None, **ids: Any) -> MappingContext:
    """A context over *acct* (the default account) with every currency resolved."""
    ids.setdefault("currency_ids", CURRENCIES)
    return MappingContext(account=acct or account(), **ids)


def check_golden(name: str, records: NetSuiteRecord | Sequence[NetSuiteRecord]) -> None:
    """Compare whole records with ``golden/<name>.json``; ``SNS_UPDATE_GOLDEN=1`` rewrites it."""
    items = [records] if isinstance(records, NetSuiteRecord) else list(records)
    actual = [as_dict(r) for r in items]
    path = GOLDEN / f"{name}.json"
    if os.environ.get("SNS_UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("SNS_UPDATE_GOLDEN") != "1":
            raise AssertionError(
                f"golden file {path.name} is missing; run with SNS_UPDATE_GOLDEN=1"
            )
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"records differ from golden/{path.name}"


def golden_files() -> list[Path]:
    """Every golden file."""
    return sorted(GOLDEN.glob("*.json"))


@cache
def dictionary() -> Mapping[str, Any]:
    """The NetSuite field dictionary."""
    loaded: Mapping[str, Any] = json.loads(FIELDS_FILE.read_text(encoding="utf-8"))
    return loaded


def schema_problems(
    record_type: str, body: Mapping[str, Any], *, amounts_as_strings: bool = False
) -> list[str]:
    """Every field of *body* that the dictionary does not allow, with the reason.

    Golden files hold amounts as strings; *amounts_as_strings* reads them back as numbers.
    """
    records = dictionary()["records"]
    record_type = RECORD_ALIASES.get(record_type, record_type)
    if record_type not in records:
        return [f"{record_type}: unknown record type"]
    spec = records[record_type]
    check = _Checker(record_type, amounts_as_strings)
    return check.fields(record_type, spec["fields"], spec["sublists"], spec["multiSelects"], body)


@dataclass(frozen=True)
class _Checker:
    record_type: str
    amounts_as_strings: bool

    def fields(
        self,
        where: str,
        fields: Mapping[str, Any],
        sublists: Mapping[str, str],
        multi: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> list[str]:
        problems: list[str] = []
        schemas = dictionary()["schemas"]
        for name, value in body.items():
            path = f"{where}.{name}"
            if CUSTOM_FIELD.match(name):
                continue
            if name not in fields:
                problems.append(f"{path}: no such field")
                continue
            spec = fields[name]
            if spec.get("readOnly"):
                problems.append(f"{path}: read-only")
            wire = WIRE_EXCEPTIONS.get((self.record_type, name))
            if wire is not None:
                if not isinstance(value, wire):
                    problems.append(f"{path}: expected {wire.__name__}")
                continue
            if name in sublists:
                element = schemas[sublists[name]]["fields"]
                if not isinstance(value, Mapping) or not isinstance(value.get("items"), list):
                    problems.append(f"{path}: a sublist must be {{'items': [...]}}")
                    continue
                for i, line in enumerate(value["items"]):
                    problems += self.fields(f"{path}[{i}]", element, {}, {}, line)
                continue
            if name in multi:
                items = value.get("items") if isinstance(value, Mapping) else None
                if not isinstance(items, list) or not all(_is_ref(v) for v in items):
                    problems.append(f"{path}: a multi-select must be {{'items': [{{'id': ...}}]}}")
                continue
            problems += self.value(path, spec, value)
        return problems

    def value(self, path: str, spec: Mapping[str, Any], value: Any) -> list[str]:
        kind = spec["type"]
        if kind == "string":
            if not isinstance(value, str):
                return [f"{path}: expected a string, got {value!r}"]
            if spec.get("format") == "date" and not DATE.match(value):
                return [f"{path}: expected a YYYY-MM-DD date, got {value!r}"]
            return []
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
        if kind == "number":
            if self.amounts_as_strings and isinstance(value, str):
                value = _decimal_or_none(value)
            ok = isinstance(value, Decimal | int) and not isinstance(value, bool)
            return [] if ok else [f"{path}: expected a Decimal amount, got {value!r}"]
        if kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return [] if ok else [f"{path}: expected an integer"]
        if kind == "object":
            schemas = dictionary()["schemas"]
            ref = spec.get("ref")
            if ref in schemas:
                if not isinstance(value, Mapping):
                    return [f"{path}: expected an object"]
                return self.fields(path, schemas[ref]["fields"], {}, {}, value)
            if not _is_ref(value):
                return [f"{path}: expected a reference {{'id': '...'}}, got {value!r}"]
            enum = spec.get("enum")
            if enum and value["id"] not in enum:
                return [f"{path}: {value['id']!r} is not one of the allowed values"]
            return []
        return [f"{path}: unsupported type {kind}"]


def _decimal_or_none(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"id"} and isinstance(value["id"], str)
