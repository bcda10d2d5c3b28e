"""Accounting periods: the calendar from SuiteQL rows, which periods refuse what, the refusal
classified once, and the difference an adjustment posts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from ns_fakes import ns_error

from stripe_netsuite import exceptions
from stripe_netsuite.flows.periods import difference, moved
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.netsuite import classify, periods
from stripe_netsuite.netsuite.errors import PeriodClosed

D = Decimal
ROWS = [
    {"id": "5", "periodname": "Nov 2026", "startdate": "2026-11-01", "enddate": "2026-11-30",
     "closed": "F", "arlocked": "T", "alllocked": "F"},
    {"id": "4", "periodname": "Oct 2026", "startdate": "2026-10-01", "enddate": "2026-10-31",
     "closed": "T", "arlocked": "T", "alllocked": "T"},
    {"id": "6", "periodname": "Dec 2026", "startdate": "2026-12-01", "enddate": "2026-12-31",
     "closed": "F", "arlocked": "F", "alllocked": "F"},
    {"id": "9", "periodname": "undated"},
]  # fmt: skip


def test_the_calendar_is_ordered_by_date_and_skips_rows_without_dates() -> None:
    calendar = periods.calendar_from(ROWS)
    assert [p.name for p in calendar.periods] == ["Oct 2026", "Nov 2026", "Dec 2026"]
    october = calendar.of(date(2026, 10, 31))
    assert october is not None and october.id == "4" and october.closed
    assert calendar.of(date(2027, 1, 1)) is None
    assert calendar.by_id("6") == calendar.of(date(2026, 12, 1))


@pytest.mark.parametrize(
    ("day", "record_type", "refused", "state", "first_open"),
    [
        (date(2026, 10, 5), "invoice", True, "closed", "Dec 2026"),
        (date(2026, 10, 5), "journalEntry", True, "closed", "Nov 2026"),
        (date(2026, 11, 5), "customerPayment", True, "locked for A/R", "Dec 2026"),
        (date(2026, 11, 5), "deposit", False, "open", "Dec 2026"),
        (date(2026, 12, 5), "invoice", False, "open", None),
    ],
)
def test_which_period_refuses_what(
    day: date, record_type: str, refused: bool, state: str, first_open: str | None
) -> None:
    calendar = periods.calendar_from(ROWS)
    period = calendar.of(day)
    assert period is not None
    assert period.refuses(record_type) is refused
    assert period.state(record_type) == state
    found = calendar.first_open(period, record_type)
    assert (found.name if found else None) == first_open


@pytest.mark.parametrize(
    ("detail", "path"),
    [
        ("Error while accessing a resource. The accounting period Oct 2026 is closed.", None),
        ("You cannot post to a period that is locked.", None),
        ("Invalid posting period.", "postingPeriod"),
    ],
)
def test_a_period_refusal_is_its_own_class_and_is_parked(detail: str, path: str | None) -> None:
    error = classify(ns_error(400, "USER_ERROR", detail, path), record_type="invoice")
    assert isinstance(error, PeriodClosed)
    assert isinstance(error, exceptions.NeedsAttention)
    assert error.message.startswith("NetSuite refused the posting: its accounting period")


def test_other_user_errors_are_not_period_refusals() -> None:
    error = classify(ns_error(400, "USER_ERROR", "Please enter value(s) for: Customer."))
    assert type(error) is exceptions.NetSuiteRejected


def test_the_difference_splits_what_is_added_from_what_is_taken_away() -> None:
    posted = {("20", None): (D("100"), D(0)), ("21", None): (D("-10"), D(0)),
              ("30", "7"): (D("50"), D("5"))}  # fmt: skip
    wanted = {("20", None): (D("120"), D(0)), ("30", "7"): (D("40"), D("4")),
              ("22", None): (D("3"), D(0))}  # fmt: skip
    more, less = difference(posted, wanted)
    assert more == {("20", None): (D("20"), D(0)), ("21", None): (D("10"), D(0)),
                    ("22", None): (D("3"), D(0))}  # fmt: skip
    assert less == {("30", "7"): (D("10"), D("1"))}
    assert difference(posted, posted) == ({}, {})


def test_a_moved_record_keeps_its_date_in_the_memo_and_the_field() -> None:
    calendar = periods.calendar_from(ROWS)
    october, december = calendar.periods[0], calendar.periods[2]
    record = NetSuiteRecord(
        "invoice",
        "acct_1:in_1",
        {"tranDate": "2026-10-05", "memo": "Stripe in_1"},
        "in_1",
        "invoice",
    )
    out = moved(record, day=date(2026, 10, 5), closed=october, into=december, field="custbody_d")
    assert out.body == {
        "tranDate": "2026-12-01",
        "postingPeriod": {"id": "6"},
        "memo": "Stripe in_1 · Stripe date 2026-10-05 (Oct 2026 closed)",
        "custbody_d": "2026-10-05",
    }
    assert record.body["tranDate"] == "2026-10-05"
