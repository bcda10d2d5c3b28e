"""Stripe customer → NetSuite customer (a company or an individual)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import mapped_fields, metadata_of
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for, sublist
from stripe_netsuite.settings import CustomerType

#: NetSuite's limit on entity names (companyName, firstName, lastName).
NAME_LIMIT = 83
#: Fields an update sends; subsidiary, currency and the person/company switch stay as
#: created because NetSuite refuses to change them once transactions exist.
UPDATE_FIELDS = frozenset(
    {"companyName", "firstName", "lastName", "email", "phone", "comments", "addressBook"}
)


def dependencies(customer: Mapping[str, Any]) -> list[Dependency]:
    """A customer references no other Stripe object."""
    return []


def map_customer(customer: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The NetSuite customer for a Stripe customer."""
    stripe_id = _stripe_id(customer)
    external_id = external_id_for(ctx.stripe_account_id, stripe_id)
    meta = metadata_of(customer)
    body: dict[str, Any] = {"externalId": external_id}
    if is_individual(customer, ctx):
        first, last = person_name(customer)
        body.update(isPerson=True, firstName=first, lastName=last)
    else:
        body.update(isPerson=False, companyName=company_name(customer))
    if customer.get("email"):
        body["email"] = str(customer["email"])
    if customer.get("phone"):
        body["phone"] = str(customer["phone"])
    subsidiary = ctx.subsidiary_ref()
    if subsidiary:
        body["subsidiary"] = subsidiary
    currency = customer.get("currency")
    if currency and ctx.account.options.multi_currency:
        # A customer without a resolved currency still syncs: NetSuite then uses the
        # subsidiary's base currency, and transactions add theirs later.
        found = ctx.currency_ids.get(str(currency).lower())
        if found:
            body["currency"] = {"id": found}
    body["comments"] = _comments(customer, stripe_id)
    addresses = address_book(customer)
    if addresses:
        body["addressBook"] = sublist(addresses)
    body.update(mapped_fields(ctx.account, "customer", meta))
    return NetSuiteRecord(
        record_type="customer",
        external_id=external_id,
        body=body,
        stripe_id=stripe_id,
        role="customer",
        replace=("addressBook",) if addresses else (),
    )


def customer_update_body(customer: Mapping[str, Any], ctx: MappingContext) -> dict[str, Any]:
    """The subset of `map_customer`'s body an update of an existing customer sends."""
    record = map_customer(customer, ctx)
    mapped = {m.field for m in ctx.account.fields.get("customer", []) if m.level == "body"}
    return {k: v for k, v in record.body.items() if k in UPDATE_FIELDS or k in mapped}


def is_individual(customer: Mapping[str, Any], ctx: MappingContext) -> bool:
    """Whether the customer becomes an individual under ``options.customer_type``."""
    kind = ctx.account.options.customer_type
    if kind is CustomerType.INDIVIDUAL:
        return True
    if kind is CustomerType.COMPANY:
        return False
    meta = metadata_of(customer)
    return bool(_text(meta.get("netsuite_first_name")) or _text(meta.get("netsuite_last_name")))


def person_name(customer: Mapping[str, Any]) -> tuple[str, str]:
    """First and last name: metadata first, else the Stripe name split, else a fallback.

    NetSuite requires both for an individual. A one-word name becomes the last name
    with ``-`` as first name; a name-less customer is named by its email's local part
    (or "Stripe") and its Stripe id, so it can always be found again.
    """
    meta = metadata_of(customer)
    first = _text(meta.get("netsuite_first_name"))
    last = _text(meta.get("netsuite_last_name"))
    words = (_text(customer.get("name")) or _text(_shipping(customer).get("name"))).split()
    if not first and not last and words:
        if len(words) == 1:
            first, last = "-", words[0]
        else:
            first, last = " ".join(words[:-1]), words[-1]
    if not first and not last:
        email = _text(customer.get("email"))
        first = email.split("@", 1)[0] if email else "Stripe"
        last = _stripe_id(customer)
    return (first or "-")[:NAME_LIMIT], (last or "-")[:NAME_LIMIT]


def company_name(customer: Mapping[str, Any]) -> str:
    """The Stripe name, else the email, else the Stripe id (NetSuite requires one)."""
    name = _text(customer.get("name")) or _text(customer.get("email")) or _stripe_id(customer)
    return name[:NAME_LIMIT]


def address_book(customer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The billing ``address`` and the ``shipping`` address as addressBook lines.

    One line when both are the same address, marked default billing and shipping.
    """
    billing = _address(customer.get("address"), customer.get("name"), customer.get("phone"))
    shipping_info = _shipping(customer)
    shipping = _address(
        shipping_info.get("address"), shipping_info.get("name"), shipping_info.get("phone")
    )
    lines: list[dict[str, Any]] = []
    if billing and shipping and _same_place(billing, shipping):
        return [{"defaultBilling": True, "defaultShipping": True, "addressBookAddress": billing}]
    if billing:
        lines.append(
            {
                "defaultBilling": True,
                "defaultShipping": not shipping,
                "label": "Billing",
                "addressBookAddress": billing,
            }
        )
    if shipping:
        lines.append(
            {
                "defaultBilling": not billing,
                "defaultShipping": True,
                "label": "Shipping",
                "addressBookAddress": shipping,
            }
        )
    return lines


def _same_place(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = ("addr1", "addr2", "city", "state", "zip", "country")
    return all(a.get(k) == b.get(k) for k in keys)


def _address(raw: Any, name: Any, phone: Any) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        return None
    pairs = (
        ("line1", "addr1"),
        ("line2", "addr2"),
        ("city", "city"),
        ("state", "state"),
        ("postal_code", "zip"),
    )
    out: dict[str, Any] = {ns: _text(raw.get(st)) for st, ns in pairs if _text(raw.get(st))}
    if not out:
        return None
    country = _text(raw.get("country"))
    if country:
        out["country"] = {"id": country.upper()}
    if _text(name):
        out["addressee"] = _text(name)[:NAME_LIMIT]
    if _text(phone):
        out["addrPhone"] = _text(phone)
    return out


def _shipping(customer: Mapping[str, Any]) -> Mapping[str, Any]:
    shipping = customer.get("shipping")
    return shipping if isinstance(shipping, Mapping) else {}


def _comments(customer: Mapping[str, Any], stripe_id: str) -> str:
    description = _text(customer.get("description"))
    return f"Stripe {stripe_id}: {description}" if description else f"Stripe {stripe_id}"


def _stripe_id(customer: Mapping[str, Any]) -> str:
    stripe_id = customer.get("id")
    if not isinstance(stripe_id, str) or not stripe_id.startswith("cus_"):
        raise exceptions.MappingError(
            "not a Stripe customer: id is missing or not cus_…", stripe_id=str(stripe_id)
        )
    return stripe_id


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
