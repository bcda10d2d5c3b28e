"""Looking links up by the NetSuite record they point at (who holds record 42?)."""

from __future__ import annotations

import sqlalchemy as sa

from stripe_netsuite.store import links


def _put(database: sa.Engine, stripe_id: str, **overrides: str) -> None:
    values = {
        "account": "main",
        "stripe_id": stripe_id,
        "role": "customer",
        "record_type": "customer",
        "internal_id": "42",
        "external_id": f"acct_1:{stripe_id}",
        "body_hash": "linked",
    }
    values.update(overrides)
    links.put(database, **values)


def test_every_holder_of_one_record_is_found(database: sa.Engine) -> None:
    _put(database, "cus_2")
    _put(database, "cus_1")
    _put(database, "cus_1", role="currency:eur")
    _put(database, "cus_3", internal_id="43")
    _put(database, "in_1", role="invoice", record_type="invoice")
    _put(database, "cus_9", account="other")
    found = links.to_record(database, account="main", record_type="customer", internal_id="42")
    assert [(x.stripe_id, x.role) for x in found] == [
        ("cus_1", "currency:eur"),
        ("cus_1", "customer"),
        ("cus_2", "customer"),
    ]


def test_a_free_record_has_no_holders_even_inside_a_transaction(database: sa.Engine) -> None:
    with database.begin() as conn:
        assert links.to_record(conn, account="main", record_type="customer", internal_id="1") == []
