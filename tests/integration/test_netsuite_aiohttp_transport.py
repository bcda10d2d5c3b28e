"""The NetSuite client's default transport (aiohttp) over real loopback HTTP.

Against the NetSuite sandbox (TBA-signed writes, reads, SuiteQL, GL lines) and a small
Starlette server that reports what arrived: the exact path and query, which connection.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import aiohttp
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import LocalGovernor, NetSuiteClient, TokenAuth
from stripe_netsuite.netsuite.aio_transport import AiohttpTransport, as_httpx_error
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
from stripe_netsuite_sandbox.serving import RunningServer, free_port, serve_in_thread

ACCOUNT = "7654321_SB1"
CREDS = ("ck-aio", "cs-aio", "tid-aio", "ts-aio")


def tba() -> TokenAuth:
    return TokenAuth(ACCOUNT, *CREDS)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningServer]:
    ck, cs, tid, ts = CREDS
    config = SandboxConfig(
        account_id=ACCOUNT, consumer_key=ck, consumer_secret=cs, token_id=tid, token_secret=ts
    )
    server = serve_in_thread(create_app(config))
    yield server
    server.stop()


# -- a server that says what it received ----------------------------------------


async def _echo(request: Request) -> Response:
    """What arrived, byte for byte: method, raw path, raw query, client port, headers."""
    body = await request.body()
    report = {
        "method": request.method,
        "raw_path": request.scope["raw_path"].decode("ascii"),
        "query": request.scope["query_string"].decode("ascii"),
        "port": request.scope["client"][1],
        "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]},
        "body": body.decode(),
    }
    mode = request.path_params["mode"]
    if mode == "slow":
        await asyncio.sleep(2)
    if mode == "gzip":
        data = gzip.compress(json.dumps(report).encode())
        return Response(data, headers={"Content-Encoding": "gzip"}, media_type="application/json")
    if mode == "redirect":
        return Response(status_code=302, headers={"Location": "/echo/elsewhere"})
    if mode == "cookie":
        response = JSONResponse(report)
        response.set_cookie("routing", "node-7")
        return response
    headers = {"Location": "http://elsewhere/record/v1/customer/42"} if body else {}
    return JSONResponse(report, headers=headers)


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningServer]:
    methods = ["GET", "PUT", "POST", "PATCH", "DELETE"]
    server = serve_in_thread(
        Starlette(routes=[Route("/{mode}/{rest:path}", _echo, methods=methods)])
    )
    yield server
    server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.fixture
async def raw() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        yield http


def client_for(base_url: str, **options: Any) -> NetSuiteClient:
    return NetSuiteClient(base_url=base_url, auth=tba(), governor=LocalGovernor(5), **options)


# -- against the NetSuite sandbox ------------------------------------------------


async def test_the_default_transport_is_aiohttp(sandbox: RunningServer) -> None:
    async with client_for(sandbox.base_url) as client:
        transport = client._http._transport
        assert isinstance(transport, AiohttpTransport)
        await client.get_by_external_id("customer", "aio:none")
        assert transport.connector is not None
    assert transport.connector is None  # closed with the client


async def test_upsert_get_and_suiteql_post_the_journal_lines(sandbox: RunningServer) -> None:
    # The external id holds what TBA must sign as sent: "+", a space, ",", ":".
    eid = "aio:je+1 a,b"
    body = {
        "subsidiary": {"id": chart.SUBSIDIARY_US},
        "memo": "aiohttp transport",
        "line": {
            "items": [
                {"account": {"id": chart.DISPUTE_FEES}, "debit": Decimal("15.25")},
                {"account": {"id": chart.SUSPENSE}, "credit": Decimal("15.25")},
            ]
        },
    }
    async with client_for(sandbox.base_url) as client:
        rid = await client.upsert("journalEntry", eid, body)
        again = await client.upsert("journalEntry", eid, body)
        found = await client.get_by_external_id("journalEntry", eid, fields=["id", "memo"])
        by_id = await client.get("journalEntry", rid, expand=True)
        lines = [
            row
            async for row in client.suiteql(
                "SELECT tal.account, tal.debit, tal.credit, tal.amount "
                "FROM transactionaccountingline tal WHERE tal.transaction = ? "
                "ORDER BY tal.transactionline",
                params=[rid],
            )
        ]
        header = [
            row
            async for row in client.suiteql(
                "SELECT t.id, t.currency FROM transaction t WHERE t.externalid = ?", params=[eid]
            )
        ]
    assert again == rid
    assert found is not None and found["id"] == rid and found["memo"] == "aiohttp transport"
    assert by_id is not None
    assert [
        (line["account"]["id"], line.get("debit"), line.get("credit"))
        for line in by_id["line"]["items"]
    ] == [
        (chart.DISPUTE_FEES, Decimal("15.25"), None),
        (chart.SUSPENSE, None, Decimal("15.25")),
    ]
    assert [(r["account"], r.get("debit"), r.get("credit"), r["amount"]) for r in lines] == [
        (chart.DISPUTE_FEES, "15.25", None, "15.25"),
        (chart.SUSPENSE, None, "15.25", "-15.25"),
    ]
    assert header == [{"id": rid, "currency": chart.CURRENCIES["usd"]}]


# -- what travels -----------------------------------------------------------------


async def test_a_query_tba_signs_arrives_byte_identical(
    echo: RunningServer, raw: httpx.AsyncClient
) -> None:
    path_and_query = "/echo/customer/a%2Fb%20c?fields=id%2CcompanyName&q=a+b%20c&x=%2B%26%3D"
    answer = (await raw.get(echo.base_url + path_and_query)).json()
    assert answer["raw_path"] + "?" + answer["query"] == path_and_query


async def test_the_client_sends_exactly_the_url_it_signed(echo: RunningServer) -> None:
    signed: list[str] = []
    auth = tba()

    class Recording:
        async def headers(self, method: str, url: str) -> dict[str, str]:
            signed.append(url)
            return await auth.headers(method, url)

        async def refresh(self) -> None:
            """Nothing cached."""

    client = NetSuiteClient(
        base_url=echo.base_url + "/echo", auth=Recording(), governor=LocalGovernor(1)
    )
    async with client:
        answer = await client.get_by_external_id(
            "customer", "cus:a+b c", fields=["id", "company name+x"]
        )
    assert answer is not None
    sent = echo.base_url + answer["raw_path"] + "?" + answer["query"]
    assert signed == [sent]
    assert "%2C" in answer["query"] and "+" in answer["raw_path"] + answer["query"]
    assert answer["headers"]["authorization"].startswith('OAuth realm="7654321_SB1"')
    # httpx's headers, not aiohttp's defaults.
    assert answer["headers"]["user-agent"].startswith("python-httpx/")
    assert answer["headers"]["accept"] == "application/json"


async def test_a_body_arrives_unchanged_with_httpx_s_length_and_type(
    echo: RunningServer, raw: httpx.AsyncClient
) -> None:
    payload = json.dumps({"companyName": "Ünïcode Ltd"}, ensure_ascii=False).encode()
    answer = (
        await raw.put(
            echo.base_url + "/echo/x", content=payload, headers={"Content-Type": "application/json"}
        )
    ).json()
    assert answer["method"] == "PUT"
    assert answer["body"].encode() == payload
    assert answer["headers"]["content-length"] == str(len(payload))
    assert answer["headers"]["content-type"] == "application/json"


async def test_an_upsert_reads_the_location_of_the_answer(echo: RunningServer) -> None:
    async with client_for(echo.base_url + "/echo") as client:
        rid = await client.upsert("customer", "cus_1", {"companyName": "Ünïcode Ltd"})
    assert rid == "42"


async def test_one_connection_serves_consecutive_requests(echo: RunningServer) -> None:
    async with client_for(echo.base_url + "/echo") as client:
        first = await client.get("customer", "1")
        second = await client.get("customer", "2")
        third = await client.get_by_external_id("customer", "cus_3")
    assert first is not None and second is not None and third is not None
    assert first["port"] == second["port"] == third["port"]


async def test_gzip_is_decoded_once(echo: RunningServer) -> None:
    async with client_for(echo.base_url + "/gzip") as client:
        answer = await client.get("customer", "1")
    assert answer is not None and answer["method"] == "GET"
    assert "gzip" in answer["headers"]["accept-encoding"]


async def test_redirects_are_not_followed_and_cookies_are_httpx_s(
    echo: RunningServer, raw: httpx.AsyncClient
) -> None:
    moved = await raw.get(echo.base_url + "/redirect/x")
    assert moved.status_code == 302
    assert moved.headers["location"] == "/echo/elsewhere"
    await raw.get(echo.base_url + "/cookie/x")
    again = (await raw.get(echo.base_url + "/echo/x")).json()
    # Sent once, by httpx's cookie store: aiohttp keeps none of its own.
    assert again["headers"]["cookie"] == "routing=node-7"


async def test_an_http_proxy_from_the_environment_is_used(
    echo: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "all_proxy", "no_proxy", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", echo.base_url)
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        answer = (await http.get("http://netsuite.invalid/echo/x?fields=a%2Cb")).json()
    # The echo server played the proxy: it got the request for the other host, unchanged.
    assert answer["headers"]["host"] == "netsuite.invalid"
    assert answer["raw_path"] + "?" + answer["query"] == "/echo/x?fields=a%2Cb"


async def test_no_proxy_sends_directly(
    echo: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "all_proxy", "no_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        answer = (await http.get(echo.base_url + "/echo/x")).json()
    assert answer["headers"]["host"] == f"127.0.0.1:{echo.port}"


def test_a_transport_used_in_a_second_event_loop_makes_a_new_session(
    echo: RunningServer,
) -> None:
    transport = AiohttpTransport()

    async def one() -> tuple[int, aiohttp.BaseConnector | None]:
        async with httpx.AsyncClient(transport=transport) as http:
            port = (await http.get(echo.base_url + "/echo/x")).json()["port"]
            return int(port), transport.connector

    async def without_closing() -> tuple[int, aiohttp.BaseConnector | None]:
        http = httpx.AsyncClient(transport=transport)
        port = (await http.get(echo.base_url + "/echo/x")).json()["port"]
        return int(port), transport.connector

    first_port, first = asyncio.run(without_closing())
    second_port, second = asyncio.run(one())
    assert first is not None and second is not None and first is not second
    assert first_port != second_port
    assert transport.connector is None


# -- failures ---------------------------------------------------------------------


async def test_a_server_that_never_answers_times_out_retriably(silent_port: int) -> None:
    client = client_for(f"http://127.0.0.1:{silent_port}", timeout=0.3, max_attempts=1)
    began = time.monotonic()
    async with client:
        with pytest.raises(exceptions.NetSuiteRetriable) as caught:
            await client.get("customer", "1")
    took = time.monotonic() - began
    assert "timed out" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.__cause__.request.url.path == "/services/rest/record/v1/customer/1"
    assert 0.3 <= took < 2.0


async def test_the_request_timeout_wins_over_the_transport_s(silent_port: int) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(timeout=30), timeout=0.2) as http:
        began = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{silent_port}/x")
    assert time.monotonic() - began < 2.0


async def test_without_a_timeout_extension_the_transport_s_applies(silent_port: int) -> None:
    transport = AiohttpTransport(timeout=0.2)
    request = httpx.Request("GET", f"http://127.0.0.1:{silent_port}/x")
    began = time.monotonic()
    with pytest.raises(httpx.ReadTimeout) as caught:
        await transport.handle_async_request(request)
    await transport.aclose()
    assert caught.value.request is request
    assert time.monotonic() - began < 2.0


async def test_a_slow_answer_past_the_timeout_is_retried_then_given_up(
    echo: RunningServer,
) -> None:
    async def no_wait(_: float) -> None:
        """Retries without their backoff."""

    client = client_for(echo.base_url + "/slow", timeout=0.3, max_attempts=2, sleep=no_wait)
    async with client:
        with pytest.raises(exceptions.NetSuiteRetriable, match="timed out"):
            await client.get("customer", "1")
    assert client.calls == 2


async def test_a_closed_port_is_a_retriable_connection_failure() -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}", timeout=2, max_attempts=1)
    async with client:
        with pytest.raises(exceptions.NetSuiteRetriable) as caught:
            await client.upsert("customer", "cus_1", {"companyName": "Nobody"})
    assert "failed: ConnectError" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (TimeoutError(), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut short"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
    ],
)
def test_aiohttp_failures_become_the_httpx_errors_classify_reads(
    failure: BaseException, expected: type[httpx.TransportError]
) -> None:
    request = httpx.Request("GET", "https://example.invalid/x")
    error = as_httpx_error(failure, request)
    assert type(error) is expected
    assert error.request is request
