"""A request id for every web request: taken from ``X-Request-ID`` or made, logged on each
line the request causes (`logs.request_id`) and sent back in the answer's header."""

from __future__ import annotations

import re
import uuid
from typing import Any

from stripe_netsuite import logs

HEADER = b"x-request-id"
#: What a caller's id may look like; anything else is replaced by one of ours.
_FINE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(headers: dict[bytes, bytes]) -> str:
    """The caller's ``X-Request-ID`` when it looks like one, else a new one."""
    given = headers.get(HEADER, b"").decode("latin-1")
    return given if _FINE.fullmatch(given) else uuid.uuid4().hex


class RequestIds:
    """ASGI middleware: sets `logs.request_id` for the request and echoes it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(dict(scope.get("headers") or ()))
        token = logs.request_id.set(rid)

        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((HEADER, rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            logs.request_id.reset(token)
