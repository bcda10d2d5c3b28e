"""The database holds ids, states, cursors, error texts and hashes (PRODUCT.md principle 3)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from stripe_netsuite import store
from stripe_netsuite.store import tables

FORBIDDEN = re.compile(
    r"amount|total|price|balance|subtotal|tax|fee|net|gross|currency_value"
    r"|name|email|phone|address|payload|body$|data$|json|description|memo",
    re.IGNORECASE,
)
#: Columns whose names match but hold our own identifiers, not business data.
ALLOWED = {("cursors", "name"), ("vault_secrets", "name")}


def test_no_column_holds_amounts_names_emails_or_payloads() -> None:
    offenders = [
        f"{table.name}.{column.name}"
        for table in tables.metadata.sorted_tables
        for column in table.columns
        if FORBIDDEN.search(column.name) and (table.name, column.name) not in ALLOWED
    ]
    assert offenders == []


def test_the_guard_catches_business_columns() -> None:
    probe = sa.Table(
        "probe",
        sa.MetaData(),
        *(sa.Column(n, sa.String) for n in ("amount_due", "customer_email", "payload", "id")),
    )
    assert [c.name for c in probe.columns if FORBIDDEN.search(c.name)] == [
        "amount_due",
        "customer_email",
        "payload",
    ]


def test_the_migrated_schema_has_the_same_columns(database: sa.Engine) -> None:
    inspector = sa.inspect(database)
    for table in tables.metadata.sorted_tables:
        live = {c["name"] for c in inspector.get_columns(table.name)}
        assert live == set(table.columns.keys()), table.name


def test_public_names_are_exported() -> None:
    assert sorted(store.__all__) == sorted(
        [
            "Job",
            "JobState",
            "Link",
            "cursors",
            "db",
            "inbox",
            "install",
            "links",
            "make_database",
            "migrate",
            "queue",
            "tables",
            "utcnow",
        ]
    )
    for name in store.__all__:
        assert getattr(store, name) is not None
