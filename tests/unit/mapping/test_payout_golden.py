"""Whole payouts against golden files, and the journal entries of failed and negative payouts."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, check_golden, schema_problems
from mapping_support import GOLDEN as GOLDEN_DIR
from stripe_builders import MAY_3
from test_payout import (
    CLEARING,
    IDS,
    bt,
    deposit_context,
    fees,
    map_all,
    net_of,
    own_bt,
    payout,
)

from stripe_netsuite.mapping.payout import Alert, DepositResult, map_deposit
from stripe_netsuite_sandbox.netsuite import dictionary


def _usd_day() -> DepositResult:
    ids = {f"ch_{i}": str(6000 + i) for i in range(1, 6)}
    bts = [bt(f"txn_c{i}", "charge", 2000 * i, source=f"ch_{i}",
              fee_details=fees(("stripe_fee", 30 + 58 * i)))
           for i in range(1, 6)]  # fmt: skip
    bts.append(bt("txn_r1", "refund", -2000, source={"id": "re_1", "object": "refund",
                                                     "charge": "ch_1"}))  # fmt: skip
    return map_all(bts, deposit_context(payment_ids=ids, refund_ids={"re_1": "3001"}))[1]


def _dispute_lost() -> DepositResult:
    bts = [bt("txn_c1", "charge", 30000, source="ch_1", fee_details=fees(("stripe_fee", 900))),
           bt("txn_d1", "dispute", -25000, source="dp_1", type_="adjustment",
              fee_details=fees(("stripe_fee", 1500)))]  # fmt: skip
    return map_all(bts, deposit_context(**IDS))[1]


def _dispute_won() -> list[DepositResult]:
    first = [bt("txn_c1", "charge", 40000, source="ch_1", fee_details=fees(("stripe_fee", 1190))),
             bt("txn_d1", "dispute", -25000, source="dp_1", type_="adjustment",
                fee_details=fees(("stripe_fee", 1500)))]  # fmt: skip
    second = [bt("txn_c2", "charge", 5000, source="ch_2", fee_details=fees(("stripe_fee", 175))),
              bt("txn_d2", "dispute_reversal", 25000, source="dp_1", type_="adjustment",
                 fee_details=fees(("stripe_fee", -1500)))]  # fmt: skip
    ctx = deposit_context(**IDS)
    return [map_all(first, ctx)[1], map_all(second, ctx, po_id="po_2")[1]]


def _jpy() -> DepositResult:
    bts = [bt("txn_c1", "charge", 12000, source="ch_1", currency="jpy",
              fee_details=fees(("stripe_fee", 432), currency="jpy")),
           bt("txn_r1", "refund", -3000, source="re_1", currency="jpy")]  # fmt: skip
    return map_all(bts, deposit_context(**IDS), currency="jpy")[1]


def _kwd() -> DepositResult:
    bts = [bt("txn_c1", "charge", 12340, source="ch_1", currency="kwd",
              fee_details=fees(("stripe_fee", 370), currency="kwd")),
           bt("txn_f1", "fee", -1250, type_="stripe_fee", currency="kwd")]  # fmt: skip
    return map_all(bts, deposit_context(**IDS), currency="kwd")[1]


def _unmapped() -> DepositResult:
    bts = [
        bt("txn_c1", "charge", 10000, source="ch_1", fee_details=fees(("stripe_fee", 320))),
        bt("txn_x1", "climate_order_purchase", -150, type_="climate_order_purchase"),
    ]
    return map_all(bts, deposit_context(**IDS))[1]


def _failed() -> DepositResult:
    bts = [bt("txn_c1", "charge", 10000, source="ch_1", fee_details=fees(("stripe_fee", 320)))]
    po = payout(net_of(bts), status="failed")
    po["failure_balance_transaction"] = {"id": "txn_fail", "created": MAY_3 + 86400}
    return map_deposit(po, [*bts, own_bt(po)], deposit_context(**IDS))


def _negative() -> DepositResult:
    bts = [
        bt("txn_r1", "refund", -8000, source="re_1"),
        bt("txn_c1", "charge", 2000, source="ch_1", fee_details=fees(("stripe_fee", 88))),
    ]
    po = payout(net_of(bts))
    return map_deposit(po, [*bts, own_bt(po)], deposit_context(**IDS))


def _fx() -> DepositResult:
    bts = [
        bt(
            "txn_c1",
            "charge",
            1234,
            source="ch_eur",
            exchange_rate="1.2345",
            fee_details=fees(("stripe_fee", 66)),
        ),
        bt("txn_c2", "charge", 5000, source="ch_1", fee_details=fees(("stripe_fee", 175))),
    ]
    ctx = deposit_context(payment_ids={"ch_eur": "1500", "ch_1": "1001"},
                          payment_amounts={"ch_eur": Decimal("10.00")})  # fmt: skip
    return map_all(bts, ctx)[1]


GOLDEN: dict[str, Any] = {
    "payout_usd_day": _usd_day,
    "payout_dispute_lost": _dispute_lost,
    "payout_dispute_won": _dispute_won,
    "payout_jpy": _jpy,
    "payout_kwd": _kwd,
    "payout_unmapped_suspense": _unmapped,
    "payout_failed": _failed,
    "payout_negative": _negative,
    "payout_fx": _fx,
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    produced = GOLDEN[name]()
    results = produced if isinstance(produced, list) else [produced]
    records = [r for result in results for r in result.records]
    check_golden(name, records)
    for record in records:
        assert schema_problems(record.record_type, record.body) == []


def test_golden_alerts() -> None:
    (alert,) = _unmapped().alerts
    assert alert.balance_transaction_id == "txn_x1"
    assert "climate_order_purchase" in alert.reason
    (negative,) = _negative().alerts
    assert negative == Alert("txn_c1", "a negative payout cannot select customer payment 1001:"
                                       " mark it deposited in NetSuite")  # fmt: skip
    quiet = [_usd_day(), _dispute_lost(), *_dispute_won(), _jpy(), _kwd(), _failed(), _fx()]
    assert [r.alerts for r in quiet] == [()] * len(quiet)


def test_failed_payout_adds_a_reversing_journal() -> None:
    deposit, journal = _failed().records
    assert deposit.record_type == "deposit"
    assert journal.record_type == "journalEntry"
    assert journal.external_id == f"{ACCOUNT}:payout_failure:po_1"
    assert journal.body["tranDate"] == "2026-05-04"
    debit, credit = journal.body["line"]["items"]
    assert (debit["account"], debit["debit"]) == ({"id": CLEARING}, Decimal("96.80"))
    assert (credit["account"], credit["credit"]) == ({"id": "1"}, Decimal("96.80"))


def test_negative_payout_is_a_balanced_journal() -> None:
    (journal,) = _negative().records
    assert journal.record_type == "journalEntry"
    items = journal.body["line"]["items"]
    debits = sum((ln.get("debit", Decimal(0)) for ln in items), Decimal(0))
    credits = sum((ln.get("credit", Decimal(0)) for ln in items), Decimal(0))
    assert debits == credits
    bank = [ln for ln in items if ln["account"] == {"id": "1"}]
    assert bank == [{"account": {"id": "1"}, "credit": Decimal("60.88"),
                     "memo": "Stripe payout po_1 debited from the bank"}]  # fmt: skip


def test_negative_payout_without_listed_transactions() -> None:
    po = payout(-7000)
    (journal,) = map_deposit(po, [], deposit_context()).records
    assert journal.body["line"]["items"] == [
        {"account": {"id": CLEARING}, "debit": Decimal("70.00"),
         "memo": "Stripe balance not itemized by payout po_1"},
        {"account": {"id": "1"}, "credit": Decimal("70.00"),
         "memo": "Stripe payout po_1 debited from the bank"},
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_fields_exist_in_records_json(name: str) -> None:
    data = dictionary.load_raw()
    for record in json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8")):
        spec = data["records"][record["record_type"]]
        for field, value in record["body"].items():
            assert field in spec["fields"], f"{record['record_type']}.{field}"
            assert not spec["fields"][field]["readOnly"], f"{record['record_type']}.{field}"
            if field in spec["sublists"]:
                element = data["schemas"][spec["sublists"][field]]["fields"]
                for line in value["items"]:
                    assert set(line) <= set(element), f"{record['record_type']}.{field}"
