"""Business rules: customers, invoice totals, applications, deposits, journals, currencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from netsuite_helpers import (
    RECORDS,
    error_code,
    error_path,
    get,
    make_customer,
    make_invoice,
    make_payment,
    new_id,
    open_app,
    send,
)
from stripe_netsuite_sandbox.netsuite import chart


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    _, c = open_app()
    async with c:
        yield c


def detail(response: httpx.Response) -> str:
    return str(response.json()["o:errorDetails"][0]["detail"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"isPerson": False, "subsidiary": {"id": "2"}}, "Company Name"),
        ({"isPerson": True, "subsidiary": {"id": "2"}}, "First Name, Last Name"),
        ({"isPerson": True, "firstName": "Ada", "subsidiary": {"id": "2"}}, "Last Name"),
        ({"companyName": "No Sub"}, "Subsidiary"),
    ],
)
async def test_customer_required_fields(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.post(RECORDS + "/customer", json=body)
    assert response.status_code == 400
    assert error_code(response) == "USER_ERROR"
    assert detail(response) == (
        f"Error while accessing a resource. Please enter value(s) for: {message}."
    )


async def test_person_customer_gets_name_and_subsidiary_currency(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        RECORDS + "/customer",
        json={
            "isPerson": True,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "subsidiary": {"id": chart.SUBSIDIARY_EU},
        },
    )
    record = await get(client, f"/customer/{new_id(response)}?expandSubResources=true")
    assert record["entityId"] == "Ada Lovelace"
    assert record["currency"]["id"] == chart.EUR
    assert [line["currency"]["id"] for line in record["currencyList"]["items"]] == [chart.EUR]


async def test_invoice_totals_from_lines(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    lines = [
        {"item": {"id": chart.SERVICE_ITEM}, "quantity": 3, "rate": Decimal("9.99")},
        {"item": {"id": chart.SERVICE_ITEM}, "amount": Decimal("5")},
        {"item": {"id": chart.DISCOUNT_ITEM}, "amount": Decimal("-2.50")},
        {"item": {"id": chart.TAX_ITEM}, "amount": Decimal("1.20")},
    ]
    response = await send(
        client,
        "POST",
        RECORDS + "/invoice",
        {"entity": {"id": customer}, "item": {"items": lines}},
    )
    invoice = await get(client, f"/invoice/{new_id(response)}?expandSubResources=true")
    assert [line["amount"] for line in invoice["item"]["items"]] == [29.97, 5.0, -2.5, 1.2]
    assert invoice["subtotal"] == 32.47
    assert invoice["taxTotal"] == 1.2
    assert invoice["total"] == 33.67
    assert invoice["amountRemaining"] == 33.67
    assert invoice["status"]["refName"] == "Open"
    assert invoice["currency"]["id"] == chart.USD
    assert invoice["subsidiary"]["id"] == chart.SUBSIDIARY_US


async def test_invoice_needs_lines_and_rounds_to_currency_precision(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    empty = await client.post(RECORDS + "/invoice", json={"entity": {"id": customer}})
    assert empty.status_code == 400
    assert "at least one line item" in detail(empty)
    jpy_customer = await make_customer(client, "cus_jpy", currency={"id": chart.JPY})
    response = await send(
        client,
        "POST",
        RECORDS + "/invoice",
        {
            "entity": {"id": jpy_customer},
            "item": {"items": [{"item": {"id": "20"}, "quantity": 1, "rate": Decimal("1000.6")}]},
        },
    )
    assert (await get(client, f"/invoice/{new_id(response)}"))["total"] == 1001


async def test_payment_applies_to_invoice_and_pays_it_in_full(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "100.00"))
    first = await make_payment(client, customer, "40.00", (invoice, "40.00"))
    assert first.status_code == 204, first.text
    partly = await get(client, f"/invoice/{invoice}")
    assert partly["amountRemaining"] == 60.0
    assert partly["amountPaid"] == 40.0
    assert partly["status"]["id"] == "A"
    second = await make_payment(client, customer, "60.00", (invoice, "60.00"))
    paid = await get(client, f"/invoice/{invoice}")
    assert paid["amountRemaining"] == 0
    assert paid["status"] == {"id": "B", "refName": "Paid In Full"}
    payment = await get(client, f"/customerPayment/{new_id(second)}?expandSubResources=true")
    assert payment["applied"] == 60.0
    assert payment["unapplied"] == 0
    assert payment["undepFunds"] is True
    assert payment["account"]["id"] == chart.UNDEPOSITED_FUNDS
    line = payment["apply"]["items"][0]
    assert line["doc"]["id"] == invoice
    assert line["apply"] is True
    # Deleting the payment reopens the invoice.
    await client.delete(f"{RECORDS}/customerPayment/{new_id(second)}")
    assert (await get(client, f"/invoice/{invoice}"))["amountRemaining"] == 60.0


async def test_over_application_is_refused(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "50.00"))
    too_much = await make_payment(client, customer, "80.00", (invoice, "80.00"))
    assert too_much.status_code == 400
    assert error_path(too_much) == "apply.items[0].amount"
    assert "exceeds its amount remaining (50.00)" in detail(too_much)
    more_than_paid = await make_payment(client, customer, "10.00", (invoice, "20.00"))
    assert more_than_paid.status_code == 400
    assert "exceeds the amount available" in detail(more_than_paid)
    assert (await get(client, f"/invoice/{invoice}"))["amountRemaining"] == 50.0


async def test_payment_defaults_apply_amount_and_checks_the_customer(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    other = await make_customer(client, "cus_other")
    invoice = await make_invoice(client, customer, (1, "30.00"))
    stranger = await send(
        client,
        "POST",
        RECORDS + "/customerPayment",
        {
            "customer": {"id": other},
            "payment": Decimal("30"),
            "apply": {"items": [{"doc": {"id": invoice}, "apply": True}]},
        },
    )
    assert stranger.status_code == 400
    assert "another customer" in detail(stranger)
    partial = await send(
        client,
        "POST",
        RECORDS + "/customerPayment",
        {
            "customer": {"id": customer},
            "payment": Decimal("12"),
            "apply": {"items": [{"doc": {"id": invoice}, "apply": True}]},
        },
    )
    assert partial.status_code == 204, partial.text
    assert (await get(client, f"/invoice/{invoice}"))["amountRemaining"] == 18.0


async def test_invoice_total_cannot_drop_below_what_is_paid(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "20.00"), externalId="in_paid")
    await make_payment(client, customer, "15.00", (invoice, "15.00"))
    shrink = await send(
        client,
        "PUT",
        RECORDS + "/invoice/eid:in_paid?replace=item",
        {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": "20"}, "amount": Decimal("10")}]},
        },
    )
    assert shrink.status_code == 400
    refused = await client.delete(f"{RECORDS}/invoice/{invoice}")
    assert refused.status_code == 400
    assert "dependent records" in detail(refused)


async def test_credit_memo_applies_and_refund_pays_it_out(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "40.00"))
    memo = await send(
        client,
        "POST",
        RECORDS + "/creditMemo",
        {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": "20"}, "amount": Decimal("25")}]},
            "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": Decimal("10")}]},
        },
    )
    memo_id = new_id(memo)
    credit = await get(client, f"/creditMemo/{memo_id}")
    assert (credit["total"], credit["applied"], credit["unapplied"]) == (25.0, 10.0, 15.0)
    assert credit["status"]["refName"] == "Open"
    assert (await get(client, f"/invoice/{invoice}"))["amountRemaining"] == 30.0
    too_much = await send(
        client,
        "POST",
        RECORDS + "/customerRefund",
        {
            "customer": {"id": customer},
            "apply": {"items": [{"doc": {"id": memo_id}, "apply": True, "amount": Decimal("16")}]},
        },
    )
    assert too_much.status_code == 400
    refund = await send(
        client,
        "POST",
        RECORDS + "/customerRefund",
        {
            "customer": {"id": customer},
            "account": {"id": chart.BANK_ACCOUNTS["usd"]},
            "apply": {"items": [{"doc": {"id": memo_id}, "apply": True, "amount": Decimal("15")}]},
        },
    )
    refund_body = await get(client, f"/customerRefund/{new_id(refund)}")
    assert refund_body["total"] == 15.0
    used = await get(client, f"/creditMemo/{memo_id}")
    assert used["unapplied"] == 0
    assert used["status"] == {"id": "B", "refName": "Fully Applied"}


async def test_refund_of_an_unapplied_payment(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    payment = new_id(await make_payment(client, customer, "20.00"))
    refund = await send(
        client,
        "POST",
        RECORDS + "/customerRefund",
        {
            "customer": {"id": customer},
            "apply": {"items": [{"doc": {"id": payment}, "apply": True}]},
        },
    )
    assert refund.status_code == 204, refund.text
    body = await get(client, f"/customerRefund/{new_id(refund)}")
    assert body["total"] == 20.0
    assert body["account"]["id"] == chart.BANK_ACCOUNTS["usd"]
    assert (await get(client, f"/customerPayment/{payment}"))["unapplied"] == 0


async def test_deposit_takes_undeposited_payments_once(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    p1 = new_id(await make_payment(client, customer, "100.00"))
    p2 = new_id(await make_payment(client, customer, "50.00"))
    banked = new_id(
        await make_payment(
            client, customer, "5.00", undepFunds=False, account={"id": chart.BANK_ACCOUNTS["usd"]}
        )
    )
    body = {
        "account": {"id": chart.BANK_ACCOUNTS["usd"]},
        "payment": {"items": [{"id": int(p1), "deposit": True}, {"id": p2, "deposit": True}]},
        "other": {"items": [{"account": {"id": chart.SUSPENSE}, "amount": Decimal("1.25")}]},
        "cashback": {"items": [{"account": {"id": chart.STRIPE_FEES}, "amount": Decimal("4.60")}]},
        "externalId": "po_1",
    }
    deposit = await send(client, "POST", RECORDS + "/deposit", body)
    record = await get(client, f"/deposit/{new_id(deposit)}?expandSubResources=true")
    assert record["total"] == 146.65
    assert [line["paymentAmount"] for line in record["payment"]["items"]] == [100.0, 50.0]
    assert record["payment"]["items"][0]["type"]["id"] == "CustPymt"
    assert (await get(client, f"/customerPayment/{p1}"))["status"]["refName"] == "Deposited"
    twice = await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {
            "account": {"id": chart.BANK_ACCOUNTS["usd"]},
            "payment": {"items": [{"id": p1, "deposit": True}]},
        },
    )
    assert twice.status_code == 400
    assert error_path(twice) == "payment.items[0].id"
    assert "already been deposited" in detail(twice)
    not_undeposited = await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {
            "account": {"id": chart.BANK_ACCOUNTS["usd"]},
            "payment": {"items": [{"id": banked, "deposit": True}]},
        },
    )
    assert not_undeposited.status_code == 400
    assert "Undeposited Funds" in detail(not_undeposited)
    # Re-upserting the same deposit keeps its payments.
    again = await send(client, "PUT", RECORDS + "/deposit/eid:po_1", body)
    assert again.status_code == 204, again.text
    refused = await client.delete(f"{RECORDS}/customerPayment/{p1}")
    assert refused.status_code == 400
    await client.delete(f"{RECORDS}/deposit/{new_id(deposit)}")
    assert (await get(client, f"/customerPayment/{p1}"))["status"]["refName"] == "Not Deposited"


async def test_deposit_needs_a_bank_account_and_matching_currency(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    payment = new_id(await make_payment(client, customer, "10.00"))
    not_bank = await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {"account": {"id": chart.INCOME}, "payment": {"items": [{"id": payment}]}},
    )
    assert not_bank.status_code == 400
    assert error_path(not_bank) == "account"
    in_euros = await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {"account": {"id": chart.BANK_ACCOUNTS["eur"]}, "payment": {"items": [{"id": payment}]}},
    )
    assert in_euros.status_code == 400
    assert "another currency" in detail(in_euros)


async def test_journal_entries_must_balance(client: httpx.AsyncClient) -> None:
    def journal(debit: str, credit: str) -> dict[str, Any]:
        return {
            "subsidiary": {"id": chart.SUBSIDIARY_US},
            "line": {
                "items": [
                    {"account": {"id": chart.STRIPE_FEES}, "debit": Decimal(debit)},
                    {"account": {"id": chart.BANK_ACCOUNTS["usd"]}, "credit": Decimal(credit)},
                ]
            },
        }

    unbalanced = await send(client, "POST", RECORDS + "/journalEntry", journal("17.00", "16.99"))
    assert unbalanced.status_code == 400
    assert "must equal the total credits" in detail(unbalanced)
    balanced = await send(client, "POST", RECORDS + "/journalEntry", journal("17.00", "17.00"))
    entry = await get(client, f"/journalEntry/{new_id(balanced)}?expandSubResources=true")
    assert [line.get("debit") for line in entry["line"]["items"]] == [17.0, None]
    assert entry["currency"]["id"] == chart.USD
    no_sub = await send(
        client, "POST", RECORDS + "/journalEntry", {**journal("1", "1"), "subsidiary": None}
    )
    assert no_sub.status_code == 400


async def test_currency_and_subsidiary_must_fit_the_customer(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    lines = {"items": [{"item": {"id": "20"}, "amount": 1}]}
    euro = await client.post(
        RECORDS + "/invoice",
        json={"entity": {"id": customer}, "currency": {"id": chart.EUR}, "item": lines},
    )
    assert euro.status_code == 400
    assert error_path(euro) == "currency"
    wrong_sub = await client.post(
        RECORDS + "/invoice",
        json={"entity": {"id": customer}, "subsidiary": {"id": chart.SUBSIDIARY_EU}, "item": lines},
    )
    assert wrong_sub.status_code == 400
    assert error_path(wrong_sub) == "subsidiary"
    await client.patch(
        f"{RECORDS}/customer/{customer}",
        json={"currencyList": {"items": [{"currency": {"id": chart.EUR}}]}},
    )
    allowed = await client.post(
        RECORDS + "/invoice",
        json={"entity": {"id": customer}, "currency": {"id": chart.EUR}, "item": lines},
    )
    assert allowed.status_code == 204, allowed.text
    mixed = await make_payment(client, customer, "1.00", (new_id(allowed), "1.00"))
    assert mixed.status_code == 400
    assert "another currency" in detail(mixed)


async def test_customer_with_transactions_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    await make_invoice(client, customer, (1, "1.00"))
    refused = await client.delete(f"{RECORDS}/customer/{customer}")
    assert refused.status_code == 400


async def test_transforms(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (2, "10.00"))
    paid = await client.post(f"{RECORDS}/invoice/{invoice}/!transform/customerPayment")
    payment = await get(client, f"/customerPayment/{new_id(paid)}")
    assert payment["payment"] == 20.0
    assert (await get(client, f"/invoice/{invoice}"))["status"]["id"] == "B"
    other = await make_invoice(client, customer, (1, "8.00"))
    memo = await client.post(f"{RECORDS}/invoice/{other}/!transform/creditMemo", json={})
    assert (await get(client, f"/creditMemo/{new_id(memo)}"))["applied"] == 8.0
    assert (await get(client, f"/invoice/{other}"))["amountRemaining"] == 0
    unsupported = await client.post(f"{RECORDS}/invoice/{invoice}/!transform/deposit")
    assert unsupported.status_code == 400


async def test_deposited_payment_amount_is_frozen(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    payment = new_id(await make_payment(client, customer, "30.00"))
    await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {"account": {"id": chart.BANK_ACCOUNTS["usd"]}, "payment": {"items": [{"id": payment}]}},
    )
    changed = await send(
        client, "PATCH", f"{RECORDS}/customerPayment/{payment}", {"payment": Decimal("31")}
    )
    assert changed.status_code == 400
    assert error_path(changed) == "payment"
    memo = await send(client, "PATCH", f"{RECORDS}/customerPayment/{payment}", {"memo": "ok"})
    assert memo.status_code == 204


async def test_cash_sales_and_customer_deposits_can_be_deposited(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    sale = await send(
        client,
        "POST",
        RECORDS + "/cashSale",
        {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": "20"}, "amount": Decimal("12.00")}]},
        },
    )
    advance = await send(
        client,
        "POST",
        RECORDS + "/customerDeposit",
        {"customer": {"id": customer}, "payment": Decimal("8.00")},
    )
    sale_id, advance_id = new_id(sale), new_id(advance)
    assert (await get(client, f"/cashSale/{sale_id}"))["account"]["id"] == chart.UNDEPOSITED_FUNDS
    deposit = await send(
        client,
        "POST",
        RECORDS + "/deposit",
        {
            "account": {"id": chart.BANK_ACCOUNTS["usd"]},
            "payment": {"items": [{"id": sale_id}, {"id": advance_id}]},
        },
    )
    record = await get(client, f"/deposit/{new_id(deposit)}?expandSubResources=true")
    assert record["total"] == 20.0
    assert [line["type"]["id"] for line in record["payment"]["items"]] == ["CashSale", "CustDep"]
    assert (await get(client, f"/cashSale/{sale_id}"))["status"]["id"] == "C"
    assert (await get(client, f"/customerDeposit/{advance_id}"))["status"]["id"] == "B"
