"""After a business syncs on PostgreSQL, its tables hold no names, emails or amounts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from stripe_netsuite import money
from stripe_netsuite.store import tables
from stripe_netsuite_sandbox import books, business, demo

StackFactory = Callable[..., demo.Stack]


@pytest.mark.postgres
def test_postgres_tables_hold_no_names_emails_or_amounts(
    make_stack: StackFactory, postgres_url: str
) -> None:
    stack = make_stack(
        database_url=postgres_url,
        stripe_options={"start_time": demo.MONTH_START, "settlement_currencies": demo.CURRENCIES},
    )
    business.build(
        stack.stripe_client(),
        seed=5,
        customers=12,
        advance=lambda seconds: demo.advance(stack, seconds),
    )
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    objects = books.stripe_objects(stack.stripe.base_url, stack.api_key)
    with stack.database.connect() as conn:
        text = " ".join(
            str(value)
            for table in tables.metadata.sorted_tables
            for row in conn.execute(sa.select(table))
            for value in row
        )
    assert "acct_sandbox:" in text or "cus_" in text  # the dump is not empty
    for customer in objects["customer"]:
        assert customer["name"] not in text
        assert customer["email"] not in text
    amounts = {
        str(money.to_decimal(c["amount"], c["currency"]))
        for c in objects["charge"]
        if money.exponent(c["currency"]) == 2
    }
    assert amounts
    for amount in amounts:
        assert not re.search(rf"(?<![\d:]){re.escape(amount)}(?!\d)", text), amount
