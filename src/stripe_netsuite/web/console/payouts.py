"""The payouts page: each payout beside its deposit, its lines by category, its suspense
lines and the difference; and the same as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from stripe_netsuite import exceptions, money
from stripe_netsuite.engine import reconcile
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.payout import KIND
from stripe_netsuite.mapping.reconciliation import PayoutReport
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call
from stripe_netsuite.web.console import auth, render
from stripe_netsuite.web.console.state import ConsoleState

#: Payouts created this many days back are shown (``?days=`` changes it).
DAYS = 31
#: At most this many payouts per account on one page.
LIMIT = 50


@dataclass
class Category:
    """The balance transactions of one reporting category in a payout."""

    name: str
    count: int = 0
    gross: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    net: Decimal = Decimal(0)


@dataclass
class PayoutRow:
    """One payout as the page shows it."""

    account: str
    created: datetime
    report: PayoutReport
    deposit: str | None
    deposit_url: str | None
    categories: list[Category] = field(default_factory=list)


async def rows(
    state: ConsoleState, *, days: int, details: bool
) -> tuple[list[PayoutRow], list[str]]:
    """Payouts of every account created in the last *days*; problems met on the way."""
    since = (datetime.now(UTC) - timedelta(days=days)).date()
    found: list[PayoutRow] = []
    problems: list[str] = []
    for name, ctx in sorted(state.contexts().items()):
        try:
            found += await _account_rows(name, ctx, since=since, details=details)
        except exceptions.SyncError as exc:
            problems.append(f"{name}: {exc}")
    return found, problems


async def _account_rows(
    name: str, ctx: FlowContext, *, since: date, details: bool
) -> list[PayoutRow]:
    out = []
    for payout in (await reconcile.payouts(ctx, since=since))[-LIMIT:]:
        report = await reconcile.report(ctx, payout)
        link = await links.read(ctx.database, account=name, stripe_id=payout["id"], role=KIND.role)
        row = PayoutRow(
            account=name,
            created=datetime.fromtimestamp(int(payout["created"]), UTC),
            report=report,
            deposit=link.internal_id if link else None,
            deposit_url=render.netsuite_url(ctx.account, link.record_type, link.internal_id)
            if link
            else None,
        )
        if details:
            row.categories = await categories(ctx, payout["id"], report.currency)
        out.append(row)
    return out


async def categories(ctx: FlowContext, payout_id: str, currency: str) -> list[Category]:
    """The payout's balance transactions summed by reporting category."""
    page = await call(
        lambda: ctx.stripe.v1.balance_transactions.list_async(
            params={"payout": payout_id, "limit": 100}
        )
    )
    found: dict[str, Category] = defaultdict(lambda: Category(""))
    async for bt in page.auto_paging_iter():
        each = as_dict(bt)
        name = str(each.get("reporting_category") or each.get("type") or "other")
        if name == "payout":
            continue
        cat = found[name]
        cat.name = name
        cat.count += 1
        cat.gross += money.to_decimal(int(each.get("amount") or 0), currency)
        cat.fees += money.to_decimal(int(each.get("fee") or 0), currency)
        cat.net += money.to_decimal(int(each.get("net") or 0), currency)
    return sorted(found.values(), key=lambda c: c.name)


CSV_HEADER = ("account", "payout", "created", "currency", "stripe_amount", "netsuite_total",
              "difference", "ties_out", "deposit", "suspense_lines")  # fmt: skip


def to_csv(found: list[PayoutRow]) -> str:
    """The rows as CSV; amounts as decimal text in the payout's currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in found:
        r = row.report
        suspense = "; ".join(f"{memo} {amount}" for memo, amount in r.suspense_lines)
        writer.writerow((
            row.account, r.payout_id, row.created.date().isoformat(), r.currency.upper(),
            str(r.stripe_amount), "" if r.netsuite_total is None else str(r.netsuite_total),
            str(r.difference), "yes" if r.ties_out else "no", row.deposit or "", suspense,
        ))  # fmt: skip
    return out.getvalue()


def install(app: FastAPI, state: ConsoleState) -> None:
    """Add ``/payouts`` and ``/payouts.csv``."""

    @app.get("/payouts")
    async def payouts_page(request: Request, days: int = DAYS) -> Response:
        session = await auth.require(request, state)
        found, problems = await rows(state, days=max(1, min(days, 366)), details=True)
        running = bool(state.contexts())
        return render.page(
            "payouts.html",
            **render.common(session, rows=found, problems=problems, days=days, running=running),
        )

    @app.get("/payouts.csv")
    async def payouts_csv(request: Request, days: int = DAYS) -> Response:
        await auth.require(request, state)
        found, _problems = await rows(state, days=max(1, min(days, 366)), details=False)
        headers = {**render.HEADERS, "Content-Disposition": 'attachment; filename="payouts.csv"'}
        return Response(to_csv(found), media_type="text/csv; charset=utf-8", headers=headers)
