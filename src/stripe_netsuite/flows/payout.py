"""Stripe payout → NetSuite bank deposits that tie out to the payout amount (one, or
several when it has more lines than a deposit may hold), or one summary journal entry.

Every payment, refund and dispute behind the payout is ensured in NetSuite first. One
that cannot be posted does not block the deposit: its balance transaction goes to the
suspense account with an alert, and the deposit is corrected (same externalId) as
soon as that object syncs.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping import payout as payout_mapping
from stripe_netsuite.mapping import payout_records
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for
from stripe_netsuite.mapping.transaction import expanded
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import call

log = logging.getLogger(__name__)

KIND = kinds.get("payout")
#: Link role marking a Stripe object whose sync a deposit waits for.
AWAITED = "awaited_by_deposit"
#: Payout statuses with money that has moved (or moved back).
SETTLED = frozenset({"paid", "failed", "canceled"})


async def sync(ctx: FlowContext, payout_id: str) -> None:
    """Post (or correct) the payout's deposit."""
    payout = await fetch_gated(ctx, KIND.resource, payout_id)
    if payout.get("status") not in SETTLED:
        raise exceptions.Skip("payout_not_paid_yet", object_id=payout_id)
    named = payout_mapping.linked_deposit_id(payout)
    own = await links.read(ctx.database, account=ctx.name, stripe_id=payout_id, role=KIND.role)
    if own is not None and own.internal_id == named:
        # Our own record written back (a deposit, or a summary journal under the same key).
        record_type = own.record_type
    else:
        summary = ctx.account.options.payout_posting == "summary"
        record_type = "journalEntry" if summary else "deposit"
    if await posting.linked_instead(
        ctx, stripe_id=payout_id, role=KIND.role, record_type=record_type, internal_id=named
    ):
        return
    transactions = await balance_transactions(ctx, payout)
    dctx = await deposit_context(ctx, payout_id, transactions)
    result = payout_mapping.map_deposit(payout, transactions, dctx)
    await _refuse_mode_switch(ctx, payout_id, result.records[0])
    if result.detail is not None:
        await _keep_detail(ctx, payout_id, *result.detail)
    held = await _drop_stale_parts(ctx, payout_id, result.records, dctx.stripe_account_id)
    posted = await _post_all(ctx, result.records, held=held)
    for alert in result.alerts:
        log.warning(
            "deposit alert payout=%s balance_transaction=%s reason=%s",
            payout_id,
            alert.balance_transaction_id,
            alert.reason,
        )
    if posted:
        await posting.write_back(
            ctx,
            KIND,
            object_id=payout_id,
            metadata=payout.get("metadata") or {},
            internal_id=posted[0],
        )


async def balance_transactions(ctx: FlowContext, payout: dict[str, Any]) -> list[dict[str, Any]]:
    """What the payout paid out: Stripe's ``?payout=`` listing, or, for a manual payout
    (which has none), the window of balance transactions since the previous payout."""
    params: dict[str, Any] = {"limit": 100, "expand": ["data.source"]}
    if payout.get("automatic", True):
        params["payout"] = payout["id"]
    else:
        params["created"] = {"lte": payout["created"]}
        previous = await _previous_payout(ctx, payout)
        if previous is not None:
            params["created"]["gt"] = previous
    found = await _all_pages(ctx, "/v1/balance_transactions", params, payout["id"])
    if not payout.get("automatic", True):
        found = [bt for bt in found if bt.get("type") not in ("payout", "payout_cancel")]
    return found


async def _all_pages(
    ctx: FlowContext, path: str, params: dict[str, Any], object_id: str
) -> list[dict[str, Any]]:
    """Every item of a Stripe list, page after page, as the plain dicts Stripe sent.

    Read raw: a payout lists tens of thousands of balance transactions with their charges,
    and building SDK objects of them, only to turn them back into dicts, cost more than
    the reads.
    """
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {**params, "starting_after": after} if after else dict(params)
        response = await call(
            lambda query=query: ctx.stripe.raw_request_async("get", path, **query),  # type: ignore[misc]
            object_id=object_id,
        )
        page = response.data
        items = page.get("data") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise exceptions.StripeRejected(
                f"Stripe answered {path} with something that is not a list", object_id=object_id
            )
        found.extend(items)
        if not page.get("has_more") or not items:
            return found
        after = str(items[-1]["id"])


async def _previous_payout(ctx: FlowContext, payout: dict[str, Any]) -> int | None:
    page = await call(
        lambda: ctx.stripe.v1.payouts.list_async(
            params={"created": {"lt": payout["created"]}, "limit": 1}
        ),
        object_id=payout["id"],
    )
    for previous in page.data:
        return int(previous["created"])
    return None


