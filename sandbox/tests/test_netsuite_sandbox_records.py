"""The record API: create, upsert, get shapes, patch, delete, lists and the starting chart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from netsuite_helpers import (
    BASE,
    RECORDS,
    error_code,
    get,
    make_customer,
    make_invoice,
    new_id,
    open_app,
    send,
)
from stripe_netsuite_sandbox.netsuite import chart

SINGULAR = "application/vnd.oracle.resource+json; type=singular"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    _, c = open_app()
    async with c:
        yield c


def self_href(kind: str, rid: str) -> str:
    return f"{BASE}{RECORDS}/{kind}/{rid}"


async def test_create_answers_204_with_location_and_sequential_ids(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(
        RECORDS + "/customer", json={"companyName": "One", "subsidiary": {"id": "2"}}
    )
    second = await client.post(
        RECORDS + "/customer", json={"companyName": "Two", "subsidiary": {"id": "2"}}
    )
    assert first.status_code == 204
    assert first.content == b""
    assert first.headers["location"] == f"{BASE}{RECORDS}/customer/{chart.FIRST_ID}"
    assert int(new_id(second)) == int(new_id(first)) + 1


async def test_failed_create_does_not_use_up_an_id(client: httpx.AsyncClient) -> None:
    refused = await client.post(RECORDS + "/customer", json={"subsidiary": {"id": "2"}})
    assert refused.status_code == 400
    created = await make_customer(client)
    assert created == str(chart.FIRST_ID)


async def test_get_shape_matches_netsuite(client: httpx.AsyncClient) -> None:
    rid = await make_customer(client, email="ap@acme.test")
    response = await client.get(f"{RECORDS}/customer/{rid}")
    assert response.headers["content-type"] == SINGULAR
    body = response.json()
    assert body["links"] == [{"rel": "self", "href": self_href("customer", rid)}]
    assert body["id"] == rid
    assert body["companyName"] == "Acme"
    assert body["isPerson"] is False
    assert body["subsidiary"] == {
        "links": [{"rel": "self", "href": self_href("subsidiary", chart.SUBSIDIARY_US)}],
        "id": chart.SUBSIDIARY_US,
        "refName": "Sandbox US",
    }
    assert body["currency"]["id"] == chart.USD
    assert body["currency"]["refName"] == "USD"
    # Sublists are link stubs unless expanded; null fields are left out.
    assert body["currencyList"] == {
        "links": [{"rel": "self", "href": self_href("customer", rid) + "/currencyList"}]
    }
    assert "firstName" not in body
    assert body["lastModifiedDate"].endswith("Z")


async def test_expand_sub_resources_inlines_lines(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (2, "10.00"), (1, "5.50"))
    body = await get(client, f"/invoice/{invoice}?expandSubResources=true")
    items = body["item"]
    assert items["totalResults"] == 2
    assert items["count"] == 2
    assert items["hasMore"] is False
    first = items["items"][0]
    assert first["links"] == []
    assert first["item"]["id"] == chart.SERVICE_ITEM
    assert first["item"]["refName"] == "Stripe Service"
    assert first["item"]["links"][0]["href"] == self_href("servicesaleitem", chart.SERVICE_ITEM)
    assert first["itemType"] == {"id": "Service", "refName": "Service"}
    assert body["status"] == {"id": "A", "refName": "Open"}
    sub = await client.get(f"{RECORDS}/invoice/{invoice}/item")
    assert sub.status_code == 200
    assert [line["amount"] for line in sub.json()["items"]] == [20.0, 5.5]


async def test_simple_enum_format_and_fields_filter(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "7.00"))
    body = await get(client, f"/invoice/{invoice}?simpleEnumFormat=true")
    assert body["status"] == "A"
    some = await get(client, f"/invoice/{invoice}?fields=total,amountRemaining")
    assert set(some) == {"links", "total", "amountRemaining"}


async def test_get_by_external_id_and_missing_record(client: httpx.AsyncClient) -> None:
    rid = await make_customer(client, "cus_77")
    assert (await get(client, "/customer/eid:cus_77"))["id"] == rid
    missing = await client.get(RECORDS + "/customer/99999")
    assert missing.status_code == 404
    assert error_code(missing) == "NONEXISTENT_ID"
    assert missing.json()["o:errorDetails"][0]["detail"] == "Record does not exist."
    assert (await client.get(RECORDS + "/customer/eid:nope")).status_code == 404


async def test_upsert_creates_then_updates(client: httpx.AsyncClient) -> None:
    body = {"companyName": "Upserted", "subsidiary": {"id": "2"}, "email": "a@x.test"}
    created = await client.put(RECORDS + "/customer/eid:up_1", json=body)
    rid = new_id(created)
    body["phone"] = "555"
    await client.put(RECORDS + "/customer/eid:up_1", json=body)
    updated = await client.put(
        RECORDS + "/customer/eid:up_1",
        json={"companyName": "Renamed", "subsidiary": {"id": "2"}, "phone": None},
    )
    assert new_id(updated) == rid
    record = await get(client, f"/customer/{rid}")
    assert record["companyName"] == "Renamed"
    assert record["externalId"] == "up_1"
    # An update, as PATCH: an omitted field is kept, a null one cleared.
    assert record["email"] == "a@x.test"
    assert "phone" not in record
    plain_put = await client.put(f"{RECORDS}/customer/{rid}", json=body)
    assert plain_put.status_code == 400


async def test_unchanged_upsert_is_not_a_write(client: httpx.AsyncClient) -> None:
    body = {"companyName": "Same", "subsidiary": {"id": "2"}}
    await client.put(RECORDS + "/customer/eid:same", json=body)
    before = (await client.get("/__sandbox/stats")).json()["writes"]
    record = await get(client, "/customer/eid:same")
    await client.put(RECORDS + "/customer/eid:same", json=body)
    assert (await client.get("/__sandbox/stats")).json()["writes"] == before
    assert (await get(client, "/customer/eid:same"))["lastModifiedDate"] == (
        record["lastModifiedDate"]
    )


async def test_duplicate_external_id_on_post(client: httpx.AsyncClient) -> None:
    await make_customer(client, "dup")
    again = await client.post(
        RECORDS + "/customer",
        json={"companyName": "Again", "subsidiary": {"id": "2"}, "externalId": "dup"},
    )
    assert again.status_code == 400
    assert error_code(again) == "USER_ERROR"
    assert again.json()["o:errorDetails"][0]["detail"] == (
        "Error while accessing a resource. This entity already exists."
    )
    assert again.json()["title"] == "Bad Request"


async def test_patch_merges_and_null_clears(client: httpx.AsyncClient) -> None:
    rid = await make_customer(client, email="old@x.test", phone="555")
    patched = await client.patch(
        f"{RECORDS}/customer/{rid}", json={"email": "new@x.test", "phone": None}
    )
    assert patched.status_code == 204
    assert patched.headers["location"].endswith(f"/customer/{rid}")
    record = await get(client, f"/customer/{rid}")
    assert record["email"] == "new@x.test"
    assert "phone" not in record
    assert record["companyName"] == "Acme"


async def test_patch_appends_unkeyed_lines_and_replace_swaps_them(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "10.00"))
    line = {"item": {"id": chart.SERVICE_ITEM}, "quantity": 1, "rate": Decimal("2.50")}
    await send(client, "PATCH", f"{RECORDS}/invoice/{invoice}", {"item": {"items": [line]}})
    assert (await get(client, f"/invoice/{invoice}"))["total"] == 12.5
    await send(
        client, "PATCH", f"{RECORDS}/invoice/{invoice}?replace=item", {"item": {"items": [line]}}
    )
    record = await get(client, f"/invoice/{invoice}?expandSubResources=true")
    assert record["total"] == 2.5
    assert record["item"]["totalResults"] == 1


def _line(rate: str) -> dict[str, object]:
    return {"item": {"id": chart.SERVICE_ITEM}, "quantity": 1, "rate": Decimal(rate)}


async def _upsert_invoice(
    client: httpx.AsyncClient, customer: str, rates: list[str], query: str = ""
) -> httpx.Response:
    body = {
        "entity": {"id": customer},
        "tranDate": "2026-01-15",
        "item": {"items": [_line(rate) for rate in rates]},
    }
    return await send(client, "PUT", f"{RECORDS}/invoice/eid:in_up{query}", body)


async def _rates(client: httpx.AsyncClient, rid: str) -> list[float]:
    record = await get(client, f"/invoice/{rid}?expandSubResources=true")
    return [line["rate"] for line in record["item"]["items"]]


async def test_upsert_of_an_existing_record_appends_unkeyed_lines(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    created = await _upsert_invoice(client, customer, ["10.00"])
    assert created.status_code == 204, created.text
    rid = new_id(created)
    again = await _upsert_invoice(client, customer, ["7.00", "1.00"])
    assert new_id(again) == rid
    # NetSuite merges a sublist not named in replace: the new lines join the old one.
    assert await _rates(client, rid) == [10.0, 7.0, 1.0]
    assert (await get(client, f"/invoice/{rid}"))["total"] == 18.0


async def test_upsert_with_replace_swaps_the_lines(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    rid = new_id(await _upsert_invoice(client, customer, ["10.00", "2.00"], "?replace=item"))
    replaced = await _upsert_invoice(client, customer, ["7.00"], "?replace=item")
    assert replaced.status_code == 204, replaced.text
    assert new_id(replaced) == rid
    assert await _rates(client, rid) == [7.0]
    invoice = await get(client, f"/invoice/{rid}")
    assert invoice["total"] == 7.0
    assert invoice["amountRemaining"] == 7.0


async def test_upsert_merges_keyed_apply_lines_by_doc(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    first = await make_invoice(client, customer, (1, "10.00"))
    second = await make_invoice(client, customer, (1, "10.00"))

    async def pay(query: str, *applies: tuple[str, str]) -> httpx.Response:
        body = {
            "customer": {"id": customer},
            "payment": Decimal("20"),
            "apply": {
                "items": [
                    {"doc": {"id": doc}, "amount": Decimal(amount)} for doc, amount in applies
                ]
            },
        }
        return await send(client, "PUT", f"{RECORDS}/customerPayment/eid:py_up{query}", body)

    pid = new_id(await pay("", (first, "10")))
    merged = await pay("", (first, "4"), (second, "6"))
    assert merged.status_code == 204, merged.text
    record = await get(client, f"/customerPayment/{pid}?expandSubResources=true")
    assert [(line["doc"]["id"], line["amount"]) for line in record["apply"]["items"]] == [
        (first, 4.0),
        (second, 6.0),
    ]
    assert (await get(client, f"/invoice/{first}"))["amountRemaining"] == 6.0
    assert (await get(client, f"/invoice/{second}"))["amountRemaining"] == 4.0
    # With replace, the line for the first invoice goes: its application is undone.
    await pay("?replace=apply", (second, "5"))
    assert (await get(client, f"/invoice/{first}"))["amountRemaining"] == 10.0
    assert (await get(client, f"/invoice/{second}"))["amountRemaining"] == 5.0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST"])
@pytest.mark.parametrize("name", ["nosuch", "memo"])
async def test_replace_names_only_sublists(
    client: httpx.AsyncClient, method: str, name: str
) -> None:
    customer = await make_customer(client)
    invoice = await make_invoice(client, customer, (1, "10.00"))
    path = {
        "PUT": "/invoice/eid:in_bad",
        "PATCH": f"/invoice/{invoice}",
        "POST": "/invoice",
    }[method]
    body = {"entity": {"id": customer}, "item": {"items": [_line("1.00")]}}
    refused = await send(client, method, f"{RECORDS}{path}?replace=item,{name}", body)
    assert refused.status_code == 400
    assert error_code(refused) == "INVALID_PARAMETER"
    assert name in refused.json()["o:errorDetails"][0]["detail"]
    assert await _rates(client, invoice) == [10.0]
    assert (await client.get(f"{RECORDS}/invoice/eid:in_bad")).status_code == 404


async def test_delete(client: httpx.AsyncClient) -> None:
    rid = await make_customer(client, "gone")
    deleted = await client.delete(f"{RECORDS}/customer/{rid}")
    assert deleted.status_code == 204
    assert (await client.get(f"{RECORDS}/customer/{rid}")).status_code == 404
    again = await make_customer(client, "gone")
    assert again != rid


async def test_list_paging_and_links(client: httpx.AsyncClient) -> None:
    ids = [await make_customer(client, f"c{i}") for i in range(5)]
    first = await client.get(RECORDS + "/customer?limit=2")
    assert first.headers["content-type"] == COLLECTION
    page = first.json()
    assert page["count"] == 2
    assert page["hasMore"] is True
    assert page["offset"] == 0
    assert page["totalResults"] == 5
    assert page["items"] == [
        {"links": [{"rel": "self", "href": self_href("customer", rid)}], "id": rid}
        for rid in ids[:2]
    ]
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert rels == {
        "next": f"{BASE}{RECORDS}/customer?limit=2&offset=2",
        "last": f"{BASE}{RECORDS}/customer?limit=2&offset=4",
        "self": f"{BASE}{RECORDS}/customer?limit=2&offset=0",
    }
    last = (await client.get(RECORDS + "/customer?limit=2&offset=4")).json()
    assert last["hasMore"] is False
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert {link["rel"] for link in last["links"]} == {"first", "prev", "self"}
    misaligned = await client.get(RECORDS + "/customer?limit=2&offset=3")
    assert misaligned.status_code == 400
    assert error_code(misaligned) == "INVALID_PARAMETER"
    assert (await client.get(RECORDS + "/customer?limit=1001")).status_code == 400


async def test_list_q_filters(client: httpx.AsyncClient) -> None:
    a = await make_customer(client, "ext_a", email="a@x.test")
    b = await make_customer(client, "ext_b", email="b@x.test")

    async def ids(q: str) -> list[str]:
        response = await client.get(RECORDS + "/customer", params={"q": q})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids('externalId IS "ext_b"') == [b]
    assert await ids("email IS a@x.test") == [a]
    assert await ids('email START_WITH "b@"') == [b]
    assert await ids('externalId IS "ext_a" OR externalId IS "ext_b"') == [a, b]
    assert await ids(f"id ANY_OF [{a}, {b}]") == [a, b]
    assert await ids('lastModifiedDate ON_OR_AFTER "1/1/2020"') == [a, b]
    assert await ids('lastModifiedDate ON_OR_AFTER "1/1/2999"') == []
    paged = (
        await client.get(RECORDS + "/customer", params={"q": 'email CONTAIN "x.test"', "limit": 1})
    ).json()
    assert paged["links"][0]["href"].startswith(f"{BASE}{RECORDS}/customer?q=email+CONTAIN")
    bad_date = await client.get(
        RECORDS + "/customer", params={"q": 'lastModifiedDate AFTER "yesterday"'}
    )
    assert bad_date.status_code == 400
    assert "failed with date format" in bad_date.json()["o:errorDetails"][0]["detail"]
    unknown = await client.get(RECORDS + "/customer", params={"q": 'nosuchfield IS "x"'})
    assert unknown.status_code == 400


async def test_chart_is_readable_through_the_record_api(client: httpx.AsyncClient) -> None:
    usd_bank = await get(client, f"/account/{chart.BANK_ACCOUNTS['usd']}")
    assert usd_bank["acctType"]["id"] == "Bank"
    assert usd_bank["currency"]["id"] == chart.USD
    undeposited = await get(client, f"/account/{chart.UNDEPOSITED_FUNDS}")
    assert undeposited["sSpecAcct"]["id"] == "UndepFunds"
    jpy = await get(client, f"/currency/{chart.JPY}")
    assert jpy["currencyPrecision"] == 0
    assert (await get(client, f"/currency/{chart.KWD}"))["currencyPrecision"] == 3
    eu = await get(client, f"/subsidiary/{chart.SUBSIDIARY_EU}")
    assert eu["parent"]["id"] == chart.SUBSIDIARY_PARENT
    assert eu["currency"]["id"] == chart.EUR
    method = await get(client, f"/paymentMethod/{chart.PAYMENT_METHOD_STRIPE}")
    assert method["name"] == "Stripe"
    tax = await get(client, f"/salesTaxItem/{chart.TAX_ITEM}")
    assert tax["itemId"] == "Stripe Tax"
    assert (await get(client, f"/discountItem/{chart.DISCOUNT_ITEM}"))["account"]["id"] == (
        chart.DISCOUNTS
    )
    for code, account in chart.BANK_ACCOUNTS.items():
        bank = await get(client, f"/account/{account}")
        assert bank["currency"]["id"] == chart.CURRENCIES[code]


async def test_record_types_are_case_insensitive_and_unknown_types_404(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get(RECORDS + "/SERVICESALEITEM/" + chart.SERVICE_ITEM)).status_code == 200
    unknown = await client.get(RECORDS + "/spaceship/1")
    assert unknown.status_code == 404
    assert unknown.json()["o:errorDetails"][0]["detail"].startswith("Record type 'spaceship'")


async def test_sandbox_records_export(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    await make_invoice(client, customer, (1, "3.00"))
    export = (await client.get("/__sandbox/records")).json()
    assert [c["id"] for c in export["customer"]] == [customer]
    assert export["invoice"][0]["item"]["items"][0]["amount"] == 3.0
    assert len(export["currency"]) == len(chart.CURRENCIES)


async def test_patch_updates_keyed_apply_lines(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    first = await make_invoice(client, customer, (1, "10.00"))
    second = await make_invoice(client, customer, (1, "10.00"))
    payment = {
        "customer": {"id": customer},
        "payment": Decimal("15"),
        "apply": {"items": [{"doc": {"id": first}, "amount": Decimal("10")}]},
    }
    pid = new_id(await send(client, "POST", RECORDS + "/customerPayment", payment))
    patch = {
        "apply": {
            "items": [
                {"doc": {"id": first}, "amount": Decimal("5")},
                {"doc": {"id": second}, "amount": Decimal("10")},
            ]
        }
    }
    patched = await send(client, "PATCH", f"{RECORDS}/customerPayment/{pid}", patch)
    assert patched.status_code == 204, patched.text
    record = await get(client, f"/customerPayment/{pid}?expandSubResources=true")
    assert [line["amount"] for line in record["apply"]["items"]] == [5.0, 10.0]
    assert (await get(client, f"/invoice/{first}"))["amountRemaining"] == 5.0
    assert (await get(client, f"/invoice/{second}"))["amountRemaining"] == 0
    replaced = await send(
        client,
        "PATCH",
        f"{RECORDS}/customerPayment/{pid}?replace=apply",
        {"apply": {"items": [{"doc": {"id": second}, "amount": Decimal("3")}]}},
    )
    assert replaced.status_code == 204
    assert (await get(client, f"/invoice/{first}"))["amountRemaining"] == 10.0
    assert (await get(client, f"/invoice/{second}"))["amountRemaining"] == 7.0


async def test_journal_entry_shape_matches_a_real_payload(client: httpx.AsyncClient) -> None:
    body = {
        "subsidiary": {"id": chart.SUBSIDIARY_US},
        "memo": "Journal & Transfer Example",
        "line": {
            "items": [
                {"account": {"id": chart.SUSPENSE}, "credit": Decimal("17.0")},
                {"account": {"id": chart.BANK_ACCOUNTS["usd"]}, "debit": Decimal("17.0")},
            ]
        },
    }
    rid = new_id(await send(client, "POST", RECORDS + "/journalEntry", body))
    entry = await get(client, f"/journalEntry/{rid}?expandSubResources=true")
    # As in the captured journalentry payload: self link, refs, numbered lines with empty links.
    assert entry["links"] == [{"rel": "self", "href": self_href("journalentry", rid)}]
    assert entry["line"]["links"] == [
        {"rel": "self", "href": self_href("journalentry", rid) + "/line"}
    ]
    assert entry["line"]["totalResults"] == 2
    first, second = entry["line"]["items"]
    assert first == {
        "links": [],
        "account": {
            "links": [{"rel": "self", "href": self_href("account", chart.SUSPENSE)}],
            "id": chart.SUSPENSE,
            "refName": "1900 Stripe Suspense",
        },
        "credit": 17.0,
        "line": 0,
    }
    assert (second["debit"], second["line"]) == (17.0, 1)
    assert entry["memo"] == "Journal & Transfer Example"
    assert entry["currency"]["refName"] == "USD"
    assert entry["tranId"] == f"JE{rid}"
    assert set(entry["subsidiary"]) == {"links", "id", "refName"}


async def test_subrecords_in_bodies_and_lines(client: httpx.AsyncClient) -> None:
    address = {"addr1": "1 Main St", "city": "SF", "country": {"id": "US"}, "zip": "94105"}
    rid = await make_customer(
        client, addressBook={"items": [{"defaultBilling": True, "addressBookAddress": address}]}
    )
    customer = await get(client, f"/customer/{rid}?expandSubResources=true")
    line = customer["addressBook"]["items"][0]
    assert line["defaultBilling"] is True
    assert line["addressBookAddress"]["links"][0]["href"] == (
        self_href("customer", rid) + "/addressBook/0/addressBookAddress"
    )
    assert line["addressBookAddress"]["country"] == {"id": "US", "refName": "US"}
    invoice = await make_invoice(client, rid, (1, "1.00"), billingAddress={"addr1": "PO Box 1"})
    billing = (await get(client, f"/invoice/{invoice}"))["billingAddress"]
    assert billing == {
        "links": [{"rel": "self", "href": self_href("invoice", invoice) + "/billingAddress"}],
        "addr1": "PO Box 1",
    }
    bad_country = await client.post(
        RECORDS + "/invoice",
        json={
            "entity": {"id": rid},
            "billingAddress": {"country": {"id": "XX"}},
            "item": {"items": [{"item": {"id": "20"}, "amount": 1}]},
        },
    )
    assert bad_country.status_code == 400
    assert bad_country.json()["o:errorDetails"][0]["o:errorPath"] == "billingAddress.country"
