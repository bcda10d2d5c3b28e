"""Payouts with more lines than a deposit may hold: split deposits, and summary posting.

Both run over real HTTP against the sandboxes with a limit of 5 lines per deposit, so a
payout of a dozen balance transactions needs several deposits. The books are checked as a
controller would: the GL lines of every record the payout made, account by account.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from payout_helpers import cents, charge, payout_figures

from stripe_netsuite import exceptions
from stripe_netsuite.engine.runtime import Runtime
from stripe_netsuite.flows import payout as payout_flow
from stripe_netsuite.mapping import reconciliation
from stripe_netsuite.settings import load_config
from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import books, demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
D = Decimal
BANK = chart.BANK_ACCOUNTS["usd"]
UF = chart.UNDEPOSITED_FUNDS
FEES = chart.STRIPE_FEES
CLEARING = chart.STRIPE_CLEARING
SUSPENSE = chart.SUSPENSE


def net_gl(stack: demo.Stack, internal_ids: list[str]) -> dict[str, Decimal]:
    """Debit-positive net of the records' GL lines, by account."""
    account = stack.netsuite.app.app.state.sandbox.account
    out: dict[str, Decimal] = {}
    for rid in internal_ids:
        for line in gl.lines_of(account, rid):
            out[line.account] = out.get(line.account, D(0)) + line.foreign_amount
    return {k: v for k, v in out.items() if v}


def deposit_links(stack: demo.Stack, payout_id: str) -> list[links.Link]:
    held = links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout_id)
    return [link for link in held if link.record_type == "deposit"]


def line_count(body: dict[str, Any]) -> int:
    return sum(
        len(body[name]["items"]) for name in ("payment", "other", "cashback") if name in body
    )


def test_a_long_payout_is_split_into_deposits_that_sum_to_it_and_repost_in_place(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"deposit_max_lines": 5},
    )
    client = stack.stripe_client()
    good = client.v1.customers.create(params={"name": "Split Co"}).id
    held = client.v1.customers.create(
        params={"name": "Held Co", "metadata": {"netsuite_block_integration": "true"}}
    ).id
    charges = [charge(client, good, 1000 + 137 * i) for i in range(8)]
    held_charge = charge(client, held, 4321)
    client.v1.refunds.create(params={"charge": charges[2], "amount": 500})
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    stripe_side = payout_figures(client, payout.id)

    first = deposit_links(stack, payout.id)
    # 9 charges and a refund, one line each, plus the fees: 5 lines a deposit, 2 kept free
    # for carries (the first also holds the fees) makes 4 deposits.
    assert sorted(link.role for link in first) == [
        "deposit", "deposit_part_2", "deposit_part_3", "deposit_part_4"
    ]  # fmt: skip
    bodies = {str(r["id"]): r for r in books.netsuite_records(stack.netsuite.base_url)["deposit"]}
    assert set(bodies) == {link.internal_id for link in first}
    assert all(line_count(body) <= 5 for body in bodies.values())
    totals = [D(str(body["total"])) for body in bodies.values()]
    assert all(total >= 0 for total in totals)
    assert sum(totals) == cents(payout.amount)

    # The books: the bank takes the payout, Undeposited Funds gives up the charges that
    # synced, the held one sits in suspense, fees are expensed, the refund clears Stripe
    # clearing and the carries between deposits net to zero there.
    ids = [link.internal_id for link in first]
    assert net_gl(stack, ids) == {
        BANK: cents(payout.amount),
        UF: -(stripe_side["charge"] - D("43.21")),
        SUSPENSE: D("-43.21"),
        FEES: stripe_side["fee"],
        CLEARING: -stripe_side["refund"],
    }
    (report,) = demo.reconciliation(stack)
    assert report.ties_out
    assert [label for label, _ in report.deposits] == ids
    assert sum(t for _, t in report.deposits if t is not None) == cents(payout.amount)
    assert len(report.suspense_lines) == 1 and held_charge in report.suspense_lines[0][0]

    # The held customer syncs: the payout is posted again, its payment selected where the
    # suspense line was, in the same four deposits (same internal ids, none added).
    client.v1.customers.update(held, params={"metadata": {"netsuite_block_integration": ""}})
    demo.wait_until_synced(stack)
    (job,) = [
        j for j in queue.list_jobs(stack.database, kind="charge") if j.object_id == held_charge
    ]
    assert queue.requeue(stack.database, job_id=job.id) == 1
    demo.wait_until_synced(stack)
    again = deposit_links(stack, payout.id)
    assert {(link.role, link.internal_id) for link in again} == {
        (link.role, link.internal_id) for link in first
    }
    assert all(link.body_hash != old.body_hash for link, old in zip(again, first, strict=True)
               if link.role == "deposit")  # fmt: skip
    records = books.netsuite_records(stack.netsuite.base_url)
    assert len(records["deposit"]) == 4
    assert net_gl(stack, ids) == {
        BANK: cents(payout.amount),
        UF: -stripe_side["charge"],
        FEES: stripe_side["fee"],
        CLEARING: -stripe_side["refund"],
    }
    (report,) = demo.reconciliation(stack)
    assert report.ties_out and report.suspense_lines == []
    rendered = reconciliation.render([report])
    assert "deposit 4 of 4" in rendered
    assert queue.list_jobs(stack.database, state="parked") == []


