"""Steering from Stripe metadata: skip rules, link-instead-of-create, field mappings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.settings import AccountConfig, MetadataMode, Options

#: Item record types in the order their link keys are looked at.
ITEM_TYPES = tuple(kinds.ITEM_LINK_KEYS)

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
#: A NetSuite internal id: a positive whole number, ASCII digits, no leading zero.
_INTERNAL_ID = re.compile(r"[1-9][0-9]{0,17}")


def metadata_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    """The object's metadata (an empty mapping when it has none)."""
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def is_true(value: Any) -> bool:
    """Whether a metadata value means yes (Stripe metadata values are strings)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


def gate(obj: Mapping[str, Any], options: Options) -> str | None:
    """The named skip rule that keeps *obj* out of NetSuite, or None to sync it."""
    meta = metadata_of(obj)
    if options.metadata_mode is MetadataMode.DENY:
        if is_true(meta.get("netsuite_block_integration")):
            return "netsuite_block_integration"
    elif not is_true(meta.get("netsuite_allow_integration")):
        return "not_allowed"
    kind = obj.get("object")
    if kind == "customer" and not options.customer_sync:
        return "customer_sync_disabled"
    if options.sync_start and _created_before(obj, options.sync_start):
        return "before_sync_start"
    if kind == "invoice":
        if obj.get("status") == "draft":
            return "draft_invoice"
        if obj.get("total") == 0 and options.zero_amount_invoices == "skip":
            return "zero_amount_invoice"
        lines = obj.get("lines")
        if isinstance(lines, Mapping) and not lines.get("data") and not obj.get("total"):
            # NetSuite refuses an invoice without lines, and there is nothing to book.
            return "empty_invoice"
    if kind == "charge":
        if obj.get("status") != "succeeded":
            return "charge_not_succeeded"
        if obj.get("captured") is False:
            return "uncaptured_charge"
    if kind == "refund" and obj.get("status") in {"failed", "canceled"}:
        return "refund_not_succeeded"
    if kind == "dispute" and str(obj.get("status", "")).startswith("warning_"):
        # Inquiries move no funds.
        return "dispute_inquiry"
    if kind == "credit_note" and obj.get("status") == "void":
        return "void_credit_note"
    return None


def _created_before(obj: Mapping[str, Any], sync_start: str) -> bool:
    created = obj.get("created")
    if not isinstance(created, int):
        return False
    try:
        start = date.fromisoformat(sync_start)
    except ValueError as exc:
        raise exceptions.MappingError(
            "options.sync_start is not an ISO date", value=sync_start
        ) from exc
    return datetime.fromtimestamp(created, tz=UTC).date() < start


def linked_id(obj: Mapping[str, Any], role: str) -> str | None:
    """The NetSuite internal id named in metadata for *role* (link instead of create).

    Anything but an internal id is refused (`MappingError` naming the key and the
    object): the value ends up in a record URL and in the links, and a path, a query or
    an ``eid:`` there could point the engine's writes at a record it never chose.
    """
    key = kinds.link_key(role)
    if key is None:
        raise exceptions.MappingError(f"no link metadata key for role {role!r}", role=role)
    value = metadata_of(obj).get(key)
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if not _INTERNAL_ID.fullmatch(text):
        raise exceptions.MappingError(
            f"metadata {key} on {obj.get('id') or 'the object'} is not a NetSuite internal id"
            " (digits only)",
            stripe_id=obj.get("id"),
        )
    return text


def linked_item(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(record_type, internal_id)`` of an item named by any item link key, or None."""
    for record_type in ITEM_TYPES:
        found = linked_id(obj, record_type)
        if found:
            return record_type, found
    return None


def mapped_fields(
    account: AccountConfig,
    record_type: str,
    metadata: Mapping[str, Any],
    *,
    level: str = "body",
) -> dict[str, Any]:
    """NetSuite field values from metadata by the account's ``fields`` mappings.

    ``ref`` mappings give ``{"id": value}``; ``string`` mappings the text itself. Keys
    absent from the metadata are left out.
    """
    values: dict[str, Any] = {}
    for mapping in account.fields.get(record_type, []):
        if mapping.level != level:
            continue
        value = metadata.get(mapping.metadata)
        if value is None or value == "":
            continue
        values[mapping.field] = {"id": str(value)} if mapping.kind == "ref" else str(value)
    return values
