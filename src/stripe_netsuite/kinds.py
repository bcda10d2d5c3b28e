"""Every kind of Stripe object the engine syncs, and the metadata keys naming NetSuite records.

One row per job kind. Intake, the flows' registry, preview, the deposit mapping, the
write-back and echo detection all read this table, so a new kind is one row here and
one flow. The bottom layer: it imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Kind:
    """One kind of job: a Stripe object type and what the engine makes of it."""

    #: The job kind: jobs are queued and flows registered under this name.
    name: str
    #: The Stripe object's ``object`` field.
    object_type: str
    #: Stripe's id prefixes (none for coupons, whose ids are the user's choice).
    prefixes: tuple[str, ...]
    #: The account flow switch (a field of ``[accounts.x.flows]``) that turns it on.
    switch: str
    #: The link role of its main NetSuite record.
    role: str
    #: The Stripe API resource path it is fetched from and written back to.
    resource: str
    #: The metadata key its NetSuite id is written back under (and that names a record
    #: to link instead of creating one). None for disputes, which write nothing back,
    #: and for items, whose key follows the item record type posted (`ITEM_LINK_KEYS`).
    write_back_key: str | None = None
    #: Balance-transaction reporting categories whose source is an object of this kind:
    #: what a payout's deposit needs in NetSuite first.
    reporting_categories: tuple[str, ...] = ()
    #: Where the object lives: ``stripe``, or ``netsuite`` for the NetSuite → Stripe kinds,
    #: whose job ids are NetSuite internal ids and whose ``resource`` is what they make in
    #: Stripe.
    source: str = "stripe"


KINDS: tuple[Kind, ...] = (
    Kind(
        name="customer",
        object_type="customer",
        prefixes=("cus_",),
        switch="customers",
        role="customer",
        resource="customers",
        write_back_key="netsuite_customer_id",
    ),
    Kind(
        name="price",
        object_type="price",
        prefixes=("price_",),
        switch="items",
        role="item",
        resource="prices",
    ),
    Kind(
        name="plan",
        object_type="plan",
        prefixes=("plan_",),
        switch="items",
        role="item",
        resource="plans",
    ),
    Kind(
        name="product",
        object_type="product",
        prefixes=("prod_",),
        switch="items",
        role="item",
        resource="products",
    ),
    Kind(
        name="coupon",
        object_type="coupon",
        prefixes=(),
        switch="items",
        role="discount_item",
        resource="coupons",
        write_back_key="netsuite_discount_item_id",
    ),
    Kind(
        name="invoice",
        object_type="invoice",
        prefixes=("in_",),
        switch="invoices",
        role="invoice",
        resource="invoices",
        write_back_key="netsuite_invoice_id",
    ),
    Kind(
        name="charge",
        object_type="charge",
        prefixes=("ch_", "py_"),
        switch="payments",
        role="payment",
        resource="charges",
        write_back_key="netsuite_customer_payment_id",
        reporting_categories=("charge",),
    ),
    Kind(
        name="refund",
        object_type="refund",
        prefixes=("re_", "pyr_"),
        switch="refunds",
        role="refund",
        resource="refunds",
        write_back_key="netsuite_customer_refund_id",
        reporting_categories=("refund",),
    ),
    Kind(
        name="credit_note",
        object_type="credit_note",
        prefixes=("cn_",),
        switch="credit_notes",
        role="credit_memo",
        resource="credit_notes",
        write_back_key="netsuite_credit_memo_id",
    ),
    Kind(
        name="dispute",
        object_type="dispute",
        prefixes=("dp_", "du_"),
        switch="disputes",
        role="refund",
        resource="disputes",
        reporting_categories=("dispute", "dispute_reversal"),
    ),
    Kind(
        name="payout",
        object_type="payout",
        prefixes=("po_",),
        switch="payouts",
        role="deposit",
        resource="payouts",
        write_back_key="netsuite_deposit_id",
    ),
    Kind(
        name="checkout_session",
        object_type="checkout.session",
        prefixes=("cs_",),
        switch="orders",
        role="sales_order",
        resource="checkout.sessions",
        write_back_key="netsuite_sales_order_id",
    ),
    Kind(
        name="netsuite_customer",
        object_type="netsuite.customer",
        prefixes=(),
        switch="netsuite_customers",
        role="customer",
        resource="customers",
        source="netsuite",
    ),
    Kind(
        name="netsuite_invoice",
        object_type="netsuite.invoice",
        prefixes=(),
        switch="netsuite_invoices",
        role="invoice",
        resource="invoices",
        source="netsuite",
    ),
    Kind(
        name="netsuite_credit_memo",
        object_type="netsuite.credit_memo",
        prefixes=(),
        switch="netsuite_refunds",
        role="credit_memo",
        resource="refunds",
        source="netsuite",
    ),
)

#: NetSuite item record types (each a link role of its own) → the metadata key naming an
#: item of that type; in the order the keys are looked at.
ITEM_LINK_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "serviceSaleItem": "netsuite_service_sale_item_id",
        "serviceResaleItem": "netsuite_service_resale_item_id",
        "nonInventorySaleItem": "netsuite_non_inventory_sale_item_id",
        "nonInventoryResaleItem": "netsuite_non_inventory_resale_item_id",
        "inventoryItem": "netsuite_inventory_item_id",
    }
)

#: Link roles that are no kind's main record → the metadata key naming a NetSuite record
#: to use instead of creating one. Only read; the engine writes none of them back.
OTHER_LINK_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "cash_refund": "netsuite_cash_refund_id",
        "cash_sale": "netsuite_cash_sale_id",
        "customer_deposit": "netsuite_customer_deposit_id",
    }
)

_BY_NAME: Mapping[str, Kind] = MappingProxyType({kind.name: kind for kind in KINDS})
_BY_OBJECT_TYPE: Mapping[str, Kind] = MappingProxyType({k.object_type: k for k in KINDS})
_BY_CATEGORY: Mapping[str, Kind] = MappingProxyType(
    {category: kind for kind in KINDS for category in kind.reporting_categories}
)
_LINK_KEYS: Mapping[str, str] = MappingProxyType(
    {
        **{kind.role: kind.write_back_key for kind in KINDS if kind.write_back_key},
        **ITEM_LINK_KEYS,
        **OTHER_LINK_KEYS,
    }
)
_WRITE_BACK_KEYS = frozenset(
    {kind.write_back_key for kind in KINDS if kind.write_back_key} | set(ITEM_LINK_KEYS.values())
)


def get(name: str) -> Kind:
    """The kind named *name*; `KeyError` for a name that is no kind."""
    return _BY_NAME[name]


def names() -> tuple[str, ...]:
    """Every job kind's name, in table order."""
    return tuple(_BY_NAME)


def by_object_type(object_type: str) -> Kind | None:
    """The kind of a Stripe object by its ``object`` field, or None for one not synced."""
    return _BY_OBJECT_TYPE.get(object_type)


def kind_of_id(object_id: str) -> Kind | None:
    """The kind of a Stripe object by its id prefix, or None when no prefix matches."""
    for kind in KINDS:
        if object_id.startswith(kind.prefixes):
            return kind
    return None


def for_reporting_category(category: str) -> Kind | None:
    """The kind whose object is the source of a balance transaction of *category*."""
    return _BY_CATEGORY.get(category)


def link_key(role: str) -> str | None:
    """The metadata key naming a NetSuite record for *role*, or None when it has none."""
    return _LINK_KEYS.get(role)


def link_keys() -> Mapping[str, str]:
    """Every link role → its metadata key."""
    return _LINK_KEYS


def is_write_back_key(key: str) -> bool:
    """Whether the engine writes *key* into Stripe metadata (a NetSuite id of its own)."""
    return key in _WRITE_BACK_KEYS
