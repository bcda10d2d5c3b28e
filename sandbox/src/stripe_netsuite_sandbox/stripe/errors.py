"""Stripe error bodies: `{"error": {type, code, message, param}}` with Stripe's status codes."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error rendered as Stripe renders it."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe answers with."""
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
        if self.param:
            err["param"] = self.param
        err.update(self.extra)
        return {"error": err}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    """A 400 `invalid_request_error`."""
    return StripeError(message, param=param, code=code)


def missing_param(param: str) -> StripeError:
    """A required parameter was not sent."""
    return StripeError(f"Missing required param: {param}.", param=param, code="parameter_missing")


def no_such(kind: str, object_id: str, param: str | None = None) -> StripeError:
    """A 404 for an unknown id."""
    return StripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def card_declined(
    message: str = "Your card was declined.",
    *,
    code: str = "card_declined",
    decline_code: str | None = "generic_decline",
    extra: dict[str, Any] | None = None,
) -> StripeError:
    """A 402 `card_error`."""
    more: dict[str, Any] = {}
    if decline_code:
        more["decline_code"] = decline_code
    more.update(extra or {})
    return StripeError(message, status=402, type="card_error", code=code, extra=more)
