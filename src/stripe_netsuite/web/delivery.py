"""Taking one webhook delivery off the wire: its secret, and a body no larger than a cap.

Everything here happens before the signature is checked, so it trusts nothing it reads:
the body is counted while it streams, whatever ``Content-Length`` claims, and an account
name that is unknown (or has webhooks off) is answered exactly like a bad signature.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from starlette.requests import Request

from stripe_netsuite.settings import Config

#: Signs nothing anyone holds: an unknown account's deliveries are verified against it,
#: so they fail like a forged one and the answer says nothing about which names exist.
_NOBODYS_SECRET = "whsec_" + secrets.token_hex(32)


class BodyTooLarge(Exception):
    """The delivery's body is longer than the cap; it is answered 413 and not read on."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"body is larger than {limit} bytes")


class BadLength(Exception):
    """The ``Content-Length`` header is not a number."""


class Disconnected(Exception):
    """The sender closed the connection before the body was whole."""


def signing_secret(config: Config, account: str) -> tuple[str, str | None]:
    """The account's webhook secret, and why there is none (for the log only).

    An unknown account, or one without ``stripe_webhook_secret``, gets a secret nobody
    holds, so the delivery goes through the same verification and fails the same way.
    """
    cfg = config.accounts.get(account)
    if cfg is None:
        return _NOBODYS_SECRET, "unknown account"
    secret = cfg.stripe_webhook_secret.get_secret_value() if cfg.stripe_webhook_secret else ""
    if not secret:
        return _NOBODYS_SECRET, "account has no stripe_webhook_secret; webhooks are off"
    return secret, None


async def read_body(request: Request, *, limit: int) -> bytes:
    """The raw body of a framework request; see `read_stream`."""
    return await read_stream(request.headers.get("content-length"), request.stream(), limit=limit)


async def read_stream(declared: str | None, chunks: AsyncIterator[bytes], *, limit: int) -> bytes:
    """The raw body, refused with `BodyTooLarge` as soon as it is known to exceed *limit*.

    A *declared* ``Content-Length`` over the cap is refused before a byte is read; a body
    without one (chunked), or longer than it declared, is cut off while it is counted.
    """
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise BadLength(declared)
        if int(declared) > limit:
            raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)
