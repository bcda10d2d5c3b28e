from __future__ import annotations

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import cursors


def test_unset_cursor_is_none(database: sa.Engine) -> None:
    assert cursors.get(database, "netsuite.customer.lastmodified") is None


def test_put_then_overwrite(database: sa.Engine) -> None:
    cursors.put(database, "stripe.events:acct_1", "evt_1")
    cursors.put(database, "stripe.events:acct_2", "evt_9")
    cursors.put(database, "stripe.events:acct_1", "evt_2")
    assert cursors.get(database, "stripe.events:acct_1") == "evt_2"
    assert cursors.get(database, "stripe.events:acct_2") == "evt_9"


def test_empty_name_is_refused(database: sa.Engine) -> None:
    with pytest.raises(ValueError, match="cursor name"):
        cursors.put(database, "", "x")
