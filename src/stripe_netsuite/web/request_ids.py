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


class RequestIds:
    """ASGI middleware: sets `logs.request_id` for the request and echoes it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(HEADER, b"").decode("latin-1")
        rid = given if _FINE.fullmatch(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)

        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((HEADER, rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            logs.request_id.reset(token)
