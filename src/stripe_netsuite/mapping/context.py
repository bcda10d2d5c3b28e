"""What a mapping needs besides the Stripe object: the account and resolved NetSuite ids.

Flows resolve the NetSuite internal ids first (ensuring what is missing through the
same idempotent path) and pass them in. A mapping that needs an id the context lacks
raises `MappingError` naming it; each module's ``dependencies(obj)`` lists what to
ensure beforehand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.metadata import gate, linked_id, linked_item, mapped_fields
from stripe_netsuite.settings import AccountConfig

__all__ = [
    "Dependency",
    "MappingContext",
    "gate",
    "linked_id",
    "linked_item",
    "mapped_fields",
]


@dataclass(frozen=True)
class Dependency:
    """A Stripe object whose NetSuite record must exist before another is posted.

    ``kind`` is the Stripe object type (``customer``, ``price``, ``product``,
    ``coupon``, ``invoice``, ``charge``, ``refund``, ``credit_note``).
    """

    kind: str
    stripe_id: str


def _empty() -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class MappingContext:
    """The account config plus NetSuite internal ids the mapping references.

    Keys of the id maps are Stripe ids; ``currency_ids`` is keyed by lower-case ISO code.
    """

    account: AccountConfig
    #: The NetSuite customer of the object being mapped.
    customer_id: str | None = None
    #: NetSuite currency ids by lower-case ISO code.
    currency_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite item ids by Stripe price, plan or product id.
    item_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite discount item ids by Stripe coupon id.
    discount_item_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite tax code (or tax item) ids by Stripe tax rate id, for ``options.tax = codes``.
    tax_code_ids: Mapping[str, str] = field(default_factory=_empty)
    #: The NetSuite invoice the object belongs to (a payment's or credit note's invoice).
    invoice_id: str | None = None
    #: NetSuite customerPayment ids by Stripe charge id.
    payment_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite creditMemo ids by the Stripe id they were made for (refund, credit note).
    credit_memo_ids: Mapping[str, str] = field(default_factory=_empty)
    #: The invoice moving a credit note's ``credit_amount`` to customer balance.
    balance_invoice_id: str | None = None
    #: NetSuite sales order id, when an invoice or payment comes from an order.
    sales_order_id: str | None = None
    #: Item for customer balance and billing credits (best posting to a customer-credit
    #: liability account).
    customer_balance_item_id: str | None = None
    #: The customer-credit liability account (the customer balance item's income account),
    #: credited by hand-granted balance credits.
    customer_credit_account: str | None = None
    #: Item for refund, dispute and credit lines that name no item of their own
    #: (the account's generic service item when None).
    refund_item_id: str | None = None

    @property
    def stripe_account_id(self) -> str:
        """The Stripe account the objects come from."""
        return self.account.stripe_account_id

    def require_customer(self, stripe_id: str) -> dict[str, str]:
        """A reference to the NetSuite customer; `MappingError` when it is not resolved."""
        if not self.customer_id:
            raise exceptions.MappingError(
                "the NetSuite customer is not known; sync the Stripe customer first",
                stripe_id=stripe_id,
                missing="customer_id",
            )
        return {"id": self.customer_id}

    def currency_ref(self, currency: str | None, *, stripe_id: str) -> dict[str, str] | None:
        """A reference to the NetSuite currency for a transaction.

        None on a single-currency account (``options.multi_currency = false``), where
        NetSuite has only the base currency. Otherwise the currency must be resolved.
        """
        if not self.account.options.multi_currency:
            return None
        if not currency:
            raise exceptions.MappingError("the Stripe object has no currency", stripe_id=stripe_id)
        found = self.currency_ids.get(currency.lower())
        if not found:
            raise exceptions.MappingError(
                f"no NetSuite currency is known for {currency.upper()}",
                stripe_id=stripe_id,
                missing=f"currency_ids[{currency.lower()}]",
            )
        return {"id": found}

    def subsidiary_ref(self) -> dict[str, str] | None:
        """A reference to the account's subsidiary (None when not OneWorld)."""
        return {"id": self.account.subsidiary} if self.account.subsidiary else None

    def require_balance_item(self, stripe_id: str) -> str:
        """The customer balance item (the context's, else ``items.customer_balance_item``);
        `MappingError` when neither is set."""
        found = self.customer_balance_item_id or self.account.items.customer_balance_item
        if not found:
            raise exceptions.MappingError(
                "customer balance or credits are used but no customer balance item is known",
                stripe_id=stripe_id,
                missing="items.customer_balance_item",
            )
        return found

    def lookup(self, table: str, stripe_id: str, *, owner: str) -> str:
        """The NetSuite id for *stripe_id* in one of the id maps; `MappingError` names the gap."""
        ids: Any = getattr(self, table)
        found = ids.get(stripe_id) if isinstance(ids, Mapping) else None
        if not found:
            raise exceptions.MappingError(
                f"no NetSuite record is known for {stripe_id}; sync it first",
                stripe_id=owner,
                missing=f"{table}[{stripe_id}]",
            )
        return str(found)
