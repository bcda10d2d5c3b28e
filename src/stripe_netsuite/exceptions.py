"""The error tree. The worker branches on the class, never on the message.

A class with two parents is drawn under each of them.

SyncError
├── RetriableError        transient: back off with jitter, then try again
│   ├── NetSuiteRetriable     429 / CONCURRENCY_LIMIT_EXCEEDED, 5xx, timeouts, resets
│   └── StripeUnavailable     Stripe could not be reached or asked us to slow down
├── NeedsAttention        permanent: parked with its message until a person acts
│   ├── NetSuiteRejected      NetSuite refused the body (USER_ERROR, INVALID_CONTENT, ...)
│   ├── AuthenticationFailed  credentials refused even after re-authenticating
│   ├── MappingError          the Stripe object cannot be expressed in NetSuite
│   └── StripeRejected        Stripe refused a request (bad key, unknown object, ...)
├── NetSuiteError         NetSuite answered with an error; carries status, code and path
│   ├── NetSuiteRetriable
│   ├── NetSuiteRejected
│   └── AuthenticationFailed
├── Skip                  by a named rule: recorded, not an error
└── ConfigError           the configuration file or environment is wrong; a job that
                          meets one is parked like NeedsAttention

Boundaries may refine a class where they classify: `netsuite.errors.PeriodClosed` is a
NetSuiteRejected for a posting into a closed or locked accounting period.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """A sync step failed."""

    def __init__(self, message: str | None = None, **facts: Any) -> None:
        self.message = message or (self.__doc__ or type(self).__name__).strip()
        self.facts = {k: v for k, v in facts.items() if v is not None}
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.facts:
            return self.message
        details = " ".join(f"{k}={v}" for k, v in self.facts.items())
        return f"{self.message} ({details})"


class RetriableError(SyncError):
    """A transient failure; the same step may succeed later."""

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **facts: Any
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, **facts)


class NeedsAttention(SyncError):
    """A permanent failure; parked until a person fixes the cause and retries."""


class Skip(SyncError):
    """Deliberately not synced, by a named rule."""

    def __init__(self, rule: str, message: str | None = None, **facts: Any) -> None:
        self.rule = rule
        super().__init__(message or f"skipped by rule {rule}", **facts)


class ConfigError(SyncError):
    """The configuration is invalid."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ":".join(p for p in (file, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class NetSuiteError(SyncError):
    """NetSuite answered with an error.

    Carries what an operator needs: the record type, the externalId, the HTTP
    status, NetSuite's error code, the field path and NetSuite's own text.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        record_type: str | None = None,
        external_id: str | None = None,
        status_code: int | None = None,
        error_code: str | None = None,
        error_path: str | None = None,
        detail: str | None = None,
        **facts: Any,
    ) -> None:
        self.record_type = record_type
        self.external_id = external_id
        self.status_code = status_code
        self.error_code = error_code
        self.error_path = error_path
        self.detail = detail
        super().__init__(
            message or detail,
            record_type=record_type,
            external_id=external_id,
            status=status_code,
            code=error_code,
            path=error_path,
            **facts,
        )


class NetSuiteRetriable(NetSuiteError, RetriableError):
    """NetSuite is busy or failing (429, 5xx, timeout, connection reset).

    ``retry_after`` passes through `NetSuiteError`'s keywords on to `RetriableError`.
    """


class NetSuiteRejected(NetSuiteError, NeedsAttention):
    """NetSuite refused the request body; it will refuse it again until something changes."""


class AuthenticationFailed(NetSuiteError, NeedsAttention):
    """NetSuite refused the credentials, even after minting a new token."""


class MappingError(NeedsAttention):
    """The Stripe object cannot be expressed as a NetSuite record."""


class StripeUnavailable(RetriableError):
    """Stripe could not be reached or asked us to slow down."""


class StripeRejected(NeedsAttention):
    """Stripe refused a request (bad key, unknown object, invalid parameter)."""
