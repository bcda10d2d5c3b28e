"""The two ways into NetSuite's REST services, verified as strictly as NetSuite does.

TBA: OAuth 1.0a with HMAC-SHA256, ``realm`` = account id (not signed), query parameters in the
base string, single-use nonces inside a five-minute timestamp window, optional
``oauth_body_hash``. OAuth 2.0: client credentials with a JWT assertion signed by the client's
certificate (``kid`` = certificate id), exchanged for an opaque bearer token valid 3600 s.
Every failure is NetSuite's 401 ``INVALID_LOGIN``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from stripe_netsuite_sandbox.netsuite import errors

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600
TIMESTAMP_WINDOW = 300
JWT_ALGORITHMS = ["PS256", "PS384", "PS512", "RS256", "ES256", "ES384", "ES512"]


def encode(value: str) -> str:
    """RFC 3986 percent-encoding as OAuth 1.0a wants it."""
    return quote(value, safe="~")


def base_string_uri(scheme: str, host: str, raw_path: str) -> str:
    """``scheme://host[:port]/path`` with default ports dropped and scheme/host lower-cased."""
    scheme = scheme.lower()
    host = host.lower()
    if (scheme, host.rsplit(":", 1)[-1]) in {("http", "80"), ("https", "443")} and ":" in host:
        host = host.rsplit(":", 1)[0]
    return f"{scheme}://{host}{raw_path}"


def signature_base(method: str, uri: str, query: str, oauth_params: dict[str, str]) -> str:
    """The OAuth 1.0a signature base string (realm and signature excluded)."""
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)]
    params += [(k, v) for k, v in oauth_params.items() if k not in ("realm", "oauth_signature")]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in params))
    return "&".join((method.upper(), encode(uri), encode(normalized)))


def hmac_sha256(base: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{encode(consumer_secret)}&{encode(token_secret)}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_oauth_header(header: str) -> dict[str, str]:
    """The parameters of an ``Authorization: OAuth ...`` header, percent-decoded."""
    if not header[:6].lower() == "oauth ":
        raise errors.invalid_login()
    out: dict[str, str] = {}
    for part in header[6:].split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise errors.invalid_login()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out[unquote(key.strip())] = unquote(value)
    return out


@dataclass
class Credentials:
    """What the account accepts."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    client_id: str
    certificate_id: str
    public_key: Any | None
    allow_any_bearer: bool = False


@dataclass
class Authenticator:
    """Verifies requests and issues OAuth 2.0 access tokens."""

    creds: Credentials
    clock: Callable[[], float] = time.time
    _nonces: dict[tuple[str, str], float] = field(default_factory=dict)
    _tokens: dict[str, float] = field(default_factory=dict)

    def check(
        self,
        *,
        method: str,
        scheme: str,
        host: str,
        raw_path: str,
        query: str,
        authorization: str,
        body: bytes,
    ) -> None:
        """Raise INVALID_LOGIN unless the request carries valid TBA or bearer credentials."""
        if authorization[:7].lower() == "bearer ":
            self._check_bearer(authorization[7:].strip())
        else:
            self._check_tba(
                method, base_string_uri(scheme, host, raw_path), query, authorization, body
            )

    def _check_bearer(self, token: str) -> None:
        if self.creds.allow_any_bearer and token:
            return
        expires = self._tokens.get(token)
        if expires is None or expires <= self.clock():
            raise errors.invalid_login()

    def _check_tba(
        self, method: str, uri: str, query: str, authorization: str, body: bytes
    ) -> None:
        params = parse_oauth_header(authorization)
        creds = self.creds
        if (
            params.get("realm") != creds.account_id
            or params.get("oauth_signature_method") != "HMAC-SHA256"
            or params.get("oauth_version", "1.0") != "1.0"
            or not hmac.compare_digest(params.get("oauth_consumer_key", ""), creds.consumer_key)
            or not hmac.compare_digest(params.get("oauth_token", ""), creds.token_id)
        ):
            raise errors.invalid_login()
        nonce = params.get("oauth_nonce", "")
        try:
            stamp = int(params.get("oauth_timestamp", ""))
        except ValueError as exc:
            raise errors.invalid_login() from exc
        now = self.clock()
        if not nonce or abs(now - stamp) > TIMESTAMP_WINDOW:
            raise errors.invalid_login()
        if "oauth_body_hash" in params:
            expected_hash = base64.b64encode(hashlib.sha1(body).digest()).decode()
            if not hmac.compare_digest(params["oauth_body_hash"], expected_hash):
                raise errors.invalid_login()
        base = signature_base(method, uri, query, params)
        expected = hmac_sha256(base, creds.consumer_secret, creds.token_secret)
        if not hmac.compare_digest(params.get("oauth_signature", ""), expected):
            raise errors.invalid_login()
        key = (creds.consumer_key, nonce)
        if key in self._nonces:
            raise errors.invalid_login()
        if len(self._nonces) > 10_000:
            self._prune(now)
        self._nonces[key] = stamp

    def _prune(self, now: float) -> None:
        for key, stamp in list(self._nonces.items()):
            if now - stamp > 2 * TIMESTAMP_WINDOW:
                del self._nonces[key]

    def issue_token(self, form: dict[str, str], *, token_urls: set[str]) -> dict[str, Any]:
        """Exchange a client-credentials JWT assertion for an access token."""
        creds = self.creds
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type") != ASSERTION_TYPE
            or not form.get("client_assertion")
            or creds.public_key is None
        ):
            raise errors.invalid_login()
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("kid") != creds.certificate_id:
                raise errors.invalid_login()
            claims = jwt.decode(
                assertion,
                creds.public_key,
                algorithms=JWT_ALGORITHMS,
                issuer=creds.client_id,
                options={"require": ["exp", "iat", "iss", "aud"], "verify_aud": False},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise errors.invalid_login() from exc
        audience = claims.get("aud")
        audiences = {audience} if isinstance(audience, str) else set(audience or [])
        scope = claims.get("scope")
        scopes = (
            set(scope)
            if isinstance(scope, list)
            else set(str(scope or "").replace(",", " ").split())
        )
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not audiences & token_urls
            or "rest_webservices" not in scopes
            or not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp - iat > TOKEN_LIFETIME
        ):
            raise errors.invalid_login()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = self.clock() + TOKEN_LIFETIME
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}


def load_public_key(pem: bytes) -> Any:
    """A public key from PEM bytes holding either the key or an X.509 certificate."""
    if b"CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)


def host_slug(account_id: str) -> str:
    """The account id as it appears in NetSuite host names (``1234567_SB1`` → ``1234567-sb1``)."""
    return account_id.lower().replace("_", "-")
