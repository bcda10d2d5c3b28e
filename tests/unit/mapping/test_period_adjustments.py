"""The adjusting journal for a journal entry or deposit posted in a closed period: what each
record moves in the GL, the difference leg by leg, and the journal that posts it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import period_adjustments as adjust
from stripe_netsuite.mapping.period_adjustments import CREDIT, DEBIT, Leg
from stripe_netsuite.mapping.records import NetSuiteRecord

D = Decimal
FEES, CLEARING, BANK, SUSPENSE, UNDEPOSITED = "10", "18", "3", "11", "6"


def journal(*lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {"line": {"items": list(lines)}, **header}


def line(account: str, side: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"account": {"id": account}, side: D(amount), **extra}


def deposit(
    payments: tuple[tuple[int, str], ...] = (),
    other: tuple[tuple[str, str], ...] = (),
    cashback: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    body: dict[str, Any] = {"account": {"id": BANK}}
    if payments:
        body["payment"] = {"items": [
            {"id": pid, "deposit": True, "paymentAmount": D(a)} for pid, a in payments
        ]}  # fmt: skip
    if other:
        body["other"] = {"items": [{"account": {"id": a}, "amount": D(v)} for a, v in other]}
    if cashback:
        body["cashback"] = {"items": [{"account": {"id": a}, "amount": D(v)} for a, v in cashback]}
    return body


def test_a_journal_sums_its_lines_per_account_entity_segment_and_side() -> None:
    body = journal(
        line(FEES, "debit", "10", entity={"id": "77"}, department={"id": "4"}),
        line(FEES, "debit", "5", entity={"id": "77"}, department={"id": "4"}),
        line(FEES, "debit", "1", **{"class": {"id": "9"}, "location": {"id": "2"}}),
        line(CLEARING, "credit", "16", memo="ignored"),
    )
    assert adjust.journal_effect(body) == {
        Leg(FEES, DEBIT, entity="77", department="4"): D(15),
        Leg(FEES, DEBIT, klass="9", location="2"): D(1),
        Leg(CLEARING, CREDIT): D(16),
    }
    assert adjust.journal_effect(None) == {}


def test_a_deposit_books_the_bank_against_payments_other_lines_and_cash_back() -> None:
    body = deposit(payments=((501, "40.00"),), other=((SUSPENSE, "30.00"),),
                   cashback=((FEES, "2.50"),))  # fmt: skip
    assert adjust.deposit_effect(body) == {
        Leg(BANK, DEBIT): D("67.50"),
        Leg("", CREDIT, payment="501"): D("40.00"),
        Leg(SUSPENSE, CREDIT): D("30.00"),
        Leg(FEES, DEBIT): D("2.50"),
    }
    unselected = deposit(payments=((501, "40.00"),))
    unselected["payment"]["items"].append({"id": 502, "deposit": False, "paymentAmount": D(9)})
    assert Leg("", CREDIT, payment="502") not in adjust.deposit_effect(unselected)


def test_the_difference_moves_what_grew_on_its_side_and_what_shrank_on_the_other() -> None:
    posted = {Leg(FEES, DEBIT): D(15), Leg(CLEARING, CREDIT): D(15)}
    wanted = {Leg(FEES, DEBIT): D(20), Leg(CLEARING, CREDIT): D(20)}
    assert adjust.difference(posted, wanted) == {
        Leg(FEES, DEBIT): D(5),
        Leg(CLEARING, CREDIT): D(5),
    }
    assert adjust.difference(wanted, posted) == {
        Leg(FEES, CREDIT): D(5),
        Leg(CLEARING, DEBIT): D(5),
    }
    assert adjust.difference(posted, dict(posted)) == {}


def test_a_line_flipped_to_the_other_side_moves_twice_its_amount() -> None:
    posted = {Leg(FEES, DEBIT): D(10), Leg(CLEARING, CREDIT): D(10)}
    wanted = {Leg(FEES, CREDIT): D(10), Leg(CLEARING, DEBIT): D(10)}
    moves = adjust.difference(posted, wanted)
    assert moves == {Leg(FEES, CREDIT): D(20), Leg(CLEARING, DEBIT): D(20)}
    assert adjust.balanced(moves)


def test_a_suspense_line_matched_to_a_payment_moves_suspense_to_the_payments_account() -> None:
    posted = adjust.deposit_effect(deposit(payments=((501, "50"),), other=((SUSPENSE, "30"),)))
    wanted = adjust.deposit_effect(deposit(payments=((501, "50"), (502, "30"))))
    moves = adjust.difference(posted, wanted)
    assert moves == {Leg(SUSPENSE, DEBIT): D(30), Leg("", CREDIT, payment="502"): D(30)}
    assert adjust.unresolved_payments(moves) == ["502"]
    resolved = adjust.resolve(moves, {"502": UNDEPOSITED, "999": "1"})
    assert resolved == {
        Leg(SUSPENSE, DEBIT): D(30),
        Leg(UNDEPOSITED, CREDIT, payment="502"): D(30),
    }
    assert adjust.unresolved_payments(resolved) == []
    with pytest.raises(KeyError):
        adjust.resolve(moves, {})


def test_zeroed_keeps_two_lines_of_zero_on_an_account_the_record_posted_to() -> None:
    posted = adjust.deposit_effect(deposit(payments=((501, "50"),)))
    assert adjust.zeroed(posted) == {Leg(BANK, DEBIT): D(0), Leg(BANK, CREDIT): D(0)}
    assert adjust.zeroed({}) == {}


def record(record_type: str = "journalEntry", **body: Any) -> NetSuiteRecord:
    full = {"externalId": "acct_1:dpfee:dp_1", "subsidiary": {"id": "2"},
            "currency": {"id": "1"}, "tranDate": "2026-10-04", "memo": "fee", **body}  # fmt: skip
    return NetSuiteRecord(record_type, "acct_1:dpfee:dp_1", full, "dp_1", "dispute_fee")


def test_the_adjusting_journal_is_dated_in_the_open_period_with_the_posted_rate() -> None:
    moves = {
        Leg(CLEARING, CREDIT): D(5),
        Leg(FEES, DEBIT, entity="77"): D(5),
    }
    made = adjust.adjusting_journal(
        record(exchangeRate=D("1.1")), moves, posted={"exchangeRate": D("1.08")},
        posted_in="Oct 2026", into_id="130", into_start="2026-11-01", reference="JE12",
    )  # fmt: skip
    assert (made.record_type, made.external_id, made.role, made.stripe_id, made.replace) == (
        "journalEntry", "acct_1:dpfee:dp_1:adjust", "dispute_fee:adjust", "dp_1", ("line",)
    )  # fmt: skip
    body = made.body
    assert body["tranDate"] == "2026-11-01" and body["postingPeriod"] == {"id": "130"}
    assert body["exchangeRate"] == D("1.08")
    assert body["subsidiary"] == {"id": "2"} and body["currency"] == {"id": "1"}
    assert "JE12 (acct_1:dpfee:dp_1), posted in Oct 2026" in body["memo"]
    assert body["line"]["items"] == [
        {"account": {"id": FEES}, "debit": D(5), "entity": {"id": "77"},
         "memo": adjust.LINE_MEMO},
        {"account": {"id": CLEARING}, "credit": D(5), "memo": adjust.LINE_MEMO},
    ]  # fmt: skip


def test_a_payment_leg_names_its_transaction_and_an_unbalanced_journal_is_refused() -> None:
    moves = {Leg(SUSPENSE, DEBIT): D(3), Leg(UNDEPOSITED, CREDIT, payment="502"): D(3)}
    made = adjust.adjusting_journal(
        record("deposit"), moves, posted={}, posted_in="Oct 2026", into_id="130",
        into_start="2026-11-01", reference="DEP1",
    )  # fmt: skip
    memos = [ln["memo"] for ln in made.body["line"]["items"]]
    assert memos == [adjust.LINE_MEMO, f"{adjust.LINE_MEMO}: transaction 502"]
    assert "exchangeRate" not in made.body
    with pytest.raises(exceptions.MappingError, match="does not balance"):
        adjust.adjusting_journal(
            record(), {Leg(FEES, DEBIT): D(1)}, posted={}, posted_in="Oct 2026",
            into_id="130", into_start="2026-11-01", reference="JE1",
        )  # fmt: skip


def test_effect_of_knows_journals_and_deposits_only() -> None:
    assert adjust.effect_of("deposit", deposit(other=((SUSPENSE, "1"),))) == {
        Leg(BANK, DEBIT): D(1),
        Leg(SUSPENSE, CREDIT): D(1),
    }
    with pytest.raises(ValueError, match="invoice"):
        adjust.effect_of("invoice", {})
