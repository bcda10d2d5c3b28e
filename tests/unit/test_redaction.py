"""Redaction: our words, codes, paths and ids stay; amounts, names and emails go."""

from __future__ import annotations

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.redaction import error_message, error_text, redact


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Invalid field value 1234.56 for amount", "Invalid field value [redacted] for amount"),
        ("deposit lines add up to 1,234.56, not", "deposit lines add up to [redacted], not"),
        ("a total of 1.234,56 EUR", "a total of [redacted]"),
        ("charged $12 and EUR 5", "charged [redacted] and [redacted]"),
        ("paid 99.5 USD", "paid [redacted]"),
        (
            "pre 500 + refund 0 + credit 300 against total 800",
            "pre [redacted] + refund [redacted] + credit [redacted] against total [redacted]",
        ),
        ("amount: 1200", "amount: [redacted]"),
        ("No such customer: cus_x (jane@example.com)", "No such customer: cus_x ([redacted])"),
        ("customer 'Jane Doe' exists", "customer [redacted] exists"),
        ('name "Jane" is taken', "name [redacted] is taken"),
        ("account 'main' is gone", "account [redacted] is gone"),
        # Ids, keys, field names, statuses and counts stay.
        ("item price_1 has no NetSuite item", "item price_1 has no NetSuite item"),
        ("'custbody_region' is not a field", "'custbody_region' is not a field"),
        ("gl.stripe_clearing: is not set", "gl.stripe_clearing: is not set"),
        ("Stripe error 500", "Stripe error 500"),
        ("unexpected answer from NetSuite: HTTP 404", "unexpected answer from NetSuite: HTTP 404"),
        ("2 payments have custbody_x = 'ch_123'", "2 payments have custbody_x = 'ch_123'"),
        ("the credit note's parts", "the credit note's parts"),
        ("at 2026-03-01 12:00:00.123456", "at 2026-03-01 12:00:00.123456"),
    ],
)
def test_redact(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_netsuites_detail_goes_whole_and_its_code_and_path_stay() -> None:
    error = exceptions.NetSuiteRejected(
        record_type="customer",
        external_id="acct_1:cus_1",
        status_code=400,
        error_code="USER_ERROR",
        error_path="email",
        detail="The email jane@example.com of Jane Doe is taken",
    )
    assert error_text(error) == (
        "NetSuiteRejected: [redacted] (record_type=customer external_id=acct_1:cus_1 "
        "status=400 code=USER_ERROR path=email)"
    )


def test_our_own_message_beside_netsuites_detail_is_kept() -> None:
    error = exceptions.NetSuiteRetriable(
        "request to NetSuite timed out: ReadTimeout", detail="timed out after 1234.56 ms"
    )
    assert error_message(error) == "request to NetSuite timed out: ReadTimeout"


class RemoteError(Exception):
    """A third-party error, as an SDK raises it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Request req_1: {message}")
        self.user_message = message
        self.code = "resource_missing"
        self.param = "customer"


def test_a_wrapped_remote_message_goes_and_its_code_and_parameter_stay() -> None:
    remote = RemoteError("No such customer: 'cus_x' (Jane Doe, jane@example.com)")
    try:
        try:
            raise remote
        except RemoteError as exc:
            raise exceptions.StripeRejected(
                f"Stripe refused the request (404): {exc.user_message}", object_id="cus_x"
            ) from exc
    except exceptions.StripeRejected as wrapped:
        error = wrapped
    assert error_text(error) == (
        "StripeRejected: Stripe refused the request (404): [redacted] "
        "(object_id=cus_x code=resource_missing param=customer)"
    )


def test_facts_and_unexpected_errors_are_redacted_too() -> None:
    assert error_message(exceptions.MappingError("bad", stripe_id="in_1", value=12.5)) == (
        "bad (stripe_id=in_1 value=[redacted])"
    )
    assert error_text(ValueError("invalid literal for int(): 'jane@example.com'")) == (
        "ValueError: invalid literal for int(): [redacted]"
    )
    # A quoted word could as well be a name: it goes (the log keeps the traceback).
    assert error_text(KeyError("amount")) == "KeyError: [redacted]"
