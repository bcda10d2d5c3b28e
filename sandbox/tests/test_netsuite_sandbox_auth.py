"""TBA and OAuth 2.0 client credentials: accepted when right, INVALID_LOGIN on every failure."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from netsuite_helpers import (
    BASE,
    RECORDS,
    TBA,
    TOKEN,
    assertion,
    error_code,
    public_pem,
    rsa_key,
    token_form,
)
from stripe_netsuite_sandbox.netsuite import SandboxConfig, auth, create_app, errors

KEY = rsa_key()
OTHER_KEY = rsa_key()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SandboxConfig(public_key_pem=public_pem(KEY)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        yield c


def assert_invalid_login(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["title"] == "Unauthorized"
    assert body["status"] == 401
    assert body["type"].startswith("https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html")
    assert error_code(response) == "INVALID_LOGIN"
    assert body["o:errorDetails"][0]["detail"].startswith("Invalid login attempt.")
    assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=error"


def test_signature_matches_netsuite_published_vector() -> None:
    params = {
        "oauth_consumer_key": "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
        "oauth_token": "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": "1508242306",
        "oauth_nonce": "fjaLirsIcCGVZWzBX0pg",
        "oauth_version": "1.0",
        "realm": "123456",
    }
    consumer_secret = "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5"
    token_secret = "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295"
    base = auth.signature_base(
        "GET",
        "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40",
        "",
        params,
    )
    assert auth.hmac_sha256(base, consumer_secret, token_secret) == (
        "B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY="
    )
    restlet = auth.signature_base(
        "POST",
        "https://123456.restlets.api.netsuite.com/app/site/hosting/restlet.nl",
        "script=6&deploy=1&customParam=someValue&testParam=someOtherValue",
        params,
    )
    assert auth.hmac_sha256(restlet, consumer_secret, token_secret) == (
        "+KK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ="
    )


async def test_tba_signed_requests_pass_including_query_and_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(RECORDS + "/currency?limit=5&offset=0", auth=TBA())
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 5
    created = await client.post(
        RECORDS + "/customer",
        json={"companyName": "Signed Inc", "subsidiary": {"id": "2"}},
        auth=TBA(body_hash=True),
    )
    assert created.status_code == 204, created.text


async def test_missing_authorization_is_refused(client: httpx.AsyncClient) -> None:
    assert_invalid_login(await client.get(RECORDS + "/customer"))


@pytest.mark.parametrize(
    "bent",
    [
        {"consumer_secret": "wrong"},
        {"token_secret": "wrong"},
        {"realm": "1234567-sb1"},
        {"realm": "1234567_sb1"},
        {"consumer_key": "someone-else"},
        {"token": "someone-else"},
        {"timestamp": int(time.time()) - 3600},
        {"timestamp": int(time.time()) + 3600},
    ],
    ids=lambda bent: next(iter(bent)),
)
async def test_tba_failures_are_invalid_login(
    client: httpx.AsyncClient, bent: dict[str, Any]
) -> None:
    assert_invalid_login(await client.get(RECORDS + "/customer", auth=TBA(**bent)))


async def test_tba_query_params_must_be_signed(client: httpx.AsyncClient) -> None:
    signer = TBA()
    request = client.build_request("GET", RECORDS + "/customer")
    header = signer.header("GET", request.url)
    response = await client.get(RECORDS + "/customer?limit=1", headers={"Authorization": header})
    assert_invalid_login(response)


async def test_tba_tampered_body_hash_is_refused(client: httpx.AsyncClient) -> None:
    signer = TBA(body_hash=True)
    request = client.build_request("POST", RECORDS + "/customer", json={"companyName": "A"})
    header = signer.header("POST", request.url, request.content)
    response = await client.post(
        RECORDS + "/customer",
        json={"companyName": "B", "subsidiary": {"id": "2"}},
        headers={"Authorization": header},
    )
    assert_invalid_login(response)


async def test_tba_nonce_reuse_is_refused(client: httpx.AsyncClient) -> None:
    signer = TBA(nonce="only-once", timestamp=int(time.time()))
    first = await client.get(RECORDS + "/currency/1", auth=signer)
    assert first.status_code == 200, first.text
    assert_invalid_login(await client.get(RECORDS + "/currency/1", auth=signer))


async def token_of(client: httpx.AsyncClient, jwt_text: str) -> httpx.Response:
    return await client.post(TOKEN, data=token_form(jwt_text))


async def test_oauth2_token_then_bearer(client: httpx.AsyncClient) -> None:
    response = await token_of(client, assertion(KEY))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get(RECORDS + "/subsidiary/1", headers=bearer)).status_code == 200


async def test_oauth2_accepts_netsuite_audience_and_comma_scope(client: httpx.AsyncClient) -> None:
    aud = "https://1234567-sb1.suitetalk.api.netsuite.com" + TOKEN
    response = await token_of(client, assertion(KEY, aud=aud, scope="restlets,rest_webservices"))
    assert response.status_code == 200, response.text


def _tampered(token: str) -> str:
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["iss"] = "intruder"
    forged = jwt.encode(claims, "x" * 32, algorithm="HS256").split(".")[1]
    return ".".join([header, forged, signature])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: assertion(OTHER_KEY), id="forged-other-key"),
        pytest.param(lambda: assertion(KEY, kid="unknown-cert"), id="unknown-kid"),
        pytest.param(lambda: assertion(KEY, iss="other-client"), id="wrong-iss"),
        pytest.param(lambda: assertion(KEY, aud="https://elsewhere/token"), id="wrong-aud"),
        pytest.param(lambda: assertion(KEY, scope=("restlets",)), id="no-rest-scope"),
        pytest.param(lambda: assertion(KEY, iat=int(time.time()) - 4000), id="expired"),
        pytest.param(lambda: assertion(KEY, lifetime=7200), id="too-long"),
        pytest.param(lambda: _tampered(assertion(KEY)), id="tampered"),
        pytest.param(lambda: jwt.encode({"iss": "sandbox-client"}, "k" * 32), id="hs256"),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
async def test_oauth2_bad_assertions_are_invalid_login(
    client: httpx.AsyncClient, make: Any
) -> None:
    assert_invalid_login(await token_of(client, make()))


async def test_oauth2_wrong_grant_type_is_refused(client: httpx.AsyncClient) -> None:
    form = {**token_form(assertion(KEY)), "grant_type": "authorization_code"}
    assert_invalid_login(await client.post(TOKEN, data=form))


async def test_unknown_bearer_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(RECORDS + "/customer", headers={"Authorization": "Bearer nope"})
    assert_invalid_login(response)


async def test_oauth2_refused_without_public_key() -> None:
    app = create_app(SandboxConfig())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        assert_invalid_login(await c.post(TOKEN, data=token_form(assertion(KEY))))


async def test_es256_and_certificate_pem_are_accepted() -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    app = create_app(SandboxConfig(public_key_pem=pem))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        response = await c.post(TOKEN, data=token_form(assertion(key, algorithm="ES256")))
        assert response.status_code == 200, response.text


async def test_any_bearer_mode_accepts_tokens_without_exchange() -> None:
    app = create_app(SandboxConfig(allow_any_bearer=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        ok = await c.get(RECORDS + "/currency/1", headers={"Authorization": "Bearer anything"})
        assert ok.status_code == 200
        assert_invalid_login(await c.get(RECORDS + "/currency/1"))


def test_access_tokens_expire_after_an_hour() -> None:
    now = [1_000_000.0]
    authenticator = auth.Authenticator(
        auth.Credentials(
            account_id="1234567_SB1",
            consumer_key="ck",
            consumer_secret="cs",
            token_id="t",
            token_secret="ts",
            client_id="sandbox-client",
            certificate_id="sandbox-cert",
            public_key=KEY.public_key(),
        ),
        clock=lambda: now[0],
    )
    issued = authenticator.issue_token(
        token_form(assertion(KEY, aud="http://x" + TOKEN)), token_urls={"http://x" + TOKEN}
    )
    bearer = f"Bearer {issued['access_token']}"
    check = {
        "method": "GET",
        "scheme": "http",
        "host": "x",
        "raw_path": "/",
        "query": "",
        "body": b"",
    }
    authenticator.check(authorization=bearer, **check)  # type: ignore[arg-type]
    now[0] += 3601
    with pytest.raises(errors.NetSuiteError) as refused:
        authenticator.check(authorization=bearer, **check)  # type: ignore[arg-type]
    assert refused.value.status == 401
    assert refused.value.code == "INVALID_LOGIN"