async def deposit_context(
    ctx: FlowContext, payout_id: str, transactions: list[dict[str, Any]]
) -> payout_mapping.DepositContext:
    """Ensure each payment, refund and dispute; collect their NetSuite ids.

    A dependency that fails is left out (its line goes to suspense) and remembered, so
    that its later success re-queues this payout.
    """
    ids: dict[str, dict[str, str]] = {
        name: {}
        for name in (
            "payment_ids",
            "refund_ids",
            "dispute_ids",
            "reversal_payment_ids",
            "reversal_cash_sale_ids",
            "dispute_fee_ids",
            "dispute_fee_reversal_ids",
        )
    }
    amounts: dict[str, Decimal] = {}
    wanted = payout_mapping.dependencies(transactions)
    # One read for the links of every dependency: a payout may have tens of thousands.
    known: dict[str, dict[str, links.Link]] = {}
    for link in await asyncio.to_thread(
        links.of_objects,
        ctx.database,
        account=ctx.name,
        stripe_ids=[dep.stripe_id for dep in wanted],
    ):
        known.setdefault(link.stripe_id, {})[link.role] = link
    reinstated = payout_mapping.reinstated_disputes(transactions)
    for dep in wanted:
        held = known.get(dep.stripe_id, {})
        # A dispute posted when its funds were withdrawn, and won since: its reinstatement
        # is posted now, so that the deposit takes it rather than putting it in suspense.
        stale = dep.stripe_id in reinstated and "dispute_reversal" not in held
        if kinds.get(dep.kind).role not in held or stale:
            try:
                await registry.ensure(ctx, dep.kind, dep.stripe_id, again=stale)
            except (exceptions.NeedsAttention, exceptions.Skip) as exc:
                log.warning(
                    "deposit waits for kind=%s id=%s error=%s", dep.kind, dep.stripe_id, exc
                )
                await _await(ctx, dep.stripe_id, payout_id)
                continue
            fresh = await asyncio.to_thread(
                links.of_object, ctx.database, account=ctx.name, stripe_id=dep.stripe_id
            )
            known[dep.stripe_id] = {link.role: link for link in fresh}
        _collect(dep.kind, dep.stripe_id, known.get(dep.stripe_id, {}), ids)
    for bt in transactions:
        source = expanded(bt.get("source"))
        if source and source.get("object") == "charge" and source.get("id") in ids["payment_ids"]:
            captured = source.get("amount_captured", source.get("amount"))
            if isinstance(captured, int):
                amounts[source["id"]] = money.to_decimal(captured, str(source["currency"]))
    return payout_mapping.DepositContext(
        account=ctx.account,
        currency_ids=await currency_ids(ctx),
        payment_amounts=amounts,
        **ids,
    )


async def _post_all(
    ctx: FlowContext, records: tuple[NetSuiteRecord, ...], *, held: int
) -> list[str]:
    """Post the records; the internal ids come back in the records' order.

    A payment sits in one deposit only, so a deposit must give a payment up before
    another takes it. More deposits than the *held* ones take lines from earlier ones:
    posted first to last. As many or fewer take lines from later ones: last to first.
    """
    deposits = [i for i, record in enumerate(records) if record.record_type == "deposit"]
    order = list(range(len(records)))
    if 1 < held >= len(deposits):
        rest = [i for i in order if i not in deposits]
        order = deposits[::-1] + rest
    ids: dict[int, str] = {}
    for index in order:
        ids[index] = await posting.post(ctx, records[index])
    return [ids[index] for index in range(len(records))]


async def _drop_stale_parts(
    ctx: FlowContext,
    payout_id: str,
    records: tuple[NetSuiteRecord, ...],
    stripe_account_id: str,
) -> int:
    """Delete the deposits of an earlier split that the payout no longer needs (after
    ``options.deposit_max_lines`` was raised, or its lines shrank) and drop their links.

    Only the engine's own deposits go: a link it posted (not one to a record that existed
    before), whose record in NetSuite still has the externalId the engine gave it. Anything
    else parks the payout, naming the record. Returns how many deposits were held before.
    """
    wanted = {record.role for record in records if record.record_type == "deposit"}
    held = [
        link
        for link in await asyncio.to_thread(
            links.of_object, ctx.database, account=ctx.name, stripe_id=payout_id
        )
        if link.record_type == "deposit" and payout_records.part_number(link.role)
    ]
    # Deposit 1 is wanted whenever deposits are: only later parts can be stale.
    stale = [link for link in held if wanted and link.role not in wanted]
    if ctx.preview is not None:
        return len(held)
    present: dict[str, bool] = {}
    # Every stale deposit is checked before any is deleted: a refusal deletes nothing.
    for link in stale:
        number = payout_records.part_number(link.role) or 0
        expected = external_id_for(stripe_account_id, payout_id, payout_records.part_role(number))
        found = await ctx.netsuite.get("deposit", link.internal_id, fields=["externalId"])
        theirs = found is not None and str(found.get("externalId") or "") != expected
        if link.body_hash == posting.LINKED or link.external_id != expected or theirs:
            raise exceptions.NeedsAttention(
                f"payout {payout_id} now needs fewer deposits, but deposit {link.internal_id}"
                f" ({link.role}) is not one the engine posted as {expected}: delete it in"
                " NetSuite and drop its link, or set options.deposit_max_lines back",
                stripe_id=payout_id,
            )
        present[link.role] = found is not None
    for link in stale:
        if present[link.role]:
            await ctx.netsuite.delete("deposit", link.internal_id)
        await asyncio.to_thread(
            links.delete, ctx.database, account=ctx.name, stripe_id=payout_id, role=link.role
        )
        log.info(
            "deleted stale deposit payout=%s role=%s internal_id=%s",
            payout_id,
            link.role,
            link.internal_id,
        )
    return len(held)


