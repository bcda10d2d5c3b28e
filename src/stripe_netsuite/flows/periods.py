"""Closed and locked accounting periods: where a posting goes when its month takes none.

Two rules, applied by `posting.post` to every transaction it writes:

* A new posting dated in a period that refuses it follows the account's
  ``options.closed_periods``: ``hold`` raises `PeriodClosed` (the job is parked with the
  period named, and the automatic retry of parked jobs runs it again, so it posts once the
  period reopens or the policy changes); ``first_open`` dates it on the first day of the first
  later period that takes it, with ``postingPeriod`` set, the original date in the memo and,
  when ``options.original_date_field`` names one, in that field.
* A record already posted in a period that is now closed is never edited. The difference
  between what it says and what the Stripe object now says is posted as an adjustment in the
  first open period after it. For an invoice, credit memo or cash sale: a second record of the
  same type for what was added, and the opposite record (a credit memo for an invoice) for what
  was taken away. For a journal entry or a bank deposit: one journal entry that moves the GL by
  the difference (`mapping.period_adjustments`). Adjustments are cumulative and upserted, so a
  later change rewrites them instead of stacking more. A customer payment or refund, whose
  amount Stripe never changes once settled, parks for a person.

The calendar is read through SuiteQL and kept in the flow context's cache for
``options.period_cache_seconds``; a refusal from NetSuite drops it, so a period closed since
is seen on the next read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping import period_adjustments as adjust
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.netsuite import periods
from stripe_netsuite.netsuite.errors import PeriodClosed
from stripe_netsuite.store import links

_CACHE = "accounting_periods"
_LOADING = "accounting_periods.loading"
#: Records whose lines an adjustment can be computed for, and the record that reverses each.
OPPOSITE = {"invoice": "creditMemo", "creditMemo": "invoice", "cashSale": "cashRefund"}
#: Records whose amount Stripe never changes once settled: a change to one parks.
_SETTLED = frozenset({"customerPayment", "customerRefund"})
_ZERO = Decimal(0)
_MEMO_LIMIT = 999


async def calendar(ctx: FlowContext) -> periods.Calendar:
    """The account's posting periods, read at most once per ``period_cache_seconds``."""
    cached = ctx.cache.get(_CACHE)
    now = time.monotonic()
    if (
        isinstance(cached, _Cached)
        and now - cached.read_at < ctx.account.options.period_cache_seconds
    ):
        return cached.calendar
    # One read at a time: jobs running together wait for the same answer.
    loading = ctx.cache.get(_LOADING)
    if not isinstance(loading, asyncio.Future) or loading.done():
        loading = ctx.cache[_LOADING] = asyncio.ensure_future(periods.read(ctx.netsuite))
    found: periods.Calendar = await asyncio.shield(loading)
    ctx.cache[_CACHE] = _Cached(found, now)
    return found


def forget(ctx: FlowContext) -> None:
    """Drop the cached calendar (NetSuite refused a period the cache thought open)."""
    ctx.cache.pop(_CACHE, None)


@dataclass(frozen=True)
class _Cached:
    calendar: periods.Calendar
    read_at: float


async def place(ctx: FlowContext, record: NetSuiteRecord) -> NetSuiteRecord:
    """*record* as the account's policy posts it: unchanged when its period takes it."""
    day = _day(record.body.get("tranDate"))
    if record.record_type not in periods.POSTING_RECORDS or day is None:
        return record
    found = await calendar(ctx)
    period = found.of(day)
    if period is None or not period.refuses(record.record_type):
        return record
    what = f"{record.record_type} {record.external_id} is dated {day} in {period.name}"
    if ctx.account.options.closed_periods == "hold":
        raise PeriodClosed(
            f"{what}, which is {period.state(record.record_type)}: held until the period "
            "reopens or options.closed_periods is first_open",
            record_type=record.record_type,
            external_id=record.external_id,
            period=period.name,
        )
    target = found.first_open(period, record.record_type)
    if target is None:
        raise PeriodClosed(
            f"{what}, which is {period.state(record.record_type)}, and no later period is open",
            record_type=record.record_type,
            external_id=record.external_id,
            period=period.name,
        )
    return moved(record, day=day, closed=period, into=target, field=_field(ctx))


