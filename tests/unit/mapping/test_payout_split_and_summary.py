"""A payout over the deposit line limit: split deposits, summary journal, and their proof."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, CURRENCIES, account
from test_payout import CLEARING, FEES, GL, bt, fees, own_bt, payout

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.payout import DepositContext, deposit_total, map_deposit
from stripe_netsuite.mapping.reconciliation import compare_parts, render

UF, BANK, SUSPENSE = "120", "1", "999"


def context(options: dict[str, Any], **ids: Any) -> DepositContext:
    acct = account(gl=GL, options=options)
    return DepositContext(account=acct, currency_ids=CURRENCIES, **ids)


def charges(count: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    bts = [
        bt(f"txn_{i}", "charge", 1000 + i, source=f"ch_{i}", fee_details=fees(("stripe_fee", 59)))
        for i in range(count)
    ]
    return bts, {f"ch_{i}": str(5000 + i) for i in range(count)}


def sides(body: Mapping[str, Any]) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for line in body["line"]["items"]:
        side = "debit" if "debit" in line else "credit"
        key = (line["account"]["id"], side)
        out[key] = out.get(key, Decimal(0)) + Decimal(line[side])
    return out


def test_a_payout_over_the_limit_becomes_deposits_that_add_up_to_it() -> None:
    bts, payment_ids = charges(23)
    bts.append(bt("txn_r", "refund", -700, source="re_1"))
    po = payout(sum(b["net"] for b in bts))
    ctx = context({"deposit_max_lines": 8}, payment_ids=payment_ids, refund_ids={"re_1": "3001"})
    result = map_deposit(po, [*bts, own_bt(po)], ctx)
    deposits = [r for r in result.records if r.record_type == "deposit"]
    assert len(deposits) == 5  # 24 lines + the fee line: 5 in the first, 6 in the others
    assert [r.external_id for r in deposits] == [
        f"{ACCOUNT}:po_1",
        *(f"{ACCOUNT}:deposit_part_{n}:po_1" for n in (2, 3, 4, 5)),
    ]
    assert [r.role for r in deposits] == ["deposit", *(f"deposit_part_{n}" for n in (2, 3, 4, 5))]
    assert [r.body["memo"] for r in deposits] == [f"Stripe payout po_1, deposit {n} of 5"
                                                  for n in range(1, 6)]  # fmt: skip
    for record in deposits:
        count = sum(len(record.body.get(s, {"items": []})["items"])
                    for s in ("payment", "other", "cashback"))  # fmt: skip
        assert count <= 8
        assert deposit_total(record.body) >= 0
        assert record.body["account"] == {"id": BANK}
    assert sum(deposit_total(r.body) for r in deposits) == Decimal(po["amount"]) / 100
    selected = [
        line["id"] for r in deposits for line in r.body.get("payment", {"items": []})["items"]
    ]
    assert sorted(selected) == sorted(int(v) for v in payment_ids.values())


def test_a_payout_that_fits_one_deposit_again_maps_to_one() -> None:
    bts, payment_ids = charges(5)
    po = payout(sum(b["net"] for b in bts))
    ctx = context({"deposit_max_lines": 10}, payment_ids=payment_ids)
    result = map_deposit(po, [*bts, own_bt(po)], ctx)
    assert [r.role for r in result.records] == ["deposit"]


def test_summary_posting_is_one_balanced_journal_through_the_accounts_and_a_csv() -> None:
    bts, payment_ids = charges(30)
    bts.append(bt("txn_r", "refund", -700, source="re_1"))
    bts.append(bt("txn_x", "charge", 2500, source="ch_unknown"))
    po = payout(sum(b["net"] for b in bts))
    ctx = context({"payout_posting": "summary", "deposit_max_lines": 5},
                  payment_ids=payment_ids, refund_ids={"re_1": "3001"})  # fmt: skip
    result = map_deposit(po, [*bts, own_bt(po)], ctx)
    (journal,) = result.records
    assert journal.record_type == "journalEntry"
    assert journal.role == "deposit"
    assert journal.external_id == f"{ACCOUNT}:payout_summary:po_1"
    charged = sum(1000 + i for i in range(30))
    assert sides(journal.body) == {
        (BANK, "debit"): Decimal(po["amount"]) / 100,
        (CLEARING, "credit"): Decimal(charged) / 100,
        (FEES, "debit"): Decimal(30 * 59) / 100,
        (CLEARING, "debit"): Decimal("7.00"),
        (SUSPENSE, "credit"): Decimal("25.00"),
    }
    memos = [line["memo"] for line in journal.body["line"]["items"]]
    assert any(m.startswith("Suspense: ") and "txn_x" not in m for m in memos)
    assert result.detail is not None
    name, text = result.detail
    assert name == f"{ACCOUNT}_po_1.csv" and name in journal.body["memo"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30 + 1 + 1 + 1  # payments, refund, suspense, the summed fee line
    assert [r["balance_transaction"] for r in rows[:3]] == ["txn_0", "txn_1", "txn_2"]
    credit = sum(Decimal(r["credit"] or 0) for r in rows)
    debit = sum(Decimal(r["debit"] or 0) for r in rows)
    assert credit - debit == Decimal(po["amount"]) / 100
    assert {r["customer_payment"] for r in rows if r["line"] == "payment"} == set(
        payment_ids.values()
    )


def test_summary_journal_credits_undeposited_funds_for_payments_found_elsewhere() -> None:
    bts, payment_ids = charges(3)
    po = payout(sum(b["net"] for b in bts))
    options = {"payout_posting": "summary", "payment_mode": "find"}
    result = map_deposit(po, [*bts, own_bt(po)], context(options, payment_ids=payment_ids))
    (journal,) = result.records
    assert sides(journal.body) == {
        (BANK, "debit"): Decimal(po["amount"]) / 100,
        (UF, "credit"): Decimal(1000 + 1001 + 1002) / 100,
        (FEES, "debit"): Decimal(3 * 59) / 100,
    }


def test_summary_posting_needs_stripe_clearing_for_the_payments() -> None:
    bts, payment_ids = charges(2)
    po = payout(sum(b["net"] for b in bts))
    acct = account(gl={**GL, "stripe_clearing": None}, options={"payout_posting": "summary"})
    ctx = DepositContext(account=acct, currency_ids=CURRENCIES, payment_ids=payment_ids)
    with pytest.raises(exceptions.MappingError, match="stripe_clearing"):
        map_deposit(po, [*bts, own_bt(po)], ctx)


def test_split_deposits_are_reconciled_together() -> None:
    po = {"id": "po_9", "amount": 61234_50, "currency": "usd"}
    parts: list[tuple[str, Mapping[str, Any] | None]] = [
        ("1842", {"total": 20412.1, "other": {"items": []}}),
        ("1843", {"total": "20411.20"}),
        ("1844", {"other": {"items": [{"account": {"id": "7"}, "amount": "20411.20"}]}}),
    ]
    report = compare_parts(po, parts)
    assert report.ties_out
    assert report.deposits == [
        ("1842", Decimal("20412.10")), ("1843", Decimal("20411.20")), ("1844", Decimal("20411.20"))
    ]  # fmt: skip
    text = render([report])
    assert "deposit 3 of 3  1844" in text and "20411.20" in text

    missing = compare_parts(po, [parts[0], ("1843", None), parts[2]])
    assert not missing.ties_out
    assert missing.difference == Decimal("20411.20")
    assert missing.deposits[1] == ("1843 missing", None)
