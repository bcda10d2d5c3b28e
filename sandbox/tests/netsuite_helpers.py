"""Test helpers for the NetSuite sandbox: a TBA signer, JWT assertions and client factories.

The signer is written here from RFC 5849 on purpose, independent of the sandbox's verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
import urllib.parse
from collections.abc import Generator
from decimal import Decimal
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stripe_netsuite_sandbox.netsuite import SandboxConfig, create_app, jsonio
from stripe_netsuite_sandbox.serving import serve_in_thread

BASE = "http://sandbox.test"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
TOKEN = "/services/rest/auth/oauth2/v1/token"
_nonces = itertools.count()


def _enc(text: str) -> str:
    return urllib.parse.quote(text, safe="~")


class TBA(httpx.Auth):
    """OAuth 1.0a HMAC-SHA256 as NetSuite wants it; every knob can be bent for negative tests."""

    def __init__(
        self,
        *,
        realm: str = "1234567_SB1",
        consumer_key: str = "sandbox-consumer-key",
        consumer_secret: str = "sandbox-consumer-secret",
        token: str = "sandbox-token-id",
        token_secret: str = "sandbox-token-secret",
        nonce: str | None = None,
        timestamp: int | None = None,
        body_hash: bool = False,
    ) -> None:
        self.realm = realm
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.token = token
        self.token_secret = token_secret
        self.nonce = nonce
        self.timestamp = timestamp
        self.body_hash = body_hash

    def header(self, method: str, url: httpx.URL, body: bytes = b"") -> str:
        params = {
            "oauth_consumer_key": self.consumer_key,
            "oauth_token": self.token,
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": str(self.timestamp or int(time.time())),
            "oauth_nonce": self.nonce or f"n{next(_nonces)}x{time.time_ns()}",
            "oauth_version": "1.0",
        }
        if self.body_hash:
            params["oauth_body_hash"] = base64.b64encode(hashlib.sha1(body).digest()).decode()
        pairs = [(_enc(k), _enc(v)) for k, v in params.items()]
        pairs += [
            (_enc(k), _enc(v))
            for k, v in urllib.parse.parse_qsl(url.query.decode(), keep_blank_values=True)
        ]
        normalized = "&".join(f"{k}={v}" for k, v in sorted(pairs))
        port = f":{url.port}" if url.port else ""
        uri = f"{url.scheme}://{url.host}{port}{url.raw_path.decode().split('?')[0]}"
        base = "&".join([method.upper(), _enc(uri), _enc(normalized)])
        key = f"{_enc(self.consumer_secret)}&{_enc(self.token_secret)}"
        signature = base64.b64encode(
            hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
        ).decode()
        params["oauth_signature"] = signature
        fields = ", ".join(f'{k}="{_enc(v)}"' for k, v in params.items())
        return f'OAuth realm="{self.realm}", {fields}'

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header(request.method, request.url, request.content)
        yield request


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def assertion(
    key: Any,
    *,
    kid: str = "sandbox-cert",
    iss: str = "sandbox-client",
    aud: str = BASE + TOKEN,
    scope: Any = ("restlets", "rest_webservices"),
    iat: int | None = None,
    lifetime: int = 3000,
    algorithm: str = "PS256",
) -> str:
    """A client-credentials JWT assertion as NetSuite's token endpoint expects it."""
    issued = int(time.time()) if iat is None else iat
    claims = {
        "iss": iss,
        "scope": list(scope) if isinstance(scope, tuple) else scope,
        "aud": aud,
        "iat": issued,
        "exp": issued + lifetime,
    }
    return str(jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid}))


def token_form(client_assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion,
    }


def open_app(**config: Any) -> tuple[Any, httpx.AsyncClient]:
    """A fresh sandbox (auth off unless asked) and an in-process client for it."""
    config.setdefault("auth_required", False)
    app = create_app(SandboxConfig(**config))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE)
    return app, client


def error_code(response: httpx.Response) -> str:
    return str(response.json()["o:errorDetails"][0]["o:errorCode"])


def error_path(response: httpx.Response) -> str | None:
    path = response.json()["o:errorDetails"][0].get("o:errorPath")
    return None if path is None else str(path)


