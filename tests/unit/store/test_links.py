from __future__ import annotations

import hashlib
import hmac
from datetime import date
from decimal import Decimal
from enum import StrEnum

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import links

KEY = bytes(range(32))


def _put(database: sa.Engine, **overrides: str | None) -> None:
    values: dict[str, str | None] = {
        "account": "acct_1",
        "stripe_id": "in_1",
        "role": "invoice",
        "record_type": "invoice",
        "internal_id": "101",
        "external_id": "acct_1:in_1",
        "body_hash": "a" * 64,
    }
    values.update(overrides)
    links.put(database, **values)  # type: ignore[arg-type]


def test_missing_link_is_none(database: sa.Engine) -> None:
    assert links.get(database, account="acct_1", stripe_id="in_1", role="invoice") is None


def test_put_is_an_upsert_that_keeps_created_at(database: sa.Engine) -> None:
    _put(database)
    first = links.get(database, account="acct_1", stripe_id="in_1", role="invoice")
    assert first is not None
    assert (first.record_type, first.internal_id, first.body_hash) == ("invoice", "101", "a" * 64)
    _put(database, body_hash="b" * 64, internal_id="102")
    second = links.get(database, account="acct_1", stripe_id="in_1", role="invoice")
    assert second is not None
    assert (second.internal_id, second.body_hash) == ("102", "b" * 64)
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert len(links.all_links(database)) == 1


def test_roles_and_accounts_are_separate_links(database: sa.Engine) -> None:
    _put(database)
    _put(database, role="credit_memo", record_type="creditmemo", internal_id="7")
    _put(database, account="acct_2", internal_id="555")
    assert [(x.account, x.role) for x in links.all_links(database)] == [
        ("acct_1", "credit_memo"),
        ("acct_1", "invoice"),
        ("acct_2", "invoice"),
    ]
    assert [x.internal_id for x in links.all_links(database, "acct_2")] == ["555"]


def test_get_works_inside_a_callers_transaction(database: sa.Engine) -> None:
    _put(database)
    with database.begin() as conn:
        link = links.get(conn, account="acct_1", stripe_id="in_1", role="invoice")
    assert link is not None and link.internal_id == "101"


def test_delete(database: sa.Engine) -> None:
    _put(database)
    assert links.delete(database, account="acct_1", stripe_id="in_1", role="invoice") is True
    assert links.delete(database, account="acct_1", stripe_id="in_1", role="invoice") is False
    assert links.all_links(database) == []


def test_empty_ids_are_refused(database: sa.Engine) -> None:
    with pytest.raises(ValueError, match="internal_id is empty"):
        _put(database, internal_id="")


class Status(StrEnum):
    OPEN = "open"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"amount": Decimal("1.10")}, {"amount": Decimal("1.1")}),
        ({"amount": Decimal("100")}, {"amount": Decimal("1E+2")}),
        ({"amount": Decimal("1.00")}, {"amount": 1}),
        ({"rate": 1.5}, {"rate": Decimal("1.50")}),
        ({"x": Decimal("-0.00")}, {"x": 0}),
        ({"d": date(2026, 1, 2)}, {"d": "2026-01-02"}),
        ({"s": Status.OPEN}, {"s": "open"}),
        ({"items": ({"q": 1},)}, {"items": [{"q": Decimal("1.0")}]}),
    ],
)
def test_equal_bodies_hash_the_same(left: dict[str, object], right: dict[str, object]) -> None:
    assert links.body_hash(left, key=KEY) == links.body_hash(right, key=KEY)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"amount": Decimal("1.10")}, {"amount": Decimal("1.11")}),
        ({"amount": Decimal("0.1")}, {"amount": Decimal("0.10000000000000001")}),
        ({"a": "1"}, {"a": 1}),
        ({"a": None}, {}),
        ({"a": True}, {"a": 1}),
        ({"items": [1, 2]}, {"items": [2, 1]}),
        ({"a": {"b": 1}}, {"a.b": 1}),
    ],
)
def test_different_bodies_hash_differently(
    left: dict[str, object], right: dict[str, object]
) -> None:
    assert links.body_hash(left, key=KEY) != links.body_hash(right, key=KEY)


def test_hash_is_hmac_sha256_hex_of_canonical_json_under_the_key() -> None:
    canonical = b'{"a":[1,"x",null],"b":1.1}'
    expected = hmac.new(KEY, canonical, hashlib.sha256).hexdigest()
    body = {"b": Decimal("1.10"), "a": [1, "x", None]}
    assert links.body_hash(body, key=KEY) == expected
    assert links.body_hash(body, key=KEY) != hashlib.sha256(canonical).hexdigest()
    assert links.body_hash(body, key=b"k" * 32) != expected


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="the key has 3 bytes"):
        links.body_hash({"a": 1}, key=b"abc")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lines": [{"amount": object()}]}, r"body\.lines\[0\]\.amount is a object"),
        ({"x": float("nan")}, r"body\.x is nan"),
        ({"x": Decimal("Infinity")}, r"body\.x is Infinity"),
        ({1: "a"}, "non-string key 1"),
    ],
)
def test_unhashable_bodies_name_the_place(body: dict[object, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        links.body_hash(body, key=KEY)  # type: ignore[arg-type]
