"""Every link of one Stripe object (a split payout's deposits), and of many at once."""

from __future__ import annotations

import sqlalchemy as sa

from stripe_netsuite.store import links


def _put(
    database: sa.Engine | sa.Connection, stripe_id: str, role: str, internal_id: str, **extra: str
) -> None:
    links.put(
        database,
        account=extra.get("account", "main"),
        stripe_id=stripe_id,
        role=role,
        record_type=extra.get("record_type", "deposit"),
        internal_id=internal_id,
        external_id=f"acct_1:{role}:{stripe_id}",
        body_hash="h",
    )


def test_every_role_of_one_object_in_role_order(database: sa.Engine) -> None:
    _put(database, "po_1", "deposit_part_2", "12")
    _put(database, "po_1", "deposit", "11")
    _put(database, "po_1", "payout_detail", "acct_1_po_1.csv", record_type="file")
    _put(database, "po_2", "deposit", "21")
    _put(database, "po_1", "deposit", "99", account="other")
    found = links.of_object(database, account="main", stripe_id="po_1")
    assert [(x.role, x.internal_id) for x in found] == [
        ("deposit", "11"),
        ("deposit_part_2", "12"),
        ("payout_detail", "acct_1_po_1.csv"),
    ]
    assert links.of_object(database, account="main", stripe_id="po_9") == []


def test_many_objects_are_read_in_batches(database: sa.Engine) -> None:
    wanted = [f"ch_{i}" for i in range(links.IN_BATCH * 2 + 7)]
    with database.begin() as conn:
        for i, stripe_id in enumerate(wanted):
            _put(conn, stripe_id, "payment", str(i), record_type="customerPayment")
    _put(database, "ch_other", "payment", "x", record_type="customerPayment")
    found = links.of_objects(database, account="main", stripe_ids=[*wanted, "ch_missing"])
    assert sorted(x.stripe_id for x in found) == sorted(wanted)
    assert {x.stripe_id: x.internal_id for x in found}["ch_1000"] == "1000"
