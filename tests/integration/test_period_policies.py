"""Closed and locked NetSuite periods, over real HTTP to the NetSuite sandbox: the ``hold`` and
``first_open`` policies, and adjustments for changes to a record posted in a closed month.

Records go through `posting.post`, the path every flow writes by; the books are read back as
GL lines (account, debit or credit, amount, posting period) over SuiteQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from stripe_netsuite import exceptions
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
AR, INCOME = chart.ACCOUNTS_RECEIVABLE, chart.INCOME
GLLine = tuple[str, str, Decimal, str]


@dataclass
class Books:
    """The served NetSuite sandbox, read as a controller would."""

    server: RunningServer
    config: SandboxConfig

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=30)

    def set_period(self, name: str, **flags: bool) -> None:
        with self.http() as client:
            answer = client.post(f"/__sandbox/periods/{name}", json=flags)
        assert answer.status_code == 200, answer.text

    @property
    def account(self) -> Any:
        return self.server.app.sandbox.account

    def period_id(self, name: str) -> str:
        found = next(
            b for b in self.account.store.all("accountingPeriod") if b["periodName"] == name
        )
        return str(found["id"])

    def body(self, record_type: str, internal_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.account.store.get(record_type, internal_id)
        return found


@pytest.fixture
def books() -> Iterator[Books]:
    config = SandboxConfig()
    server = serve_in_thread(create_app(config))
    try:
        yield Books(server, config)
    finally:
        server.stop()


Factory = Callable[..., Any]


@pytest.fixture
async def make_ctx(books: Books, tmp_path: Path) -> AsyncIterator[Factory]:
    clients: list[NetSuiteClient] = []

    async def factory(**options: Any) -> FlowContext:
        ns = books.config
        auth = TokenAuth(
            ns.account_id, ns.consumer_key, ns.consumer_secret, ns.token_id, ns.token_secret
        )
        client = NetSuiteClient(
            base_url=books.server.base_url, auth=auth, governor=LocalGovernor(5)
        )
        clients.append(client)
        config = parse_config(
            {"accounts": {"main": {
                "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_unused",
                "subsidiary": chart.SUBSIDIARY_US, "netsuite": {"account_id": ns.account_id},
                "options": options,
            }}}
        )  # fmt: skip
        database = db.make_database(f"sqlite:///{tmp_path / f'sns{len(clients)}.db'}")
        db.migrate(database)
        return FlowContext(
            name="main",
            account=config.account("main"),
            stripe=stripe.StripeClient("sk_test_unused"),
            netsuite=client,
            database=database,
        )

    yield factory
    for client in clients:
        await client.aclose()


def customer_record() -> NetSuiteRecord:
    body = {"companyName": "Period Co", "subsidiary": {"id": chart.SUBSIDIARY_US}}
    return NetSuiteRecord("customer", "acct_1:cus_p", body, "cus_p", "customer")


def invoice(customer: str, day: str, *lines: tuple[str, str], memo: str = "Stripe in_p") -> Any:
    items = [
        {"item": {"id": item}, "quantity": D(1), "rate": D(a), "amount": D(a)} for item, a in lines
    ]
    body = {
        "externalId": "acct_1:in_p",
        "entity": {"id": customer},
        "tranDate": day,
        "subsidiary": {"id": chart.SUBSIDIARY_US},
        "memo": memo,
        "item": {"items": items},
    }
    return NetSuiteRecord("invoice", "acct_1:in_p", body, "in_p", "invoice", replace=("item",))


async def gl_lines(ctx: FlowContext, internal_id: str) -> list[GLLine]:
    """(account, debit|credit, amount, posting period id) of each GL line, through SuiteQL."""
    query = (
        "SELECT tal.account, tal.debit, tal.credit, tal.postingperiod "
        f"FROM transactionaccountingline tal WHERE tal.transaction = {int(internal_id)} "
        "ORDER BY tal.account"
    )
    out: list[GLLine] = []
    async for row in ctx.netsuite.suiteql(query):
        side = "debit" if row.get("debit") is not None else "credit"
        out.append((str(row["account"]), side, D(str(row[side])), str(row["postingperiod"])))
    return sorted(out)


async def test_the_calendar_is_read_through_suiteql_and_cached(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx(period_cache_seconds=3600)
    calendar = await period_policy.calendar(ctx)
    october = calendar.of(date(2026, 10, 15))
    assert october is not None and october.name == "Oct 2026"
    assert not october.refuses("invoice")
    assert all(p.end >= p.start for p in calendar.periods) and len(calendar.periods) == 192
    books.set_period("Oct 2026", arLocked=True)
    # Cached: the lock is not seen until the cache is dropped (or it runs out).
    assert (await period_policy.calendar(ctx)).of(october.start) == october
    period_policy.forget(ctx)
    locked = (await period_policy.calendar(ctx)).of(october.start)
    assert locked is not None and locked.refuses("invoice") and not locked.refuses("deposit")
    assert locked.state("invoice") == "locked for A/R"


async def test_jobs_running_together_read_the_calendar_once(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx()
    with books.http() as client:
        client.post("/__sandbox/stats/reset").raise_for_status()
        found = await asyncio.gather(*(period_policy.calendar(ctx) for _ in range(8)))
        stats = client.get("/__sandbox/stats").json()
    assert all(calendar == found[0] for calendar in found)
    assert stats["requests"] == 1 and stats["by_method"] == {"POST": 1}


async def test_hold_parks_a_posting_until_its_period_reopens(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx(closed_periods="hold")
    customer = await posting.post(ctx, customer_record())
    books.set_period("Oct 2026", closed=True)

    with pytest.raises(PeriodClosed) as held:
        await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "50")))
    assert isinstance(held.value, exceptions.NeedsAttention)
    assert "dated 2026-10-15 in Oct 2026, which is closed: held until" in str(held.value)
    assert links.get(ctx.database, account="main", stripe_id="in_p", role="invoice") is None
    assert list(books.account.store.all("invoice")) == []

    books.set_period("Oct 2026", closed=False, arLocked=False, apLocked=False, allLocked=False)
    period_policy.forget(ctx)  # what the cache's expiry does by the next automatic retry
    posted = await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "50")))
    october = books.period_id("Oct 2026")
    assert await gl_lines(ctx, posted) == [
        (AR, "debit", D("50.00"), october),
        (INCOME, "credit", D("50.00"), october),
    ]


async def test_a_period_closed_after_the_calendar_was_read_is_refused_by_netsuite(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx(closed_periods="first_open", period_cache_seconds=3600)
    customer = await posting.post(ctx, customer_record())
    await period_policy.calendar(ctx)  # cached while November is open
    books.set_period("Nov 2026", closed=True)

    # NetSuite refuses; the refusal is classified once, the calendar re-read, the invoice moved.
    posted = await posting.post(ctx, invoice(customer, "2026-11-10", (chart.SERVICE_ITEM, "20")))
    body = books.body("invoice", posted)
    assert body["tranDate"] == "2026-12-01"
    assert body["postingPeriod"] == {"id": books.period_id("Dec 2026")}

    held = await make_ctx(closed_periods="hold", period_cache_seconds=3600)
    await period_policy.calendar(held)
    books.set_period("Dec 2026", closed=True)
    other = invoice(customer, "2026-12-05", (chart.SERVICE_ITEM, "5"))
    other = NetSuiteRecord("invoice", "acct_1:in_q", {**other.body, "externalId": "acct_1:in_q"},
                           "in_q", "invoice")  # fmt: skip
    with pytest.raises(PeriodClosed) as refused:
        await posting.post(held, other)
    assert "Dec 2026, which is closed" in str(refused.value)


async def test_first_open_moves_the_date_and_keeps_the_original(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx(closed_periods="first_open", original_date_field="custbody_stripe_date")
    customer = await posting.post(ctx, customer_record())
    books.set_period("Oct 2026", closed=True)
    books.set_period("Nov 2026", arLocked=True)

    posted = await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "75")))
    body = books.body("invoice", posted)
    december = books.period_id("Dec 2026")
    assert body["tranDate"] == "2026-12-01"
    assert body["postingPeriod"] == {"id": december}
    assert body["memo"] == "Stripe in_p · Stripe date 2026-10-15 (Oct 2026 closed)"
    assert body["custbody_stripe_date"] == "2026-10-15"
    assert await gl_lines(ctx, posted) == [
        (AR, "debit", D("75.00"), december),
        (INCOME, "credit", D("75.00"), december),
    ]
    # An A/R lock does not stop a journal entry: it posts on its own date, in November.
    journal = NetSuiteRecord(
        "journalEntry",
        "acct_1:je:po_p",
        {
            "externalId": "acct_1:je:po_p",
            "tranDate": "2026-11-20",
            "subsidiary": {"id": chart.SUBSIDIARY_US},
            "line": {"items": [
                {"account": {"id": chart.STRIPE_FEES}, "debit": D(3)},
                {"account": {"id": chart.STRIPE_CLEARING}, "credit": D(3)},
            ]},
        },
        "po_p",
        "fees",
    )  # fmt: skip
    entry = await posting.post(ctx, journal)
    assert books.body("journalEntry", entry)["tranDate"] == "2026-11-20"
    november = books.period_id("Nov 2026")
    assert {line[3] for line in await gl_lines(ctx, entry)} == {november}


async def test_a_change_to_a_closed_period_record_is_posted_as_adjustments(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx()
    customer = await posting.post(ctx, customer_record())
    original = await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "100")))
    books.set_period("Oct 2026", closed=True)
    october, november = books.period_id("Oct 2026"), books.period_id("Nov 2026")
    before = await gl_lines(ctx, original)

    # More: the difference is a second invoice dated in November; the original is untouched.
    again = await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "130")))
    assert again == original and await gl_lines(ctx, original) == before
    assert before == [(AR, "debit", D("100.00"), october), (INCOME, "credit", D("100.00"), october)]
    more = links.get(ctx.database, account="main", stripe_id="in_p", role="invoice:adjust:more")
    assert more is not None and more.record_type == "invoice"
    assert await gl_lines(ctx, more.internal_id) == [
        (AR, "debit", D("30.00"), november),
        (INCOME, "credit", D("30.00"), november),
    ]
    adjustment = books.body("invoice", more.internal_id)
    assert adjustment["tranDate"] == "2026-11-01"
    assert "posted in Oct 2026, closed" in adjustment["memo"]

    # Less than the original: the adjustment invoice drops to zero and a credit memo takes 10.
    await posting.post(ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "90")))
    assert await gl_lines(ctx, more.internal_id) == []
    less = links.get(ctx.database, account="main", stripe_id="in_p", role="invoice:adjust:less")
    assert less is not None and less.record_type == "creditMemo"
    assert await gl_lines(ctx, less.internal_id) == [
        (AR, "credit", D("10.00"), november),
        (INCOME, "debit", D("10.00"), november),
    ]
    assert await gl_lines(ctx, original) == before

    # A change with no GL effect (the memo) posts nothing and is not refused.
    await posting.post(
        ctx, invoice(customer, "2026-10-15", (chart.SERVICE_ITEM, "90"), memo="Stripe in_p: late")
    )
    assert len(list(books.account.store.all("invoice"))) == 2
    assert len(list(books.account.store.all("creditMemo"))) == 1


async def test_a_change_to_a_closed_period_payment_needs_a_person(
    books: Books, make_ctx: Factory
) -> None:
    ctx = await make_ctx()
    customer = await posting.post(ctx, customer_record())

    def payment(amount: str) -> NetSuiteRecord:
        body = {"externalId": "acct_1:ch_p", "customer": {"id": customer}, "payment": D(amount),
                "tranDate": "2026-10-03", "undepFunds": True}  # fmt: skip
        return NetSuiteRecord("customerPayment", "acct_1:ch_p", body, "ch_p", "payment")

    await posting.post(ctx, payment("40"))
    books.set_period("Oct 2026", closed=True)
    with pytest.raises(PeriodClosed) as parked:
        await posting.post(ctx, payment("35"))
    assert "is not adjusted automatically" in str(parked.value)
