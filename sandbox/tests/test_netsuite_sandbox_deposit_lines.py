"""NetSuite refuses a bank deposit of more than 10,000 lines; the sandbox does too, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from netsuite_helpers import RECORDS, Served, error_code
from stripe_netsuite_sandbox.netsuite import chart, deposits, gl, jsonio

BANK_USD = chart.BANK_ACCOUNTS["usd"]


@pytest.fixture
def ns() -> Iterator[Served]:
    served = Served()
    try:
        yield served
    finally:
        served.close()


def _deposit(other: int, cashback: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account": {"id": BANK_USD},
        "other": {
            "items": [
                {"account": {"id": chart.SUSPENSE}, "amount": Decimal("1.00")} for _ in range(other)
            ]
        },
    }
    if cashback:
        body["cashback"] = {
            "items": [
                {"account": {"id": chart.STRIPE_FEES}, "amount": Decimal("0.01")}
                for _ in range(cashback)
            ]
        }
    return body


def _post(ns: Served, body: dict[str, Any]) -> httpx.Response:
    return ns.client.post(
        RECORDS + "/deposit",
        content=jsonio.dumps(body),
        headers={"content-type": "application/json"},
    )


def test_a_deposit_of_exactly_the_limit_posts(ns: Served) -> None:
    assert deposits.MAX_LINES == 10_000
    response = _post(ns, _deposit(9_999, 1))
    assert response.status_code == 204, response.text
    deposit = response.headers["location"].rsplit("/", 1)[-1]
    bank = [row for row in ns.gl(deposit) if row[1] == BANK_USD]
    assert bank == [("0", BANK_USD, "9998.99", None, "9998.99")]


def test_one_line_over_the_limit_is_refused_and_posts_nothing(ns: Served) -> None:
    before = gl.balances(ns.account).get(BANK_USD, 0)
    response = _post(ns, _deposit(10_000, 1))
    assert response.status_code == 400
    assert error_code(response) == "USER_ERROR"
    detail = response.json()["o:errorDetails"][0]["detail"]
    assert "10,000 lines" in detail and "10,001" in detail
    assert gl.balances(ns.account).get(BANK_USD, 0) == before
    rows = ns.rows("SELECT id FROM transaction WHERE type = 'Deposit'")
    assert rows == []
