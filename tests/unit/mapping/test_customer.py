"""Stripe customer → NetSuite customer."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import customer_update_body, map_customer
from stripe_netsuite.mapping.customer import dependencies


def stripe_customer(**overrides: Any) -> dict[str, Any]:
    """A Stripe customer shaped like the API's, changed by *overrides*."""
    obj: dict[str, Any] = {
        "id": "cus_Q1",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": 1767225600,
        "currency": "usd",
        "description": None,
        "email": "ap@acme.test",
        "metadata": {},
        "name": "Acme Inc",
        "phone": None,
        "shipping": None,
    }
    obj.update(overrides)
    return obj


ADDRESS = {"line1": "1 Main St", "line2": None, "city": "Springfield", "state": "IL",
           "postal_code": "62701", "country": "us"}  # fmt: skip


@pytest.mark.parametrize(
    ("customer_type", "name", "meta", "expected"),
    [
        ("company", "Acme Inc", {}, {"isPerson": False, "companyName": "Acme Inc"}),
        ("company", None, {}, {"isPerson": False, "companyName": "ap@acme.test"}),
        ("individual", "Ada King Lovelace", {},
         {"isPerson": True, "firstName": "Ada King", "lastName": "Lovelace"}),
        ("individual", "Cher", {}, {"isPerson": True, "firstName": "-", "lastName": "Cher"}),
        ("individual", None, {}, {"isPerson": True, "firstName": "ap", "lastName": "cus_Q1"}),
        ("individual", "Acme Inc", {"netsuite_first_name": "Ada", "netsuite_last_name": "L"},
         {"isPerson": True, "firstName": "Ada", "lastName": "L"}),
        ("auto", "Acme Inc", {}, {"isPerson": False, "companyName": "Acme Inc"}),
        ("auto", "Acme Inc", {"netsuite_first_name": "Ada"},
         {"isPerson": True, "firstName": "Ada", "lastName": "-"}),
        ("auto", "Acme Inc", {"netsuite_last_name": "Lovelace"},
         {"isPerson": True, "firstName": "-", "lastName": "Lovelace"}),
    ],
)  # fmt: skip
def test_company_or_individual(
    customer_type: str, name: str | None, meta: dict[str, str], expected: dict[str, Any]
) -> None:
    ctx = context(account(options={"customer_type": customer_type}))
    body = map_customer(stripe_customer(name=name, metadata=meta), ctx).body
    names = {k: body[k] for k in ("isPerson", "companyName", "firstName", "lastName") if k in body}
    assert names == expected


def test_company_without_name_or_email_is_named_by_id() -> None:
    record = map_customer(stripe_customer(name=None, email=None), context())
    assert record.body["companyName"] == "cus_Q1"


def test_long_names_are_cut_to_netsuite_limit() -> None:
    record = map_customer(stripe_customer(name="x" * 120), context())
    assert record.body["companyName"] == "x" * 83


def test_record_identity_and_references() -> None:
    record = map_customer(stripe_customer(phone="+1 555 0100"), context())
    assert record.record_type == "customer"
    assert record.role == "customer"
    assert record.stripe_id == "cus_Q1"
    assert record.external_id == f"{ACCOUNT}:cus_Q1"
    assert record.body["externalId"] == record.external_id
    assert record.body["subsidiary"] == {"id": "1"}
    assert record.body["currency"] == {"id": "1"}
    assert record.body["email"] == "ap@acme.test"
    assert record.body["phone"] == "+1 555 0100"
    assert record.body["comments"] == "Stripe cus_Q1"


@pytest.mark.parametrize(
    ("overrides", "ctx_kwargs", "present"),
    [
        ({"currency": None}, {}, False),
        ({"currency": "chf"}, {}, False),
        ({"currency": "eur"}, {}, True),
    ],
)
def test_currency_only_when_resolved(
    overrides: dict[str, Any], ctx_kwargs: dict[str, Any], present: bool
) -> None:
    record = map_customer(stripe_customer(**overrides), context(**ctx_kwargs))
    assert ("currency" in record.body) is present