async def _refuse_mode_switch(ctx: FlowContext, payout_id: str, record: NetSuiteRecord) -> None:
    """A payout posted as deposits stays deposits (and a summary stays a summary): posting
    it the other way too would book its money twice."""
    link = await links.read(ctx.database, account=ctx.name, stripe_id=payout_id, role=record.role)
    if link is None or link.record_type == record.record_type or link.body_hash == posting.LINKED:
        return
    raise exceptions.NeedsAttention(
        f"payout {payout_id} is already posted as {link.record_type} {link.internal_id};"
        f" options.payout_posting now asks for a {record.record_type}. The setting applies to"
        " payouts not posted yet: set it back, or delete that record and its link",
        stripe_id=payout_id,
    )


#: Link role of a summary journal's detail file (its name stands where an internal id would).
DETAIL_ROLE = "payout_detail"


async def _keep_detail(ctx: FlowContext, payout_id: str, name: str, text: str) -> None:
    """Write the summary journal's detail CSV and link it to the payout."""
    if ctx.preview is not None:
        return
    folder = ctx.account.options.payout_detail_dir
    if not folder:
        raise exceptions.ConfigError(
            "summary posting keeps each payout's detail as a CSV: set a directory",
            key=f"accounts.{ctx.name}.options.payout_detail_dir",
        )
    digest = await ctx.body_hash({"csv": text})
    link = await links.read(ctx.database, account=ctx.name, stripe_id=payout_id, role=DETAIL_ROLE)
    path = Path(folder) / name
    if link is not None and link.body_hash == digest and path.exists():
        return
    await asyncio.to_thread(_write_atomically, path, text)
    await asyncio.to_thread(
        links.put,
        ctx.database,
        account=ctx.name,
        stripe_id=payout_id,
        role=DETAIL_ROLE,
        record_type="file",
        internal_id=name,
        external_id=None,
        body_hash=digest,
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


#: Which link of a synced object fills which id map of the deposit context.
_ROLES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "charge": (("payment", "payment_ids", None),),
    "refund": (("refund", "refund_ids", None),),
    "dispute": (
        ("refund", "dispute_ids", None),
        ("dispute_reversal", "reversal_payment_ids", "customerPayment"),
        ("dispute_reversal", "reversal_cash_sale_ids", "cashSale"),
        ("dispute_fee", "dispute_fee_ids", None),
        ("dispute_fee_reversal", "dispute_fee_reversal_ids", None),
    ),
}


def _collect(
    kind: str, stripe_id: str, held: dict[str, links.Link], ids: dict[str, dict[str, str]]
) -> None:
    for role, target, record_type in _ROLES.get(kind, ()):
        link = held.get(role)
        if link is not None and (record_type is None or link.record_type == record_type):
            ids[target][stripe_id] = link.internal_id


async def _await(ctx: FlowContext, stripe_id: str, payout_id: str) -> None:
    if ctx.preview is not None:
        return
    await asyncio.to_thread(
        links.put,
        ctx.database,
        account=ctx.name,
        stripe_id=stripe_id,
        role=AWAITED,
        # Not a NetSuite record: the Stripe payout whose deposit waits.
        record_type="stripe_payout",
        internal_id=payout_id,
        external_id=payout_id,
        body_hash="",
    )


async def release(ctx: FlowContext, kind: str, stripe_id: str) -> list[tuple[str, str]]:
    """After-sync hook: once *stripe_id* synced, the payout whose deposit waited for it.

    That deposit posted with the object in suspense; queued again, it is corrected.
    Only kinds that are the source of a balance transaction can be awaited: the others
    skip the lookup (a thread hop and a query on every job).
    """
    if not kinds.get(kind).reporting_categories:
        return []
    link = await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=AWAITED)
    if link is None:
        return []
    await asyncio.to_thread(
        links.delete, ctx.database, account=ctx.name, stripe_id=stripe_id, role=AWAITED
    )
    return [(KIND.name, link.internal_id)]
