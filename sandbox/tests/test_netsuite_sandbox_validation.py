"""Write bodies are checked against the field dictionary, with the culprit's path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from netsuite_helpers import RECORDS, error_code, error_path, get, make_customer, new_id, open_app
from stripe_netsuite_sandbox.netsuite import chart

CUSTOMER = {"companyName": "Acme", "subsidiary": {"id": "2"}}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    _, c = open_app()
    async with c:
        yield c


async def test_unknown_field_follows_property_name_validation(client: httpx.AsyncClient) -> None:
    body = {**CUSTOMER, "favouriteColour": "teal"}
    strict = await client.post(
        RECORDS + "/customer", json=body, headers={"X-NetSuite-PropertyNameValidation": "Error"}
    )
    assert strict.status_code == 400
    assert error_path(strict) == "favouriteColour"
    assert "favouriteColour" in strict.json()["o:errorDetails"][0]["detail"]
    lenient = await client.post(RECORDS + "/customer", json=body)
    record = await get(client, f"/customer/{new_id(lenient)}")
    assert "favouriteColour" not in record
    ignored = await client.post(
        RECORDS + "/customer", json=body, headers={"X-NetSuite-PropertyNameValidation": "Ignore"}
    )
    assert ignored.status_code == 204
    nonsense = await client.post(
        RECORDS + "/customer", json=body, headers={"X-NetSuite-PropertyNameValidation": "Maybe"}
    )
    assert nonsense.status_code == 400


async def test_unknown_sublist_field_has_a_line_path(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    body = {
        "entity": {"id": customer},
        "item": {"items": [{"item": {"id": "20"}, "amount": 1}, {"item": {"id": "20"}, "hue": 1}]},
    }
    response = await client.post(
        RECORDS + "/invoice", json=body, headers={"X-NetSuite-PropertyNameValidation": "error"}
    )
    assert response.status_code == 400
    assert error_path(response) == "item.items[1].hue"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("companyName", 12),
        ("isPerson", "yes"),
        ("creditLimit", "100"),
        ("creditLimit", True),
        ("subsidiary", True),
        ("emailPreference", {"id": "CARRIER_PIGEON"}),
        ("dateCreated", "yesterday"),
        ("currencyList", "USD"),
    ],
)
async def test_wrong_types_and_enum_values_are_refused(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    response = await client.post(RECORDS + "/customer", json={**CUSTOMER, field: value})
    assert response.status_code == 400, response.text
    assert error_path(response) == field
    assert error_code(response) == "INVALID_CONTENT"


async def test_enum_by_id_or_ref_name_and_case_insensitive_names(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        RECORDS + "/customer",
        json={"companyname": "Lower", "SUBSIDIARY": {"id": 2}, "emailPreference": "pdf"},
    )
    record = await get(client, f"/customer/{new_id(response)}")
    assert record["companyName"] == "Lower"
    assert record["emailPreference"] == {"id": "PDF", "refName": "PDF"}
    assert record["subsidiary"]["id"] == "2"


async def test_references_must_exist(client: httpx.AsyncClient) -> None:
    bad_sub = await client.post(RECORDS + "/customer", json={**CUSTOMER, "subsidiary": {"id": "9"}})
    assert bad_sub.status_code == 400
    assert error_code(bad_sub) == "INVALID_CONTENT"
    assert error_path(bad_sub) == "subsidiary"
    assert (
        "Invalid Field Value 9 for the following field: subsidiary"
        in (bad_sub.json()["o:errorDetails"][0]["detail"])
    )
    customer = await make_customer(client)
    bad_item = await client.post(
        RECORDS + "/invoice",
        json={"entity": {"id": customer}, "item": {"items": [{"item": {"id": "9999"}}]}},
    )
    assert bad_item.status_code == 400
    assert error_path(bad_item) == "item.items[0].item"


async def test_external_id_references_resolve(client: httpx.AsyncClient) -> None:
    await make_customer(client, "cus_ext")
    await client.put(
        RECORDS + "/serviceSaleItem/eid:price_1",
        json={"itemId": "Pro plan", "incomeAccount": {"id": chart.INCOME}, "rate": 49},
    )
    created = await client.put(
        RECORDS + "/invoice/eid:in_1",
        json={
            "entity": {"externalId": "cus_ext"},
            "item": {"items": [{"item": {"externalId": "price_1"}}]},
        },
    )
    invoice = await get(client, f"/invoice/{new_id(created)}?expandSubResources=true")
    assert invoice["total"] == 49.0
    assert invoice["item"]["items"][0]["item"]["refName"] == "Pro plan"
    missing = await client.put(
        RECORDS + "/invoice/eid:in_2",
        json={"entity": {"externalId": "nobody"}, "item": {"items": [{"item": {"id": "20"}}]}},
    )
    assert missing.status_code == 400
    assert error_path(missing) == "entity"


async def test_malformed_json_is_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RECORDS + "/customer", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response) == "INVALID_REQUEST"
    not_object = await client.post(RECORDS + "/customer", json=[1, 2])
    assert not_object.status_code == 400


async def test_amounts_stay_exact(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    content = (
        b'{"entity": {"id": "' + customer.encode() + b'"}, "item": {"items": ['
        b'{"item": {"id": "20"}, "quantity": 3, "rate": 0.1},'
        b'{"item": {"id": "20"}, "amount": 0.2}]}}'
    )
    response = await client.post(
        RECORDS + "/invoice", content=content, headers={"content-type": "application/json"}
    )
    raw = (await client.get(f"{RECORDS}/invoice/{new_id(response)}?fields=total")).text
    assert '"total":0.50' in raw


async def test_absurd_numbers_are_invalid_values(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    response = await client.post(
        RECORDS + "/invoice",
        content=b'{"entity": {"id": "' + customer.encode() + b'"}, "item": {"items": ['
        b'{"item": {"id": "20"}, "amount": 1e300}]}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert error_path(response) == "item.items[0].amount"


@pytest.mark.parametrize("q", ["id BETWEEN [1]", "id ANY_OF 5", "id IS", '(id IS "1"'])
async def test_malformed_list_filters_are_refused(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get(RECORDS + "/customer", params={"q": q})
    assert response.status_code == 400
    assert error_code(response) == "INVALID_PARAMETER"
