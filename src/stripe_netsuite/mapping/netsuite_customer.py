"""NetSuite customer → Stripe customer parameters (name, email, phone, metadata).

Pure. The Stripe customer carries the NetSuite internal id under ``netsuite_customer_id``,
the same key a Stripe customer linked the other way carries, so either direction finds
the pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.netsuite_invoice import ORIGIN_KEY


def map_customer(record: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /v1/customers`` parameters for a NetSuite customer (company or person)."""
    nid = str(record.get("id") or "")
    if not nid:
        raise exceptions.MappingError("the NetSuite customer has no internal id")
    name = _text(record.get("companyName"))
    if not name:
        person = " ".join(_text(record.get(f)) for f in ("firstName", "lastName"))
        name = person.strip() or _text(record.get("entityId"))
    params: dict[str, Any] = {
        "name": name or f"NetSuite customer {nid}",
        "metadata": {"netsuite_customer_id": nid, ORIGIN_KEY: "netsuite"},
    }
    for source, target in (("email", "email"), ("phone", "phone")):
        value = _text(record.get(source))
        if value:
            params[target] = value
    return params


def update_params(record: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between the NetSuite customer and its Stripe customer (empty: nothing)."""
    wanted = map_customer(record)
    changed = {
        key: value
        for key, value in wanted.items()
        if key != "metadata" and current.get(key) != value
    }
    metadata = current.get("metadata") or {}
    if any(metadata.get(k) != v for k, v in wanted["metadata"].items()):
        changed["metadata"] = wanted["metadata"]
    return changed


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
