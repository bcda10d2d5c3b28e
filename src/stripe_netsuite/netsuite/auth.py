"""How requests to NetSuite are authenticated: OAuth 2.0 client credentials or TBA.

Both schemes sit behind one small `Auth` protocol: the client asks for the
headers of each request and calls `refresh` once after a 401.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pydantic import SecretStr

from stripe_netsuite import exceptions
from stripe_netsuite.settings import NetSuiteAuth, NetSuiteConfig

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

Clock = Callable[[], float]


class Auth(Protocol):
    """Supplies the credentials of each NetSuite request."""

    async def headers(self, method: str, url: str) -> dict[str, str]:
        """Headers that authenticate *method* on the full *url* (query string included)."""
        ...

    async def refresh(self) -> None:
        """Forget cached credentials; called once after NetSuite answered 401."""
        ...


def realm_of(account_id: str) -> str:
    """The account id as the OAuth realm wants it: ``1234567_SB1``, never ``1234567-sb1``."""
    return account_id.strip().upper().replace("-", "_")


def _enc(value: str) -> str:
    # RFC 3986 percent-encoding, as RFC 5849 §3.6 requires (space is %20, ~ stays).
    return quote(value, safe="~-._")


def _new_nonce() -> str:
    return secrets.token_urlsafe(15)


class TokenAuth:
    """Token-based authentication: OAuth 1.0a with HMAC-SHA256, realm = account id."""

    signature_method = "HMAC-SHA256"

    def __init__(
        self,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        *,
        nonce: Callable[[], str] = _new_nonce,
        clock: Clock = time.time,
    ) -> None:
        self.realm = realm_of(account_id)
        self.consumer_key = consumer_key
        self.token_id = token_id
        self._key = f"{_enc(consumer_secret)}&{_enc(token_secret)}".encode()
        self._nonce = nonce
        self._clock = clock

    async def headers(self, method: str, url: str) -> dict[str, str]:
        """An ``Authorization: OAuth realm=...`` header signed for this exact URL."""
        oauth = {
            "oauth_consumer_key": self.consumer_key,
            "oauth_token": self.token_id,
            "oauth_signature_method": self.signature_method,
            "oauth_timestamp": str(int(self._clock())),
            "oauth_nonce": self._nonce(),
            "oauth_version": "1.0",
        }
        oauth["oauth_signature"] = self.signature(method, url, oauth)
        # The realm goes in the header but never in the base string.
        fields = [f'realm="{self.realm}"'] + [f'{k}="{_enc(v)}"' for k, v in oauth.items()]
        return {"Authorization": "OAuth " + ", ".join(fields)}

    async def refresh(self) -> None:
        """Nothing is cached: a TBA token is valid until revoked."""

    def signature(self, method: str, url: str, oauth: dict[str, str]) -> str:
        """Base64 HMAC-SHA256 of the RFC 5849 base string."""
        digest = hmac.new(self._key, self.base_string(method, url, oauth).encode(), hashlib.sha256)
        return base64.b64encode(digest.digest()).decode()

    @staticmethod
    def base_string(method: str, url: str, oauth: dict[str, str]) -> str:
        """``METHOD&enc(base URL)&enc(sorted params)``; query parameters are signed too."""
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        default_port = {"http": 80, "https": 443}.get(scheme)
        if parts.port and parts.port != default_port:
            host = f"{host}:{parts.port}"
        base_url = f"{scheme}://{host}{parts.path or '/'}"
        params = parse_qsl(parts.query, keep_blank_values=True)
        params += [(k, v) for k, v in oauth.items() if k not in ("realm", "oauth_signature")]
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params))
        return "&".join((method.upper(), _enc(base_url), _enc(normalized)))


class OAuth2ClientCredentials:
    """OAuth 2.0 machine-to-machine: a PS256 JWT assertion is traded for a bearer token.

    The token is cached until shortly before it expires and minted again after a 401.
    """

    #: Seconds before expiry at which a cached token is no longer used.
    leeway = 60.0
    #: Lifetime of the signed assertion; NetSuite refuses more than an hour.
    assertion_seconds = 3600

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        certificate_id: str,
        private_key_pem: str | bytes | RSAPrivateKey,
        scope: str = "rest_webservices",
        http: httpx.AsyncClient,
        clock: Clock = time.time,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.certificate_id = certificate_id
        self.scope = scope
        self._key = private_key_pem
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        #: Tokens minted so far (operators and tests watch this).
        self.mints = 0

    def assertion(self) -> str:
        """The signed JWT sent as ``client_assertion``."""
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "aud": self.token_url,
            "scope": self.scope,
            "iat": now,
            "exp": now + self.assertion_seconds,
            "jti": uuid.uuid4().hex,
        }
        headers = {"typ": "JWT", "kid": self.certificate_id}
        return str(jwt.encode(claims, self._key, algorithm="PS256", headers=headers))

    async def headers(self, method: str, url: str) -> dict[str, str]:
        """``Authorization: Bearer <token>``, minting a token when none is fresh."""
        if self._token is None or self._clock() >= self._expires_at - self.leeway:
            async with self._lock:
                if self._token is None or self._clock() >= self._expires_at - self.leeway:
                    await self._mint()
        return {"Authorization": f"Bearer {self._token}"}

    async def refresh(self) -> None:
        """Drop the cached token and mint a new one."""
        async with self._lock:
            self._token = None
            await self._mint()

    async def _mint(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self.assertion(),
        }
        try:
            response = await self._http.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise exceptions.NetSuiteRetriable(
                f"token endpoint unreachable: {type(exc).__name__}", detail=str(exc) or None
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise exceptions.NetSuiteRetriable(
                "token endpoint failed",
                status_code=response.status_code,
                detail=response.text[:500],
            )
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if response.status_code != 200 or not isinstance(token, str):
            error = payload.get("error") if isinstance(payload, dict) else None
            description = payload.get("error_description") if isinstance(payload, dict) else None
            raise exceptions.AuthenticationFailed(
                f"token endpoint refused the client assertion ({error or 'no access_token'})",
                status_code=response.status_code,
                error_code=error,
                detail=description or response.text[:500] or None,
            )
        self._token = token
        self._expires_at = self._clock() + float(payload.get("expires_in", 3600))
        self.mints += 1


def _required(cfg: NetSuiteConfig, *names: str) -> list[str]:
    missing = [n for n in names if not getattr(cfg, n)]
    if missing:
        raise exceptions.ConfigError(
            f"{cfg.auth.value} authentication needs {', '.join(missing)}",
            key=f"netsuite.{missing[0]}",
        )
    # Secrets are unwrapped here, where they are handed to the signing code.
    return [_plain(getattr(cfg, n)) for n in names]


def _plain(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _private_key(cfg: NetSuiteConfig) -> RSAPrivateKey:
    """The certificate's private key, decrypted with its passphrase when it has one."""
    if cfg.private_key is not None:
        key_name, pem = "netsuite.private_key", cfg.private_key.get_secret_value().encode()
    elif cfg.private_key_file is not None:
        key_name = "netsuite.private_key_file"
        try:
            pem = cfg.private_key_file.read_bytes()
        except OSError as exc:
            raise exceptions.ConfigError(
                f"cannot read private key {cfg.private_key_file}: {exc.strerror}", key=key_name
            ) from exc
    else:
        raise exceptions.ConfigError(
            "oauth2 authentication needs private_key or private_key_file",
            key="netsuite.private_key",
        )
    passphrase = cfg.private_key_passphrase
    try:
        key = serialization.load_pem_private_key(
            pem, password=passphrase.get_secret_value().encode() if passphrase else None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # The library's text names the problem (encrypted, wrong passphrase, not PEM);
        # neither it nor this message ever holds the key or the passphrase.
        raise exceptions.ConfigError(f"cannot load the private key: {exc}", key=key_name) from exc
    if not isinstance(key, RSAPrivateKey):
        raise exceptions.ConfigError(
            f"the private key is {type(key).__name__}; NetSuite's PS256 needs an RSA key",
            key=key_name,
        )
    return key


def auth_from_config(cfg: NetSuiteConfig, http: httpx.AsyncClient) -> Auth:
    """The `Auth` the account config asks for; a missing setting raises `ConfigError`."""
    if cfg.auth is NetSuiteAuth.TBA:
        ck, cs, tid, ts = _required(
            cfg, "consumer_key", "consumer_secret", "token_id", "token_secret"
        )
        return TokenAuth(cfg.account_id, ck, cs, tid, ts)
    client_id, certificate_id = _required(cfg, "client_id", "certificate_id")
    return OAuth2ClientCredentials(
        token_url=cfg.rest_base_url + TOKEN_PATH,
        client_id=client_id,
        certificate_id=certificate_id,
        private_key_pem=_private_key(cfg),
        http=http,
    )