def moved(
    record: NetSuiteRecord,
    *,
    day: date,
    closed: periods.Period,
    into: periods.Period,
    field: str | None,
) -> NetSuiteRecord:
    """*record* dated on the first day of *into*, its own date kept in the memo (and *field*)."""
    body = dict(record.body)
    body["tranDate"] = into.start.isoformat()
    body["postingPeriod"] = {"id": into.id}
    note = f"Stripe date {day.isoformat()} ({closed.name} closed)"
    body["memo"] = _memo(body.get("memo"), note)
    if field:
        body[field] = day.isoformat()
    return replace(record, body=body)


async def adjustments(
    ctx: FlowContext, record: NetSuiteRecord, internal_id: str, refused: PeriodClosed
) -> list[NetSuiteRecord]:
    """The records that post *record*'s change to the already-posted *internal_id* in the
    first open period, when that record sits in a period that refuses edits.

    Re-raises *refused* when the posted record's period is open after all (the refusal was
    about the new date: the policy decides), and raises `PeriodClosed` for record types whose
    difference is not computed here (payments and refunds among them).
    """
    forget(ctx)
    posted = await ctx.netsuite.get(record.record_type, internal_id, expand=True)
    found = await calendar(ctx)
    period = _posted_period(found, posted)
    if posted is None or period is None or not period.refuses(record.record_type):
        raise refused
    name = f"{record.record_type} {record.external_id}"
    state = period.state(record.record_type)
    if record.record_type in _SETTLED:
        raise PeriodClosed(
            f"{name} is posted in {period.name}, which is {state}, and the Stripe object "
            f"{record.stripe_id} changed in a way that would change money already posted "
            f"(Stripe does not change a settled amount); a change to a {record.record_type} "
            "is not adjusted automatically: compare the record with the object in Stripe; "
            f"to book the change, reopen {period.name} and retry the job, or post the "
            "correction by hand in an open period",
            record_type=record.record_type,
            external_id=record.external_id,
            period=period.name,
        )
    if record.record_type not in OPPOSITE and record.record_type not in adjust.JOURNALED:
        raise PeriodClosed(
            f"{name} changed in Stripe but is posted in {period.name}, which is {state}; "
            f"a change to a {record.record_type} is not adjusted automatically: reopen the "
            "period, or post the adjustment by hand and retry",
            record_type=record.record_type,
            external_id=record.external_id,
            period=period.name,
        )
    # A deposit's change posts as a journal entry: the period must take one.
    adjusted_as = "journalEntry" if record.record_type in adjust.JOURNALED else record.record_type
    target = found.first_open(period, adjusted_as)
    if target is None:
        raise PeriodClosed(
            f"{name} changed in Stripe, is posted in {period.name}, which is {state}, and no "
            "later period is open for the adjustment",
            record_type=record.record_type,
            external_id=record.external_id,
            period=period.name,
        )
    reference = str(posted.get("tranId") or internal_id)
    if record.record_type in adjust.JOURNALED:
        return await _adjusting_journal(
            ctx, record, posted, posted_in=period, into=target, reference=reference
        )
    before = _lines(posted)
    more, less = difference(before, _lines(record.body))
    # A side with nothing left to post is zeroed if an earlier change posted it, else skipped.
    any_key = next(iter(before), None)
    for side, sums in (("more", more), ("less", less)):
        role = f"{record.role}:adjust:{side}"
        if not sums and any_key is not None and await _has_link(ctx, record.stripe_id, role):
            sums[any_key] = (_ZERO, _ZERO)
    return adjustment_records(
        record,
        more=more,
        less=less,
        posted_in=period,
        into=target,
        reference=reference,
    )


#: Header fields an emptied record keeps from the posted one (what adjustments copy).
_HEADER = ("entity", "customer", "currency", "exchangeRate", "subsidiary", "account")


