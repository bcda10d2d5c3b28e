"""Stripe payout + balance transactions → NetSuite deposit: one table row per category."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, CURRENCIES, account, schema_problems
from stripe_builders import MAY_1, MAY_3

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.payout import (
    Alert,
    DepositContext,
    DepositResult,
    dependencies,
    deposit_total,
    linked_deposit_id,
    map_deposit,
)

CLEARING, FEES, DISPUTE_FEES, SUSPENSE, FX = "130", "600", "601", "999", "780"
GL: dict[str, Any] = {"stripe_clearing": CLEARING, "fx_differences": FX}


def fees(*entries: tuple[str, int], currency: str = "usd") -> list[dict[str, Any]]:
    """``fee_details`` from ``(type, amount)`` pairs."""
    return [
        {"amount": a, "currency": currency, "type": t, "description": t, "application": None}
        for t, a in entries
    ]


def bt(
    btid: str,
    category: str,
    amount: int,
    *,
    source: Any = None,
    fee_details: list[dict[str, Any]] | None = None,
    type_: str | None = None,
    currency: str = "usd",
    exchange_rate: str | float | None = None,
) -> dict[str, Any]:
    """A balance transaction; ``fee`` and ``net`` follow from *fee_details*."""
    details = fee_details or []
    fee = sum(d["amount"] for d in details)
    return {
        "id": btid,
        "object": "balance_transaction",
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "fee_details": details,
        "currency": currency,
        "exchange_rate": exchange_rate,
        "reporting_category": category,
        "type": type_ or category,
        "source": source,
        "created": MAY_1,
        "status": "available",
    }


def payout(
    amount: int,
    *,
    po_id: str = "po_1",
    currency: str = "usd",
    status: str = "paid",
    automatic: bool = True,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payout whose own balance transaction is ``txn_<po id>``."""
    return {
        "id": po_id,
        "object": "payout",
        "amount": amount,
        "currency": currency,
        "arrival_date": MAY_3,
        "created": MAY_1,
        "automatic": automatic,
        "status": status,
        "balance_transaction": f"txn_{po_id}",
        "failure_balance_transaction": None,
        "metadata": metadata or {},
        "reconciliation_status": "completed",
    }


def own_bt(po: dict[str, Any]) -> dict[str, Any]:
    """The payout's own balance transaction, as Stripe lists it with the others."""
    return bt(po["balance_transaction"], "payout", -po["amount"], source=po["id"],
              currency=po["currency"])  # fmt: skip


def deposit_context(gl: dict[str, Any] | None = None, **ids: Any) -> DepositContext:
    """A context over the test account with clearing and exchange-difference accounts."""
    acct = account(gl={**GL, **(gl or {})}, **ids.pop("account_overrides", {}))
    return DepositContext(account=acct, currency_ids=CURRENCIES, **ids)


def net_of(bts: Sequence[dict[str, Any]]) -> int:
    return sum(int(b["net"]) for b in bts)


def map_all(
    bts: Sequence[dict[str, Any]], ctx: DepositContext, **payout_args: Any
) -> tuple[dict[str, Any], DepositResult]:
    """Map *bts* as one payout whose amount is their net (plus its own BT in the list)."""
    po = payout(net_of(bts), **payout_args)
    return po, map_deposit(po, [*bts, own_bt(po)], ctx)


def lines(body: Any) -> list[tuple[str, str, str]]:
    """``(sublist, account or payment id, amount)`` of every line, in sublist order."""
    found: list[tuple[str, str, str]] = []
    for name in ("payment", "other", "cashback"):
        for line in body.get(name, {}).get("items", []):
            target = str(line["id"]) if name == "payment" else line["account"]["id"]
            found.append((name, target, str(line.get("paymentAmount", line.get("amount")))))
    return found


IDS: dict[str, Any] = {
    "payment_ids": {"ch_1": "1001", "py_1": "1002", "ch_2": "1003"},
    "refund_ids": {"re_1": "3001"},
    "reversal_payment_ids": {"dp_1": "2001", "dp_3": "2003"},
    "reversal_cash_sale_ids": {"dp_2": "5001"},
    "dispute_ids": {"dp_1": "4001", "dp_3": "4003"},
    "dispute_fee_ids": {"dp_3": "8003"},
    "dispute_fee_reversal_ids": {"dp_3": "8103"},
}

CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[tuple[str, str, str]], int]] = [
    ("card charge with its fee",
     [bt("txn_1", "charge", 10000, source="ch_1", fee_details=fees(("stripe_fee", 320)))], {},
     [("payment", "1001", "100.00"), ("cashback", FEES, "3.20")], 0),
    ("non-card payment (type payment)",
     [bt("txn_1", "charge", 5000, source="py_1", type_="payment")], {},
     [("payment", "1002", "50.00")], 0),
    ("charge whose payment is missing",
     [bt("txn_1", "charge", 5000, source="ch_9", fee_details=fees(("stripe_fee", 175)))], {},
     [("other", SUSPENSE, "50.00"), ("cashback", FEES, "1.75")], 1),
    ("refund", [bt("txn_1", "refund", -2500, source="re_1")], {},
     [("cashback", CLEARING, "25.00")], 0),
    ("refund whose NetSuite refund is missing",
     [bt("txn_1", "refund", -2500, source="re_9")], {}, [("cashback", SUSPENSE, "25.00")], 1),
    ("lost dispute: withdrawal and dispute fee",
     [bt("txn_1", "dispute", -25000, source="dp_1", type_="adjustment",
         fee_details=fees(("stripe_fee", 1500)))], {},
     [("cashback", CLEARING, "250.00"), ("cashback", DISPUTE_FEES, "15.00")], 0),
    ("won dispute reinstated as a customer payment, fee returned",
     [bt("txn_1", "dispute_reversal", 25000, source="dp_1", type_="adjustment",
         fee_details=fees(("stripe_fee", -1500)))], {},
     [("payment", "2001", "250.00"), ("other", DISPUTE_FEES, "15.00")], 0),
    ("won dispute reinstated as a cash sale",
     [bt("txn_1", "dispute_reversal", 25000, source="dp_2", type_="adjustment")], {},
     [("payment", "5001", "250.00")], 0),
    ("dispute fee already expensed by a journal: cleared from Stripe clearing",
     [bt("txn_1", "dispute", -25000, source="dp_3", type_="adjustment",
         fee_details=fees(("stripe_fee", 1500)))], {},
     [("cashback", CLEARING, "250.00"), ("cashback", CLEARING, "15.00")], 0),
    ("returned dispute fee already reversed by a journal",
     [bt("txn_1", "dispute_reversal", 25000, source="dp_3", type_="adjustment",
         fee_details=fees(("stripe_fee", -1500)))], {},
     [("payment", "2003", "250.00"), ("other", CLEARING, "15.00")], 0),
    ("dispute reversal with no NetSuite record",
     [bt("txn_1", "dispute_reversal", 25000, source="dp_9", type_="adjustment")], {},
     [("other", SUSPENSE, "250.00")], 1),
    ("Stripe billing fee", [bt("txn_1", "fee", -500, type_="stripe_fee")], {},
     [("cashback", FEES, "5.00")], 0),
    ("Stripe billing fee to a configured account",
     [bt("txn_1", "fee", -500, type_="stripe_fee")], {"reporting_categories": {"fee": "610"}},
     [("cashback", "610", "5.00")], 0),
    ("application fee type to its own account",
     [bt("txn_1", "charge", 10000, source="ch_1",
         fee_details=fees(("stripe_fee", 300), ("application_fee", 100)))],
     {"reporting_categories": {"fee:application_fee": "620"}},
     [("payment", "1001", "100.00"), ("cashback", FEES, "3.00"), ("cashback", "620", "1.00")], 0),
    ("fee without details", [{**bt("txn_1", "charge", 1000, source="ch_1"), "fee": 59,
                              "net": 941}], {},
     [("payment", "1001", "10.00"), ("cashback", FEES, "0.59")], 0),
    ("failed refund returns money", [bt("txn_1", "refund_failure", 2500, source="re_1",
                                        type_="refund_failure")], {},
     [("other", CLEARING, "25.00")], 0),
    ("another payout's failure returns money",
     [bt("txn_1", "payout_reversal", 7000, source="po_0", type_="payout_failure")], {},
     [("other", CLEARING, "70.00")], 0),
    ("partial capture reversal absorbed by its charge's payment",
     [bt("txn_1", "charge", 10000, source="ch_1"),
      bt("txn_2", "partial_capture_reversal", -3000, type_="refund",
         source={"id": "re_p", "object": "refund", "charge": "ch_1"})],
     {"payment_amounts": {"ch_1": Decimal("70.00")}}, [("payment", "1001", "70.00")], 0),
    ("partial capture, its reversal in another payout",
     [bt("txn_1", "charge", 10000, source={"id": "ch_1", "object": "charge", "amount": 10000,
                                           "amount_captured": 7000, "currency": "usd"})],
     {"payment_amounts": {"ch_1": Decimal("70.00")}},
     [("payment", "1001", "70.00"), ("other", CLEARING, "30.00")], 0),
    ("partial capture reversal after its charge's payout",
     [bt("txn_2", "partial_capture_reversal", -3000, type_="refund",
         source={"id": "re_p", "object": "refund", "charge": "ch_1"})], {},
     [("cashback", CLEARING, "30.00")], 0),
    ("partial capture reversal of an unknown charge",
     [bt("txn_2", "partial_capture_reversal", -3000, type_="refund", source="re_p")], {},
     [("cashback", SUSPENSE, "30.00")], 1),
    ("payment amount differs from Stripe's", [bt("txn_1", "charge", 10000, source="ch_1")],
     {"payment_amounts": {"ch_1": Decimal("99.00")}},
     [("payment", "1001", "99.00"), ("other", SUSPENSE, "1.00")], 1),
    ("adjustment without an account", [bt("txn_1", "other_adjustment", -100,
                                          type_="adjustment")], {},
     [("cashback", SUSPENSE, "1.00")], 1),
    ("adjustment with a configured account", [bt("txn_1", "adjustment", 100)],
     {"reporting_categories": {"adjustment": "710"}}, [("other", "710", "1.00")], 0),
    ("tax without an account", [bt("txn_1", "tax", -80, type_="tax_fee")], {},
     [("cashback", SUSPENSE, "0.80")], 1),
    ("currency conversion with an account", [bt("txn_1", "currency_conversion", -300)],
     {"reporting_categories": {"currency_conversion": "720"}}, [("cashback", "720", "3.00")], 0),
    ("contribution with an account", [bt("txn_1", "contribution", -50)],
     {"reporting_categories": {"contribution": "730"}}, [("cashback", "730", "0.50")], 0),
    ("Connect category through a wildcard", [bt("txn_1", "connect_reserved_funds", -900)],
     {"reporting_categories": {"connect_*": "740"}}, [("cashback", "740", "9.00")], 0),
    ("a category Stripe adds tomorrow", [bt("txn_1", "brand_new_category", 400)], {},
     [("other", SUSPENSE, "4.00")], 1),
    ("another payout's own transaction", [bt("txn_x", "payout", -400, source="po_0")], {},
     [("cashback", SUSPENSE, "4.00")], 1),
    ("zero-amount dispute with a countered fee",
     [bt("txn_1", "dispute", 0, source="dp_1", fee_details=fees(("stripe_fee", 1500)))], {},
     [("cashback", DISPUTE_FEES, "15.00")], 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("bts", "gl", "expected", "alert_count"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_category_table(
    bts: list[dict[str, Any]],
    gl: dict[str, Any],
    expected: list[tuple[str, str, str]],
    alert_count: int,
) -> None:
    extra = {k: v for k, v in gl.items() if k == "payment_amounts"}
    accounts = {k: v for k, v in gl.items() if k != "payment_amounts"}
    ids = {**IDS, "payment_ids": {**IDS["payment_ids"], "ch_base": "9000"}, **extra}
    ctx = deposit_context(accounts, **ids)
    # A day's charge keeps every payout positive, so each row is a deposit.
    base = bt("txn_base", "charge", 100000, source="ch_base")
    po, result = map_all([base, *bts], ctx)
    (record,) = result.records
    assert sorted(lines(record.body)) == sorted([("payment", "9000", "1000.00"), *expected])
    assert len(result.alerts) == alert_count
    assert deposit_total(record.body) == money.to_decimal(po["amount"], "usd")
    assert schema_problems("deposit", record.body) == []


def test_header_and_identity() -> None:
    ctx = deposit_context(**IDS)
    _, result = map_all([bt("txn_1", "charge", 10000, source="ch_1")], ctx)
    (record,) = result.records
    assert (record.record_type, record.role, record.stripe_id) == ("deposit", "deposit", "po_1")
    assert record.external_id == f"{ACCOUNT}:po_1"
    body = record.body
    assert body["externalId"] == record.external_id
    assert body["account"] == {"id": "1"}
    assert body["currency"] == {"id": "1"}
    assert body["subsidiary"] == {"id": "1"}
    assert body["tranDate"] == "2026-05-03"
    assert body["memo"] == "Stripe payout po_1"
    assert record.replace == ("payment", "other", "cashback")
    assert body["payment"]["items"][0]["id"] == 1001
    assert body["payment"]["items"][0]["deposit"] is True
    assert result.linked_id is None


def test_fee_lines_are_aggregated_per_account_and_type() -> None:
    bts = [bt(f"txn_{i}", "charge", 1000 + i, source="ch_1",
              fee_details=fees(("stripe_fee", 59)))
           for i in range(500)]  # fmt: skip
    ctx = deposit_context(**IDS)
    _, result = map_all(bts, ctx)
    body = result.records[0].body
    (fee_line,) = body["cashback"]["items"]
    assert fee_line["amount"] == Decimal("295.00")
    assert "500 balance transactions" in fee_line["memo"]
    assert len(body["payment"]["items"]) == 1  # one charge id: one payment line


def test_one_payment_line_per_payment() -> None:
    ids = {f"ch_{i}": str(7000 + i) for i in range(20)}
    bts = [bt(f"txn_{i}", "charge", 100 * (i + 1), source=f"ch_{i}",
              fee_details=fees(("stripe_fee", 30)))
           for i in range(20)]  # fmt: skip
    _, result = map_all(bts, deposit_context(payment_ids=ids))
    body = result.records[0].body
    assert [p["id"] for p in body["payment"]["items"]] == [7000 + i for i in range(20)]
    assert len(body["cashback"]["items"]) == 1


def test_payouts_own_and_failure_transactions_are_ignored() -> None:
    po = payout(1000, status="failed")
    po["failure_balance_transaction"] = "txn_fail"
    failure = bt("txn_fail", "payout_reversal", 1000, source="po_1", type_="payout_failure")
    charge = bt("txn_1", "charge", 1000, source="ch_1")
    result = map_deposit(po, [charge, own_bt(po), failure], deposit_context(**IDS))
    assert lines(result.records[0].body) == [("payment", "1001", "10.00")]
    assert result.alerts == ()


def test_a_transaction_listed_twice_counts_once() -> None:
    charge = bt("txn_1", "charge", 1000, source="ch_1", fee_details=fees(("stripe_fee", 59)))
    po = payout(941)
    result = map_deposit(po, [charge, dict(charge), own_bt(po)], deposit_context(**IDS))
    assert lines(result.records[0].body) == [("payment", "1001", "10.00"),
                                             ("cashback", FEES, "0.59")]  # fmt: skip
    assert result.alerts == ()


def test_missing_transactions_go_to_suspense_with_an_alert() -> None:
    po = payout(5000)
    result = map_deposit(po, [bt("txn_1", "charge", 3000, source="ch_1")], deposit_context(**IDS))
    body = result.records[0].body
    assert ("other", SUSPENSE, "20.00") in lines(body)
    assert result.alerts == (Alert("po_1", "the balance transactions add up to 30.00, not the"
                                           " payout amount"),)  # fmt: skip
    assert deposit_total(body) == Decimal("50.00")


def test_manual_payout_remainder_is_stripe_balance() -> None:
    po = payout(5000, automatic=False)
    result = map_deposit(po, [bt("txn_1", "charge", 3000, source="ch_1")], deposit_context(**IDS))
    assert ("other", CLEARING, "20.00") in lines(result.records[0].body)
    assert result.alerts == ()


def test_block_option_raises_naming_the_transactions() -> None:
    ctx = deposit_context(account_overrides={"options": {"unmappable_deposit_lines": "block"}},
                          **IDS)  # fmt: skip
    with pytest.raises(exceptions.NeedsAttention) as info:
        map_all([bt("txn_odd", "brand_new_category", 400), bt("txn_ok", "refund", -100,
                                                               source="re_1")], ctx)  # fmt: skip
    assert "txn_odd" in str(info.value)
    assert "txn_ok" not in str(info.value)


def test_fixing_a_missing_record_gives_the_corrected_deposit() -> None:
    bts = [bt("txn_1", "charge", 10000, source="ch_7", fee_details=fees(("stripe_fee", 320)))]
    _, before = map_all(bts, deposit_context())
    _, after = map_all(bts, deposit_context(payment_ids={"ch_7": "1077"}))
    assert before.records[0].external_id == after.records[0].external_id
    assert ("other", SUSPENSE, "100.00") in lines(before.records[0].body)
    assert lines(after.records[0].body) == [("payment", "1077", "100.00"),
                                            ("cashback", FEES, "3.20")]  # fmt: skip
    assert after.alerts == ()


def test_cross_currency_charge_clears_stripe_clearing_with_exchange_difference() -> None:
    charge = bt("txn_1", "charge", 1234, source="ch_eur", exchange_rate="1.2345",
                fee_details=fees(("stripe_fee", 66)))  # fmt: skip
    ctx = deposit_context(payment_ids={"ch_eur": "1500"},
                          payment_amounts={"ch_eur": Decimal("10.00")})  # fmt: skip
    po, result = map_all([charge], ctx)
    body = result.records[0].body
    # 10.00 EUR × 1.2345 = 12.345 → 12.35 USD booked; Stripe settled 12.34.
    assert sorted(lines(body)) == sorted(
        [("other", CLEARING, "12.35"), ("cashback", FX, "0.01"), ("cashback", FEES, "0.66")]
    )
    assert "payment" not in body
    assert deposit_total(body) == Decimal("11.68") == money.to_decimal(po["amount"], "usd")


def test_cross_currency_difference_without_fx_account_goes_to_suspense() -> None:
    charge = bt("txn_1", "charge", 1234, source="ch_eur", exchange_rate=1.2345)
    ctx = deposit_context({"fx_differences": None}, payment_ids={"ch_eur": "1500"},
                          payment_amounts={"ch_eur": Decimal("10.00")})  # fmt: skip
    _, result = map_all([charge], ctx)
    assert ("cashback", SUSPENSE, "0.01") in lines(result.records[0].body)
    assert len(result.alerts) == 1


@pytest.mark.parametrize(
    ("gl", "missing"),
    [({"stripe_clearing": None}, "gl.stripe_clearing"), ({"stripe_fees": None}, "gl.stripe_fees"),
     ({"bank": {}}, "gl.bank.usd"), ({"suspense": None}, "gl.suspense")],
)  # fmt: skip
def test_missing_configuration_is_named(gl: dict[str, Any], missing: str) -> None:
    bts = [
        bt("txn_1", "refund", -100, source="re_1"),
        bt("txn_2", "adjustment", -5),
        bt("txn_3", "charge", 900, source="ch_1", fee_details=fees(("stripe_fee", 30))),
    ]
    with pytest.raises(exceptions.MappingError) as info:
        map_all(bts, deposit_context(gl, **IDS))
    assert info.value.facts["missing"] == missing


@pytest.mark.parametrize(
    ("change", "message"),
    [({"amount": "10"}, "amount is not an integer"), ({"net": 1}, "net 1 is not amount"),
     ({"currency": "eur"}, "is in EUR but the payout is in USD"),
     ({"id": None}, "has no id"), ({"fee_details": "x"}, "fee_details is not a list"),
     ({"exchange_rate": "abc"}, "exchange_rate 'abc' is not a number")],
)  # fmt: skip
def test_bad_balance_transaction_is_named(change: dict[str, Any], message: str) -> None:
    bad = {**bt("txn_1", "charge", 1000, source="ch_1"), **change}
    with pytest.raises(exceptions.MappingError, match=message):
        map_deposit(payout(1000), [bad], deposit_context(**IDS))


@pytest.mark.parametrize(
    ("change", "message"),
    [({"id": "ch_1"}, "not a Stripe payout"), ({"amount": 1.5}, "payout amount"),
     ({"currency": None}, "no currency"), ({"arrival_date": None, "created": None}, "no arrival")],
)  # fmt: skip
def test_bad_payout_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(exceptions.MappingError, match=message):
        map_deposit({**payout(0), **change}, [], deposit_context())


def test_dependencies() -> None:
    bts = [bt("txn_1", "charge", 100, source="ch_1"), bt("txn_2", "charge", 100, source="ch_1"),
           bt("txn_3", "refund", -50, source={"id": "re_1", "object": "refund"}),
           bt("txn_4", "dispute", -50, source="dp_1"),
           bt("txn_5", "dispute_reversal", 50, source="dp_1"), bt("txn_6", "fee", -5),
           bt("txn_7", "payout", -100, source="po_1")]  # fmt: skip
    assert dependencies(bts) == [Dependency("charge", "ch_1"), Dependency("refund", "re_1"),
                                 Dependency("dispute", "dp_1")]  # fmt: skip


def test_linked_deposit_from_metadata() -> None:
    po = payout(0, metadata={"netsuite_deposit_id": " 8800 "})
    assert linked_deposit_id(po) == "8800"
    assert map_deposit(po, [], deposit_context()).linked_id == "8800"


def test_deposit_total_reads_netsuite_bodies() -> None:
    body = {
        "payment": {"items": [{"id": 1, "deposit": True, "paymentAmount": 10.1},
                              {"id": 2, "deposit": False, "paymentAmount": 99}]},
        "other": {"items": [{"account": {"id": "1"}, "amount": "0.2"}]},
        "cashback": {"items": [{"account": {"id": "2"}, "amount": 0.3}]},
    }  # fmt: skip
    assert deposit_total(body) == Decimal("10.0")
    with pytest.raises(exceptions.MappingError, match=r"other\.amount"):
        deposit_total({"other": {"items": [{"amount": None}]}})
    with pytest.raises(exceptions.MappingError, match="sublist cashback"):
        deposit_total({"cashback": [1]})
