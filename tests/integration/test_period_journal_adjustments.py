"""A journal entry or a bank deposit posted in a month that is now closed, changed, over real
HTTP to the NetSuite sandbox: the original is left as it is and one adjusting journal entry,
dated in the first open month, moves the GL by the difference; a later change rewrites it.

Records go through `posting.post`, the path every flow writes by; the books are read back as GL
lines (account, debit or credit, amount, posting period) over SuiteQL, and the currency from the
sandbox's ledger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from stripe_netsuite.flows import periods as period_policy
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.netsuite.auth import TokenAuth
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.errors import PeriodClosed
from stripe_netsuite.netsuite.governor import LocalGovernor
from stripe_netsuite.settings import parse_config
from stripe_netsuite.store import db, links
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread

D = Decimal
FEES, CLEARING = chart.DISPUTE_FEES, chart.STRIPE_CLEARING
SUSPENSE, UNDEPOSITED, BANK = chart.SUSPENSE, chart.UNDEPOSITED_FUNDS, chart.BANK_ACCOUNTS["usd"]
USD = chart.CURRENCIES["usd"]
GLLine = tuple[str, str, Decimal, str]


class Sandbox:
    """The served NetSuite sandbox, closed and read as a controller would."""

    def __init__(self, server: RunningServer, config: SandboxConfig) -> None:
        self.server, self.config = server, config

    @property
    def account(self) -> Any:
        return self.server.app.sandbox.account

    def set_period(self, name: str, **flags: bool) -> None:
        with httpx.Client(base_url=self.server.base_url, timeout=30) as client:
            answer = client.post(f"/__sandbox/periods/{name}", json=flags)
        assert answer.status_code == 200, answer.text

    def period_id(self, name: str) -> str:
        periods = self.account.store.all("accountingPeriod")
        return str(next(b for b in periods if b["periodName"] == name)["id"])

    def body(self, record_type: str, internal_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.account.store.get(record_type, internal_id)
        return found

    def currency_of(self, internal_id: str) -> str | None:
        impact = self.account.gl.impact_of(internal_id)
        return impact.currency if impact is not None else None

    def external_ids(self, record_type: str) -> list[str]:
        return sorted(str(b.get("externalId")) for b in self.account.store.all(record_type))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig()
    server = serve_in_thread(create_app(config))
    try:
        yield Sandbox(server, config)
    finally:
        server.stop()


@pytest.fixture
async def ctx(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[FlowContext]:
    ns = sandbox.config
    auth = TokenAuth(
        ns.account_id, ns.consumer_key, ns.consumer_secret, ns.token_id, ns.token_secret
    )
    client = NetSuiteClient(base_url=sandbox.server.base_url, auth=auth, governor=LocalGovernor(5))
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_unused",
            "subsidiary": chart.SUBSIDIARY_US, "netsuite": {"account_id": ns.account_id},
        }}}
    )  # fmt: skip
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(database)
    yield FlowContext(
        name="main",
        account=config.account("main"),
        stripe=stripe.StripeClient("sk_test_unused"),
        netsuite=client,
        database=database,
    )
    await client.aclose()


async def gl_lines(ctx: FlowContext, internal_id: str) -> list[GLLine]:
    """(account, debit|credit, amount, posting period id) of each GL line, through SuiteQL."""
    query = (
        "SELECT tal.account, tal.debit, tal.credit, tal.postingperiod "
        f"FROM transactionaccountingline tal WHERE tal.transaction = {int(internal_id)}"
    )
    out: list[GLLine] = []
    async for row in ctx.netsuite.suiteql(query):
        side = "debit" if row.get("debit") is not None else "credit"
        out.append((str(row["account"]), side, D(str(row[side])), str(row["postingperiod"])))
    return sorted(out)


async def a_customer(ctx: FlowContext) -> str:
    body = {"companyName": "Closed Month Co", "subsidiary": {"id": chart.SUBSIDIARY_US}}
    return await posting.post(ctx, NetSuiteRecord("customer", "acct_1:cus_c", body, "cus_c",
                                                  "customer"))  # fmt: skip


def fee_journal(customer: str, fee: str) -> NetSuiteRecord:
    """A dispute fee journal as the dispute mapping writes it: Dr fees (the customer) / Cr
    Stripe clearing."""
    eid = "acct_1:dpfee:dp_c"
    body = {
        "externalId": eid, "tranDate": "2026-10-04", "memo": "Stripe dispute fee dp_c",
        "subsidiary": {"id": chart.SUBSIDIARY_US}, "currency": {"id": USD},
        "line": {"items": [
            {"account": {"id": FEES}, "debit": D(fee), "entity": {"id": customer}},
            {"account": {"id": CLEARING}, "credit": D(fee)},
        ]},
    }  # fmt: skip
    return NetSuiteRecord("journalEntry", eid, body, "dp_c", "dispute_fee")


async def test_a_journal_changed_after_its_month_closed_posts_one_adjusting_journal(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    original = await posting.post(ctx, fee_journal(customer, "15.00"))
    sandbox.set_period("Oct 2026", closed=True)
    october, november = sandbox.period_id("Oct 2026"), sandbox.period_id("Nov 2026")
    before = await gl_lines(ctx, original)
    assert before == [
        (FEES, "debit", D("15.00"), october),
        (CLEARING, "credit", D("15.00"), october),
    ]

    # More: Dr fees 5 / Cr clearing 5 in November; the October journal is untouched.
    assert await posting.post(ctx, fee_journal(customer, "20.00")) == original
    assert await gl_lines(ctx, original) == before
    link = links.get(ctx.database, account="main", stripe_id="dp_c", role="dispute_fee:adjust")
    assert link is not None and link.record_type == "journalEntry"
    assert link.external_id == "acct_1:dpfee:dp_c:adjust"
    adjustment = link.internal_id
    assert await gl_lines(ctx, adjustment) == [
        (FEES, "debit", D("5.00"), november),
        (CLEARING, "credit", D("5.00"), november),
    ]
    assert sandbox.currency_of(adjustment) == sandbox.currency_of(original) == USD
    body = sandbox.body("journalEntry", adjustment)
    assert body["tranDate"] == "2026-11-01" and body["postingPeriod"] == {"id": november}
    assert "posted in Oct 2026, closed or locked" in body["memo"]
    assert body["line"]["items"][0]["entity"]["id"] == customer

    # Less than the original: the same adjustment is rewritten, Cr fees 3 / Dr clearing 3.
    await posting.post(ctx, fee_journal(customer, "12.00"))
    again = links.get(ctx.database, account="main", stripe_id="dp_c", role="dispute_fee:adjust")
    assert again is not None and again.internal_id == adjustment
    assert await gl_lines(ctx, adjustment) == [
        (FEES, "credit", D("3.00"), november),
        (CLEARING, "debit", D("3.00"), november),
    ]
    assert sandbox.external_ids("journalEntry") == [
        "acct_1:dpfee:dp_c", "acct_1:dpfee:dp_c:adjust"
    ]  # fmt: skip

    # Back to what was posted: the adjustment is rewritten to zero, not deleted.
    await posting.post(ctx, fee_journal(customer, "15.00"))
    assert await gl_lines(ctx, adjustment) == []
    assert len(sandbox.body("journalEntry", adjustment)["line"]["items"]) == 2
    assert await gl_lines(ctx, original) == before


async def test_an_unchanged_journal_in_a_closed_month_posts_no_adjustment(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    await posting.post(ctx, fee_journal(customer, "15.00"))
    sandbox.set_period("Oct 2026", closed=True)
    changed = fee_journal(customer, "15.00")
    memo_only = NetSuiteRecord(changed.record_type, changed.external_id,
                               {**changed.body, "memo": "Stripe dispute fee dp_c (late)"},
                               changed.stripe_id, changed.role)  # fmt: skip
    await posting.post(ctx, memo_only)
    assert sandbox.external_ids("journalEntry") == ["acct_1:dpfee:dp_c"]
    assert links.get(ctx.database, account="main", stripe_id="dp_c",
                     role="dispute_fee:adjust") is None  # fmt: skip


async def test_an_adjustment_whose_own_month_closed_is_adjusted_in_the_next_one(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    await posting.post(ctx, fee_journal(customer, "15.00"))
    sandbox.set_period("Oct 2026", closed=True)
    await posting.post(ctx, fee_journal(customer, "20.00"))
    sandbox.set_period("Nov 2026", closed=True)

    await posting.post(ctx, fee_journal(customer, "22.00"))
    first = links.get(ctx.database, account="main", stripe_id="dp_c", role="dispute_fee:adjust")
    second = links.get(
        ctx.database, account="main", stripe_id="dp_c", role="dispute_fee:adjust:adjust"
    )
    assert first is not None and second is not None
    november, december = sandbox.period_id("Nov 2026"), sandbox.period_id("Dec 2026")
    assert await gl_lines(ctx, first.internal_id) == [
        (FEES, "debit", D("5.00"), november),
        (CLEARING, "credit", D("5.00"), november),
    ]
    assert await gl_lines(ctx, second.internal_id) == [
        (FEES, "debit", D("2.00"), december),
        (CLEARING, "credit", D("2.00"), december),
    ]


async def a_payment(ctx: FlowContext, customer: str, charge: str, amount: str) -> str:
    body = {"externalId": f"acct_1:{charge}", "customer": {"id": customer}, "payment": D(amount),
            "tranDate": "2026-10-03", "undepFunds": True,
            "subsidiary": {"id": chart.SUBSIDIARY_US}}  # fmt: skip
    record = NetSuiteRecord("customerPayment", f"acct_1:{charge}", body, charge, "payment")
    return await posting.post(ctx, record)


def payout_deposit(payments: list[tuple[str, str]], suspense: str | None) -> NetSuiteRecord:
    """A payout's deposit as the payout mapping writes it: payments selected, the rest on a
    suspense line."""
    body: dict[str, Any] = {
        "externalId": "acct_1:po_c", "tranDate": "2026-10-06", "memo": "Stripe payout po_c",
        "subsidiary": {"id": chart.SUBSIDIARY_US}, "account": {"id": BANK},
        "payment": {"items": [
            {"id": int(pid), "deposit": True, "paymentAmount": D(amount)}
            for pid, amount in payments
        ]},
    }  # fmt: skip
    if suspense is not None:
        body["other"] = {"items": [{"account": {"id": SUSPENSE}, "amount": D(suspense),
                                    "memo": "Suspense: ch_late not synced"}]}  # fmt: skip
    return NetSuiteRecord("deposit", "acct_1:po_c", body, "po_c", "deposit",
                          ("payment", "other", "cashback"))  # fmt: skip


async def test_a_deposit_whose_suspense_is_matched_after_its_month_closed_moves_it_by_journal(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    first = await a_payment(ctx, customer, "ch_1", "50.00")
    second = await a_payment(ctx, customer, "ch_2", "30.00")
    third = await a_payment(ctx, customer, "ch_3", "20.00")
    original = await posting.post(ctx, payout_deposit([(first, "50.00")], "50.00"))
    sandbox.set_period("Oct 2026", closed=True)
    october, november = sandbox.period_id("Oct 2026"), sandbox.period_id("Nov 2026")
    before = await gl_lines(ctx, original)
    assert before == sorted([(BANK, "debit", D("100.00"), october),
                             (UNDEPOSITED, "credit", D("50.00"), october),
                             (SUSPENSE, "credit", D("50.00"), october)])  # fmt: skip
    posted_body = sandbox.body("deposit", original)

    # One suspense charge synced: Dr suspense 30 / Cr Undeposited Funds 30 (its payment).
    change = payout_deposit([(first, "50.00"), (second, "30.00")], "20.00")
    assert await posting.post(ctx, change) == original
    assert await gl_lines(ctx, original) == before
    assert sandbox.body("deposit", original) == posted_body
    link = links.get(ctx.database, account="main", stripe_id="po_c", role="deposit:adjust")
    assert link is not None and link.record_type == "journalEntry"
    adjustment = link.internal_id
    assert await gl_lines(ctx, adjustment) == sorted([
        (SUSPENSE, "debit", D("30.00"), november),
        (UNDEPOSITED, "credit", D("30.00"), november),
    ])  # fmt: skip
    assert sandbox.currency_of(adjustment) == sandbox.currency_of(original) == USD
    body = sandbox.body("journalEntry", adjustment)
    assert body["tranDate"] == "2026-11-01" and body["externalId"] == "acct_1:po_c:adjust"
    assert any(f"transaction {second}" in ln["memo"] for ln in body["line"]["items"])

    # The other one too: the same journal is rewritten, never a second one.
    everything = payout_deposit([(first, "50.00"), (second, "30.00"), (third, "20.00")], None)
    await posting.post(ctx, everything)
    again = links.get(ctx.database, account="main", stripe_id="po_c", role="deposit:adjust")
    assert again is not None and again.internal_id == adjustment
    assert await gl_lines(ctx, adjustment) == sorted([
        (SUSPENSE, "debit", D("50.00"), november),
        (UNDEPOSITED, "credit", D("30.00"), november),
        (UNDEPOSITED, "credit", D("20.00"), november),
    ])  # fmt: skip
    assert sandbox.external_ids("journalEntry") == ["acct_1:po_c:adjust"]
    assert await gl_lines(ctx, original) == before


async def test_a_payment_the_ledger_does_not_know_parks_the_deposit_with_its_id(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    first = await a_payment(ctx, customer, "ch_1", "50.00")
    await posting.post(ctx, payout_deposit([(first, "50.00")], "30.00"))
    sandbox.set_period("Oct 2026", closed=True)
    period_policy.forget(ctx)  # seen closed before NetSuite reads the unknown payment
    with pytest.raises(PeriodClosed) as parked:
        await posting.post(ctx, payout_deposit([(first, "50.00"), ("999999", "30.00")], None))
    assert "payment 999999 was debited to" in str(parked.value)
    assert sandbox.external_ids("journalEntry") == []


async def test_a_change_to_a_payment_in_a_closed_month_says_why_and_what_to_do(
    sandbox: Sandbox, ctx: FlowContext
) -> None:
    customer = await a_customer(ctx)
    await a_payment(ctx, customer, "ch_1", "40.00")
    sandbox.set_period("Oct 2026", closed=True)
    with pytest.raises(PeriodClosed) as parked:
        await a_payment(ctx, customer, "ch_1", "35.00")
    message = str(parked.value)
    assert "ch_1 changed in a way that would change money already posted" in message
    assert "reopen Oct 2026 and retry the job, or post the correction by hand" in message
