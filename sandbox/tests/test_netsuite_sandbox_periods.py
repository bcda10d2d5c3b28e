"""Accounting periods over HTTP: the calendar in SuiteQL, refusals in closed and locked months,
the period on every GL line, and reopening."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from netsuite_helpers import RECORDS, Served, error_code, error_path
from stripe_netsuite_sandbox.netsuite import chart, jsonio, periods

D = Decimal


@pytest.fixture
def ns() -> Iterator[Served]:
    served = Served()
    try:
        yield served
    finally:
        served.close()


def period(ns: Served, name: str, **flags: bool) -> dict[str, Any]:
    response = ns.client.post(f"/__sandbox/periods/{name}", json=flags)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def send(ns: Served, method: str, path: str, payload: Any) -> httpx.Response:
    return ns.client.request(
        method,
        RECORDS + path,
        content=jsonio.dumps(payload),
        headers={"content-type": "application/json"},
    )


def invoice_body(customer: str, day: str, amount: str = "100") -> dict[str, Any]:
    lines = {"items": [{"item": {"id": chart.SERVICE_ITEM}, "amount": D(amount)}]}
    return {"entity": {"id": customer}, "tranDate": day, "item": lines}


def period_id(ns: Served, name: str) -> str:
    rows = ns.rows("SELECT id FROM accountingPeriod WHERE periodname = ?", [name])
    assert len(rows) == 1
    return rows[0]["id"]


def test_the_calendar_reads_as_netsuite_names_it(ns: Served) -> None:
    rows = ns.rows(
        "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS s, "
        "TO_CHAR(enddate, 'YYYY-MM-DD') AS e, closed, arlocked, aplocked, alllocked, "
        "isquarter, isyear, isadjust FROM accountingPeriod "
        "WHERE startdate >= '2026-01-01' AND enddate <= '2026-12-31' ORDER BY id"
    )
    names = [r["periodname"] for r in rows]
    assert names[:5] == ["FY 2026", "Q1 2026", "Jan 2026", "Feb 2026", "Mar 2026"]
    months = [r for r in rows if r["isyear"] == "F" and r["isquarter"] == "F"]
    assert len(months) == 12 and len(rows) == 17
    feb = next(r for r in months if r["periodname"] == "Feb 2026")
    assert (feb["s"], feb["e"]) == ("2026-02-01", "2026-02-28")
    assert {r["closed"] for r in rows} == {"F"} and {r["isadjust"] for r in rows} == {"F"}


def test_a_closed_month_refuses_new_postings_and_edits_until_reopened(ns: Served) -> None:
    customer = ns.customer()
    october = ns.create("invoice", invoice_body(customer, "2026-10-15"))
    closed = period(ns, "Oct 2026", closed=True)
    assert closed["closed"] and closed["allLocked"] and closed["arLocked"]

    refused = send(ns, "POST", "/invoice", invoice_body(customer, "2026-10-20"))
    assert refused.status_code == 400
    assert error_code(refused) == "USER_ERROR" and error_path(refused) == "postingPeriod"
    assert "Oct 2026 is closed" in refused.json()["o:errorDetails"][0]["detail"]

    edit = send(ns, "PATCH", f"/invoice/{october}", {"memo": "late change"})
    assert edit.status_code == 400 and error_path(edit) == "postingPeriod"
    moved_out = send(ns, "PATCH", f"/invoice/{october}", {"tranDate": "2026-11-02"})
    assert moved_out.status_code == 400

    # November is open: the same invoice dated there posts, with its period on every GL line.
    november = ns.create("invoice", invoice_body(customer, "2026-11-03", "40"))
    nov_id = period_id(ns, "Nov 2026")
    rows = ns.rows(
        "SELECT tal.account, tal.debit, tal.credit, tal.postingperiod "
        "FROM transactionaccountingline tal WHERE tal.transaction = ? ORDER BY tal.account",
        [november],
    )
    assert [(r["account"], r.get("debit"), r.get("credit"), r["postingperiod"]) for r in rows] == [
        (chart.ACCOUNTS_RECEIVABLE, "40.00", None, nov_id),
        (chart.INCOME, None, "40.00", nov_id),
    ]
    header = ns.rows("SELECT postingperiod FROM transaction WHERE id = ?", [october])
    assert header == [{"postingperiod": period_id(ns, "Oct 2026")}]

    period(ns, "Oct 2026", closed=False, arLocked=False, apLocked=False, allLocked=False)
    assert send(ns, "POST", "/invoice", invoice_body(customer, "2026-10-20")).status_code == 204


def test_a_transaction_in_a_closed_month_cannot_be_deleted_until_reopened(ns: Served) -> None:
    customer = ns.customer()
    october = ns.create("invoice", invoice_body(customer, "2026-10-15"))
    period(ns, "Oct 2026", closed=True)
    refused = ns.client.delete(f"{RECORDS}/invoice/{october}")
    assert refused.status_code == 400
    assert error_code(refused) == "USER_ERROR" and error_path(refused) == "postingPeriod"
    assert ns.client.get(f"{RECORDS}/invoice/{october}").status_code == 200
    # A record that posts nothing (the customer) is not held by the period.
    other = ns.customer("cus_other", companyName="Other Ltd")
    assert ns.client.delete(f"{RECORDS}/customer/{other}").status_code == 204
    period(ns, "Oct 2026", closed=False, arLocked=False, apLocked=False, allLocked=False)
    assert ns.client.delete(f"{RECORDS}/invoice/{october}").status_code == 204
    assert ns.client.get(f"{RECORDS}/invoice/{october}").status_code == 404


def test_an_ar_lock_refuses_ar_transactions_only(ns: Served) -> None:
    customer = ns.customer()
    period(ns, "Sep 2026", arLocked=True)
    refused = send(ns, "POST", "/invoice", invoice_body(customer, "2026-09-10"))
    assert refused.status_code == 400
    assert "locked for A/R" in refused.json()["o:errorDetails"][0]["detail"]
    journal = {
        "tranDate": "2026-09-10",
        "subsidiary": {"id": chart.SUBSIDIARY_US},
        "line": {
            "items": [
                {"account": {"id": chart.STRIPE_FEES}, "debit": D(5)},
                {"account": {"id": chart.STRIPE_CLEARING}, "credit": D(5)},
            ]
        },
    }
    assert ns.create("journalEntry", journal)
    period(ns, "Sep 2026", allLocked=True)
    assert send(ns, "POST", "/journalEntry", journal).status_code == 400


def test_a_named_posting_period_wins_over_the_date(ns: Served) -> None:
    customer = ns.customer()
    period(ns, "Aug 2026", closed=True)
    body = {
        **invoice_body(customer, "2026-08-30"),
        "postingPeriod": {"id": period_id(ns, "Sep 2026")},
    }
    rid = ns.create("invoice", body)
    found = ns.account.gl.impact_of(rid)
    assert found.period == period_id(ns, "Sep 2026") and found.tran_date == "2026-08-30"
    quarter = {**body, "postingPeriod": {"id": period_id(ns, "Q3 2026")}}
    assert send(ns, "POST", "/invoice", quarter).status_code == 400


def test_a_payment_in_an_open_month_settles_an_invoice_of_a_closed_one(ns: Served) -> None:
    customer = ns.customer()
    october = ns.create("invoice", invoice_body(customer, "2026-10-15", "60"))
    period(ns, "Oct 2026", closed=True)
    ns.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": D(60),
            "tranDate": "2026-11-01",
            "apply": {"items": [{"doc": {"id": october}, "apply": True}]},
        },
    )
    rows = ns.rows("SELECT foreignamountremaining FROM transaction WHERE id = ?", [october])
    assert rows == [{"foreignamountremaining": "0.00"}]


def test_the_calendar_range_is_configurable() -> None:
    served = Served(period_years=(2030, 2031))
    try:
        rows = served.rows("SELECT periodname FROM accountingPeriod WHERE isyear = 'T' ORDER BY id")
        assert [r["periodname"] for r in rows] == ["FY 2030", "FY 2031"]
    finally:
        served.close()
    assert len(periods.records(2026, 2026)) == 17


def test_the_custom_date_field_takes_dates_only(ns: Served) -> None:
    customer = ns.customer()
    body = {**invoice_body(customer, "2026-11-02"), "custbody_stripe_date": "2026-10-15"}
    rid = ns.create("invoice", body)
    assert ns.account.store.get("invoice", rid)["custbody_stripe_date"] == "2026-10-15"
    wrong = send(ns, "POST", "/invoice", {**body, "custbody_stripe_date": "mid October"})
    assert wrong.status_code == 400 and error_code(wrong) == "INVALID_CONTENT"
    assert error_path(wrong) == "custbody_stripe_date"
