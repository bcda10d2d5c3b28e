"""The REST client against a fake NetSuite behind `httpx.MockTransport`."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ns_fakes import BASE, FakeAuth, FakeNetSuite, Sleeps, body_of, make_client, ns_error

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import LocalGovernor, NetSuiteClient
from stripe_netsuite.netsuite.client import id_from_location
from stripe_netsuite.netsuite.paging import OFFSET_CAP, keyset_query
from stripe_netsuite.settings import NetSuiteConfig

RECORDS = f"{BASE}/services/rest/record/v1"


async def test_upsert_returns_the_id_from_location_and_sends_the_right_headers() -> None:
    fake, auth = FakeNetSuite(), FakeAuth()
    async with make_client(fake, auth=auth) as client:
        new_id = await client.upsert("customer", "a:c1", {"companyName": "Acme"})
    assert new_id == "101"
    assert fake.records["customer"]["101"]["companyName"] == "Acme"
    (request,) = fake.requests
    assert request.method == "PUT"
    assert str(request.url) == f"{RECORDS}/customer/eid:a:c1"
    assert request.headers["X-NetSuite-PropertyNameValidation"] == "Error"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer t1"
    assert auth.signed == [("PUT", f"{RECORDS}/customer/eid:a:c1")]
    assert client.calls == 1


async def test_a_request_that_waited_long_for_a_slot_is_signed_again() -> None:
    fake, auth = FakeNetSuite(), FakeAuth()
    async with make_client(fake, auth=auth) as client:
        client.resign_after = -1.0  # every wait counts as long
        await client.upsert("customer", "a:c1", {})
    assert len(auth.signed) == 2
    assert len(fake.requests) == 1


async def test_get_by_internal_id_and_by_external_id() -> None:
    fake = FakeNetSuite()
    async with make_client(fake) as client:
        rid = await client.upsert("customer", "acct_1:cus_1", {"companyName": "Acme"})
        by_id = await client.get("customer", rid)
        by_eid = await client.get_by_external_id(
            "customer", "acct_1:cus_1", fields=["companyName", "id"]
        )
        expanded = await client.get("customer", rid, expand=True)
        missing = await client.get_by_external_id("customer", "acct_1:nope")
    assert (
        by_id
        == by_eid
        == expanded
        == {
            "id": rid,
            "externalId": "acct_1:cus_1",
            "companyName": "Acme",
        }
    )
    assert missing is None
    urls = [str(r.url) for r in fake.requests]
    assert urls[2] == f"{RECORDS}/customer/eid:acct_1:cus_1?fields=companyName%2Cid"
    assert urls[3] == f"{RECORDS}/customer/{rid}?expandSubResources=true"


async def test_upsert_is_create_then_update_of_the_same_record() -> None:
    fake = FakeNetSuite()
    async with make_client(fake) as client:
        first = await client.upsert("invoice", "acct_1:in_1", {"memo": "a"})
        second = await client.upsert("invoice", "acct_1:in_1", {"memo": "b"})
    assert first == second
    assert fake.records["invoice"] == {
        first: {"id": first, "externalId": "acct_1:in_1", "memo": "b"}
    }
    assert [r.method for r in fake.requests] == ["PUT", "PUT"]
    assert fake.requests[0].url.path.endswith("/invoice/eid:acct_1:in_1")


async def test_upsert_needs_an_external_id() -> None:
    async with make_client(FakeNetSuite()) as client:
        with pytest.raises(ValueError, match="external_id"):
            await client.upsert("invoice", "", {})


async def test_patch_changes_fields_and_a_missing_record_is_rejected() -> None:
    fake = FakeNetSuite()
    async with make_client(fake) as client:
        rid = await client.upsert("customer", "a:c1", {"companyName": "Acme"})
        await client.patch("customer", rid, {"email": "a@example.com"})
        assert fake.records["customer"][rid]["email"] == "a@example.com"
        with pytest.raises(exceptions.NetSuiteRejected) as caught:
            await client.patch("customer", "999", {"email": "b@example.com"})
    assert caught.value.error_code == "NONEXISTENT_ID"
    assert client.calls == 3


async def test_writes_name_exactly_the_bodys_sublists_in_replace() -> None:
    fake = FakeNetSuite()
    body = {
        "entity": {"id": "7"},
        "memo": "m",
        "item": {"items": [{"item": {"id": "20"}, "amount": Decimal("5")}]},
        "apply": {"items": []},
        "custbody_note": {"note": "a dict that is no sublist"},
        "subsidiary": {"items": [{"id": "2"}, {"externalId": "eu"}]},
    }
    async with make_client(fake) as client:
        rid = await client.upsert("invoice", "a:in1", body)
        await client.patch("invoice", rid, body)
        cid = await client.upsert("customer", "a:c1", {"companyName": "Acme"})
        await client.patch("customer", cid, {"email": "a@example.com"})
        await client.patch(
            "customer", cid, {"currencyList": {"items": [{"currency": {"id": "2"}}]}}, replace=()
        )
        await client.patch("invoice", rid, body, replace=["item"])
    queries = [(r.method, r.url.params.get_list("replace")) for r in fake.requests]
    assert queries == [
        ("PUT", ["item,apply"]),
        ("PATCH", ["item,apply"]),
        ("PUT", []),
        ("PATCH", []),
        ("PATCH", []),
        ("PATCH", ["item"]),
    ]
    assert str(fake.requests[0].url) == f"{RECORDS}/invoice/eid:a:in1?replace=item%2Capply"


async def test_an_owned_sublist_the_body_lacks_is_sent_empty_and_replaced() -> None:
    fake = FakeNetSuite()
    body = {"memo": "m", "payment": {"items": [{"id": 5, "deposit": True}]}}
    async with make_client(fake) as client:
        await client.upsert("deposit", "a:po1", body, replace=("payment", "other", "cashback"))
    (request,) = fake.requests
    assert request.url.params["replace"] == "payment,other,cashback"
    assert body_of(request)["other"] == {"items": []}
    assert body_of(request)["cashback"] == {"items": []}
    assert "other" not in body


async def test_decimals_go_out_and_come_back_exactly() -> None:
    amount = Decimal("12345678901234567890.123456789")
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            seen.append(request.content)
            return httpx.Response(204, headers={"Location": f"{RECORDS}/invoice/7"})
        return httpx.Response(
            200, content=b'{"id": "7", "total": 12345678901234567890.123456789, "rate": 0.1}'
        )

    async with make_client(handler) as client:
        await client.upsert("invoice", "e", {"total": amount, "lines": [Decimal("0.10")]})
        record = await client.get("invoice", "7")
    assert seen == [b'{"total":12345678901234567890.123456789,"lines":[0.10]}']
    assert record is not None
    assert record["total"] == amount
    assert record["rate"] == Decimal("0.1")
    assert isinstance(record["rate"], Decimal)


@pytest.mark.parametrize(
    ("body", "error", "where"),
    [
        ({"total": Decimal("NaN")}, ValueError, r"\$\.total"),
        ({"lines": [{"when": object()}]}, TypeError, r"\$\.lines\[0\]\.when"),
    ],
)
async def test_a_body_that_cannot_be_sent_names_the_field(
    body: dict[str, Any], error: type[Exception], where: str
) -> None:
    fake = FakeNetSuite()
    async with make_client(fake) as client:
        with pytest.raises(error, match=where):
            await client.upsert("invoice", "e", body)
    assert fake.requests == []


async def test_retriable_answers_back_off_exponentially_then_succeed() -> None:
    fake, sleeps = FakeNetSuite(faults=[503, 429, 500]), Sleeps()
    governor = LocalGovernor(4)
    async with make_client(fake, sleeps=sleeps, governor=governor) as client:
        rid = await client.upsert("customer", "a:c1", {"companyName": "Acme"})
    assert rid == "101"
    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert client.calls == 4
    assert governor.allowed < 4  # the 429 slowed the pace down


async def test_retries_stop_at_max_attempts_with_the_last_error() -> None:
    fake, sleeps = FakeNetSuite(faults=[503, 503, 502, 200]), Sleeps()
    async with make_client(fake, sleeps=sleeps, max_attempts=3) as client:
        with pytest.raises(exceptions.NetSuiteRetriable) as caught:
            await client.upsert("customer", "a:c1", {})
    assert caught.value.status_code == 502
    assert caught.value.external_id == "a:c1"
    assert caught.value.record_type == "customer"
    assert len(fake.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_retry_after_wins_over_a_shorter_backoff() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "4"})]

    def handler(request: httpx.Request) -> httpx.Response:
        if answers:
            return answers.pop()
        return httpx.Response(204, headers={"Location": f"{RECORDS}/customer/9"})

    sleeps = Sleeps()
    async with make_client(handler, sleeps=sleeps) as client:
        assert await client.upsert("customer", "x", {}) == "9"
    assert sleeps.delays == [4.0]


async def test_backoff_is_capped_and_jittered() -> None:
    fake, sleeps = FakeNetSuite(faults=[503, 503, 503, 503]), Sleeps()
    client = NetSuiteClient(
        base_url=BASE,
        auth=FakeAuth(),
        governor=LocalGovernor(1),
        transport=httpx.MockTransport(fake),
        sleep=sleeps,
        jitter=lambda d: d / 2,
        backoff_cap=1.0,
    )
    async with client:
        await client.upsert("customer", "a:c1", {})
    # 0.5 s, then 1 s, 2 s and 4 s capped to 1 s; each halved by the pinned jitter.
    assert sleeps.delays == [0.25, 0.5, 0.5, 0.5]


async def test_rejections_are_not_retried() -> None:
    sleeps, seen = Sleeps(), []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ns_error(400, "USER_ERROR", "This entity already exists.")

    async with make_client(handler, sleeps=sleeps) as client:
        with pytest.raises(exceptions.NetSuiteRejected) as caught:
            await client.upsert("customer", "dup", {})
    assert caught.value.error_code == "USER_ERROR"
    assert caught.value.detail == "This entity already exists."
    assert len(seen) == 1
    assert sleeps.delays == []


async def test_an_upsert_whose_answer_was_lost_is_sent_again_and_stays_one_record() -> None:
    fake = FakeNetSuite(faults=[httpx.ReadTimeout("timed out")], apply_then_fail={1})
    async with make_client(fake) as client:
        rid = await client.upsert("customer", "a:c1", {"companyName": "Acme"})
    assert list(fake.records["customer"]) == [rid]
    assert [r.method for r in fake.requests] == ["PUT", "PUT"]


async def test_401_refreshes_once_and_resends() -> None:
    auth = FakeAuth()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t1":
            return ns_error(401, "INVALID_LOGIN", "Invalid login attempt.")
        return httpx.Response(204, headers={"Location": f"{RECORDS}/customer/3"})

    async with make_client(handler, auth=auth) as client:
        assert await client.upsert("customer", "a:c1", {}) == "3"
    assert auth.refreshes == 1
    assert client.calls == 2


async def test_a_second_401_is_authentication_failed() -> None:
    auth, sleeps = FakeAuth(), Sleeps()

    def handler(request: httpx.Request) -> httpx.Response:
        return ns_error(401, "INVALID_LOGIN", "Invalid login attempt.")

    async with make_client(handler, auth=auth, sleeps=sleeps) as client:
        with pytest.raises(exceptions.AuthenticationFailed) as caught:
            await client.upsert("customer", "a:c1", {})
    assert auth.refreshes == 1
    assert client.calls == 2
    assert caught.value.error_code == "INVALID_LOGIN"
    assert caught.value.external_id == "a:c1"
    assert sleeps.delays == []


class CountingGovernor(LocalGovernor):
    def __init__(self) -> None:
        super().__init__(3)
        self.entered = 0

    async def acquire(self) -> None:
        self.entered += 1
        await super().acquire()


async def test_every_request_goes_through_the_governor() -> None:
    governor = CountingGovernor()
    fake = FakeNetSuite(faults=[503])
    async with make_client(fake, governor=governor) as client:
        await client.upsert("customer", "a", {})
        await client.get_by_external_id("customer", "a")
    assert governor.entered == client.calls == len(fake.requests) == 3
    assert governor.in_flight == 0


# -- SuiteQL -------------------------------------------------------------------


class SuiteQL:
    """Serves rows id 1..total; honours ``WHERE id > n`` and caps offsets at 100,000."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/services/rest/query/v1/suiteql"
        assert request.headers["Prefer"] == "transient"
        query = body_of(request)["q"]
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        self.calls.append((query, limit, offset))
        after = re.search(r"id > (\d+) ORDER BY", query)
        start = int(after.group(1)) if after else 0
        remaining = self.total - start
        if offset + limit > OFFSET_CAP:
            return ns_error(400, "INVALID_PARAMETER", "offset beyond 100000")
        ids = range(start + 1 + offset, start + 1 + min(offset + limit, remaining))
        items = [{"links": [], "id": str(i), "amount": "1.5"} for i in ids]
        body = {
            "items": items,
            "count": len(items),
            "offset": offset,
            "hasMore": offset + len(items) < remaining,
            "totalResults": remaining,
        }
        return httpx.Response(200, content=json.dumps(body).encode())


