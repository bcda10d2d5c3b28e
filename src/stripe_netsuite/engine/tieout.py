"""``stripe-netsuite tieout``: balances recomputed from Stripe beside NetSuite's general ledger.

Lists what the Stripe account holds (invoices, credit notes, customers and their balance
transactions, charges, refunds, disputes, payouts and balance transactions), reads the GL
through SuiteQL, and hands both to the pure `stripe_netsuite.mapping.tieout`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe

from stripe_netsuite import exceptions, retry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.payout import SETTLED
from stripe_netsuite.mapping import tieout
from stripe_netsuite.stripe_api.client import as_dict, call

#: The GL by account and transaction currency, in the transaction currency, debit positive.
#: The sandbox keeps the foreign amount on ``TransactionAccountingLine``; on real NetSuite it
#: is ``TransactionLine.foreignamount`` (join ``TransactionLine tl ON tl.transaction =
#: tal.transaction AND tl.id = tal.transactionline`` and sum ``tl.foreignamount``). This is
#: the one place to switch.
GL_QUERY = """
SELECT tal.account AS account, a.accttype AS accttype, c.symbol AS currency,
       SUM(tal.foreignamount) AS amount
FROM TransactionAccountingLine tal
JOIN Transaction t ON t.id = tal.transaction
JOIN Account a ON a.id = tal.account
JOIN Currency c ON c.id = t.currency
WHERE tal.posting = 'T'{as_of}
GROUP BY tal.account, a.accttype, c.symbol
"""

#: NetSuite's account type of receivables, used when ``gl.receivables`` is not set.
RECEIVABLES_TYPE = "AcctRec"


def gl_query(as_of: date | None = None) -> str:
    """The GL query, cut off at the end of *as_of* when given."""
    cut = f" AND t.trandate <= TO_DATE('{as_of.isoformat()}', 'YYYY-MM-DD')" if as_of else ""
    return GL_QUERY.format(as_of=cut).strip()


async def gl_rows(ctx: FlowContext, *, as_of: date | None = None) -> list[tieout.GLRow]:
    """The GL balances by account and currency."""
    return [
        tieout.GLRow(
            account=str(row["account"]),
            account_type=row.get("accttype"),
            currency=str(row["currency"]).lower(),
            amount=Decimal(str(row.get("amount") or 0)),
        )
        async for row in ctx.netsuite.suiteql(gl_query(as_of))
    ]


async def _item_account(ctx: FlowContext, item: str | None, column: str) -> frozenset[str]:
    if not item or not item.isdigit():
        return frozenset()
    query = f"SELECT {column} AS account FROM item WHERE id = {item}"
    found = {str(r["account"]) async for r in ctx.netsuite.suiteql(query) if r.get("account")}
    return frozenset(found)


async def accounts(ctx: FlowContext, rows: list[tieout.GLRow]) -> tieout.Accounts:
    """The accounts behind each line, from the account's config and its items."""
    gl, items = ctx.account.gl, ctx.account.items
    receivables = (
        frozenset({gl.receivables})
        if gl.receivables
        else frozenset(r.account for r in rows if r.account_type == RECEIVABLES_TYPE)
    )
    transit = frozenset(a for a in (gl.undeposited_funds, gl.stripe_clearing, gl.suspense) if a)
    return tieout.Accounts(
        receivables=receivables,
        tax=await _item_account(ctx, items.tax_item, "taxaccount"),
        customer_credit=await _item_account(ctx, items.customer_balance_item, "incomeaccount"),
        in_transit=transit,
    )


Lister = Callable[[dict[str, Any]], Awaitable[Any]]


#: Times one list is read again after Stripe refused it for the read rate limit.
LIST_ATTEMPTS = 8
#: Backoff between those reads: from a second (Stripe meters reads per second), doubling ...
BACKOFF_BASE_SECONDS = 1.0
#: ... up to this.
BACKOFF_CAP_SECONDS = 30.0


async def _all(lister: Lister, **params: Any) -> list[dict[str, Any]]:
    # The tie-out reads every customer's balance transactions in a burst; a 429 is waited
    # out (a read changes nothing), so a large account ties out instead of failing.
    for attempt in range(1, LIST_ATTEMPTS + 1):
        try:
            page = await call(lambda: lister({"limit": 100, **params}))
            return [as_dict(obj) async for obj in page.auto_paging_iter()]
        except (exceptions.StripeUnavailable, stripe.RateLimitError):
            # (Pages after the first are read by the SDK, which raises its own error.)
            if attempt == LIST_ATTEMPTS:
                raise
            await asyncio.sleep(
                retry.backoff(attempt, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS)
            )
    raise AssertionError("unreachable")


async def stripe_figures(
    ctx: FlowContext, *, as_of: date | None = None
) -> dict[tuple[str, tieout.Line], tieout.Figure]:
    """Every figure Stripe gives, objects created up to the end of *as_of* (statuses as now)."""
    v1 = ctx.stripe.v1
    window: dict[str, Any] = {}
    if as_of is not None:
        end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
        window = {"created": {"lt": int(end.timestamp())}}

    def lister(method: Callable[..., Awaitable[Any]]) -> Lister:
        return lambda params: method(params=params)

    customers = await _all(lister(v1.customers.list_async), **window)
    entries: list[dict[str, Any]] = []
    for cus in customers:
        cid = str(cus["id"])
        listed = await _all(
            lambda p, cid=cid: v1.customers.balance_transactions.list_async(cid, params=p),  # type: ignore[misc]
            **window,
        )
        entries += listed
    paid_out: set[str] = set()
    for po in await _all(lister(v1.payouts.list_async), **window):
        if po.get("status") in SETTLED:
            listed = await _all(lister(v1.balance_transactions.list_async), payout=po["id"])
            paid_out.update(str(bt["id"]) for bt in listed)
    return tieout.stripe_figures(
        invoices=await _all(lister(v1.invoices.list_async), **window),
        credit_notes=await _all(lister(v1.credit_notes.list_async), **window),
        customers=customers,
        customer_balance_transactions=entries,
        charges=await _all(lister(v1.charges.list_async), **window),
        checkout_sessions=await _all(lister(v1.checkout.sessions.list_async), **window),
        invoice_payments=await _all(lister(v1.invoice_payments.list_async), **window),
        refunds=await _all(lister(v1.refunds.list_async), **window),
        disputes=await _all(lister(v1.disputes.list_async), **window),
        balance_transactions=await _all(lister(v1.balance_transactions.list_async), **window),
        paid_out=paid_out,
    )


async def tie_out(ctx: FlowContext, *, as_of: date | None = None) -> tieout.TieOut:
    """Stripe's figures beside NetSuite's GL, per currency and line."""
    rows = await gl_rows(ctx, as_of=as_of)
    found = tieout.netsuite_figures(rows, await accounts(ctx, rows))
    return tieout.tie_out(await stripe_figures(ctx, as_of=as_of), found)