def test_single_currency_account_sends_no_currency() -> None:
    ctx = context(account(options={"multi_currency": False}))
    assert "currency" not in map_customer(stripe_customer(), ctx).body


def test_no_subsidiary_when_not_configured() -> None:
    ctx = context(account(subsidiary=None))
    assert "subsidiary" not in map_customer(stripe_customer(), ctx).body


def test_two_accounts_never_collide() -> None:
    a = map_customer(stripe_customer(), context(account(stripe_account_id="acct_A")))
    b = map_customer(stripe_customer(), context(account(stripe_account_id="acct_B")))
    assert a.external_id != b.external_id


def test_description_goes_to_comments() -> None:
    record = map_customer(stripe_customer(description="VIP"), context())
    assert record.body["comments"] == "Stripe cus_Q1: VIP"


def test_same_billing_and_shipping_address_is_one_line() -> None:
    customer = stripe_customer(
        address=ADDRESS, shipping={"name": "Acme Dock", "phone": None, "address": ADDRESS}
    )
    record = map_customer(customer, context())
    lines = record.body["addressBook"]["items"]
    assert len(lines) == 1
    assert lines[0]["defaultBilling"] is True
    assert lines[0]["defaultShipping"] is True
    assert lines[0]["addressBookAddress"]["country"] == {"id": "US"}
    assert record.replace == ("addressBook",)


def test_no_address_means_no_address_book() -> None:
    empty = {"line1": None, "line2": None, "city": None, "state": None,
             "postal_code": None, "country": None}  # fmt: skip
    record = map_customer(stripe_customer(address=empty, shipping={}), context())
    assert "addressBook" not in record.body
    assert record.replace == ()


def test_field_mappings_apply_at_body_level_only() -> None:
    acct = account(
        fields={
            "customer": [
                {"metadata": "segment", "field": "custentity_segment"},
                {"metadata": "sales_rep", "field": "salesRep", "kind": "ref"},
                {"metadata": "ignored", "field": "custcol_x", "level": "line"},
            ]
        }
    )
    meta = {"segment": "Enterprise", "sales_rep": "77", "ignored": "y"}
    body = map_customer(stripe_customer(metadata=meta), context(acct)).body
    assert body["custentity_segment"] == "Enterprise"
    assert body["salesRep"] == {"id": "77"}
    assert "custcol_x" not in body


def test_update_body_leaves_subsidiary_currency_and_type_alone() -> None:
    acct = account(fields={"customer": [{"metadata": "segment", "field": "custentity_segment"}]})
    customer = stripe_customer(address=ADDRESS, metadata={"segment": "SMB"})
    body = customer_update_body(customer, context(acct))
    assert set(body) == {"companyName", "email", "comments", "addressBook", "custentity_segment"}


@pytest.mark.parametrize("bad_id", [None, "", "in_123", 5])
def test_not_a_customer_is_refused(bad_id: Any) -> None:
    with pytest.raises(exceptions.MappingError, match="not a Stripe customer"):
        map_customer(stripe_customer(id=bad_id), context())


def test_customer_has_no_dependencies() -> None:
    assert dependencies(stripe_customer()) == []


@pytest.mark.parametrize(
    ("name", "customer_type", "overrides"),
    [
        ("customer_company", "company", {"phone": "+1 555 0100", "address": ADDRESS}),
        ("customer_individual", "individual",
         {"name": "Ada Lovelace", "shipping": {"name": "Ada", "phone": "+44 20 7946 0000",
          "address": {**ADDRESS, "line1": "2 Side St", "country": "GB"}},
          "address": ADDRESS, "currency": "eur"}),
        ("customer_minimal", "auto", {"name": None, "email": None, "currency": None}),
    ],
)  # fmt: skip
def test_golden(name: str, customer_type: str, overrides: dict[str, Any]) -> None:
    ctx = context(account(options={"customer_type": customer_type}))
    record = map_customer(stripe_customer(**overrides), ctx)
    assert schema_problems(record.record_type, record.body) == []
    check_golden(name, record)