async def test_suiteql_pages_with_offsets_and_strips_links() -> None:
    server = SuiteQL(2500)
    async with make_client(server) as client:
        rows = [row async for row in client.suiteql("SELECT id FROM customer ORDER BY id")]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 2501)]
    assert rows[0] == {"id": "1", "amount": "1.5"}
    assert [(limit, offset) for _, limit, offset in server.calls] == [
        (1000, 0),
        (1000, 1000),
        (1000, 2000),
    ]


async def test_suiteql_switches_to_keyset_paging_past_100000_rows() -> None:
    server = SuiteQL(OFFSET_CAP + 1500)
    query = "SELECT t.id, t.amount FROM transaction t WHERE t.type = 'CustInvc' ORDER BY t.id"
    async with make_client(server) as client:
        count, last = 0, "0"
        async for row in client.suiteql(query):
            assert int(row["id"]) == int(last) + 1
            count, last = count + 1, row["id"]
    assert count == OFFSET_CAP + 1500
    offset_pages = [c for c in server.calls if c[0] == query]
    keyset_pages = [c for c in server.calls if c[0] != query]
    assert len(offset_pages) == 100
    assert [c[2] for c in keyset_pages] == [0, 1000]
    assert keyset_pages[0][0] == (
        "SELECT t.id, t.amount FROM transaction t WHERE (t.type = 'CustInvc')"
        " AND t.id > 100000 ORDER BY t.id"
    )