def new_id(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


async def send(
    client: httpx.AsyncClient, method: str, path: str, payload: Any, **kwargs: Any
) -> httpx.Response:
    """Send *payload* as JSON with exact decimals (``Decimal`` values become JSON numbers)."""
    headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
    return await client.request(
        method, path, content=jsonio.dumps(payload), headers=headers, **kwargs
    )


async def make_customer(client: httpx.AsyncClient, external_id: str = "cus_1", **extra: Any) -> str:
    body = {"companyName": "Acme", "subsidiary": {"id": "2"}, "externalId": external_id, **extra}
    return new_id(await client.post(RECORDS + "/customer", json=body))


async def make_invoice(
    client: httpx.AsyncClient, customer: str, *lines: tuple[int, str], **extra: Any
) -> str:
    items = [{"item": {"id": "20"}, "quantity": q, "rate": Decimal(rate)} for q, rate in lines]
    body = {"entity": {"id": customer}, "item": {"items": items}, **extra}
    return new_id(await send(client, "POST", RECORDS + "/invoice", body))


async def make_payment(
    client: httpx.AsyncClient, customer: str, amount: str, *applied: tuple[str, str], **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"customer": {"id": customer}, "payment": Decimal(amount), **extra}
    if applied:
        body["apply"] = {
            "items": [
                {"doc": {"id": doc}, "apply": True, "amount": Decimal(amt)} for doc, amt in applied
            ]
        }
    return await send(client, "POST", RECORDS + "/customerPayment", body)


async def get(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(RECORDS + path)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


class Served:
    """A sandbox on a real loopback port and a TBA-signed client for it."""

    def __init__(self, **config: Any) -> None:
        self.server = serve_in_thread(create_app(SandboxConfig(**config)))
        self.client = httpx.Client(base_url=self.server.base_url, auth=TBA(), timeout=30)

    def close(self) -> None:
        self.client.close()
        self.server.stop()

    @property
    def account(self) -> Any:
        """The sandbox's in-process account, for the Python GL helpers."""
        return self.server.app.sandbox.account

    def write(self, method: str, path: str, payload: Any, **params: str) -> str:
        """Send *payload* (exact decimals) and return the record's id from ``Location``."""
        response = self.client.request(
            method,
            RECORDS + path,
            content=jsonio.dumps(payload),
            headers={"content-type": "application/json"},
            params=params,
        )
        return new_id(response)

    def create(self, rtype: str, payload: Any) -> str:
        return self.write("POST", f"/{rtype}", payload)

    def delete(self, rtype: str, rid: str) -> None:
        response = self.client.delete(f"{RECORDS}/{rtype}/{rid}")
        assert response.status_code == 204, response.text

    def query(self, q: str, params: list[Any] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"q": q}
        if params is not None:
            body["params"] = params
        return self.client.post(SUITEQL, json=body, headers={"Prefer": "transient"})

    def rows(self, q: str, params: list[Any] | None = None) -> list[dict[str, str]]:
        response = self.query(q, params)
        assert response.status_code == 200, response.text
        return [{k: v for k, v in row.items() if k != "links"} for row in response.json()["items"]]

    def gl(self, transaction: str) -> list[tuple[str, str, str | None, str | None, str]]:
        """(transactionline, account, debit, credit, amount) of each GL line, over SuiteQL."""
        found = self.rows(
            "SELECT tal.transactionline, tal.account, tal.debit, tal.credit, tal.amount "
            "FROM transactionaccountingline tal WHERE tal.transaction = ? "
            "ORDER BY tal.transactionline",
            [transaction],
        )
        return [
            (r["transactionline"], r["account"], r.get("debit"), r.get("credit"), r["amount"])
            for r in found
        ]

    def customer(self, external_id: str = "cus_gl", **extra: Any) -> str:
        body = {"companyName": "Ledger Ltd", "subsidiary": {"id": "2"}, "externalId": external_id}
        return self.create("customer", {**body, **extra})

    def sandbox_gl(self, **params: str) -> dict[str, Any]:
        """``/__sandbox/gl``: balances and unbalanced transactions."""
        response = self.client.get("/__sandbox/gl", params=params)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return payload
