"""The error tree carries what the worker and the operator need."""

from __future__ import annotations

from stripe_netsuite import exceptions


def test_netsuite_retriable_keeps_its_retry_hint_and_facts() -> None:
    exc = exceptions.NetSuiteRetriable(
        "busy", retry_after=7.5, record_type="invoice", status_code=429
    )
    assert isinstance(exc, exceptions.RetriableError)
    assert exc.retry_after == 7.5
    assert exc.record_type == "invoice"
    assert "status=429" in str(exc)


def test_rejected_is_parked_not_retried() -> None:
    exc = exceptions.NetSuiteRejected("bad field", error_path="item.items[0].rate")
    assert isinstance(exc, exceptions.NeedsAttention)
    assert not isinstance(exc, exceptions.RetriableError)
    assert "path=item.items[0].rate" in str(exc)


def test_skip_names_its_rule() -> None:
    exc = exceptions.Skip("netsuite_block_integration", object_id="cus_1")
    assert exc.rule == "netsuite_block_integration"
    assert "cus_1" in str(exc)
