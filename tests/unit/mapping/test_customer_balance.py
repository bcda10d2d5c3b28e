"""Hand adjustments of the Stripe customer balance → NetSuite journal entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, context
from stripe_builders import MAY_3

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.customer_balance import ROLE, is_posted, map_adjustment

#: The customer balance item's account (the customer-credit liability) in these tests.
CREDIT = "230"
FORTY = Decimal("40.00")


def entry(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "cbtxn_1", "object": "customer_balance_transaction", "amount": -4000,
        "currency": "usd", "customer": "cus_Q1", "created": MAY_3, "type": "adjustment",
        "description": "goodwill", "ending_balance": -4000, "invoice": None,
        "credit_note": None, "metadata": {},
    }  # fmt: skip
    obj.update(overrides)
    return obj


def gl(record_lines: list[dict[str, Any]]) -> list[tuple[str, str, Decimal, str]]:
    """(account, debit|credit, amount, entity) of each journal line."""
    out = []
    for line in record_lines:
        side = "debit" if "debit" in line else "credit"
        out.append((line["account"]["id"], side, line[side], line["entity"]["id"]))
    return out


@pytest.mark.parametrize(
    ("overrides", "gl_overrides", "expected"),
    [
        # A credit granted by hand: the allowance against the customer-credit liability.
        ({}, {"customer_credit_adjustments": "490"},
         [("490", "debit", FORTY, "7001"), (CREDIT, "credit", FORTY, "7001")]),
        # No allowance account set: the account's income account.
        ({}, {},
         [("400", "debit", FORTY, "7001"), (CREDIT, "credit", FORTY, "7001")]),
        # The customer owes: a receivable, so the payment that collects it applies in full.
        ({"amount": 1250}, {"customer_credit_adjustments": "490"},
         [("121", "debit", Decimal("12.50"), "7001"), ("490", "credit", Decimal("12.50"), "7001")]),
        # A zero-decimal currency.
        ({"amount": -500, "currency": "jpy"}, {"customer_credit_adjustments": "490"},
         [("490", "debit", Decimal("500"), "7001"), (CREDIT, "credit", Decimal("500"), "7001")]),
    ],
)  # fmt: skip
def test_adjustment_lines(
    overrides: dict[str, Any],
    gl_overrides: dict[str, str],
    expected: list[tuple[str, str, Decimal, str]],
) -> None:
    ctx = context(account(gl=gl_overrides), customer_id="7001", customer_credit_account=CREDIT)
    record = map_adjustment(entry(**overrides), ctx)
    assert record is not None
    assert (record.record_type, record.role, record.replace) == ("journalEntry", ROLE, ("line",))
    assert record.external_id == f"{ACCOUNT}:cbtxn_1"
    assert record.stripe_id == "cbtxn_1"
    assert gl(record.body["line"]["items"]) == expected
    currency = overrides.get("currency", "usd")
    assert record.body["currency"] == {"id": {"usd": "1", "jpy": "3"}[currency]}
    assert record.body["tranDate"] == "2026-05-03"
    assert record.body["memo"] == "Stripe cbtxn_1: goodwill"
    assert "entity" not in record.body


@pytest.mark.parametrize(
    "kind",
    ["applied_to_invoice", "credit_note", "invoice_overpaid", "initial",
     "unapplied_from_invoice", "migration"],
)  # fmt: skip
def test_other_types_are_represented_by_their_documents(kind: str) -> None:
    found = entry(type=kind)
    assert not is_posted(found)
    assert (
        map_adjustment(found, context(customer_id="7001", customer_credit_account=CREDIT)) is None
    )


def test_a_zero_adjustment_posts_nothing() -> None:
    assert map_adjustment(entry(amount=0), context(customer_id="7001")) is None


@pytest.mark.parametrize(
    ("ctx_ids", "missing"),
    [
        ({"customer_credit_account": CREDIT}, "customer_id"),
        ({"customer_id": "7001"}, "customer_credit_account"),
    ],
)
def test_a_credit_needs_the_customer_and_the_customer_credit_account(
    ctx_ids: dict[str, Any], missing: str
) -> None:
    with pytest.raises(exceptions.MappingError) as caught:
        map_adjustment(entry(), context(**ctx_ids))
    assert caught.value.facts["missing"] == missing


def test_no_allowance_account_at_all_is_named() -> None:
    acct = account(items={"income_account": None})
    with pytest.raises(exceptions.MappingError) as caught:
        map_adjustment(entry(), context(acct, customer_id="7001", customer_credit_account=CREDIT))
    assert caught.value.facts["missing"] == "gl.customer_credit_adjustments"