async def test_suiteql_past_100000_rows_needs_order_by_id() -> None:
    server = SuiteQL(OFFSET_CAP + 10)
    async with make_client(server) as client:
        with pytest.raises(ValueError, match="ORDER BY id"):
            async for _ in client.suiteql("SELECT id FROM customer", limit=1000):
                pass
    assert len(server.calls) == 100


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "select id from item order by id asc;",
            "select id from item WHERE id > 41 ORDER BY id",
        ),
        (
            "SELECT c.id FROM customer c WHERE c.isinactive = 'F' OR c.email = 'x' ORDER BY c.id",
            "SELECT c.id FROM customer c WHERE (c.isinactive = 'F' OR c.email = 'x')"
            " AND c.id > 41 ORDER BY c.id",
        ),
        (
            "SELECT id, (SELECT max(x) FROM y WHERE z = 1) AS m, 'a where b' AS s"
            " FROM item ORDER BY id",
            "SELECT id, (SELECT max(x) FROM y WHERE z = 1) AS m, 'a where b' AS s"
            " FROM item WHERE id > 41 ORDER BY id",
        ),
    ],
)
def test_keyset_query_adds_the_condition_at_the_top_level(query: str, expected: str) -> None:
    assert keyset_query(query, "41") == expected


@pytest.mark.parametrize(
    ("query", "after", "problem"),
    [
        ("SELECT id FROM item ORDER BY id", "abc", "numeric"),
        ("SELECT id FROM item ORDER BY id DESC", "1", "ORDER BY id"),
        ("SELECT id FROM item ORDER BY name", "1", "ORDER BY id"),
        ("SELECT id, count(*) FROM item GROUP BY id ORDER BY id", "1", "GROUP BY"),
    ],
)
def test_keyset_query_refuses_what_it_cannot_continue(query: str, after: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        keyset_query(query, after)


async def test_suiteql_limit_must_fit_netsuites_page() -> None:
    async with make_client(SuiteQL(1)) as client:
        with pytest.raises(ValueError, match="between 1 and 1000"):
            async for _ in client.suiteql("SELECT id FROM item", limit=5000):
                pass


# -- wiring ----------------------------------------------------------------------


def test_id_from_location_ignores_the_host() -> None:
    assert id_from_location("https://123-sb1.suitetalk.api.netsuite.com/x/customer/647") == "647"
    assert id_from_location("http://127.0.0.1:9/services/rest/record/v1/invoice/8/") == "8"
    assert id_from_location(None) is None


async def test_from_config_uses_oauth2_against_the_account_host(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.path.endswith("/oauth2/v1/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        assert request.headers["Authorization"] == "Bearer tok"
        return httpx.Response(200, json={"id": "1"})

    cfg = NetSuiteConfig(
        account_id="1234567_SB1", client_id="c", certificate_id="k", private_key_file=key_file
    )
    transport = httpx.MockTransport(handler)
    async with NetSuiteClient.from_config(
        cfg, governor=LocalGovernor(cfg.concurrency), transport=transport
    ) as client:
        assert await client.get("customer", "1") == {"id": "1"}
    assert seen == [
        f"POST {BASE}/services/rest/auth/oauth2/v1/token",
        f"GET {RECORDS}/customer/1",
    ]
    assert client.calls == 1
