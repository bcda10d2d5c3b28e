"""Stored records rendered the way NetSuite's GET returns them.

References become ``{links, id, refName}``, enumerations ``{id, refName}`` (or the bare id with
``simpleEnumFormat``), sublists link stubs unless ``expandSubResources``, null fields are left
out. Hrefs use lower-case record types, as real payloads do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stripe_netsuite_sandbox.netsuite import dictionary
from stripe_netsuite_sandbox.netsuite.dictionary import Dictionary, Schema
from stripe_netsuite_sandbox.netsuite.ledger import Ledger
from stripe_netsuite_sandbox.netsuite.store import Body, Store

_STATUS_LABELS: dict[str, dict[str, str]] = {
    "invoice": {
        "A": "Open",
        "B": "Paid In Full",
        "D": "Pending Approval",
        "E": "Rejected",
        "V": "Voided",
    },
    "creditMemo": {"A": "Open", "B": "Fully Applied", "V": "Voided"},
    "customerPayment": {
        "A": "Unapproved Payment",
        "B": "Not Deposited",
        "C": "Deposited",
        "R": "Rejected",
    },
    "cashSale": {"A": "Unapproved Payment", "B": "Not Deposited", "C": "Deposited"},
    "customerDeposit": {
        "A": "Not Deposited",
        "B": "Deposited",
        "C": "Fully Applied",
        "D": "Partially Applied",
        "R": "Unapproved Payment",
    },
    "customerRefund": {"R": "Refunded", "V": "Voided"},
    "salesOrder": {
        "A": "Pending Approval",
        "B": "Pending Fulfillment",
        "C": "Cancelled",
        "D": "Partially Fulfilled",
        "E": "Pending Billing/Partially Fulfilled",
        "F": "Pending Billing",
        "G": "Billed",
        "H": "Closed",
    },
}
_TYPE_LABELS = {
    "invoice": "Invoice",
    "creditMemo": "Credit Memo",
    "customerPayment": "Payment",
    "customerRefund": "Customer Refund",
    "deposit": "Deposit",
    "journalEntry": "Journal",
    "salesOrder": "Sales Order",
    "cashSale": "Cash Sale",
    "cashRefund": "Cash Refund",
    "customerDeposit": "Customer Deposit",
}


def ref_name(rtype: str, body: Body) -> str:
    """The display name NetSuite puts in ``refName``."""
    if rtype == "customer":
        return str(body.get("entityId") or body.get("companyName") or body["id"])
    if rtype in _TYPE_LABELS:
        return f"{_TYPE_LABELS[rtype]} #{body.get('tranId') or body['id']}"
    if rtype == "account":
        return f"{body.get('acctNumber', '')} {body.get('acctName', '')}".strip()
    for key in ("itemId", "name", "acctName", "entityId"):
        if body.get(key):
            return str(body[key])
    return str(body["id"])


@dataclass
class Renderer:
    """Renders records of one account for one base URL."""

    dic: Dictionary
    store: Store
    ledger: Ledger
    base: str

    def href(self, rtype: str, *parts: str) -> str:
        tail = "/".join(p for p in parts if p)
        return f"{self.base}/services/rest/record/v1/{rtype.lower()}" + (f"/{tail}" if tail else "")

    def links(self, rtype: str, *parts: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": self.href(rtype, *parts)}]

    def record(
        self,
        rtype: str,
        body: Body,
        *,
        expand: bool = False,
        simple_enum: bool = False,
        fields: set[str] | None = None,
    ) -> dict[str, Any]:
        rid = str(body["id"])
        schema = self.dic.records[rtype]
        out: dict[str, Any] = {"links": self.links(rtype, rid)}
        for key in sorted(body, key=str.lower):
            value = body[key]
            if value is None or (fields is not None and key.lower() not in fields):
                continue
            if key == "id":
                out["id"] = rid
                continue
            out[key] = self._field(
                rtype, schema, key, value, (rid,), expand=expand, simple_enum=simple_enum
            )
        if fields is None:
            out["id"] = rid
        return out

    def _field(
        self,
        rtype: str,
        schema: Schema,
        key: str,
        value: Any,
        parts: tuple[str, ...],
        *,
        expand: bool,
        simple_enum: bool,
    ) -> Any:
        spec = schema.fields.get(key)
        if spec is None:
            return value
        if key in schema.sublists:
            element = self.dic.schemas.get(schema.sublists[key])
            stub: dict[str, Any] = {"links": self.links(rtype, *parts, key)}
            if not expand:
                return stub
            items = [
                self._line(rtype, element, line, (*parts, key, str(i)), simple_enum=simple_enum)
                for i, line in enumerate(value.get("items", []))
            ]
            stub.update(
                items=items, count=len(items), hasMore=False, offset=0, totalResults=len(items)
            )
            return stub
        if key in schema.multi_selects:
            target = schema.multi_selects[key]
            refs = [self.reference(target, ref) for ref in value.get("items", [])]
            return {
                "links": self.links(rtype, *parts, key),
                "items": refs,
                "totalResults": len(refs),
            }
        if spec.type != "object" or not isinstance(value, dict):
            return value
        if spec.enum is not None:
            enum_id = str(value.get("id"))
            if simple_enum:
                return enum_id
            label = (
                _STATUS_LABELS.get(rtype, {}).get(enum_id, enum_id) if key == "status" else enum_id
            )
            return {"id": enum_id, "refName": label}
        if spec.ref in self.dic.schemas:
            sub = self.dic.schemas[spec.ref]
            rendered: dict[str, Any] = {"links": self.links(rtype, *parts, key)}
            for sub_key in sorted(value, key=str.lower):
                if value[sub_key] is not None:
                    rendered[sub_key] = self._field(
                        rtype,
                        sub,
                        sub_key,
                        value[sub_key],
                        (*parts, key),
                        expand=expand,
                        simple_enum=simple_enum,
                    )
            return rendered
        return self.reference(spec.ref or "nsResource", value, field_name=key)

    def _line(
        self,
        rtype: str,
        element: Schema | None,
        line: Body,
        parts: tuple[str, ...],
        *,
        simple_enum: bool,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"links": []}
        for key in sorted(line, key=str.lower):
            value = line[key]
            if value is None:
                continue
            out[key] = (
                self._field(rtype, element, key, value, parts, expand=True, simple_enum=simple_enum)
                if element is not None
                else value
            )
        return out

    def reference(self, target: str, value: Body, *, field_name: str = "") -> dict[str, Any]:
        rid = value.get("id")
        if rid is None:
            return {"links": [], **value}
        rid = str(rid)
        rtype = self._resolve_type(target, rid)
        if rtype is None:
            return {"links": [{"rel": "self", "href": self.href(target)}], "id": rid}
        body = self.store.get(rtype, rid)
        out: dict[str, Any] = {"links": self.links(rtype, rid), "id": rid}
        if body is not None:
            out["refName"] = ref_name(rtype, body)
        return out

    def _resolve_type(self, target: str, rid: str) -> str | None:
        lower = target.lower()
        if lower in dictionary.ITEM_REF_ALIASES:
            for rtype in dictionary.ITEM_TYPES:
                if self.store.get(rtype, rid) is not None:
                    return rtype
            return None
        if target == "nsResource":
            return self.ledger.tx_types.get(rid)
        return self.dic.record_type(target) or target
