"""Each kind of NetSuite failure maps to one error class, carrying the facts."""

from __future__ import annotations

import httpx
import pytest
from ns_fakes import ns_error

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import classify
from stripe_netsuite.netsuite.errors import error_details, retry_after

REQUEST = httpx.Request("PUT", "https://x/services/rest/record/v1/customer/eid:acct_1:cus_1")


@pytest.mark.parametrize(
    ("response", "kind", "code", "path"),
    [
        (
            ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded."),
            exceptions.NetSuiteRetriable,
            "CONCURRENCY_LIMIT_EXCEEDED",
            None,
        ),
        (
            ns_error(400, "CONCURRENCY_LIMIT_EXCEEDED", "Request blocked."),
            exceptions.NetSuiteRetriable,
            "CONCURRENCY_LIMIT_EXCEEDED",
            None,
        ),
        (
            ns_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred. Error ID: x"),
            exceptions.NetSuiteRetriable,
            "UNEXPECTED_ERROR",
            None,
        ),
        (httpx.Response(503, text="<html>down</html>"), exceptions.NetSuiteRetriable, None, None),
        (
            ns_error(400, "USER_ERROR", "Please enter value(s) for: First Name, Last Name."),
            exceptions.NetSuiteRejected,
            "USER_ERROR",
            None,
        ),
        (
            ns_error(
                400,
                "INVALID_CONTENT",
                "You have entered an Invalid Field Value 9999 for the following field: item",
                "item.items[0].item",
            ),
            exceptions.NetSuiteRejected,
            "INVALID_CONTENT",
            "item.items[0].item",
        ),
        (
            ns_error(403, "INSUFFICIENT_PERMISSION", "Permission Violation"),
            exceptions.NetSuiteRejected,
            "INSUFFICIENT_PERMISSION",
            None,
        ),
        (
            ns_error(404, "NONEXISTENT_ID", "Record does not exist."),
            exceptions.NetSuiteRejected,
            "NONEXISTENT_ID",
            None,
        ),
        (
            ns_error(401, "INVALID_LOGIN", "Invalid login attempt."),
            exceptions.AuthenticationFailed,
            "INVALID_LOGIN",
            None,
        ),
    ],
)
def test_responses_map_to_classes_with_their_facts(
    response: httpx.Response,
    kind: type[exceptions.NetSuiteError],
    code: str | None,
    path: str | None,
) -> None:
    response.request = REQUEST
    error = classify(response, record_type="customer", external_id="acct_1:cus_1")
    assert type(error) is kind
    assert error.status_code == response.status_code
    assert error.error_code == code
    assert error.error_path == path
    assert error.record_type == "customer"
    assert error.external_id == "acct_1:cus_1"
    assert error.detail


def test_the_message_is_netsuites_detail_and_facts_show_in_str() -> None:
    error = classify(
        ns_error(400, "USER_ERROR", "This entity already exists."), record_type="invoice"
    )
    assert error.message == "This entity already exists."
    assert "record_type=invoice" in str(error)
    assert "code=USER_ERROR" in str(error)


def test_retry_after_is_carried() -> None:
    response = ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "blocked")
    response.headers["Retry-After"] = "7"
    error = classify(response)
    assert isinstance(error, exceptions.NetSuiteRetriable)
    assert error.retry_after == 7.0


def test_retry_after_as_http_date_in_the_past_is_zero() -> None:
    response = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after(response) == 0.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None


def test_the_documented_429_body_that_is_not_json_still_yields_its_code() -> None:
    # NetSuite's own help page shows this body, missing comma and all.
    text = (
        '{ "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",'
        ' "title": "Bad Request",'
        ' "status": 429, "o:errorCode": "USER_ERROR"\n "o:errorDetails": [ { "detail": '
        '"Concurrent request limit exceeded. Request blocked.", "o:errorCode": '
        '"CONCURRENCY_LIMIT_EXCEEDED" } ] }'
    )
    details = error_details(httpx.Response(429, text=text))
    assert details.detail == "Concurrent request limit exceeded. Request blocked."
    assert details.error_code in {"USER_ERROR", "CONCURRENCY_LIMIT_EXCEEDED"}
    assert isinstance(classify(httpx.Response(429, text=text)), exceptions.NetSuiteRetriable)


def test_the_flat_2020_error_form_is_read() -> None:
    response = httpx.Response(
        400, json={"type": "t", "title": "Bad Request", "o:errorCode": "USER_ERROR", "detail": "d"}
    )
    details = error_details(response)
    assert (details.error_code, details.detail) == ("USER_ERROR", "d")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out", request=REQUEST),
        httpx.ConnectError("connection refused", request=REQUEST),
        httpx.RemoteProtocolError("peer closed connection", request=REQUEST),
    ],
)
def test_transport_failures_are_retriable(exc: httpx.HTTPError) -> None:
    error = classify(exc, record_type="customer", external_id="e1")
    assert isinstance(error, exceptions.NetSuiteRetriable)
    assert type(exc).__name__ in error.message
    assert (error.record_type, error.external_id) == ("customer", "e1")


def test_a_non_transport_http_error_is_rejected() -> None:
    error = classify(httpx.TooManyRedirects("loop", request=REQUEST))
    assert isinstance(error, exceptions.NetSuiteRejected)
