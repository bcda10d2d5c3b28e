"""At DEBUG the engine's logs hold ids, statuses, codes and sizes: the libraries that would log
bodies, parameters and headers stay at WARNING, and Stripe's error texts are not kept."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import stripe
from stripe import _util as stripe_util

from stripe_netsuite import cli, exceptions, logs
from stripe_netsuite.stripe_api.client import call

SECRET_VALUES = ("jane@example.com", "1234.56", "Jane Doe")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Logging is process-wide: put back what each test changed."""
    names = (*logs.QUIET, "", "stripe_netsuite")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    console = (stripe.log, stripe_util.STRIPE_LOG)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    stripe.log, stripe_util.STRIPE_LOG = console


def _quiet() -> dict[str, int]:
    return {name: logging.getLogger(name).getEffectiveLevel() for name in logs.QUIET}


def test_debug_keeps_the_libraries_at_warning_and_the_sdk_console_off() -> None:
    stripe.log = "debug"
    stripe_util.STRIPE_LOG = "debug"
    logs.configure("DEBUG")
    logging.getLogger().setLevel(logging.DEBUG)  # pytest's handlers make basicConfig a no-op
    assert logging.getLogger("stripe_netsuite.netsuite.client").isEnabledFor(logging.DEBUG)
    assert _quiet() == dict.fromkeys(logs.QUIET, logging.WARNING)
    for name in ("stripe", "httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
    assert stripe.log is None and stripe_util.STRIPE_LOG is None


def test_a_higher_level_applies_to_the_libraries_too() -> None:
    logs.configure("error")
    assert _quiet() == dict.fromkeys(logs.QUIET, logging.ERROR)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        logs.configure("LOUD")


def test_every_command_sets_logging_up_this_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNS_LOG_LEVEL", "DEBUG")
    # Under pytest the root logger has handlers, so basicConfig leaves its level alone.
    logging.getLogger().setLevel(logging.DEBUG)
    cli._settings()
    assert _quiet() == dict.fromkeys(logs.QUIET, logging.WARNING)
    assert logging.getLogger("stripe").getEffectiveLevel() == logging.WARNING


def _refusal() -> stripe.StripeError:
    return stripe.InvalidRequestError(
        "Invalid email address: jane@example.com (Jane Doe, amount 1234.56)",
        param="email",
        code="email_invalid",
        http_status=400,
        headers={"request-id": "req_9"},
    )


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (_refusal(), exceptions.StripeRejected, "(400)"),
        (
            stripe.APIError(
                "Server error for Jane Doe, jane@example.com: 1234.56",
                code="api_error",
                http_status=500,
                headers={"request-id": "req_9"},
            ),
            exceptions.StripeUnavailable,
            "500",
        ),
        (
            stripe.AuthenticationError(
                "Invalid API Key provided: sk_live_********1234.56 for jane@example.com",
                http_status=401,
                headers={"request-id": "req_9"},
            ),
            exceptions.StripeRejected,
            "API key",
        ),
    ],
)
async def test_stripe_errors_keep_codes_and_request_ids_not_stripes_text(
    error: stripe.StripeError, kind: type[exceptions.SyncError], status: str
) -> None:
    async def failing() -> None:
        raise error

    with pytest.raises(kind) as caught:
        await call(failing, object_id="cus_1")
    text = str(caught.value)
    assert status in text
    assert "object_id=cus_1" in text and "request_id=req_9" in text
    for value in SECRET_VALUES:
        assert value not in text, text


async def test_a_stripe_refusal_names_its_code_and_parameter() -> None:
    async def failing() -> None:
        raise _refusal()

    with pytest.raises(exceptions.StripeRejected) as caught:
        await call(failing)
    assert caught.value.facts == {"code": "email_invalid", "param": "email", "request_id": "req_9"}
