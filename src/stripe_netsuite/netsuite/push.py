"""Verification of the SuiteScript's signed push (``suitescript/sns_user_event.js``).

The script posts ``{"id": <delivery id>, "records": [{"type": "invoice", "id": "123"}]}``
with ``X-SNS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, keyed with
``from_netsuite.push_secret``: Stripe's scheme, so it is checked the same way (constant-time
comparison, a timestamp within `TOLERANCE_SECONDS`). Only ids come in, and only ids stay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

from stripe_netsuite.netsuite.changes import RECORD_TYPES, Change

#: Seconds a signed timestamp stays valid, in either direction.
TOLERANCE_SECONDS = 300
HEADER = "x-sns-signature"
_ID = re.compile(r"[0-9]{1,18}")
_DELIVERY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_TYPES = frozenset(RECORD_TYPES.values())
#: Most records one push may name.
MAX_RECORDS = 100


class PushRejected(Exception):
    """A push failed verification; nothing from it may be stored."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The signature header for *payload* (what the SuiteScript sends; tests use it too)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    payload: bytes, header: str | None, secret: str, *, now: float | None = None
) -> list[Change]:
    """The records a genuine push names; `PushRejected` for anything else."""
    if not secret:
        raise PushRejected("pushes are off for this account")
    if not header:
        raise PushRejected("missing X-SNS-Signature header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        raise PushRejected("malformed X-SNS-Signature header")
    expected = sign(payload, secret, int(stamp)).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise PushRejected("signature does not match")
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE_SECONDS:
        raise PushRejected("timestamp outside the tolerance")
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise PushRejected("body is not JSON") from exc
    delivery = body.get("id") if isinstance(body, dict) else None
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(delivery, str) or not _DELIVERY.fullmatch(delivery):
        raise PushRejected("body has no delivery id")
    if not isinstance(records, list) or not 0 < len(records) <= MAX_RECORDS:
        raise PushRejected(f"body must name 1 to {MAX_RECORDS} records")
    found = []
    for record in records:
        rtype = record.get("type") if isinstance(record, dict) else None
        rid = str(record.get("id")) if isinstance(record, dict) else ""
        if rtype not in _TYPES or not _ID.fullmatch(rid):
            raise PushRejected("a record is not a followed type with a numeric id")
        found.append(Change(str(rtype), rid, f"push:{delivery}"))
    return found
