"""Summary posting through Stripe clearing, and deposits a re-split no longer needs.

Both run over real HTTP against the sandboxes and read NetSuite's GL as a controller
would: account, debit or credit, amount, in the payout's currency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from payout_helpers import cents, charge, payout_figures, split_payout

from stripe_netsuite import exceptions
from stripe_netsuite.engine.runtime import Runtime
from stripe_netsuite.flows import payment as payment_flow
from stripe_netsuite.flows import payout as payout_flow
from stripe_netsuite.mapping.tieout import Line as TieLine
from stripe_netsuite.settings import load_config
from stripe_netsuite.store import links, queue
from stripe_netsuite_sandbox import books, demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
D = Decimal
USD = chart.CURRENCIES["usd"]
BANK = chart.BANK_ACCOUNTS["usd"]
UF = chart.UNDEPOSITED_FUNDS
AR = chart.ACCOUNTS_RECEIVABLE
FEES = chart.STRIPE_FEES
CLEARING = chart.STRIPE_CLEARING

Posted = tuple[str, str, Decimal]


def ledger(stack: demo.Stack) -> Any:
    return stack.netsuite.app.app.state.sandbox.account


def posted(stack: demo.Stack, internal_id: str) -> list[Posted]:
    """(account, debit or credit, amount) of one transaction's GL lines, sorted."""
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(ledger(stack), internal_id)]
    return sorted((acct, "debit" if amt > 0 else "credit", abs(amt)) for acct, amt in found if amt)


def link_of(stack: demo.Stack, stripe_id: str, role: str) -> links.Link:
    found = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role=role)
    assert found is not None, f"no {role} link for {stripe_id}"
    return found


