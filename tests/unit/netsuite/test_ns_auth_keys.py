"""Credentials reach NetSuite's signing code and nowhere else: keys, passphrases, failures."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import OAuth2ClientCredentials, auth_from_config
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.governor import LocalGovernor
from stripe_netsuite.settings import NetSuiteConfig

PASSPHRASE = "pp_CANARY_2c8e5d"
TBA_SECRET = "ts_CANARY_71f0b9"
BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def encrypted_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    ).decode()


def oauth2_config(pem: str, passphrase: str | None = PASSPHRASE) -> NetSuiteConfig:
    return NetSuiteConfig.model_validate(
        {
            "account_id": "1234567_SB1",
            "client_id": "c",
            "certificate_id": "k",
            "private_key": pem,
            "private_key_passphrase": passphrase,
        }
    )


def refused(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/token"):
        return httpx.Response(400, json={"error": "invalid_client", "error_description": "no"})
    return httpx.Response(401, json={"title": "Unauthorized", "status": 401})


async def test_an_encrypted_key_is_opened_with_its_passphrase(rsa_key: rsa.RSAPrivateKey) -> None:
    async with httpx.AsyncClient() as http:
        auth = auth_from_config(oauth2_config(encrypted_pem(rsa_key)), http)
    assert isinstance(auth, OAuth2ClientCredentials)
    claims = jwt.decode(
        auth.assertion(),
        rsa_key.public_key(),
        algorithms=["PS256"],
        audience=auth.token_url,
    )
    assert claims["iss"] == "c"


@pytest.mark.parametrize("passphrase", ["wrong-passphrase", None])
async def test_a_wrong_or_missing_passphrase_is_a_config_error(
    rsa_key: rsa.RSAPrivateKey, passphrase: str | None
) -> None:
    pem = encrypted_pem(rsa_key)
    async with httpx.AsyncClient() as http:
        with pytest.raises(exceptions.ConfigError, match="cannot load the private key") as info:
            auth_from_config(oauth2_config(pem, passphrase), http)
    assert info.value.key == "netsuite.private_key"
    for secret in (PASSPHRASE, "wrong-passphrase", pem[40:80]):
        assert secret not in str(info.value)


async def test_a_key_that_cannot_sign_ps256_is_named() -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(exceptions.ConfigError, match="PS256 needs an RSA key"):
            auth_from_config(oauth2_config(pem, None), http)


async def test_a_refused_oauth2_login_shows_no_key_material(
    rsa_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    pem = encrypted_pem(rsa_key)
    cfg = oauth2_config(pem)
    with caplog.at_level(logging.DEBUG):
        client = NetSuiteClient.from_config(
            cfg, governor=LocalGovernor(1), transport=httpx.MockTransport(refused)
        )
        async with client:
            with pytest.raises(exceptions.AuthenticationFailed) as info:
                await client.get("customer", "1")
    rendered = [str(info.value), repr(info.value), repr(cfg), str(cfg.model_dump()), caplog.text]
    for text in rendered:
        assert PASSPHRASE not in text
        assert pem[40:80] not in text


async def test_a_refused_tba_request_shows_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    cfg = NetSuiteConfig.model_validate(
        {
            "account_id": "1234567_SB1",
            "auth": "tba",
            "consumer_key": "ck_CANARY_key",
            "consumer_secret": "cs_CANARY_secret",
            "token_id": "tid_CANARY_id",
            "token_secret": TBA_SECRET,
            "max_attempts": 1,
        }
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return refused(request)

    with caplog.at_level(logging.DEBUG):
        client = NetSuiteClient.from_config(
            cfg, governor=LocalGovernor(1), transport=httpx.MockTransport(handler)
        )
        async with client:
            with pytest.raises(exceptions.AuthenticationFailed) as info:
                await client.get("customer", "1")
    # The secrets signed the request (the key goes out as OAuth 1.0a requires) ...
    assert seen and 'oauth_consumer_key="ck_CANARY_key"' in seen[0]
    # ... and appear in no error, log line or rendering of the config.
    rendered: list[Any] = [str(info.value), repr(info.value), repr(cfg), caplog.text]
    for text in rendered:
        for secret in (TBA_SECRET, "cs_CANARY_secret"):
            assert secret not in text
    assert "cs_CANARY_secret" not in seen[0] and TBA_SECRET not in seen[0]
