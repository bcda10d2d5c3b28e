"""NetSuite's REST error documents, raised as one exception type and rendered in one place."""

from __future__ import annotations

import json
import secrets
from typing import Any

ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error"
_TYPE_BASE = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
_ANCHORS = {400: "#sec10.4.1", 401: "#sec10.4.2"}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)


class NetSuiteError(Exception):
    """A request the sandbox refuses, with the NetSuite error code and JSONPath of the culprit."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path:
            item["o:errorPath"] = self.path
        return {
            "type": _TYPE_BASE + _ANCHORS.get(self.status, ""),
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "o:errorDetails": [item],
        }

    def encode(self) -> bytes:
        return json.dumps(self.body()).encode()


def invalid_login() -> NetSuiteError:
    return NetSuiteError(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)


def user_error(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", f"Error while accessing a resource. {detail}", path)


def missing(*labels: str) -> NetSuiteError:
    """NetSuite's message for mandatory fields left empty."""
    return user_error(f"Please enter value(s) for: {', '.join(labels)}.")


def invalid_value(value: object, field_name: str, path: str) -> NetSuiteError:
    return NetSuiteError(
        400,
        "INVALID_CONTENT",
        "Error while accessing a resource. You have entered an Invalid Field Value "
        f"{value} for the following field: {field_name}",
        path,
    )


def invalid_request(detail: str = "") -> NetSuiteError:
    text = "The request could not be understood by the server due to malformed syntax."
    return NetSuiteError(400, "INVALID_REQUEST", f"{text} {detail}".strip())


def not_found() -> NetSuiteError:
    return NetSuiteError(404, "NONEXISTENT_ID", "Record does not exist.")


def concurrency_exceeded() -> NetSuiteError:
    return NetSuiteError(
        429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked."
    )


def unexpected() -> NetSuiteError:
    error_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20))
    return NetSuiteError(
        500, "UNEXPECTED_ERROR", f"An unexpected error occurred. Error ID: {error_id}"
    )
