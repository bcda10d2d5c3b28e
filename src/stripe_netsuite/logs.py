"""Logging for the engine's processes: its own loggers at ``SNS_LOG_LEVEL``, talkative
libraries never below WARNING.

At DEBUG the Stripe SDK logs every request's parameters and every response body (names,
emails, amounts), and with ``stripe.log`` or ``STRIPE_LOG`` set it prints them to stderr
past any logging setup; httpx and httpcore log each exchange, headers included
(``Authorization`` among them); SQLAlchemy logs statements with their parameters and rows
(the install's hash key, the vault's ciphertext); botocore logs KMS requests. None of that
belongs in a log, so ``SNS_LOG_LEVEL=DEBUG`` turns on the engine's own debug lines (ids,
statuses, codes, sizes) and leaves these libraries at WARNING.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time

import stripe
from stripe import _util as stripe_util

#: Libraries whose debug (or info) lines carry bodies, parameters, headers or rows.
QUIET = ("stripe", "httpx", "httpcore", "hpack", "sqlalchemy", "botocore", "boto3", "urllib3")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


#: The web request (``X-Request-ID``) and the job a line is logged for, when there is one.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("job_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request and job id."""

    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "job_id": job_id.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str | int, *, json_lines: bool = False) -> None:
    """Log at *level* to stderr, with the libraries in `QUIET` at WARNING or above.

    With *json_lines* (``SNS_LOG_FORMAT=json``) every line is a `JsonFormatter` object.
    """
    number = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    logging.basicConfig(level=number, format=FORMAT)
    if json_lines:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in QUIET:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))
    # The SDK's console logging prints to stderr whatever logging says; it stays off.
    stripe.log = None
    stripe_util.STRIPE_LOG = None
