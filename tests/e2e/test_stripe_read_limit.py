"""One Stripe read bucket per account: a backfill and a busy worker stay under Stripe's limit.

The Stripe sandbox refuses reads above 12 a second (429 ``rate_limit``); the engine's
limit is 10 (``SNS_STRIPE_READS_PER_SECOND``). The worker runs in the web app's thread,
the backfill in this one: both send their GETs through the one bucket of the account.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
import stripe

from stripe_netsuite import flows
from stripe_netsuite.engine import backfill
from stripe_netsuite.settings import Settings, load_config
from stripe_netsuite.store import links, queue
from stripe_netsuite.stripe_api.client import EngineHTTPClient, make_client
from stripe_netsuite.stripe_api.listing import Lister, ReadLimiter
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]
START = demo.MONTH_START - 60 * 86_400
CUSTOMERS = 200
INVOICES = 3


def wait_idle(stack: demo.Stack, *, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not finish syncing in time")
        time.sleep(0.3)
        calm = calm + 1 if queue.is_idle(stack.database) else 0


def paid_invoice(client: stripe.StripeClient, n: int) -> tuple[str, str]:
    cus = client.v1.customers.create(
        params={"name": f"Payer {n}", "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip
    client.v1.invoice_items.create(params={"customer": cus, "amount": 1000 + n, "currency": "usd"})
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    return cus, str(client.v1.invoices.pay(draft.id).id)


def test_a_backfill_beside_the_worker_gets_no_429_and_everything_syncs(
    make_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNS_STRIPE_READS_PER_SECOND", "10")
    stack = make_stack(
        stripe_options={"start_time": START, "deliver_webhooks": False, "read_rate_limit": 12}
    )
    client = stack.stripe_client()
    names = {client.v1.customers.create(params={"name": f"Old {n}"}).id: f"Old {n}"
             for n in range(CUSTOMERS)}  # fmt: skip
    # No read before the backfill: the sandbox's bucket starts full, as Stripe's would
    # after a quiet second.
    invoices = [paid_invoice(client, n) for n in range(INVOICES)]
    names.update((cus, f"Payer {n}") for n, (cus, _) in enumerate(invoices))
    sandbox_limit = stack.stripe.app.state.read_limiter
    refused_before = sandbox_limit.refused

    config = load_config(stack.settings.config)
    account = config.accounts[demo.ACCOUNT]
    settings = Settings()
    assert settings.stripe_reads_per_second == 10

    async def main() -> backfill.Summary:
        http = EngineHTTPClient(
            timeout=30.0,
            reads_per_second=settings.stripe_reads_per_second,
            stripe_account_id=account.stripe_account_id,
        )
        # The backfill's own budget (20 a second) is above the sandbox's limit: only the
        # account's bucket keeps the two readers under it.
        lister = Lister(
            client=make_client(account, http_client=http),
            limiter=ReadLimiter(settings.backfill_reads_per_second),
        )
        try:
            return await backfill.run(
                lister, stack.database, account=demo.ACCOUNT,
                enabled=flows.enabled_kinds(account), since=START, until=None,
                types=["customer", "invoice"],
            )  # fmt: skip
        finally:
            await http.close_async()

    summary = asyncio.run(main())
    wait_idle(stack)

    assert summary.by_kind == {"customer": CUSTOMERS + INVOICES, "invoice": INVOICES}
    assert summary.refused == 0
    assert sandbox_limit.refused == refused_before == 0
    assert sandbox_limit.admitted > CUSTOMERS  # the worker's fetches went through it too
    store = stack.netsuite.app.app.state.sandbox.account.store
    for stripe_id, name in names.items():
        link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role="customer")
        assert link is not None, f"{stripe_id} was not synced"
        record = store.get("customer", link.internal_id)
        assert record is not None and record["companyName"] == name
    books = stack.netsuite.app.app.state.sandbox.account
    for n, (_, invoice_id) in enumerate(invoices):
        link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=invoice_id, role="invoice")
        assert link is not None, f"{invoice_id} was not synced"
        amount = Decimal(1000 + n) / 100
        posted = sorted(
            (ln.account, "debit" if ln.foreign_amount > 0 else "credit", abs(ln.foreign_amount))
            for ln in gl.lines_of(books, link.internal_id)
            if ln.foreign_amount
        )
        assert posted == sorted(
            [(chart.ACCOUNTS_RECEIVABLE, "debit", amount), (chart.INCOME, "credit", amount)]
        )
