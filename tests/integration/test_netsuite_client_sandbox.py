"""The NetSuite client against the NetSuite sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import (
    LocalGovernor,
    NetSuiteClient,
    OAuth2ClientCredentials,
    PostgresGovernor,
    TokenAuth,
)
from stripe_netsuite.netsuite.auth import TOKEN_PATH
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread

ACCOUNT = "7654321_SB1"
TBA_CREDS = {
    "consumer_key": "ck-integration",
    "consumer_secret": "cs-integration",
    "token_id": "tid-integration",
    "token_secret": "ts-integration",
}
CLIENT_ID, CERT_ID = "client-integration", "cert-integration"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def start(**overrides: Any) -> RunningServer:
    config = SandboxConfig(
        account_id=ACCOUNT,
        consumer_key=TBA_CREDS["consumer_key"],
        consumer_secret=TBA_CREDS["consumer_secret"],
        token_id=TBA_CREDS["token_id"],
        token_secret=TBA_CREDS["token_secret"],
        client_id=CLIENT_ID,
        certificate_id=CERT_ID,
        public_key_pem=PUBLIC_PEM,
        **overrides,
    )
    return serve_in_thread(create_app(config))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningServer]:
    server = start()
    yield server
    server.stop()


@pytest.fixture
async def token_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def oauth2(base_url: str, http: httpx.AsyncClient, key: bytes = PRIVATE_PEM) -> Any:
    return OAuth2ClientCredentials(
        token_url=base_url + TOKEN_PATH,
        client_id=CLIENT_ID,
        certificate_id=CERT_ID,
        private_key_pem=key,
        http=http,
    )


def tba(**changes: str) -> TokenAuth:
    creds = {**TBA_CREDS, **changes}
    return TokenAuth(
        ACCOUNT,
        creds["consumer_key"],
        creds["consumer_secret"],
        creds["token_id"],
        creds["token_secret"],
    )


def customer(name: str) -> dict[str, Any]:
    return {"companyName": name, "subsidiary": {"id": "1"}}


async def stats(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(base_url + "/__sandbox/stats")
    result: dict[str, Any] = response.json()
    return result


async def customers_by_external_id(base_url: str, prefix: str) -> Counter[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(base_url + "/__sandbox/records")
    records = response.json().get("customer", [])
    return Counter(
        r["externalId"] for r in records if str(r.get("externalId", "")).startswith(prefix)
    )


# -- authentication ----------------------------------------------------------


async def test_a_jwt_made_by_the_client_is_accepted(
    sandbox: RunningServer, token_http: httpx.AsyncClient
) -> None:
    auth = oauth2(sandbox.base_url, token_http)
    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=auth, governor=LocalGovernor(5)
    ) as client:
        rid = await client.upsert("customer", "it:oauth:1", customer("OAuth Co"))
        record = await client.get("customer", rid)
    assert record is not None
    assert record["companyName"] == "OAuth Co"
    assert auth.mints == 1


def _tamper(assertion: str) -> str:
    head, payload, signature = assertion.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iss"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


async def test_tampered_or_foreign_assertions_are_refused(
    sandbox: RunningServer, token_http: httpx.AsyncClient
) -> None:
    auth = oauth2(sandbox.base_url, token_http)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": _tamper(auth.assertion()),
    }
    tampered = await token_http.post(sandbox.base_url + TOKEN_PATH, data=form)
    assert tampered.status_code == 401

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = oauth2(
        sandbox.base_url,
        token_http,
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    with pytest.raises(exceptions.AuthenticationFailed) as caught:
        await foreign.headers("GET", sandbox.base_url)
    assert caught.value.status_code == 401

    unsigned = jwt.encode(
        {"iss": CLIENT_ID}, "a-shared-secret-that-is-long-enough", algorithm="HS256"
    )
    form["client_assertion"] = unsigned
    assert (await token_http.post(sandbox.base_url + TOKEN_PATH, data=form)).status_code == 401


async def test_tba_is_accepted_including_signed_query_parameters(
    sandbox: RunningServer,
) -> None:
    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=tba(), governor=LocalGovernor(5)
    ) as client:
        rid = await client.upsert("customer", "it:tba:1", customer("TBA Co"))
        rows = [
            row
            async for row in client.suiteql(
                "SELECT id FROM customer WHERE companyname = ? ORDER BY id", params=["TBA Co"]
            )
        ]
        fields = await client.get_by_external_id("customer", "it:tba:1", fields=["companyName"])
    assert [row["id"] for row in rows] == [rid]
    assert fields is not None
    assert fields["companyName"] == "TBA Co"


async def test_wrong_tba_secret_is_authentication_failed_after_one_more_try(
    sandbox: RunningServer,
) -> None:
    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=tba(token_secret="wrong"), governor=LocalGovernor(5)
    ) as client:
        with pytest.raises(exceptions.AuthenticationFailed) as caught:
            await client.get("customer", "1")
    assert caught.value.error_code == "INVALID_LOGIN"
    assert client.calls == 2


# -- record API ----------------------------------------------------------------


async def test_crud_round_trip(sandbox: RunningServer) -> None:
    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=tba(), governor=LocalGovernor(5)
    ) as client:
        rid = await client.upsert(
            "customer",
            "it:crud:1",
            {**customer("Round Trip"), "creditLimit": Decimal("1234.56")},
        )
        by_eid = await client.get_by_external_id("customer", "it:crud:1")
        await client.patch("customer", rid, {"email": "ap@example.com"})
        patched = await client.get("customer", rid, fields=["email"])
        same = await client.upsert("customer", "it:crud:1", customer("Round Trip Ltd"))
        after = await client.get("customer", rid)
        rows = [
            row
            async for row in client.suiteql(
                "SELECT id, companyname FROM customer WHERE externalid = ? ORDER BY id",
                params=["it:crud:1"],
            )
        ]
        with pytest.raises(exceptions.NetSuiteRejected) as rejected:
            await client.upsert("customer", "it:crud:bad", {})
        missing = await client.get_by_external_id("customer", "it:crud:never")
    assert by_eid is not None
    assert by_eid["id"] == rid
    assert by_eid["creditLimit"] == Decimal("1234.56")
    assert same == rid
    assert after is not None
    assert patched is not None
    assert patched["email"] == "ap@example.com"
    assert after["companyName"] == "Round Trip Ltd"
    assert rows == [{"id": rid, "companyname": "Round Trip Ltd"}]
    assert rejected.value.error_code == "USER_ERROR"
    assert "Company Name" in (rejected.value.detail or "")
    assert missing is None


async def test_reposting_changed_lines_leaves_exactly_the_new_lines(
    sandbox: RunningServer,
) -> None:
    def invoice(customer_id: str, *rates: str) -> dict[str, Any]:
        return {
            "externalId": "it:lines:in",
            "entity": {"id": customer_id},
            "tranDate": "2026-01-15",
            "item": {
                "items": [
                    {"item": {"id": chart.SERVICE_ITEM}, "quantity": 1, "rate": Decimal(rate)}
                    for rate in rates
                ]
            },
        }

    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=tba(), governor=LocalGovernor(5)
    ) as client:
        customer_id = await client.upsert(
            "customer", "it:lines:cus", {**customer("Lines"), "subsidiary": {"id": "2"}}
        )
        rid = await client.upsert("invoice", "it:lines:in", invoice(customer_id, "10", "5"))
        again = await client.upsert("invoice", "it:lines:in", invoice(customer_id, "7"))
        await client.upsert("invoice", "it:lines:in", invoice(customer_id, "7"))
        await client.patch("invoice", rid, invoice(customer_id, "3", "4"))
        found = await client.get("invoice", rid, expand=True)
    assert again == rid
    assert found is not None
    assert [line["rate"] for line in found["item"]["items"]] == [Decimal("3"), Decimal("4")]
    assert found["total"] == Decimal("7")


async def test_an_unknown_field_fails_loudly(sandbox: RunningServer) -> None:
    async with NetSuiteClient(
        base_url=sandbox.base_url, auth=tba(), governor=LocalGovernor(5)
    ) as client:
        with pytest.raises(exceptions.NetSuiteRejected) as caught:
            await client.upsert("customer", "it:typo:1", {**customer("Typo"), "compnyName": "x"})
    assert caught.value.status_code == 400
    assert caught.value.external_id == "it:typo:1"


# -- faults ----------------------------------------------------------------------


@pytest.mark.slow
async def test_writes_through_faults_end_with_one_record_each() -> None:
    server = start(fault_rate=0.2, seed=7, hang_seconds=3.0)
    try:
        client = NetSuiteClient(
            base_url=server.base_url,
            auth=tba(),
            governor=LocalGovernor(5),
            timeout=1.0,
            max_attempts=10,
            backoff_base=0.02,
            backoff_cap=0.2,
        )
        async with client:
            queue = list(range(600))

            async def run() -> None:
                while queue:
                    n = queue.pop()
                    await client.upsert("customer", f"flt:u:{n}", customer(f"U {n}"))

            await asyncio.gather(*(run() for _ in range(10)))
        upserted = await customers_by_external_id(server.base_url, "flt:u:")
        seen = await stats(server.base_url)
    finally:
        server.stop()
    assert len(upserted) == 600
    assert set(upserted.values()) == {1}
    assert seen["faults"] > 50
    assert set(seen["faults_by_kind"]) == {"error", "hang", "drop", "lost"}
    assert client.calls > 600


# -- the shared governor ---------------------------------------------------------


@pytest.mark.postgres
async def test_three_postgres_governors_keep_the_sandbox_under_its_limit(
    postgres_url: str,
) -> None:
    server = start(concurrency=3, latency_ms=20)
    # The lock key is per account: a fresh one keeps parallel runs from sharing slots.
    account = f"{ACCOUNT}_{uuid.uuid4().hex[:8]}"
    governors = [
        PostgresGovernor(database_url=postgres_url, account_id=account, limit=3) for _ in range(3)
    ]
    clients = [NetSuiteClient(base_url=server.base_url, auth=tba(), governor=g) for g in governors]
    try:

        async def work(client: NetSuiteClient, worker: int) -> None:
            for n in range(20):
                await client.upsert("customer", f"gov:{worker}:{n}", customer(f"G {worker} {n}"))

        await asyncio.gather(
            *(work(c, w) for w, c in enumerate(clients) for _ in range(3)),
        )
        seen = await stats(server.base_url)
        stored = await customers_by_external_id(server.base_url, "gov:")
    finally:
        for client in clients:
            await client.aclose()
        for governor in governors:
            await governor.aclose()
        server.stop()
    assert seen["throttled"] == 0
    assert seen["by_status"].get("429", 0) == 0
    assert seen["max_in_flight"] == 3
    assert len(stored) == 60
