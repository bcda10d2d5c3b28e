"""Skip rules, link-instead-of-create and metadata field mappings."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_support import account

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import gate, linked_id, linked_item, mapped_fields
from stripe_netsuite.settings import Options

JAN_2026 = 1767225600


@pytest.mark.parametrize(
    ("obj", "options", "rule"),
    [
        ({"object": "customer"}, {}, None),
        ({"object": "customer", "metadata": {"netsuite_block_integration": "true"}}, {},
         "netsuite_block_integration"),
        ({"object": "customer", "metadata": {"netsuite_block_integration": "false"}}, {}, None),
        ({"object": "customer", "metadata": {"netsuite_block_integration": "TRUE"}}, {},
         "netsuite_block_integration"),
        ({"object": "customer"}, {"metadata_mode": "allow"}, "not_allowed"),
        ({"object": "customer", "metadata": {"netsuite_allow_integration": "true"}},
         {"metadata_mode": "allow"}, None),
        ({"object": "customer", "metadata": {"netsuite_block_integration": "true",
          "netsuite_allow_integration": "true"}}, {"metadata_mode": "allow"}, None),
        ({"object": "customer"}, {"customer_sync": False}, "customer_sync_disabled"),
        ({"object": "charge", "created": JAN_2026 - 1, "status": "succeeded"},
         {"sync_start": "2026-01-01"}, "before_sync_start"),
        ({"object": "charge", "created": JAN_2026, "status": "succeeded"},
         {"sync_start": "2026-01-01"}, None),
        ({"object": "invoice", "status": "open", "total": 0}, {}, None),
        ({"object": "invoice", "status": "paid", "total": 0}, {"zero_amount_invoices": "skip"},
         "zero_amount_invoice"),
        ({"object": "invoice", "status": "paid", "total": 1}, {"zero_amount_invoices": "skip"},
         None),
        ({"object": "invoice", "status": "draft", "total": 5}, {}, "draft_invoice"),
        ({"object": "charge", "status": "failed"}, {}, "charge_not_succeeded"),
        ({"object": "charge", "status": "succeeded", "captured": False}, {}, "uncaptured_charge"),
        ({"object": "refund", "status": "failed"}, {}, "refund_not_succeeded"),
        ({"object": "refund", "status": "pending"}, {}, None),
        ({"object": "dispute", "status": "warning_needs_response"}, {}, "dispute_inquiry"),
        ({"object": "dispute", "status": "needs_response"}, {}, None),
        ({"object": "credit_note", "status": "void"}, {}, "void_credit_note"),
    ],
)  # fmt: skip
def test_gate(obj: dict[str, Any], options: dict[str, Any], rule: str | None) -> None:
    assert gate(obj, Options.model_validate(options)) == rule


def test_gate_refuses_a_bad_sync_start() -> None:
    with pytest.raises(exceptions.MappingError, match="sync_start"):
        gate({"object": "charge", "created": 1}, Options(sync_start="last year"))


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("customer", "netsuite_customer_id"),
        ("invoice", "netsuite_invoice_id"),
        ("credit_memo", "netsuite_credit_memo_id"),
        ("payment", "netsuite_customer_payment_id"),
        ("refund", "netsuite_customer_refund_id"),
        ("discount_item", "netsuite_discount_item_id"),
        ("deposit", "netsuite_deposit_id"),
        ("serviceSaleItem", "netsuite_service_sale_item_id"),
        ("serviceResaleItem", "netsuite_service_resale_item_id"),
        ("nonInventorySaleItem", "netsuite_non_inventory_sale_item_id"),
        ("nonInventoryResaleItem", "netsuite_non_inventory_resale_item_id"),
    ],
)
def test_linked_id(role: str, key: str) -> None:
    assert linked_id({"metadata": {key: " 42 "}}, role) == "42"
    assert linked_id({"metadata": {key: ""}}, role) is None
    assert linked_id({"metadata": {}}, role) is None


def test_linked_id_unknown_role() -> None:
    with pytest.raises(exceptions.MappingError, match="no link metadata key"):
        linked_id({}, "spaceship")


def test_linked_item_names_type() -> None:
    obj = {"metadata": {"netsuite_non_inventory_resale_item_id": "9"}}
    assert linked_item(obj) == ("nonInventoryResaleItem", "9")
    assert linked_item({"metadata": {}}) is None


def test_mapped_fields_by_level_and_kind() -> None:
    acct = account(
        fields={
            "invoice": [
                {"metadata": "dept", "field": "department", "kind": "ref"},
                {"metadata": "po", "field": "otherRefNum"},
                {"metadata": "proj", "field": "custcol_project", "level": "line"},
            ]
        }
    )
    meta = {"dept": "3", "po": "PO-9", "proj": "X", "unused": "u"}
    assert mapped_fields(acct, "invoice", meta) == {
        "department": {"id": "3"},
        "otherRefNum": "PO-9",
    }
    assert mapped_fields(acct, "invoice", meta, level="line") == {"custcol_project": "X"}
    assert mapped_fields(acct, "customer", meta) == {}


def test_an_invoice_without_lines_is_skipped() -> None:
    empty = {"object": "invoice", "status": "open", "total": 0, "lines": {"data": []}}
    assert gate(empty, Options()) == "empty_invoice"
    one = {**empty, "lines": {"data": [{"id": "il_1"}]}}
    assert gate(one, Options()) is None


@pytest.mark.parametrize(
    "value",
    [
        "eid:acct_1:cus_2",
        "1/../../customer/2",
        "5?x=1",
        "5#top",
        "..",
        "-5",
        "5.0",
        "1e3",
        "0x1f",
        "\uff15",  # a full-width digit five
        "007",
        "0",
        "1" * 19,
        "5 5",
    ],
)
def test_a_linked_id_must_be_a_netsuite_internal_id(value: str) -> None:
    obj = {"id": "cus_9", "metadata": {"netsuite_customer_id": value}}
    with pytest.raises(exceptions.MappingError) as caught:
        linked_id(obj, "customer")
    assert "metadata netsuite_customer_id on cus_9 is not a NetSuite internal id" in str(
        caught.value
    )


def test_an_item_link_is_checked_like_any_other() -> None:
    line = {"id": "il_1", "metadata": {"netsuite_service_sale_item_id": "7/../9"}}
    with pytest.raises(exceptions.MappingError, match="netsuite_service_sale_item_id on il_1"):
        linked_item(line)
    assert linked_item({"metadata": {"netsuite_inventory_item_id": "123456789012345678"}}) == (
        "inventoryItem",
        "123456789012345678",
    )
