"""Payouts beyond the everyday: failed, manual, and a deposit corrected after a fix."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import pytest
import stripe

from stripe_netsuite import money
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.governor import LocalGovernor
from stripe_netsuite.settings import load_config
from stripe_netsuite.store import queue
from stripe_netsuite_sandbox import books, demo

StackFactory = Callable[..., demo.Stack]


def charge(
    client: stripe.StripeClient, customer: str, amount: int, card: str = "pm_card_visa"
) -> str:
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": customer,
                "payment_method": card, "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return str(intent.latest_charge)


def month_stack(make_stack: StackFactory) -> demo.Stack:
    return make_stack(stripe_options={"start_time": demo.MONTH_START})


def records_by_eid(stack: demo.Stack) -> dict[str, tuple[str, dict[str, object]]]:
    return {
        str(r["externalId"]): (kind, r)
        for kind, items in books.netsuite_records(stack.netsuite.base_url).items()
        for r in items
        if r.get("externalId")
    }


def assert_every_payout_ties_out(stack: demo.Stack) -> None:
    reports = demo.reconciliation(stack)
    assert reports
    assert [r.payout_id for r in reports if not r.ties_out] == []


def test_failed_payout_reverses_its_deposit_and_the_returned_funds_tie_out(
    make_stack: StackFactory,
) -> None:
    stack = month_stack(make_stack)
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Payout Co"}).id
    for amount in (5000, 7300):
        charge(client, customer, amount)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (first,) = client.v1.payouts.list().data
    demo.sandbox_post(stack, f"/__sandbox/payouts/{first.id}/fail")
    demo.wait_until_synced(stack)

    records = records_by_eid(stack)
    assert records[f"acct_sandbox:{first.id}"][0] == "deposit"
    kind, reversal = records[f"acct_sandbox:payout_failure:{first.id}"]
    assert kind == "journalEntry"
    lines = reversal["line"]["items"]  # type: ignore[index]
    debit = sum(Decimal(str(ln.get("debit", 0))) for ln in lines)
    credit = sum(Decimal(str(ln.get("credit", 0))) for ln in lines)
    assert debit == credit == money.to_decimal(first.amount, "usd")

    # The returned funds go out again with the next payout, whose deposit ties out too.
    charge(client, customer, 2100)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    payouts = client.v1.payouts.list().data
    assert len(payouts) >= 2
    assert_every_payout_ties_out(stack)
    assert queue.list_jobs(stack.database, state="parked") == []


def test_manual_payout_is_reconciled_from_its_window(make_stack: StackFactory) -> None:
    stack = month_stack(make_stack)
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Manual Co"}).id
    # Available at once, so the manual payout takes it before the nightly sweep.
    charges = [charge(client, customer, amount, "pm_card_bypassPending") for amount in (4000, 6000)]
    available = client.v1.balance.retrieve().available[0].amount
    payout = client.v1.payouts.create(params={"amount": available, "currency": "usd"})
    assert payout.automatic is False
    demo.advance(stack, 2 * demo.DAY)
    demo.wait_until_synced(stack)
    assert client.v1.payouts.retrieve(payout.id).status == "paid"
    records = records_by_eid(stack)
    kind, deposit = records[f"acct_sandbox:{payout.id}"]
    assert kind == "deposit"
    selected = {
        str(line["id"])  # type: ignore[index]
        for line in deposit["payment"]["items"]  # type: ignore[index]
    }
    payments = {str(records[f"acct_sandbox:{c}"][1]["id"]) for c in charges}
    assert selected == payments
    assert_every_payout_ties_out(stack)


def test_unmapped_balance_transaction_goes_to_suspense_with_a_label_and_an_alert(
    make_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    stack = month_stack(make_stack)
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Adjusted Co"}).id
    charge(client, customer, 9000)
    adjustment = demo.sandbox_post(
        stack, "/__sandbox/balance_transactions", amount=-250, currency="usd",
        reporting_category="other_adjustment", description="Correction by Stripe",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="stripe_netsuite.flows.payout"):
        demo.pay_out_everything(stack)
        demo.wait_until_synced(stack)
    (report,) = demo.reconciliation(stack)
    assert report.ties_out
    (memo, amount) = report.suspense_lines[0]
    assert amount == Decimal("-2.50")
    assert adjustment["id"] in memo and "other_adjustment" in memo
    alerts = [r.getMessage() for r in caplog.records if "deposit alert" in r.getMessage()]
    assert any(adjustment["id"] in message for message in alerts)


def test_deposit_posts_with_suspense_and_is_corrected_once_the_payment_syncs(
    make_stack: StackFactory,
) -> None:
    stack = month_stack(make_stack)
    client = stack.stripe_client()
    good = client.v1.customers.create(params={"name": "Good Co"}).id
    held = client.v1.customers.create(
        params={"name": "Held Co", "metadata": {"netsuite_block_integration": "true"}}
    ).id
    charge(client, good, 5000)
    held_charge = charge(client, held, 3000)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (report,) = demo.reconciliation(stack)
    assert report.ties_out  # never blocked by one bad item
    assert len(report.suspense_lines) == 1 and held_charge in report.suspense_lines[0][0]

    # Fixed: the customer may sync now, and the held charge is retried.
    client.v1.customers.update(held, params={"metadata": {"netsuite_block_integration": ""}})
    demo.wait_until_synced(stack)
    (job,) = [
        j for j in queue.list_jobs(stack.database, kind="charge") if j.object_id == held_charge
    ]
    assert job.state == "skipped"
    assert queue.requeue(stack.database, job_id=job.id) == 1
    demo.wait_until_synced(stack)
    (report,) = demo.reconciliation(stack)
    assert report.ties_out
    assert report.suspense_lines == []


def test_deposit_reconciliation_on_its_own_finds_payments_made_by_another_integration(
    make_stack: StackFactory,
) -> None:
    stack = make_stack(
        stripe_options={"start_time": demo.MONTH_START},
        account_options={"payment_mode": "find"},
    )
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Elsewhere Co"}).id
    charges = [charge(client, customer, amount) for amount in (2500, 6100)]
    demo.wait_until_synced(stack)
    ns_customer = records_by_eid(stack)[f"acct_sandbox:{customer}"][1]["id"]
    # What the other integration posts: payments keyed by the Stripe charge id.
    made = {c: asyncio.run(other_integration_payment(stack, c, str(ns_customer))) for c in charges}
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    records = records_by_eid(stack)
    (payout,) = client.v1.payouts.list().data
    kind, deposit = records[f"acct_sandbox:{payout.id}"]
    assert kind == "deposit"
    selected = {str(line["id"]) for line in deposit["payment"]["items"]}  # type: ignore[index]
    assert selected == set(made.values())
    assert not any(eid.startswith("acct_sandbox:ch_") for eid in records)  # none posted by us
    assert_every_payout_ties_out(stack)


async def other_integration_payment(stack: demo.Stack, charge_id: str, customer: str) -> str:
    config = load_config(stack.settings.config).account("main")
    stripe_charge = stack.stripe_client().v1.charges.retrieve(charge_id)
    client = NetSuiteClient.from_config(config.netsuite, governor=LocalGovernor(5))
    async with client:
        return await client.upsert(
            "customerPayment",
            charge_id,
            {"externalId": charge_id, "customer": {"id": customer},
             "payment": money.to_decimal(stripe_charge.amount, "usd"), "undepFunds": True},
        )  # fmt: skip


def test_reconcile_and_preview_commands(make_stack: StackFactory) -> None:
    stack = month_stack(make_stack)
    client = stack.stripe_client()
    customer = client.v1.customers.create(params={"name": "Command Co"}).id
    charge_id = charge(client, customer, 4200)
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
           "SNS_DATABASE_URL": stack.database_url}  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stripe_netsuite", *args],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    (payout,) = client.v1.payouts.list().data
    done = cli("reconcile")
    assert done.returncode == 0, done.stderr
    assert payout.id in done.stdout and "1 payouts, 0 with a difference" in done.stdout
    shown = cli("preview", charge_id)
    assert shown.returncode == 0, shown.stderr
    assert f"customerPayment acct_sandbox:{charge_id}" in shown.stdout
    assert "42.00" in shown.stdout
    bad = cli("reconcile", "--since", "yesterday")
    assert bad.returncode == 2 and "not a date" in bad.stderr
