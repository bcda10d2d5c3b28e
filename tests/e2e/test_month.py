"""A month of business through both sandboxes: the books in NetSuite must match Stripe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite import money
from stripe_netsuite.mapping import reconciliation
from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import books, business, demo


class Month:
    """The stack after the month, with Stripe's objects and NetSuite's records read out."""

    def __init__(self, stack: demo.Stack) -> None:
        self.stack = stack
        self.refresh()

    def refresh(self) -> None:
        self.stripe = books.stripe_objects(self.stack.stripe.base_url, self.stack.api_key)
        self.records = books.netsuite_records(self.stack.netsuite.base_url)
        self.by_eid = {
            str(r["externalId"]): (kind, r)
            for kind, items in self.records.items()
            for r in items
            if r.get("externalId")
        }

    def record(self, stripe_id: str, prefix: str | None = None) -> tuple[str, dict[str, Any]]:
        eid = f"acct_sandbox:{prefix}:{stripe_id}" if prefix else f"acct_sandbox:{stripe_id}"
        assert eid in self.by_eid, f"no NetSuite record with externalId {eid}"
        return self.by_eid[eid]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    workdir: Path = tmp_path_factory.mktemp("month")
    stack = demo.start(
        workdir=workdir, seed=11, events_poll_seconds=0,
        stripe_options={"start_time": demo.MONTH_START,
                        "settlement_currencies": demo.CURRENCIES},
    )  # fmt: skip
    try:
        business.build(
            stack.stripe_client(),
            seed=11,
            customers=24,
            advance=lambda seconds: demo.advance(stack, seconds),
        )
        demo.pay_out_everything(stack)
        demo.wait_until_synced(stack)
        yield Month(stack)
    finally:
        stack.stop()


def dec(minor: int, currency: str) -> Decimal:
    return money.to_decimal(minor, currency)


def lines_of(record: dict[str, Any], name: str = "item") -> list[dict[str, Any]]:
    value = record.get(name) or {}
    items: list[dict[str, Any]] = value.get("items", []) if isinstance(value, dict) else []
    return items


def test_every_stripe_object_is_accounted_for_and_none_parked(month: Month) -> None:
    accounting = demo.account_for(month.stack)
    assert accounting.unaccounted == []
    assert accounting.parked == []
    assert queue.counts(month.stack.database).get(("invoice", "done"), 0) > 0


def test_no_duplicate_external_ids(month: Month) -> None:
    assert books.duplicate_external_ids(month.records) == {}


def test_invoice_lines_sum_to_stripe_total_and_remaining_matches(month: Month) -> None:
    checked = 0
    for invoice in month.stripe["invoice"]:
        if invoice["status"] == "draft" or not invoice["lines"]["data"]:
            continue  # skipped by rule: nothing to book
        eid = f"acct_sandbox:{invoice['id']}"
        if invoice["status"] == "void":
            # Voided before it was booked: nothing at all; booked first: reversed in full.
            memo = month.by_eid.get(f"acct_sandbox:void:{invoice['id']}")
            assert (eid in month.by_eid) == (memo is not None), invoice["id"]
            if memo is not None:
                memo_total = sum(
                    (Decimal(str(li["amount"])) for li in lines_of(memo[1])), Decimal(0)
                )
                assert memo_total == dec(invoice["total"], invoice["currency"]), invoice["id"]
            continue
        kind, record = month.record(invoice["id"])
        assert kind == "invoice"
        currency = invoice["currency"]
        total = sum((Decimal(str(line["amount"])) for line in lines_of(record)), Decimal(0))
        assert total == dec(invoice["total"], currency), invoice["id"]
        remaining = Decimal(str(record.get("amountRemaining", 0)))
        assert remaining == dec(invoice["amount_remaining"], currency), invoice["id"]
        checked += 1
    assert checked >= 20


def test_every_money_movement_has_its_record(month: Month) -> None:
    categories = {bt["id"]: bt["reporting_category"] for bt in month.stripe["balance_transaction"]}
    for charge in month.stripe["charge"]:
        if charge["status"] == "succeeded":
            kind, record = month.record(charge["id"])
            assert kind == "customerPayment"
            assert Decimal(str(record["payment"])) == dec(
                charge["amount_captured"], charge["currency"]
            )
    for refund in month.stripe["refund"]:
        if categories.get(refund["balance_transaction"]) == "partial_capture_reversal":
            continue
        if refund["status"] == "succeeded":
            kind, _ = month.record(refund["id"])
            assert kind == "customerRefund"
    for dispute in month.stripe["dispute"]:
        withdrawn = any(
            bt["reporting_category"] == "dispute" for bt in dispute["balance_transactions"]
        )
        if withdrawn:
            assert month.record(dispute["id"])[0] == "customerRefund"
            assert month.record(dispute["id"], "fee")[0] == "journalEntry"
        if dispute["status"] == "won":
            assert month.record(dispute["id"], "rev")[0] == "customerPayment"
    assert any(d["status"] == "won" for d in month.stripe["dispute"])
    assert any(d["status"] == "lost" for d in month.stripe["dispute"])


def test_journal_entries_balance(month: Month) -> None:
    for record in month.records.get("journalEntry", []):
        lines = lines_of(record, "line")
        debit = sum((Decimal(str(ln.get("debit", 0))) for ln in lines), Decimal(0))
        credit = sum((Decimal(str(ln.get("credit", 0))) for ln in lines), Decimal(0))
        assert debit == credit, record.get("externalId")


def test_every_payout_ties_out_to_its_deposit(month: Month) -> None:
    reports = demo.reconciliation(month.stack)
    assert {r.currency for r in reports} == {"usd", "eur", "jpy"}
    for report in reports:
        assert report.ties_out, reconciliation.render([report])
    for payout in month.stripe["payout"]:
        kind, record = month.record(payout["id"])
        assert kind == "deposit"
        assert Decimal(str(record["total"])) == dec(payout["amount"], payout["currency"])


def test_resync_of_everything_changes_nothing_and_sends_no_write(month: Month) -> None:
    stack = month.stack
    before = books.netsuite_stats(stack.netsuite.base_url)["writes"]
    kinds = {"cus": "customer", "in": "invoice", "ch": "charge", "re": "refund",
             "cn": "credit_note", "dp": "dispute", "po": "payout"}  # fmt: skip
    queued = 0
    with stack.database.begin() as conn:
        for link in links.all_links(stack.database):
            kind = kinds.get(link.stripe_id.split("_", 1)[0])
            if kind:
                queued += queue.enqueue(conn, account="main", kind=kind, object_id=link.stripe_id)
    assert queued > 100
    demo.wait_until_synced(stack)
    assert books.netsuite_stats(stack.netsuite.base_url)["writes"] == before
    assert queue.list_jobs(stack.database, state="parked") == []


def test_database_holds_no_names_emails_or_amounts(month: Month) -> None:
    url = month.stack.database_url
    assert url.startswith("sqlite:///")
    raw = Path(url.removeprefix("sqlite:///")).read_bytes()
    database = month.stack.database
    with database.connect() as conn:
        dumped = " ".join(
            str(value)
            for table in ("inbox", "jobs", "attempts", "links", "cursors")
            for row in conn.execute(sa.text(f"select * from {table}"))
            for value in row
        )
    customers = month.stripe["customer"]
    assert customers
    for customer in customers:
        for value in (customer["name"], customer["email"]):
            assert value.encode() not in raw
            assert value not in dumped
    text = raw.decode("latin-1") + " " + dumped
    amounts = {
        str(dec(c["amount"], c["currency"]))
        for c in month.stripe["charge"]
        if money.exponent(c["currency"]) == 2
    }
    assert len(amounts) >= 3
    for amount in amounts:
        # Not next to a digit or a colon, so a time such as 02:44:12.004 is no match.
        assert not re.search(rf"(?<![\d:]){re.escape(amount)}(?!\d)", text), amount


def test_won_dispute_is_withdrawn_and_reinstated_in_different_payouts(month: Month) -> None:
    client = month.stack.stripe_client()
    payout_of: dict[str, str] = {}
    for payout in month.stripe["payout"]:
        for bt in client.v1.balance_transactions.list(
            params={"payout": payout["id"], "limit": 100}
        ).auto_paging_iter():
            payout_of[bt.id] = payout["id"]
    won = [d for d in month.stripe["dispute"] if d["status"] == "won"]
    assert won
    for dispute in won:
        withdrawn, reinstated = (
            next(bt["id"] for bt in dispute["balance_transactions"]
                 if bt["reporting_category"] == category)
            for category in ("dispute", "dispute_reversal")
        )  # fmt: skip
        assert payout_of[withdrawn] != payout_of[reinstated]
