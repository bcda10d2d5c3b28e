"""The NetSuite sandbox's user desk: custom fields, a wire received, a void, lastModifiedDate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from netsuite_helpers import RECORDS, SUITEQL, get, make_customer, make_invoice, open_app, send
from stripe_netsuite_sandbox.netsuite import SandboxConfig, chart, create_app

TRANSIENT = {"Prefer": "transient"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    _, c = open_app()
    async with c:
        yield c


async def user(client: httpx.AsyncClient, action: str, body: dict[str, Any]) -> httpx.Response:
    return await send(client, "POST", f"/__sandbox/user/{action}", body)


async def test_declared_custom_fields_are_kept_and_filterable(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "40.00"), custbody_sns_send_to_stripe=True)
    await make_invoice(client, customer, (1, "5.00"))
    patched = await send(
        client, "PATCH", f"{RECORDS}/invoice/{invoice}",
        {"custbody_sns_stripe_hosted_url": "https://invoice.stripe.com/i/x"},
    )  # fmt: skip
    assert patched.status_code == 204, patched.text
    body = await get(client, f"/invoice/{invoice}")
    assert body["custbody_sns_send_to_stripe"] is True
    assert body["custbody_sns_stripe_hosted_url"] == "https://invoice.stripe.com/i/x"
    query = (
        "SELECT id FROM transaction WHERE type = 'CustInvc' AND custbody_sns_send_to_stripe = 'T'"
    )
    rows = (await client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)).json()["items"]
    assert [row["id"] for row in rows] == [invoice]


async def test_an_undeclared_custom_field_is_refused_under_strict_validation(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "1.00"))
    refused = await send(
        client, "PATCH", f"{RECORDS}/invoice/{invoice}", {"custbody_nobody_made_this": "x"},
        headers={"X-NetSuite-PropertyNameValidation": "Error"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_FIELD"


async def test_a_wire_received_pays_the_invoice_into_the_bank(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (2, "30.00"))
    paid = await user(client, f"pay/{invoice}", {"account": chart.BANK_ACCOUNTS["usd"]})
    assert paid.status_code == 200, paid.text
    payment = await get(client, f"/customerPayment/{paid.json()['id']}")
    assert Decimal(str(payment["payment"])) == Decimal("60.00")
    assert payment["undepFunds"] is False
    assert payment["account"]["id"] == chart.BANK_ACCOUNTS["usd"]
    body = await get(client, f"/invoice/{invoice}")
    assert body["status"]["refName"] == "Paid In Full"
    assert Decimal(str(body["amountRemaining"])) == 0


async def test_a_void_zeroes_the_invoice_and_refuses_a_paid_one(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "25.00"))
    voided = await user(client, f"void/invoice/{invoice}", {})
    assert voided.status_code == 200, voided.text
    body = await get(client, f"/invoice/{invoice}")
    assert body["status"]["refName"] == "Voided"
    assert body["voided"] is True
    assert Decimal(str(body["total"])) == 0
    again = await user(client, f"void/invoice/{invoice}", {})
    assert again.status_code == 400
    paid = await make_invoice(client, customer, (1, "10.00"))
    await user(client, f"pay/{paid}", {"account": chart.BANK_ACCOUNTS["usd"]})
    refused = await user(client, f"void/invoice/{paid}", {})
    assert refused.status_code == 400
    assert "applied" in refused.json()["o:errorDetails"][0]["detail"]
    # A client cannot set the flag itself.
    other = await make_invoice(client, customer, (1, "3.00"))
    await send(client, "PATCH", f"{RECORDS}/invoice/{other}", {"voided": True})
    assert (await get(client, f"/invoice/{other}")).get("voided") is None


async def test_every_write_moves_last_modified_date_and_suiteql_filters_on_it() -> None:
    now = [datetime(2026, 10, 1, 9, 0, tzinfo=UTC)]
    app = create_app(SandboxConfig(auth_required=False))
    app.sandbox.account.clock = lambda: now[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        customer = await make_customer(c)
        first = await make_invoice(c, customer, (1, "1.00"))
        second = await make_invoice(c, customer, (1, "2.00"))
        now[0] += timedelta(hours=1)
        await user(c, f"pay/{first}", {"account": chart.BANK_ACCOUNTS["usd"]})
        query = (
            "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lm FROM transaction"
            " WHERE type = 'CustInvc' AND lastmodifieddate >= "
            "TO_TIMESTAMP('2026-10-01 09:30:00', 'YYYY-MM-DD HH24:MI:SS')"
        )
        rows = (await c.post(SUITEQL, json={"q": query}, headers=TRANSIENT)).json()["items"]
    # The payment moved the invoice it paid; the other invoice was not touched.
    assert [(row["id"], row["lm"]) for row in rows] == [(first, "2026-10-01 10:00:00")]
    assert second != first
