"""The table of kinds agrees with the flows, the settings and itself."""

from __future__ import annotations

from itertools import permutations

import pytest

from stripe_netsuite import flows, kinds
from stripe_netsuite.flows import payout as payout_flow
from stripe_netsuite.flows import registry
from stripe_netsuite.settings import Flows


def test_every_kind_has_a_flow_and_every_flow_a_kind() -> None:
    assert set(flows.REGISTRY) == set(kinds.names())


def test_registering_a_flow_for_no_kind_fails() -> None:
    with pytest.raises(KeyError):
        registry.register("spaceship", payout_flow.sync)
    assert "spaceship" not in flows.REGISTRY


def test_the_payout_flow_hooks_in_after_every_sync() -> None:
    assert payout_flow.release in registry.HOOKS


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_switch_is_an_account_flow_setting(kind: kinds.Kind) -> None:
    assert Flows.model_fields[kind.switch].annotation is bool


def test_names_object_types_and_categories_are_unique() -> None:
    for column in ("name", "object_type"):
        values = [getattr(kind, column) for kind in kinds.KINDS]
        assert len(values) == len(set(values)), column
    categories = [c for kind in kinds.KINDS for c in kind.reporting_categories]
    assert len(categories) == len(set(categories))


def test_prefixes_do_not_overlap() -> None:
    prefixes = [p for kind in kinds.KINDS for p in kind.prefixes]
    assert len(prefixes) == len(set(prefixes))
    assert all(p.endswith("_") for p in prefixes)
    assert [(a, b) for a, b in permutations(prefixes, 2) if b.startswith(a)] == []


def test_every_key_names_netsuite() -> None:
    write_back = [k.write_back_key for k in kinds.KINDS if k.write_back_key]
    keys = [*write_back, *kinds.link_keys().values()]
    assert keys
    assert [key for key in keys if not key.startswith("netsuite_")] == []


@pytest.mark.parametrize("kind", [k for k in kinds.KINDS if k.write_back_key], ids=lambda k: k.name)
def test_write_back_key_is_the_link_key_of_its_role(kind: kinds.Kind) -> None:
    # Metadata holding a written-back id is read as "link this record" by the same key.
    assert kind.write_back_key is not None
    assert kinds.link_key(kind.role) == kind.write_back_key
    assert kinds.is_write_back_key(kind.write_back_key)


def test_items_write_back_by_record_type() -> None:
    items = [k for k in kinds.KINDS if k.role == "item"]
    assert [k.name for k in items] == ["price", "plan", "product"]
    assert all(k.write_back_key is None for k in items)
    for record_type, key in kinds.ITEM_LINK_KEYS.items():
        assert kinds.link_key(record_type) == key
        assert kinds.is_write_back_key(key)


@pytest.mark.parametrize(
    "key", ["netsuite_allow_integration", "netsuite_block_integration", "netsuite_cash_sale_id"]
)
def test_keys_the_engine_never_writes(key: str) -> None:
    assert not kinds.is_write_back_key(key)


@pytest.mark.parametrize(
    ("object_type", "name"),
    [
        ("customer", "customer"),
        ("price", "price"),
        ("plan", "plan"),
        ("product", "product"),
        ("coupon", "coupon"),
        ("invoice", "invoice"),
        ("charge", "charge"),
        ("refund", "refund"),
        ("credit_note", "credit_note"),
        ("dispute", "dispute"),
        ("payout", "payout"),
        ("checkout.session", "checkout_session"),
    ],
)
def test_by_object_type(object_type: str, name: str) -> None:
    found = kinds.by_object_type(object_type)
    assert found is not None
    assert found.name == name
    assert kinds.get(name) is found


@pytest.mark.parametrize("object_type", ["checkout_session", "subscription", "event", ""])
def test_object_types_not_synced(object_type: str) -> None:
    assert kinds.by_object_type(object_type) is None


@pytest.mark.parametrize(
    ("object_id", "name"),
    [
        ("cus_1", "customer"),
        ("price_1", "price"),
        ("plan_1", "plan"),
        ("prod_1", "product"),
        ("in_1", "invoice"),
        ("ch_1", "charge"),
        ("py_1", "charge"),
        ("re_1", "refund"),
        ("pyr_1", "refund"),
        ("cn_1", "credit_note"),
        ("dp_1", "dispute"),
        ("du_1", "dispute"),
        ("po_1", "payout"),
        ("cs_test_1", "checkout_session"),
    ],
)
def test_kind_of_id(object_id: str, name: str) -> None:
    found = kinds.kind_of_id(object_id)
    assert found is not None
    assert found.name == name


@pytest.mark.parametrize("object_id", ["SUMMER25", "txn_1", "evt_1", "pi_1", ""])
def test_ids_of_no_kind(object_id: str) -> None:
    assert kinds.kind_of_id(object_id) is None


@pytest.mark.parametrize(
    ("category", "name"),
    [
        ("charge", "charge"),
        ("refund", "refund"),
        ("dispute", "dispute"),
        ("dispute_reversal", "dispute"),
        ("fee", None),
        ("payout", None),
        ("partial_capture_reversal", None),
    ],
)
def test_for_reporting_category(category: str, name: str | None) -> None:
    found = kinds.for_reporting_category(category)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("customer", "netsuite_customer_id"),
        ("discount_item", "netsuite_discount_item_id"),
        ("refund", "netsuite_customer_refund_id"),
        ("deposit", "netsuite_deposit_id"),
        ("sales_order", "netsuite_sales_order_id"),
        ("inventoryItem", "netsuite_inventory_item_id"),
        ("cash_refund", "netsuite_cash_refund_id"),
        ("customer_deposit", "netsuite_customer_deposit_id"),
        ("item", None),
        ("spaceship", None),
    ],
)
def test_link_key(role: str, key: str | None) -> None:
    assert kinds.link_key(role) == key


def test_unknown_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        kinds.get("spaceship")
