"""The deposit total equals the payout amount, exactly, over many generated payouts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import schema_problems
from test_payout import bt, deposit_context, fees, own_bt, payout

from stripe_netsuite import money
from stripe_netsuite.mapping.payout import DepositContext, deposit_total, map_deposit

#: Payouts generated per currency.
PAYOUTS = 150
OTHER_CATEGORIES = ("adjustment", "other_adjustment", "tax", "contribution", "connect_reserved",
                    "currency_conversion", "topup", "brand_new_category")  # fmt: skip


def _minor(rng: random.Random, currency: str, low: int, high: int) -> int:
    value = rng.randint(low, high)
    # Stripe requires the last digit of three-decimal amounts to be 0.
    return value - value % 10 if money.exponent(currency) == 3 else value


def _fee(rng: random.Random, currency: str, amount: int) -> list[dict[str, Any]]:
    entries = [("stripe_fee", max(1, amount * 29 // 1000 + _minor(rng, currency, 0, 30)))]
    if rng.random() < 0.2:
        entries.append((rng.choice(["application_fee", "tax", "payment_method_passthrough_fee"]),
                        _minor(rng, currency, 1, 50)))  # fmt: skip
    return fees(*entries, currency=currency)


def _generate(
    rng: random.Random, currency: str, index: int
) -> tuple[dict[str, Any], list[dict[str, Any]], DepositContext]:
    payment_ids: dict[str, str] = {}
    payment_amounts: dict[str, Decimal] = {}
    refund_ids: dict[str, str] = {}
    dispute_ids: dict[str, str] = {}
    fee_journals: dict[str, str] = {}
    reversal_payments: dict[str, str] = {}
    reversal_sales: dict[str, str] = {}
    exp = money.exponent(currency)
    bts: list[dict[str, Any]] = []
    for n in range(rng.randint(0, 25)):
        btid = f"txn_{index}_{n}"
        roll = rng.random()
        if roll < 0.5:
            charge, amount = f"ch_{index}_{n}", _minor(rng, currency, 50, 500_000)
            rate = None
            if rng.random() < 0.15:
                rate = str(Decimal(rng.randint(5000, 20000)).scaleb(-4))
                payment_amounts[charge] = Decimal(rng.randint(100, 100_000)).scaleb(-2)
            elif rng.random() < 0.1:
                # The NetSuite payment was booked at another amount.
                payment_amounts[charge] = money.to_decimal(
                    amount + rng.randint(-9, 9) * 10, currency
                )
            if rng.random() < 0.9:
                payment_ids[charge] = str(10_000 + len(payment_ids))
            bts.append(bt(btid, "charge", amount, source=charge, currency=currency,
                          exchange_rate=rate, fee_details=_fee(rng, currency, amount)))  # fmt: skip
            if rng.random() < 0.1 and rate is None:
                cut = -_minor(rng, currency, 10, max(10, amount // 2))
                source = {"id": f"re_p{n}", "object": "refund", "charge": charge}
                bts.append(bt(f"{btid}_pcr", "partial_capture_reversal", cut, currency=currency,
                              source=source))  # fmt: skip
        elif roll < 0.65:
            refund = f"re_{index}_{n}"
            if rng.random() < 0.9:
                refund_ids[refund] = str(30_000 + n)
            bts.append(bt(btid, "refund", -_minor(rng, currency, 10, 50_000), source=refund,
                          currency=currency))  # fmt: skip
        elif roll < 0.75:
            dispute = f"dp_{index}_{n}"
            category = rng.choice(["dispute", "dispute_reversal"])
            amount = _minor(rng, currency, 100, 90_000)
            fee = 15 * 10**exp
            if category == "dispute":
                dispute_ids[dispute] = str(40_000 + n)
                amount, fee = -amount, fee
            else:
                target = rng.choice([reversal_payments, reversal_sales, {}])
                target[dispute] = str(20_000 + n)
                fee = -fee if rng.random() < 0.5 else 0
            if rng.random() < 0.5:
                fee_journals[dispute] = str(80_000 + n)
            bts.append(bt(btid, category, amount, source=dispute, type_="adjustment",
                          currency=currency, fee_details=fees(("stripe_fee", fee),
                                                              currency=currency)))  # fmt: skip
        elif roll < 0.85:
            bts.append(bt(btid, "fee", -_minor(rng, currency, 10, 5_000), type_="stripe_fee",
                          currency=currency))  # fmt: skip
        elif roll < 0.9:
            bts.append(bt(btid, "refund_failure", _minor(rng, currency, 10, 5_000),
                          source=f"re_f{n}", currency=currency))  # fmt: skip
        else:
            bts.append(bt(btid, rng.choice(OTHER_CATEGORIES),
                          _minor(rng, currency, -5_000, 5_000), currency=currency))  # fmt: skip
    amount = sum(int(b["net"]) for b in bts)
    if rng.random() < 0.1:
        amount += _minor(rng, currency, -1_000, 1_000)  # Stripe listed less than it paid out
    po = payout(amount, po_id=f"po_{index}", currency=currency,
                status=rng.choice(["paid"] * 9 + ["failed"]),
                automatic=rng.random() < 0.85)  # fmt: skip
    gl: dict[str, Any] = {"reporting_categories": {"adjustment": "710", "connect_*": "740"}}
    if rng.random() < 0.3:
        gl["fx_differences"] = None
    ctx = deposit_context(gl, payment_ids=payment_ids, payment_amounts=payment_amounts,
                          refund_ids=refund_ids, dispute_ids=dispute_ids,
                          reversal_payment_ids=reversal_payments,
                          reversal_cash_sale_ids=reversal_sales, dispute_fee_ids=fee_journals,
                          dispute_fee_reversal_ids=fee_journals)  # fmt: skip
    listed = [*bts, own_bt(po)]
    rng.shuffle(listed)
    return po, listed, ctx


def _journal_balance(body: Any) -> tuple[Decimal, Decimal]:
    items = body["line"]["items"]
    return (sum((ln.get("debit", Decimal(0)) for ln in items), Decimal(0)),
            sum((ln.get("credit", Decimal(0)) for ln in items), Decimal(0)))  # fmt: skip


@pytest.mark.parametrize("currency", ["usd", "eur", "jpy", "kwd"])
def test_deposit_total_is_the_payout_amount(currency: str) -> None:
    rng = random.Random(f"payout-totals-{currency}")
    step = Decimal(1).scaleb(-money.exponent(currency))
    seen = {"deposit": 0, "journalEntry": 0, "alerts": 0}
    for index in range(PAYOUTS):
        po, listed, ctx = _generate(rng, currency, index)
        result = map_deposit(po, listed, ctx)
        expected = money.to_decimal(po["amount"], currency)
        first = result.records[0]
        seen[first.record_type] += 1
        seen["alerts"] += len(result.alerts)
        if po["amount"] >= 0:
            assert first.record_type == "deposit"
            assert deposit_total(first.body) == expected, f"payout {index}"
            for name in ("payment", "other", "cashback"):
                for line in first.body.get(name, {}).get("items", []):
                    value = line.get("paymentAmount", line.get("amount"))
                    assert value > 0, f"payout {index} {name}"
                    assert value == value.quantize(step), f"payout {index} {name} {value}"
        else:
            debit, credit = _journal_balance(first.body)
            assert debit == credit, f"payout {index}"
        assert schema_problems(first.record_type, first.body) == []
        if po["status"] == "failed":
            debit, credit = _journal_balance(result.records[1].body)
            assert debit == credit == abs(expected)
    # The generator reached every branch it is meant to.
    assert seen["deposit"] > PAYOUTS // 2
    assert seen["journalEntry"] > 0
    assert seen["alerts"] > 0