def emptied(link: links.Link, posted: Mapping[str, Any]) -> NetSuiteRecord:
    """The posted record as it would be with no lines: what taking it back changes it to,
    when its closed period keeps it from being deleted."""
    lines = "line" if link.record_type in adjust.JOURNALED else "item"
    body: dict[str, Any] = {
        name: {"id": str(value["id"])} if isinstance(value, Mapping) else value
        for name, value in posted.items()
        if name in _HEADER and value not in (None, "")
    }
    body[lines] = {"items": []}
    external_id = link.external_id or str(posted.get("externalId") or link.internal_id)
    return NetSuiteRecord(
        record_type=link.record_type,
        external_id=external_id,
        body=body,
        stripe_id=link.stripe_id,
        role=link.role,
        replace=(lines,),
    )


async def _adjusting_journal(
    ctx: FlowContext,
    record: NetSuiteRecord,
    posted: Mapping[str, Any],
    *,
    posted_in: periods.Period,
    into: periods.Period,
    reference: str,
) -> list[NetSuiteRecord]:
    """The journal entry moving the GL from what the posted journal or deposit moves to what
    *record* would: none when nothing moves and no earlier adjustment was posted, a journal of
    zeros when an earlier one was (it is rewritten, never deleted)."""
    before = adjust.effect_of(record.record_type, posted)
    moves = adjust.difference(before, adjust.effect_of(record.record_type, record.body))
    wanted = adjust.unresolved_payments(moves)
    if wanted:
        accounts = await payment_accounts(ctx, wanted)
        missing = [payment for payment in wanted if payment not in accounts]
        if missing:
            raise PeriodClosed(
                f"{record.record_type} {record.external_id} changed in Stripe but is posted in "
                f"{posted_in.name}, which is {posted_in.state(record.record_type)}; its "
                f"adjustment needs the account payment {', '.join(missing)} was debited to, "
                "and NetSuite's general ledger has no line for it: check that the payment "
                "exists, then retry",
                record_type=record.record_type,
                external_id=record.external_id,
                period=posted_in.name,
            )
        moves = adjust.resolve(moves, accounts)
    if not moves:
        if not await _has_link(ctx, record.stripe_id, f"{record.role}:adjust"):
            return []
        moves = adjust.zeroed(before)
        if not moves:
            return []
    return [
        adjust.adjusting_journal(
            record,
            moves,
            posted=posted,
            posted_in=posted_in.name,
            into_id=into.id,
            into_start=into.start.isoformat(),
            reference=reference,
        )
    ]


#: The main line (id 0) of each payment: the account its money went to.
_PAYMENT_ACCOUNTS = (
    "SELECT tal.transaction AS transaction, tal.account AS account "
    "FROM TransactionAccountingLine tal "
    "WHERE tal.transactionline = 0 AND tal.transaction IN ({ids})"
)
_IDS_PER_QUERY = 500


async def payment_accounts(ctx: FlowContext, payments: list[str]) -> dict[str, str]:
    """The account each payment (a customer payment or cash sale a deposit selects) was
    debited to, read from NetSuite's GL through SuiteQL; payments it has no line for are
    left out."""
    found: dict[str, str] = {}
    ids = [payment for payment in payments if payment.isdigit()]
    for start in range(0, len(ids), _IDS_PER_QUERY):
        query = _PAYMENT_ACCOUNTS.format(ids=", ".join(ids[start : start + _IDS_PER_QUERY]))
        async for row in ctx.netsuite.suiteql(query):
            if row.get("account") is not None and row.get("transaction") is not None:
                found.setdefault(str(row["transaction"]), str(row["account"]))
    return found


#: Line key: (item id, tax code id); value: (amount, tax amount).
Key = tuple[str, str | None]
Sums = dict[Key, tuple[Decimal, Decimal]]


