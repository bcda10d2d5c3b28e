"""TBA signatures (NetSuite's published vector) and OAuth 2.0 client credentials."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import OAuth2ClientCredentials, TokenAuth, auth_from_config
from stripe_netsuite.netsuite.auth import realm_of
from stripe_netsuite.settings import NetSuiteAuth, NetSuiteConfig

# NetSuite's published TBA example (research/netsuite.md §4.2).
VECTOR = {
    "consumer_key": "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
    "consumer_secret": "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
    "token_id": "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
    "token_secret": "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
}
NONCE, TIMESTAMP = "fjaLirsIcCGVZWzBX0pg", 1508242306
TOKEN_URL = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"


def vector_auth(account: str = "123456") -> TokenAuth:
    return TokenAuth(account, *VECTOR.values(), nonce=lambda: NONCE, clock=lambda: TIMESTAMP)


def header_fields(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


@pytest.mark.parametrize(
    ("method", "url", "signature"),
    [
        (
            "GET",
            "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40",
            "B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY=",
        ),
        (
            "POST",
            "https://123456.restlets.api.netsuite.com/app/site/hosting/restlet.nl"
            "?script=6&deploy=1&customParam=someValue&testParam=someOtherValue",
            "+KK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ=",
        ),
    ],
)
async def test_tba_reproduces_netsuites_published_signature(
    method: str, url: str, signature: str
) -> None:
    headers = await vector_auth().headers(method, url)
    fields = header_fields(headers["Authorization"])
    assert fields["oauth_signature"] == signature
    assert fields["realm"] == "123456"
    assert fields["oauth_signature_method"] == "HMAC-SHA256"
    assert fields["oauth_nonce"] == NONCE
    assert fields["oauth_timestamp"] == str(TIMESTAMP)


def test_tba_base_string_matches_the_documented_one() -> None:
    oauth = {
        "oauth_consumer_key": VECTOR["consumer_key"],
        "oauth_token": VECTOR["token_id"],
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(TIMESTAMP),
        "oauth_nonce": NONCE,
        "oauth_version": "1.0",
        "realm": "123456",
    }
    base = TokenAuth.base_string(
        "get",
        "HTTPS://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40",
        oauth,
    )
    assert base == (
        "GET&https%3A%2F%2F123456.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1"
        "%2Femployee%2F40&oauth_consumer_key%3Def40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf"
        "38c20aae6b67e4%26oauth_nonce%3DfjaLirsIcCGVZWzBX0pg%26oauth_signature_method%3DHMAC-SHA256"
        "%26oauth_timestamp%3D1508242306%26oauth_token%3D2b0ce516420110bcbd36b69e99196d1b7f6de3c623"
        "4c5afb799b73d87569f5cc%26oauth_version%3D1.0"
    )


async def test_tba_signs_query_parameters_but_keeps_them_out_of_the_header() -> None:
    auth = vector_auth()
    plain = await auth.headers("GET", "https://123456.suitetalk.api.netsuite.com/x/customer")
    with_q = await auth.headers(
        "GET", "https://123456.suitetalk.api.netsuite.com/x/customer?limit=2&q=email%20IS%20a"
    )
    assert (
        header_fields(plain["Authorization"])["oauth_signature"]
        != header_fields(with_q["Authorization"])["oauth_signature"]
    )
    assert "limit" not in with_q["Authorization"]
    assert "q=" not in with_q["Authorization"]


@pytest.mark.parametrize(
    ("account", "realm"),
    [("1234567", "1234567"), ("1234567_SB1", "1234567_SB1"), ("1234567-sb1", "1234567_SB1")],
)
async def test_tba_realm_is_the_canonical_account_id(account: str, realm: str) -> None:
    assert realm_of(account) == realm
    headers = await vector_auth(account).headers("GET", "https://h/p")
    assert header_fields(headers["Authorization"])["realm"] == realm


async def test_tba_refresh_changes_nothing_and_nonces_differ() -> None:
    auth = TokenAuth("1", *VECTOR.values())
    first = header_fields((await auth.headers("GET", "https://h/p"))["Authorization"])
    await auth.refresh()
    second = header_fields((await auth.headers("GET", "https://h/p"))["Authorization"])
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["oauth_token"] == second["oauth_token"] == VECTOR["token_id"]


# -- OAuth 2.0 client credentials ---------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class TokenEndpoint:
    """Issues tokens t1, t2, ... and keeps the forms it was sent."""

    def __init__(self, status: int = 200, body: dict[str, Any] | None = None) -> None:
        self.forms: list[dict[str, list[str]]] = []
        self.status, self.body = status, body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/services/rest/auth/oauth2/v1/token"
        assert request.method == "POST"
        self.forms.append(parse_qs(request.content.decode()))
        if self.body is not None:
            return httpx.Response(self.status, json=self.body)
        n = len(self.forms)
        return httpx.Response(200, json={"access_token": f"t{n}", "expires_in": 3600})


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def oauth2(
    key: rsa.RSAPrivateKey, endpoint: TokenEndpoint, clock: Clock
) -> tuple[OAuth2ClientCredentials, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    auth = OAuth2ClientCredentials(
        token_url=TOKEN_URL,
        client_id="client-123",
        certificate_id="cert-abc",
        private_key_pem=pem_of(key),
        http=http,
        clock=clock,
    )
    return auth, http


async def test_oauth2_posts_a_ps256_assertion_with_the_right_claims(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    auth, http = oauth2(rsa_key, endpoint, clock)
    async with http:
        headers = await auth.headers("GET", "https://x/services/rest/record/v1/customer/1")
    assert headers == {"Authorization": "Bearer t1"}
    (form,) = endpoint.forms
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assertion = form["client_assertion"][0]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "PS256"
    assert header["kid"] == "cert-abc"
    claims = jwt.decode(
        assertion,
        rsa_key.public_key(),
        algorithms=["PS256"],
        audience=TOKEN_URL,
        options={"verify_iat": False, "verify_exp": False},
    )
    assert claims["iss"] == "client-123"
    assert claims["aud"] == TOKEN_URL
    assert claims["scope"] == "rest_webservices"
    assert claims["iat"] == int(clock.now)
    assert 0 < claims["exp"] - claims["iat"] <= 3600


async def test_oauth2_assertion_fails_verification_with_another_key(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    auth, http = oauth2(rsa_key, TokenEndpoint(), Clock())
    await http.aclose()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            auth.assertion(),
            other.public_key(),
            algorithms=["PS256"],
            audience=TOKEN_URL,
            options={"verify_iat": False, "verify_exp": False},
        )


async def test_oauth2_caches_the_token_until_shortly_before_expiry(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    auth, http = oauth2(rsa_key, endpoint, clock)
    async with http:
        assert (await auth.headers("GET", "u"))["Authorization"] == "Bearer t1"
        clock.now += 3000
        assert (await auth.headers("GET", "u"))["Authorization"] == "Bearer t1"
        clock.now += 560  # within the leeway of the hour
        assert (await auth.headers("GET", "u"))["Authorization"] == "Bearer t2"
    assert len(endpoint.forms) == 2


async def test_oauth2_refresh_mints_a_new_token(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = TokenEndpoint()
    auth, http = oauth2(rsa_key, endpoint, Clock())
    async with http:
        await auth.headers("GET", "u")
        await auth.refresh()
        assert (await auth.headers("GET", "u"))["Authorization"] == "Bearer t2"
    assert auth.mints == 2


async def test_oauth2_refused_assertion_is_authentication_failed(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    endpoint = TokenEndpoint(400, {"error": "invalid_grant", "error_description": "bad kid"})
    auth, http = oauth2(rsa_key, endpoint, Clock())
    async with http:
        with pytest.raises(exceptions.AuthenticationFailed) as caught:
            await auth.headers("GET", "u")
    assert caught.value.error_code == "invalid_grant"
    assert caught.value.detail == "bad kid"
    assert caught.value.status_code == 400


async def test_oauth2_token_endpoint_outage_is_retriable(rsa_key: rsa.RSAPrivateKey) -> None:
    auth, http = oauth2(rsa_key, TokenEndpoint(503, {"error": "down"}), Clock())
    async with http:
        with pytest.raises(exceptions.NetSuiteRetriable) as caught:
            await auth.headers("GET", "u")
    assert caught.value.status_code == 503


# -- from config ------------------------------------------------------------


async def test_auth_from_config_builds_each_scheme(
    rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(pem_of(rsa_key))
    async with httpx.AsyncClient() as http:
        oauth = auth_from_config(
            NetSuiteConfig(
                account_id="1234567_SB1",
                client_id="c",
                certificate_id="k",
                private_key_file=key_file,
            ),
            http,
        )
        tba = auth_from_config(
            NetSuiteConfig.model_validate({"account_id": "1234567_SB1", "auth": "tba", **VECTOR}),
            http,
        )
    assert isinstance(oauth, OAuth2ClientCredentials)
    assert oauth.token_url == TOKEN_URL
    assert isinstance(tba, TokenAuth)
    assert tba.realm == "1234567_SB1"


async def test_auth_from_config_names_the_missing_setting() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(exceptions.ConfigError, match="token_secret") as caught:
            auth_from_config(
                NetSuiteConfig(
                    account_id="1",
                    auth=NetSuiteAuth.TBA,
                    consumer_key="a",
                    consumer_secret="b",
                    token_id="c",
                ),
                http,
            )
    assert caught.value.key == "netsuite.token_secret"


async def test_auth_from_config_reports_an_unreadable_key(tmp_path: Path) -> None:
    cfg = NetSuiteConfig(
        account_id="1", client_id="c", certificate_id="k", private_key_file=tmp_path / "nope.pem"
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(exceptions.ConfigError, match=r"nope\.pem"):
            auth_from_config(cfg, http)
