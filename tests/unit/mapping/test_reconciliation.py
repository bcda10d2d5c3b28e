"""Per-payout reconciliation: Stripe amount, NetSuite deposit total, difference, suspense."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_payout import IDS, bt, deposit_context, fees, own_bt, payout

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.payout import SUSPENSE_MEMO, map_deposit
from stripe_netsuite.mapping.reconciliation import PayoutReport, any_difference, compare, render


def _mapped(po: dict[str, Any], *bts: dict[str, Any]) -> Any:
    return map_deposit(po, [*bts, own_bt(po)], deposit_context(**IDS)).records[0].body


def test_mapped_deposit_ties_out() -> None:
    po = payout(9680)
    body = _mapped(po, bt("txn_1", "charge", 10000, source="ch_1",
                          fee_details=fees(("stripe_fee", 320))))  # fmt: skip
    report = compare(po, body)
    assert report == PayoutReport("po_1", "usd", Decimal("96.80"), Decimal("96.80"),
                                  Decimal("0.00"), [])  # fmt: skip
    assert report.ties_out
    assert not any_difference([report])


def test_suspense_lines_are_listed_signed() -> None:
    po = payout(9530)
    body = _mapped(po, bt("txn_1", "charge", 10000, source="ch_1"),
                   bt("txn_x", "brand_new_category", -500), bt("txn_y", "refund", 30,
                                                               source="re_9"))  # fmt: skip
    report = compare(po, body)
    assert report.difference == 0
    assert [amount for _, amount in report.suspense_lines] == [Decimal("0.30"), Decimal("-5.00")]
    assert "txn_x" in report.suspense_lines[1][0]


def test_suspense_account_finds_lines_entered_by_hand() -> None:
    po = payout(1000)
    body = {"other": {"items": [{"account": {"id": "999"}, "amount": 10.0, "memo": "by hand"}]}}
    assert compare(po, body).suspense_lines == []
    found = compare(po, body, suspense_account="999").suspense_lines
    assert found == [("by hand", Decimal("10.0"))]


def test_edited_deposit_shows_the_difference() -> None:
    po = payout(9680)
    body = {"payment": {"items": [{"id": 1001, "deposit": True, "paymentAmount": 100.0}]},
            "cashback": {"items": [{"account": {"id": "600"}, "amount": 3.0}]}}  # fmt: skip
    report = compare(po, body)
    assert report.netsuite_total == Decimal("97.0")
    assert report.difference == Decimal("-0.20")
    assert any_difference([report])


def test_missing_deposit() -> None:
    report = compare(payout(1200, currency="jpy"), None)
    assert (report.netsuite_total, report.difference) == (None, Decimal("1200"))
    assert any_difference([report])


@pytest.mark.parametrize(
    ("change", "message"),
    [({"id": None}, "not a Stripe payout"), ({"amount": "1"}, "payout amount"),
     ({"currency": ""}, "no currency")],
)  # fmt: skip
def test_bad_payout_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(exceptions.MappingError, match=message):
        compare({**payout(100), **change}, None)


def test_render_table() -> None:
    ok = compare(payout(9680), {"other": {"items": [{"account": {"id": "1"}, "amount": "96.80"}]}})
    odd = compare(payout(500, po_id="po_2"), {
        "other": {"items": [{"account": {"id": "999"}, "amount": "4.00",
                             "memo": f"{SUSPENSE_MEMO}txn_x: odd"}]}
    })  # fmt: skip
    gone = compare(payout(1200, po_id="po_3", currency="jpy"), None)
    text = render([ok, odd, gone])
    lines = text.splitlines()
    assert lines[0].split() == ["payout", "currency", "Stripe", "NetSuite", "difference", "status"]
    assert lines[2].split() == ["po_1", "USD", "96.80", "96.80", "0.00", "ok"]
    assert lines[3].split() == ["po_2", "USD", "5.00", "4.00", "1.00", "DIFFERENCE"]
    assert lines[4].split()[:3] == ["suspense", "4.00", "Suspense:"]
    assert lines[5].split() == ["po_3", "JPY", "1200", "-", "1200", "no", "deposit"]
    assert lines[-1] == "3 payouts, 2 with a difference or no deposit"
    # Amount columns are right-aligned: each row's Stripe amount ends in the same column.
    ends = {ln.index(a) + len(a) for ln, a in zip(lines[2:4], ["96.80", "5.00"], strict=True)}
    assert len(ends) == 1


def test_negative_payout_journal_is_compared_through_its_bank_line() -> None:
    po = payout(-7000)
    journal = map_deposit(po, [own_bt(po)], deposit_context()).records[0].body
    report = compare(po, journal, bank_account="1")
    assert (report.netsuite_total, report.difference) == (Decimal("-70.00"), Decimal("0.00"))
    assert report.ties_out
    with pytest.raises(exceptions.MappingError, match="pass bank_account"):
        compare(po, journal)


def test_journal_suspense_lines() -> None:
    po = payout(-100)
    body = {"line": {"items": [
        {"account": {"id": "999"}, "debit": "0.40", "memo": f"{SUSPENSE_MEMO}txn_z: odd"},
        {"account": {"id": "130"}, "debit": "0.60"},
        {"account": {"id": "1"}, "credit": "1.00"},
    ]}}  # fmt: skip
    report = compare(po, body, bank_account="1")
    assert report.suspense_lines == [(f"{SUSPENSE_MEMO}txn_z: odd", Decimal("-0.40"))]
    assert report.difference == 0
