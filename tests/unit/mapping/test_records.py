"""The record value, externalIds and date helpers."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import NetSuiteRecord, external_id_for
from stripe_netsuite.mapping.records import as_dict, period_dates, plain, tran_date


@pytest.mark.parametrize(
    ("account", "stripe_id", "prefix", "expected"),
    [
        ("acct_1Abc", "in_123", None, "acct_1Abc:in_123"),
        ("acct_1Abc", "re_123", "cm", "acct_1Abc:cm:re_123"),
        ("acct_2Xyz", "re_123", "cm", "acct_2Xyz:cm:re_123"),
    ],
)
def test_external_id(account: str, stripe_id: str, prefix: str | None, expected: str) -> None:
    assert external_id_for(account, stripe_id, prefix) == expected


@pytest.mark.parametrize(("account", "stripe_id"), [("", "in_1"), ("acct_1", "")])
def test_external_id_needs_both_ids(account: str, stripe_id: str) -> None:
    with pytest.raises(exceptions.MappingError, match="externalId needs"):
        external_id_for(account, stripe_id)


def test_record_is_frozen() -> None:
    record = NetSuiteRecord("invoice", "acct_1:in_1", {}, "in_1", "invoice")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.role = "other"  # type: ignore[misc]


def test_plain_keeps_amounts_exact() -> None:
    body = {"amount": Decimal("0.10"), "item": {"items": [{"rate": Decimal("1.005")}]}}
    assert plain(body) == {"amount": "0.10", "item": {"items": [{"rate": "1.005"}]}}
    record = NetSuiteRecord("invoice", "e", body, "in_1", "invoice")
    assert as_dict(record)["body"]["amount"] == "0.10"


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [(0, "1970-01-01"), (1767225599, "2025-12-31"), (1767225600, "2026-01-01")],
)
def test_tran_date_is_utc(timestamp: int, expected: str) -> None:
    assert tran_date(timestamp) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 1 May 2026 → 1 June 2026, midnight: service through 31 May.
        (1777593600, 1780272000, ("2026-05-01", "2026-05-31")),
        # anchored at 14:00: still through 31 May.
        (1777644000, 1780322400, ("2026-05-01", "2026-05-31")),
        # a one-off item: start == end.
        (1777644000, 1777644000, ("2026-05-01", "2026-05-01")),
    ],
)
def test_period_dates_make_end_inclusive(start: int, end: int, expected: tuple[str, str]) -> None:
    assert period_dates(start, end) == expected
