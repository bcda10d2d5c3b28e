"""SuiteQL: the supported subset, its row format and paging, and strict refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from netsuite_helpers import (
    BASE,
    SUITEQL,
    error_code,
    make_customer,
    make_invoice,
    make_payment,
    open_app,
)
from stripe_netsuite_sandbox.netsuite import chart

TRANSIENT = {"Prefer": "transient"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    _, c = open_app()
    async with c:
        yield c


async def query(
    client: httpx.AsyncClient, q: str, params: list[Any] | None = None, **paging: int
) -> httpx.Response:
    body: dict[str, Any] = {"q": q}
    if params is not None:
        body["params"] = params
    return await client.post(SUITEQL, json=body, headers=TRANSIENT, params=paging)


async def rows(client: httpx.AsyncClient, q: str, params: list[Any] | None = None) -> list[Any]:
    response = await query(client, q, params)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def test_prefer_transient_is_required(client: httpx.AsyncClient) -> None:
    response = await client.post(SUITEQL, json={"q": "SELECT id FROM currency"})
    assert response.status_code == 400
    assert "Prefer: transient" in response.json()["o:errorDetails"][0]["detail"]


async def test_row_format(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client, "cus_q", email="q@x.test")
    found = await rows(
        client,
        "SELECT id, companyname, email, isperson, phone FROM customer WHERE id = ?",
        [customer],
    )
    # Lower-case keys, string values, nulls (phone) left out, empty links.
    assert found == [
        {"links": [], "id": customer, "companyname": "Acme", "email": "q@x.test", "isperson": "F"}
    ]


async def test_transactions_filters_and_order(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    first = await make_invoice(client, customer, (1, "10.00"))
    second = await make_invoice(client, customer, (2, "7.50"))
    await make_payment(client, customer, "10.00", (first, "10.00"))
    invoices = await rows(
        client,
        "SELECT t.id, t.type, t.foreigntotal, t.status, t.entity FROM transaction t "
        "WHERE t.type = 'CustInvc' ORDER BY t.id DESC",
    )
    assert [(r["id"], r["foreigntotal"], r["status"]) for r in invoices] == [
        (second, "15.00", "A"),
        (first, "10.00", "B"),
    ]
    assert {r["entity"] for r in invoices} == {customer}
    both = await rows(
        client,
        "SELECT id FROM transaction WHERE type IN ('CustInvc', 'CustPymt') AND foreigntotal >= 10",
    )
    assert len(both) == 3
    recent = await rows(
        client,
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lm, trandate "
        "FROM transaction WHERE lastmodifieddate >= TO_DATE('2020-01-01', 'YYYY-MM-DD')",
    )
    assert len(recent) == 3
    assert len(recent[0]["lm"]) == 19
    month, day, year = recent[0]["trandate"].split("/")
    assert 1 <= int(day) <= 31
    assert len(year) == 4
    assert 1 <= int(month) <= 12
    assert (
        await rows(client, "SELECT id FROM transaction WHERE lastmodifieddate > '2999-01-01'") == []
    )


async def test_other_tables(client: httpx.AsyncClient) -> None:
    banks = await rows(
        client, "SELECT id, acctnumber, accttype FROM account WHERE accttype = 'Bank' ORDER BY id"
    )
    assert {r["id"] for r in banks} == {*chart.BANK_ACCOUNTS.values(), chart.STRIPE_CLEARING}
    items = await rows(client, "SELECT id, itemid, itemtype FROM item WHERE itemtype = 'Service'")
    assert items[0]["id"] == chart.SERVICE_ITEM
    currency = await rows(client, "SELECT symbol FROM currency WHERE id = '5'")
    assert currency[0]["symbol"] == "JPY"
    subs = await rows(client, "SELECT * FROM subsidiary WHERE parent IS NOT NULL")
    assert {r["id"] for r in subs} == {chart.SUBSIDIARY_US, chart.SUBSIDIARY_EU}
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (2, "3.00"))
    lines = await rows(
        client,
        "SELECT transaction, mainline, item, netamount, BUILTIN.DF(item) AS name "
        f"FROM transactionline WHERE transaction = {invoice} ORDER BY linesequencenumber",
    )
    assert lines[1] == {
        "links": [],
        "transaction": invoice,
        "mainline": "F",
        "item": chart.SERVICE_ITEM,
        "netamount": "6.00",
        "name": "Stripe Service",
    }
    assert lines[0]["mainline"] == "T"


async def test_paging(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await make_customer(client, f"p{i}")
    response = await query(client, "SELECT id FROM customer ORDER BY id", limit=2, offset=2)
    page = response.json()
    assert (page["count"], page["offset"], page["totalResults"], page["hasMore"]) == (2, 2, 5, True)
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert rels["next"] == f"{BASE}{SUITEQL}?limit=2&offset=4"
    assert rels["prev"] == f"{BASE}{SUITEQL}?limit=2&offset=0"
    too_big = await query(client, "SELECT id FROM customer", limit=1001)
    assert too_big.status_code == 400


@pytest.mark.parametrize(
    "q",
    [
        "SELECT id FROM customer c JOIN transaction t ON t.entity = c.id",  # id is ambiguous
        "SELECT id FROM spaceship",
        "SELECT nosuchcolumn FROM customer",
        "SELECT id FROM customer WHERE",
        "SELECT companyname, COUNT(*) FROM customer GROUP BY id",
        "SELECT id FROM customer UNION SELECT id FROM account",
        "SELECT id FROM customer WHERE id IN (SELECT entity FROM transaction)",
        "SELECT id FROM customer c RIGHT JOIN transaction t ON t.entity = c.id",
        "SELECT MEDIAN(id) FROM customer",
        "SELECT c.id FROM customer c JOIN customer c ON c.id = c.id",
        "DELETE FROM customer",
        "SELECT id FROM customer WHERE id = ?",
    ],
)
async def test_unsupported_sql_is_refused(client: httpx.AsyncClient, q: str) -> None:
    response = await query(client, q)
    assert response.status_code == 400, response.text
    assert error_code(response) == "INVALID_PARAMETER"
    assert response.json()["o:errorDetails"][0]["detail"].startswith("Invalid search query.")


async def test_results_past_the_cap_are_refused(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stripe_netsuite_sandbox.netsuite import app as app_module

    monkeypatch.setattr(app_module, "MAX_RESULTS", 4)
    within = await query(client, "SELECT id FROM currency ORDER BY id", limit=2, offset=2)
    assert within.status_code == 200
    beyond = await query(client, "SELECT id FROM currency ORDER BY id", limit=2, offset=4)
    assert beyond.status_code == 400
    assert "100000" in beyond.json()["o:errorDetails"][0]["detail"]


async def test_cursor_query_with_parameters_and_alias_order(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    made = [await make_invoice(client, customer, (1, "1.00")) for _ in range(3)]
    found = await rows(
        client,
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lm FROM transaction "
        "WHERE lastmodifieddate > TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') AND id >= ? "
        "ORDER BY lm, id",
        ["2001-01-01 00:00:00", made[1]],
    )
    assert [r["id"] for r in found] == made[1:]


async def test_alias_star_and_keyset_shape(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoices = [await make_invoice(client, customer, (1, "4.00")) for _ in range(3)]
    await make_payment(client, customer, "1.00", (invoices[0], "1.00"))
    found = await rows(
        client,
        "SELECT t.* FROM transaction t WHERE (t.type = 'CustInvc') AND t.id > "
        f"{invoices[0]} ORDER BY t.id",
    )
    assert [r["id"] for r in found] == invoices[1:]
    assert found[0]["foreignamountunpaid"] == "4.00"
    paid = await rows(client, f"SELECT foreignamountpaid FROM transaction WHERE id = {invoices[0]}")
    assert paid == [{"links": [], "foreignamountpaid": "1.00"}]