def test_summary_posting_books_one_journal_through_clearing_and_keeps_the_detail(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    detail_dir = tmp_path / "payout-detail"
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={
            "payout_posting": "summary",
            "deposit_max_lines": 5,
            "payout_detail_dir": str(detail_dir),
        },
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Summary Co"}).id
    charges = [charge(client, customer, 2000 + 311 * i) for i in range(7)]
    client.v1.refunds.create(params={"charge": charges[0], "amount": 750})
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    stripe_side = payout_figures(client, payout.id)

    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=payout.id, role="deposit")
    assert link is not None and link.record_type == "journalEntry"
    records = books.netsuite_records(stack.netsuite.base_url)
    assert "deposit" not in records or records["deposit"] == []
    (journal,) = [r for r in records["journalEntry"] if str(r["id"]) == link.internal_id]
    assert str(journal["externalId"]) == f"acct_sandbox:payout_summary:{payout.id}"
    assert len(journal["line"]["items"]) == 4  # type: ignore[index]  # bank, fees, clearing Cr/Dr
    # The payments wait in Stripe clearing (a journal cannot mark them deposited), so the
    # journal credits clearing with the charges, net of the refund paid from it.
    assert net_gl(stack, [link.internal_id]) == {
        BANK: cents(payout.amount),
        FEES: stripe_side["fee"],
        CLEARING: -(stripe_side["charge"] + stripe_side["refund"]),
    }
    account = stack.netsuite.app.app.state.sandbox.account
    assert gl.balances(account, currency=chart.CURRENCIES["usd"]).get(UF, D(0)) == 0

    # The detail: one row per line the journal sums, linked to the payout and named in
    # the journal's memo; its debits and credits are the journal's, bank line aside.
    kept = links.get(
        stack.database, account=demo.ACCOUNT, stripe_id=payout.id, role="payout_detail"
    )
    assert kept is not None and kept.internal_id == f"acct_sandbox_{payout.id}.csv"
    assert kept.internal_id in str(journal["memo"])
    with (detail_dir / kept.internal_id).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 + 1 + 1  # charges, the refund, the fees
    assert {row["payout"] for row in rows} == {payout.id}
    credits = sum(D(row["credit"] or 0) for row in rows)
    debits = sum(D(row["debit"] or 0) for row in rows)
    assert credits - debits == cents(payout.amount)
    assert credits == stripe_side["charge"]
    (report,) = demo.reconciliation(stack)
    assert report.ties_out
    assert queue.list_jobs(stack.database, state="parked") == []


def test_summary_posting_without_a_detail_directory_parks_the_payout_naming_the_key(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"payout_posting": "summary"},
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "No Dir Co"}).id
    charge(client, customer, 3000)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    parked = queue.list_jobs(stack.database, state="parked")
    assert parked  # one per payout event that came in
    for job in parked:
        assert (job.kind, job.object_id) == ("payout", payout.id)
        assert "accounts.main.options.payout_detail_dir" in str(job.last_error)
    # Nothing was posted for the payout: no journal, no deposit, no detail link.
    assert links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout.id) == []


def test_switching_a_posted_payout_to_summary_posting_parks_it_instead_of_booking_it_twice(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Switch Co"}).id
    charge(client, customer, 6400)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    before = links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout.id)
    assert [link.record_type for link in before] == ["deposit"]

    config = load_config(stack.settings.config)

    async def post_as_summary() -> None:
        async with Runtime(settings=stack.settings, config=config, database=stack.database) as rt:
            ctx = rt.contexts[demo.ACCOUNT]
            options = ctx.account.options.model_copy(
                update={"payout_posting": "summary", "payout_detail_dir": str(stack.workdir)}
            )
            account = ctx.account.model_copy(update={"options": options})
            await payout_flow.sync(replace(ctx, account=account), payout.id)

    with pytest.raises(exceptions.NeedsAttention, match="already posted as deposit"):
        asyncio.run(post_as_summary())
    assert links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout.id) == before
    records = books.netsuite_records(stack.netsuite.base_url)
    assert not any(
        str(r.get("externalId", "")).endswith(f"payout_summary:{payout.id}")
        for r in records.get("journalEntry", [])
    )
