"""Record URLs: an internal id is one path segment whatever it holds; ``eid:`` only for ours."""

from __future__ import annotations

import httpx
import pytest
from ns_fakes import Handler, make_client

from stripe_netsuite import exceptions

PREFIX = b"/services/rest/record/v1"


def capture() -> tuple[list[bytes], Handler]:
    paths: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return httpx.Response(404, json={"status": 404, "o:errorDetails": []})

    return paths, handler


@pytest.mark.parametrize(
    ("internal_id", "segment"),
    [
        ("1/../../customer/2", b"1%2F..%2F..%2Fcustomer%2F2"),
        ("5?x=1", b"5%3Fx%3D1"),
        ("5#frag", b"5%23frag"),
        ("..", b"%2E%2E"),
        (".", b"%2E"),
        ("eid:acct_1:cus_2", b"eid%3Aacct_1%3Acus_2"),
        ("a b", b"a%20b"),
        ("42", b"42"),
    ],
)
async def test_an_internal_id_stays_one_path_segment(internal_id: str, segment: bytes) -> None:
    paths, handler = capture()
    async with make_client(handler) as client:
        assert await client.get("customer", internal_id) is None
        with pytest.raises(exceptions.NetSuiteRejected):
            await client.patch("customer", internal_id, {"memo": "x"})
    assert paths == [PREFIX + b"/customer/" + segment] * 2


async def test_external_ids_use_the_eid_form_and_stay_one_segment() -> None:
    paths, handler = capture()
    async with make_client(handler) as client:
        assert await client.get_by_external_id("customer", "acct_1:cus_1") is None
        assert await client.get_by_external_id("customer", "acct_1:x/../1?y") is None
    assert paths == [
        PREFIX + b"/customer/eid:acct_1:cus_1",
        PREFIX + b"/customer/eid:acct_1:x%2F..%2F1%3Fy",
    ]


def test_record_url_takes_one_kind_of_id() -> None:
    client = make_client(lambda request: httpx.Response(200))
    assert client.record_url("customer").endswith("/record/v1/customer")
    assert client.record_url("customer", "7").endswith("/record/v1/customer/7")
    assert client.record_url("customer", external_id="a:b").endswith("/customer/eid:a:b")
    with pytest.raises(ValueError, match="not both"):
        client.record_url("customer", "7", external_id="a:b")
    with pytest.raises(ValueError, match="empty"):
        client.record_url("customer", "")