def difference(posted: Sums, wanted: Sums) -> tuple[Sums, Sums]:
    """What *wanted* adds to *posted* (``more``) and takes away (``less``), by line key,
    both as positive amounts."""
    more: Sums = {}
    less: Sums = {}
    for key in sorted({*posted, *wanted}, key=lambda k: (k[0], k[1] or "")):
        amount = wanted.get(key, (_ZERO, _ZERO))[0] - posted.get(key, (_ZERO, _ZERO))[0]
        tax = wanted.get(key, (_ZERO, _ZERO))[1] - posted.get(key, (_ZERO, _ZERO))[1]
        if amount > 0 or (amount == 0 and tax > 0):
            more[key] = (amount, tax)
        elif amount < 0 or tax < 0:
            less[key] = (-amount, -tax)
    return more, less


def adjustment_records(
    record: NetSuiteRecord,
    *,
    more: Sums,
    less: Sums,
    posted_in: periods.Period,
    into: periods.Period,
    reference: str,
) -> list[NetSuiteRecord]:
    """One record of *record*'s type for ``more`` and one of the opposite type for ``less``,
    dated on the first day of *into*; a side with no lines gives none."""
    out: list[NetSuiteRecord] = []
    header = {
        k: v
        for k, v in record.body.items()
        if k in ("entity", "customer", "currency", "exchangeRate", "subsidiary", "account")
    }
    for side, sums, record_type in (
        ("more", more, record.record_type),
        ("less", less, OPPOSITE[record.record_type]),
    ):
        if not sums:
            continue
        external_id = f"{record.external_id}:adjust:{side}"
        memo = (
            f"Adjustment to {record.record_type} {reference} ({record.external_id}), posted "
            f"in {posted_in.name}, closed or locked: Stripe changed it"
        )
        body: dict[str, Any] = {
            **header,
            "externalId": external_id,
            "tranDate": into.start.isoformat(),
            "postingPeriod": {"id": into.id},
            "memo": memo[:_MEMO_LIMIT],
            "item": {"items": [_line(key, amount, tax) for key, (amount, tax) in sums.items()]},
        }
        out.append(
            NetSuiteRecord(
                record_type=record_type,
                external_id=external_id,
                body=body,
                stripe_id=record.stripe_id,
                role=f"{record.role}:adjust:{side}",
                replace=("item",),
            )
        )
    return out


def _line(key: Key, amount: Decimal, tax: Decimal) -> dict[str, Any]:
    item, tax_code = key
    line: dict[str, Any] = {
        "item": {"id": item},
        "quantity": Decimal(1),
        "rate": amount,
        "amount": amount,
        "description": "Adjustment for a closed period",
    }
    if tax_code:
        line["taxCode"] = {"id": tax_code}
    if tax:
        line["tax1Amt"] = tax
    return line


def _lines(body: Mapping[str, Any] | None) -> Sums:
    sums: Sums = {}
    items = ((body or {}).get("item") or {}).get("items") or []
    for line in items:
        item = adjust.ref_id(line.get("item"))
        if item is None:
            continue
        key = (item, adjust.ref_id(line.get("taxCode")))
        amount, tax = sums.get(key, (_ZERO, _ZERO))
        sums[key] = (
            amount + adjust.decimal_of(line.get("amount")),
            tax + adjust.decimal_of(line.get("tax1Amt")),
        )
    return sums


async def _has_link(ctx: FlowContext, stripe_id: str, role: str) -> bool:
    found = await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)
    return found is not None


def _posted_period(
    found: periods.Calendar, posted: Mapping[str, Any] | None
) -> periods.Period | None:
    if posted is None:
        return None
    named = adjust.ref_id(posted.get("postingPeriod"))
    if named is not None and found.by_id(named) is not None:
        return found.by_id(named)
    day = _day(posted.get("tranDate"))
    return found.of(day) if day else None


def _memo(memo: Any, note: str) -> str:
    text = f"{memo} · {note}" if memo else note
    return text[:_MEMO_LIMIT]


def _field(ctx: FlowContext) -> str | None:
    return ctx.account.options.original_date_field


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