def test_summary_posting_takes_payments_from_stripe_clearing_and_leaves_none_undeposited(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={
            "payout_posting": "summary",
            "payout_detail_dir": str(tmp_path / "detail"),
        },
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Clearing Co"}).id
    amounts = [2500, 4150, 999]
    charges = [charge(client, customer, amount) for amount in amounts]
    client.v1.refunds.create(params={"charge": charges[1], "amount": 650})
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = client.v1.payouts.list().data
    stripe_side = payout_figures(client, payout.id)
    assert stripe_side["charge"] == cents(sum(amounts))

    # Each payment: Stripe clearing debited, receivables credited; never Undeposited Funds.
    for charge_id, amount in zip(charges, amounts, strict=True):
        link = link_of(stack, charge_id, "payment")
        assert link.record_type == "customerPayment"
        assert posted(stack, link.internal_id) == [
            (CLEARING, "debit", cents(amount)),
            (AR, "credit", cents(amount)),
        ]
    payments = books.netsuite_records(stack.netsuite.base_url)["customerPayment"]
    assert len(payments) == 3
    assert all(p["undepFunds"] is False for p in payments)  # none on Make Deposits

    # The journal: bank and fees debited, clearing credited with the payments and debited
    # with the refund it paid out.
    journal = link_of(stack, payout.id, "deposit")
    assert journal.record_type == "journalEntry"
    assert posted(stack, journal.internal_id) == sorted(
        [
            (BANK, "debit", cents(payout.amount)),
            (FEES, "debit", stripe_side["fee"]),
            (CLEARING, "credit", stripe_side["charge"]),
            (CLEARING, "debit", -stripe_side["refund"]),
        ]
    )
    balances = gl.balances(ledger(stack), currency=USD)
    assert balances.get(UF, D(0)) == 0
    assert balances.get(CLEARING, D(0)) == 0  # the refund left clearing, the journal put it back
    assert balances[BANK] == cents(payout.amount)

    result = demo.tie_out(stack)
    assert result.differing == ()
    in_transit = result.line("usd", TieLine.IN_TRANSIT)
    assert (in_transit.stripe, in_transit.netsuite) == (D(0), D(0))
    assert queue.list_jobs(stack.database, state="parked") == []


async def _sync_with(
    stack: demo.Stack, payout_id: str, flow: Any = payout_flow, **options: Any
) -> None:
    """Sync the object again as the engine would after the options changed."""
    config = load_config(stack.settings.config)
    async with Runtime(settings=stack.settings, config=config, database=stack.database) as rt:
        ctx = rt.contexts[demo.ACCOUNT]
        account = ctx.account.model_copy(
            update={"options": ctx.account.options.model_copy(update=options)}
        )
        await flow.sync(replace(ctx, account=account), payout_id)


def test_a_payment_posted_before_the_switch_to_summary_moves_to_clearing_when_resynced(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Switch Co"}).id
    charge_id = charge(client, customer, 5150)
    demo.wait_until_synced(stack)
    link = link_of(stack, charge_id, "payment")
    assert posted(stack, link.internal_id) == [
        (UF, "debit", D("51.50")),
        (AR, "credit", D("51.50")),
    ]

    asyncio.run(_sync_with(stack, charge_id, payment_flow, payout_posting="summary"))

    assert link_of(stack, charge_id, "payment").internal_id == link.internal_id
    assert posted(stack, link.internal_id) == [
        (CLEARING, "debit", D("51.50")),
        (AR, "credit", D("51.50")),
    ]
    balances = gl.balances(ledger(stack), currency=USD)
    assert balances.get(UF, D(0)) == 0 and balances[CLEARING] == D("51.50")


def deposits_of(stack: demo.Stack, payout_id: str) -> dict[str, str]:
    """Link role → internal id of the payout's deposits."""
    held = links.of_object(stack.database, account=demo.ACCOUNT, stripe_id=payout_id)
    return {link.role: link.internal_id for link in held if link.record_type == "deposit"}


def test_a_raised_line_limit_deletes_the_deposits_no_longer_needed_and_posts_the_payout(
    make_stack: StackFactory,
) -> None:
    stack, client, payout = split_payout(make_stack, "Stale Co", [1200 + 101 * i for i in range(8)])
    stripe_side = payout_figures(client, payout.id)
    before = deposits_of(stack, payout.id)
    assert sorted(before) == ["deposit", "deposit_part_2", "deposit_part_3"]

    # 7 lines a deposit: two deposits. Payments move from deposit 2 to 1 and from 3 to 2,
    # which NetSuite allows only once their old deposit has let them go.
    asyncio.run(_sync_with(stack, payout.id, deposit_max_lines=7))
    middle = deposits_of(stack, payout.id)
    assert middle == {"deposit": before["deposit"], "deposit_part_2": before["deposit_part_2"]}
    records = books.netsuite_records(stack.netsuite.base_url)
    assert {str(r["id"]) for r in records["deposit"]} == set(middle.values())
    assert sum(D(str(r["total"])) for r in records["deposit"]) == cents(payout.amount)
    assert [len(r["payment"]["items"]) for r in records["deposit"]] == [4, 4]
    assert posted(stack, before["deposit_part_3"]) == []

    asyncio.run(_sync_with(stack, payout.id, deposit_max_lines=10))

    after = deposits_of(stack, payout.id)
    assert after == {"deposit": before["deposit"]}  # the first keeps its internal id
    gone = [before["deposit_part_2"], before["deposit_part_3"]]
    records = books.netsuite_records(stack.netsuite.base_url)
    remaining = {str(r["id"]): r for r in records["deposit"]}
    assert set(remaining) == {before["deposit"]}
    assert all(posted(stack, rid) == [] for rid in gone)
    (deposit,) = remaining.values()
    assert D(str(deposit["total"])) == cents(payout.amount)
    assert len(deposit["payment"]["items"]) == 8
    lines = posted(stack, before["deposit"])
    assert [ln for ln in lines if ln[0] != UF] == sorted(
        [(BANK, "debit", cents(payout.amount)), (FEES, "debit", stripe_side["fee"])]
    )
    taken = [ln for ln in lines if ln[0] == UF]  # one credit per payment selected
    assert len(taken) == 8 and {side for _, side, _ in taken} == {"credit"}
    assert sum(amount for _, _, amount in taken) == stripe_side["charge"]
    balances = gl.balances(ledger(stack), currency=USD)
    assert balances.get(UF, D(0)) == 0 and balances.get(CLEARING, D(0)) == 0
    (report,) = demo.reconciliation(stack)
    assert report.ties_out
    assert demo.tie_out(stack).differing == ()


def test_a_stale_deposit_the_engine_did_not_post_is_left_alone_and_the_payout_parks(
    make_stack: StackFactory,
) -> None:
    stack, _, payout = split_payout(make_stack, "Foreign Co", [3000 + 7 * i for i in range(6)])
    before = deposits_of(stack, payout.id)
    assert sorted(before) == ["deposit", "deposit_part_2", "deposit_part_3"]
    # The last link now names another externalId than the engine's: nothing is deleted,
    # not even deposit 2, which alone would qualify.
    link = link_of(stack, payout.id, "deposit_part_3")
    links.put(
        stack.database,
        account=demo.ACCOUNT,
        stripe_id=payout.id,
        role=link.role,
        record_type=link.record_type,
        internal_id=link.internal_id,
        external_id="someone-else",
        body_hash=link.body_hash,
    )

    try:
        asyncio.run(_sync_with(stack, payout.id, deposit_max_lines=10))
    except exceptions.NeedsAttention as refused:
        assert link.internal_id in str(refused)
    else:
        raise AssertionError("a deposit the engine did not post was deleted")
    records = books.netsuite_records(stack.netsuite.base_url)
    assert {str(r["id"]) for r in records["deposit"]} == set(before.values())
    assert deposits_of(stack, payout.id) == before


def test_a_won_dispute_under_summary_posting_comes_back_through_clearing(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={
            "payout_posting": "summary",
            "payout_detail_dir": str(tmp_path / "detail"),
        },
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Won Back Co"}).id
    intent = client.v1.payment_intents.create(
        params={"amount": 8000, "currency": "usd", "customer": customer,
                "payment_method": "pm_card_createDispute", "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    (dispute,) = client.v1.disputes.list(params={"charge": str(intent.latest_charge)}).data
    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert client.v1.disputes.retrieve(dispute.id).status == "won"
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)

    # The reinstated funds wait in Stripe clearing like the payment did: never on
    # NetSuite's Make Deposits page.
    link = link_of(stack, dispute.id, "dispute_reversal")
    record = books.netsuite_records(stack.netsuite.base_url)[link.record_type]
    (reinstatement,) = [r for r in record if str(r["id"]) == link.internal_id]
    assert reinstatement["undepFunds"] is False
    assert (CLEARING, "debit", cents(8000)) in posted(stack, link.internal_id)
    balances = gl.balances(ledger(stack), currency=USD)
    assert balances.get(UF, D(0)) == 0
    assert balances.get(CLEARING, D(0)) == 0
    result = demo.tie_out(stack)
    assert result.differing == ()
    assert queue.list_jobs(stack.database, state="parked") == []
