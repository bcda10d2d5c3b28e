"""The NetSuite client's debug lines name methods, paths, statuses and sizes, never a body,
and an answer that is not a NetSuite error is described, not quoted."""

from __future__ import annotations

import logging

import httpx
import pytest
from ns_fakes import FakeAuth, FakeNetSuite, Sleeps, make_client

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite import classify

BODY = {"companyName": "Jane Doe Holdings", "email": "jane@example.com", "balance": "1234.56"}
VALUES = ("Jane Doe", "jane@example.com", "1234.56", "Bearer t1")


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )


async def test_exchanges_are_logged_without_bodies_or_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeNetSuite(faults=[503])
    async with make_client(fake, auth=FakeAuth(), sleeps=Sleeps()) as client:
        internal_id = await client.upsert("customer", "acct_1:cus_1", dict(BODY))
        assert await client.get("customer", internal_id) is not None
    text = _logged(caplog)
    assert (
        "netsuite answered method=PUT path=/services/rest/record/v1/customer/eid:acct_1:cus_1"
        in text
    )
    assert "status=503" in text and "netsuite retry" in text
    assert "bytes=" in text
    for value in VALUES:
        assert value not in text, value


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(502, text="<html>upstream said: Jane Doe jane@example.com 1234.56</html>"),
        httpx.Response(400, json=["Jane Doe", "jane@example.com", "1234.56"]),
    ],
)
def test_an_answer_that_is_not_a_netsuite_error_is_described_not_quoted(
    response: httpx.Response,
) -> None:
    error = classify(response, record_type="customer")
    assert isinstance(error, exceptions.NetSuiteError)
    assert error.detail is not None and "bytes" in error.detail
    for value in VALUES:
        assert value not in str(error)
