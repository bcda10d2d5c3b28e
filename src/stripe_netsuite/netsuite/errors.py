"""Turn a failed NetSuite exchange into one error class, decided in one place."""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from stripe_netsuite import exceptions

#: Error codes that mean "slow down", whatever the HTTP status says.
RETRIABLE_CODES = frozenset({"CONCURRENCY_LIMIT_EXCEEDED", "UNEXPECTED_ERROR"})
# A posting refused for its accounting period: NetSuite points at ``postingPeriod`` or says so.
_PERIOD_TEXT = re.compile(r"\bperiod\b.*\b(closed|locked)\b", re.IGNORECASE)


class PeriodClosed(exceptions.NetSuiteRejected):
    """NetSuite refused the posting: its accounting period is closed or locked.

    Parked, never retried in a loop: the job runs again at the automatic retry of parked jobs,
    and posts once the period reopens or the account's ``closed_periods`` policy moves it.
    """


# NetSuite's own documentation shows a 429 body that is not valid JSON; fall back to this.
_CODE_IN_TEXT = re.compile(r'"o:errorCode"\s*:\s*"([A-Za-z_]+)"')
_DETAIL_IN_TEXT = re.compile(r'"detail"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class ErrorDetails:
    """The first entry of ``o:errorDetails`` (or the flat 2020 form)."""

    detail: str | None = None
    error_code: str | None = None
    error_path: str | None = None


def error_details(response: httpx.Response) -> ErrorDetails:
    """Read ``detail``, ``o:errorCode`` and ``o:errorPath`` from an error body."""
    text = response.text
    try:
        body: Any = json.loads(text)
    except ValueError:
        code, detail = _CODE_IN_TEXT.search(text), _DETAIL_IN_TEXT.search(text)
        return ErrorDetails(
            detail=detail.group(1) if detail else _described(response),
            error_code=code.group(1) if code else None,
        )
    if not isinstance(body, dict):
        return ErrorDetails(detail=_described(response))
    entries = body.get("o:errorDetails")
    entry = entries[0] if isinstance(entries, list) and entries else body
    if not isinstance(entry, dict):
        entry = {}
    return ErrorDetails(
        detail=entry.get("detail") or body.get("detail") or body.get("title"),
        error_code=entry.get("o:errorCode") or body.get("o:errorCode"),
        error_path=entry.get("o:errorPath"),
    )


def _described(response: httpx.Response) -> str | None:
    # A body NetSuite did not shape as an error is described, not quoted: it is kept in
    # the error, which is logged, and it may echo what was sent.
    if not response.content.strip():
        return None
    kind = response.headers.get("content-type") or "no content type"
    return f"an answer that is not a NetSuite error ({kind}, {len(response.content)} bytes)"


def _period_refusal(info: ErrorDetails) -> bool:
    if (info.error_path or "").lower() == "postingperiod":
        return True
    return bool(info.detail and _PERIOD_TEXT.search(info.detail))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta or HTTP date), if there is one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def classify(
    subject: httpx.Response | httpx.HTTPError,
    *,
    record_type: str | None = None,
    external_id: str | None = None,
) -> exceptions.NetSuiteError:
    """The error a failed request should raise; the worker acts on its class.

    * timeouts, connection errors, 429, ``CONCURRENCY_LIMIT_EXCEEDED``, 5xx and 409
      (a record changed under us) → `NetSuiteRetriable`, with ``retry_after`` when
      NetSuite sent ``Retry-After``;
    * 401 (the client has already re-authenticated once) → `AuthenticationFailed`;
    * 400 naming ``postingPeriod`` or saying the period is closed or locked → `PeriodClosed`;
    * every other 4xx (``USER_ERROR``, ``INVALID_CONTENT``, missing or invalid fields,
      403, 404 where a record must exist) → `NetSuiteRejected`.
    """
    where: dict[str, Any] = {"record_type": record_type, "external_id": external_id}
    if isinstance(subject, httpx.HTTPError):
        if isinstance(subject, httpx.TransportError):
            kind = "timed out" if isinstance(subject, httpx.TimeoutException) else "failed"
            return exceptions.NetSuiteRetriable(
                f"request to NetSuite {kind}: {type(subject).__name__}",
                detail=str(subject) or None,
                **where,
            )
        return exceptions.NetSuiteRejected(
            f"request to NetSuite could not be completed: {type(subject).__name__}",
            detail=str(subject) or None,
            **where,
        )

    status = subject.status_code
    info = error_details(subject)
    facts: dict[str, Any] = {
        **where,
        "status_code": status,
        "error_code": info.error_code,
        "error_path": info.error_path,
        "detail": info.detail,
    }
    if status == 429 or status >= 500 or status == 409 or info.error_code in RETRIABLE_CODES:
        return exceptions.NetSuiteRetriable(retry_after=retry_after(subject), **facts)
    if status == 401:
        return exceptions.AuthenticationFailed(**facts)
    if status == 400 and _period_refusal(info):
        return PeriodClosed(
            "NetSuite refused the posting: its accounting period is closed or locked", **facts
        )
    if status >= 400:
        return exceptions.NetSuiteRejected(**facts)
    return exceptions.NetSuiteRejected(f"unexpected answer from NetSuite: HTTP {status}", **facts)
