"""``stripe-netsuite-sandbox demo``: both sandboxes and the engine on loopback, a business synced.

Everything runs in this process: the Stripe sandbox and the NetSuite sandbox each on
their own port, the engine's web app (webhooks) with its worker beside it, and a
SQLite file in a temporary directory unless another database is given. The business
is created through the official Stripe SDK, exactly as an application would.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import stripe
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stripe_netsuite.engine.runtime import Runtime
from stripe_netsuite.mapping import reconciliation as reconciliation_module
from stripe_netsuite.mapping import tieout as tieout_module
from stripe_netsuite.settings import Settings, load_config
from stripe_netsuite.store import db, links, queue
from stripe_netsuite.web.app import create_app as create_sync_app
from stripe_netsuite.web.app import worker_lifespan
from stripe_netsuite_sandbox import books, netsuite_month
from stripe_netsuite_sandbox import business as business_module
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig
from stripe_netsuite_sandbox.netsuite.app import create_app as create_netsuite
from stripe_netsuite_sandbox.serving import RunningServer, free_port, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe

ACCOUNT = "main"
StripeClient = stripe.StripeClient

#: Stripe object types that have no NetSuite record of their own, and why.
REPRESENTED_BY = {
    "payment_intent": "represented_by_charge",
    "payment_method": "no_accounting_effect",
    "setup_intent": "no_accounting_effect",
    "subscription": "represented_by_invoices",
    "subscription_item": "represented_by_invoices",
    "subscription_schedule": "represented_by_invoices",
    "invoiceitem": "represented_by_invoice_lines",
    "line_item": "represented_by_invoice_lines",
    "invoice_payment": "represented_by_payment",
    "balance_transaction": "represented_by_payout_deposit",
    "customer_balance_transaction": "represented_by_invoice",
    "billing_portal.session": "no_accounting_effect",
    "billing_portal.configuration": "no_accounting_effect",
    "promotion_code": "represented_by_coupon",
    "tax_rate": "represented_by_invoice_tax",
    "discount": "represented_by_coupon",
    "token": "no_accounting_effect",
    "source": "no_accounting_effect",
    "card": "no_accounting_effect",
    "mandate": "no_accounting_effect",
}

#: Objects of the sandbox's own machinery, not of the business: left out of the table.
NOT_BUSINESS = frozenset(
    {"event", "webhook_endpoint", "test_helpers.test_clock", "account", "balance"}
)


@dataclass
class Stack:
    """The three servers of a demo run and what they need to talk to each other."""

    workdir: Path
    stripe: RunningServer
    netsuite: RunningServer
    #: None when the engine runs in another process (``serve_engine=False``).
    engine_app: RunningServer | None
    engine_port: int
    database_url: str
    api_key: str
    database: sa.Engine
    settings: Settings
    webhook_url: str
    webhook_secret: str

    def stripe_client(self) -> StripeClient:
        return stripe.StripeClient(
            self.api_key,
            base_addresses={"api": self.stripe.base_url},
            max_network_retries=2,
        )

    def stop(self) -> None:
        for server in (self.engine_app, self.stripe, self.netsuite):
            if server is not None:
                server.stop()
        self.database.dispose()


def start(
    *,
    workdir: Path,
    database_url: str | None = None,
    seed: int = 7,
    run_worker: bool = True,
    serve_engine: bool = True,
    events_poll_seconds: float = 5.0,
    lease_seconds: float = 30.0,
    stripe_options: dict[str, Any] | None = None,
    netsuite_options: dict[str, Any] | None = None,
    account_options: dict[str, Any] | None = None,
    account_tables: dict[str, dict[str, Any]] | None = None,
    netsuite_poll_seconds: float = 0.0,
) -> Stack:
    """Start the NetSuite sandbox, the Stripe sandbox and the engine; return once all listen.

    Tests pass sandbox options (webhook faults, NetSuite latency) and may run the
    worker elsewhere (``run_worker=False``: the web app then only takes webhooks in), or
    the whole engine in another process on ``engine_port`` (``serve_engine=False``).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = workdir / "netsuite-client-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ns_config = SandboxConfig(public_key_pem=public_pem, seed=seed, **(netsuite_options or {}))
    netsuite = serve_in_thread(create_netsuite(ns_config))

    engine_port = free_port()
    webhook_url = f"http://127.0.0.1:{engine_port}/webhooks/stripe/{ACCOUNT}"
    # The business generator and the engine read one sandbox at once, at full speed: no
    # read limit unless asked for (a test-mode limit makes the generator's reads fail).
    stripe_options = {"read_rate_limit": 0.0, **(stripe_options or {})}
    stripe_config = StripeSandboxConfig(webhooks=[webhook_url], seed=seed, **stripe_options)
    stripe_app = create_stripe(stripe_config)
    stripe_server = serve_in_thread(stripe_app)
    secret = stripe_app.state.sandbox.webhook_secrets[webhook_url]

    config_file = workdir / "stripe-netsuite.toml"
    config_file.write_text(
        demo_config(
            stripe_base=stripe_server.base_url,
            api_key=stripe_config.api_key,
            stripe_account_id=stripe_config.account_id,
            webhook_secret=secret,
            netsuite_base=netsuite.base_url,
            ns_config=ns_config,
            key_file=key_file,
            options=account_options or {},
            extra_tables=account_tables,
        ),
        encoding="utf-8",
    )
    database_url = database_url or f"sqlite:///{workdir / 'stripe-netsuite.db'}"
    settings = Settings(
        database_url=database_url,
        config=config_file,
        events_poll_seconds=events_poll_seconds,
        lease_seconds=lease_seconds,
        netsuite_poll_seconds=netsuite_poll_seconds,
    )
    config = load_config(config_file)
    database = db.make_database(database_url)
    db.migrate(database)
    lifespan = (
        worker_lifespan(lambda: Runtime(settings=settings, config=config, database=database))
        if run_worker
        else None
    )
    engine_server = None
    if serve_engine:
        web = create_sync_app(
            config=config, database=database, lifespan=lifespan, settings=settings
        )
        engine_server = serve_in_thread(web, port=engine_port)
    return Stack(
        workdir=workdir,
        stripe=stripe_server,
        netsuite=netsuite,
        engine_app=engine_server,
        engine_port=engine_port,
        database_url=database_url,
        api_key=stripe_config.api_key,
        database=database,
        settings=settings,
        webhook_url=webhook_url,
        webhook_secret=secret,
    )


def demo_config(
    *,
    stripe_base: str,
    api_key: str,
    stripe_account_id: str,
    webhook_secret: str,
    netsuite_base: str,
    ns_config: SandboxConfig,
    key_file: Path,
    options: dict[str, Any] | None = None,
    extra_tables: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The engine's TOML config for the sandboxes (written to the work dir for reading)."""
    account = {
        "stripe_account_id": stripe_account_id,
        "stripe_api_key": api_key,
        "stripe_webhook_secret": webhook_secret,
        "stripe_api_base": stripe_base,
        "subsidiary": chart.SUBSIDIARY_US,
    }
    tables: dict[str, dict[str, object]] = {
        "netsuite": {
            "account_id": ns_config.account_id,
            "base_url": netsuite_base,
            "auth": "oauth2",
            "client_id": ns_config.client_id,
            "certificate_id": ns_config.certificate_id,
            "private_key_file": str(key_file),
            "concurrency": ns_config.concurrency,
        },
        "gl": {
            "undeposited_funds": chart.UNDEPOSITED_FUNDS,
            "stripe_clearing": chart.STRIPE_CLEARING,
            "receivables": chart.ACCOUNTS_RECEIVABLE,
            "stripe_fees": chart.STRIPE_FEES,
            "dispute_fees": chart.DISPUTE_FEES,
            "suspense": chart.SUSPENSE,
            "fx_differences": chart.FX_DIFFERENCES,
            "customer_credit_adjustments": chart.DISCOUNTS,
            "bad_debt": chart.BAD_DEBT,
            "out_of_band_refunds": chart.OUT_OF_BAND_REFUNDS,
        },
        "gl.bank": dict(chart.BANK_ACCOUNTS),
        "items": {
            "service_sale_item": chart.SERVICE_ITEM,
            "discount_item": chart.DISCOUNT_ITEM,
            "tax_item": chart.TAX_ITEM,
            "customer_balance_item": chart.CUSTOMER_BALANCE_ITEM,
            "income_account": chart.INCOME,
        },
        # With options.tax = "codes": every Stripe tax rate to the one tax code (quoted key).
        "items.tax_codes": {'"*"': chart.TAX_ITEM},
        "options": {"customer_type": "auto", **(options or {})},
        **(extra_tables or {}),
    }
    out = ["# Written by `stripe-netsuite-sandbox demo`: the engine's config for both sandboxes.",
           f"[accounts.{ACCOUNT}]"]  # fmt: skip
    out += [f"{key} = {_toml(value)}" for key, value in account.items()]
    for name, values in tables.items():
        out += ["", f"[accounts.{ACCOUNT}.{name}]"]
        out += [f"{key} = {_toml(value)}" for key, value in values.items()]
    return "\n".join(out) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else json.dumps(str(value))


def console_user(stack: Stack, login: str = "demo") -> str:
    """Add an admin of the engine's console to the stack's database; its new password."""
    from stripe_netsuite.store import users

    password = secrets.token_urlsafe(12)
    users.add_user(stack.database, login, "admin", password)
    return password


def show_tie_out(stack: Stack, result: tieout_module.TieOut) -> None:
    """Put a tie-out on the console's overview, as its monitor would after a check."""
    from stripe_netsuite.engine.monitor import TieOutStatus

    monitor = stack.engine_app.app.state.monitor if stack.engine_app else None
    if monitor is not None:
        monitor.tieouts[ACCOUNT] = TieOutStatus(datetime.now(UTC), result)


#: The engine config switching the NetSuite → Stripe direction on (the demo raises
#: invoices in NetSuite too).
FROM_NETSUITE: dict[str, dict[str, Any]] = {
    "flows": {"netsuite_customers": True, "netsuite_invoices": True, "netsuite_refunds": True},
}


def wait_until_synced(stack: Stack, *, timeout: float = 300.0) -> None:
    """Deliver every pending webhook, then wait until the engine's queue is idle and stays so."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    calm = 0
    with httpx.Client(base_url=stack.stripe.base_url, headers=headers, timeout=timeout) as http:
        while calm < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the engine did not finish syncing in time")
            http.post("/__sandbox/webhooks/flush").raise_for_status()
            time.sleep(0.3)
            calm = calm + 1 if queue.is_idle(stack.database) else 0


@dataclass
class Accounting:
    """Every Stripe object, and what became of it."""

    rows: list[tuple[str, int, int, int, int, int]]
    unaccounted: list[str]
    parked: list[str]
    netsuite_counts: dict[str, int]


def account_for(stack: Stack) -> Accounting:
    """Classify every Stripe object: synced, skipped by a named rule, parked, or missing."""
    stripe_objects = books.stripe_objects(stack.stripe.base_url, stack.api_key)
    netsuite_records = books.netsuite_records(stack.netsuite.base_url)
    jobs: dict[str, queue.Job] = {}
    for each in sorted(queue.list_jobs(stack.database, limit=1_000_000), key=lambda j: j.id):
        jobs[each.object_id] = each
    linked = {link.stripe_id for link in links.all_links(stack.database)}
    categories = {
        bt["id"]: bt.get("reporting_category")
        for bt in stripe_objects.get("balance_transaction", [])
    }
    rows: list[tuple[str, int, int, int, int, int]] = []
    unaccounted: list[str] = []
    parked: list[str] = []
    for kind, objects in sorted(stripe_objects.items()):
        if kind in NOT_BUSINESS:
            continue
        tally: Counter[str] = Counter()
        for obj in objects:
            object_id = obj["id"] if isinstance(obj, dict) else str(obj)
            job = jobs.get(object_id)
            if object_id in linked and (job is None or job.state == "done"):
                tally["synced"] += 1
            elif job is not None and job.state == "skipped":
                tally["skipped"] += 1
            elif job is not None and job.state == "parked":
                tally["parked"] += 1
                parked.append(f"{object_id}: {job.last_error}")
            elif kind in REPRESENTED_BY:
                tally["skipped"] += 1
            elif categories.get(obj.get("balance_transaction")) == "partial_capture_reversal":
                # The uncaptured part of an authorization, released: not a refund.
                tally["skipped"] += 1
            else:
                tally["missing"] += 1
                unaccounted.append(f"{kind} {object_id}")
        rows.append(
            (
                kind,
                len(objects),
                tally["synced"],
                tally["skipped"],
                tally["parked"],
                tally["missing"],
            )
        )
    counts = {
        kind: len(books.synced(netsuite_records, kind))
        for kind in sorted(netsuite_records)
        if books.synced(netsuite_records, kind)
    }
    return Accounting(rows=rows, unaccounted=unaccounted, parked=parked, netsuite_counts=counts)


def render(accounting: Accounting) -> str:
    """The summary table printed at the end of the demo."""
    lines = [
        "Stripe objects",
        f"  {'type':<24}{'in Stripe':>10}{'synced':>9}{'skipped':>9}{'parked':>8}{'missing':>9}",
    ]
    for kind, total, synced, skipped, parked, missing in accounting.rows:
        lines.append(f"  {kind:<24}{total:>10}{synced:>9}{skipped:>9}{parked:>8}{missing:>9}")
    lines += ["", "NetSuite records made from Stripe", f"  {'type':<24}{'records':>10}"]
    for kind, count in accounting.netsuite_counts.items():
        lines.append(f"  {kind:<24}{count:>10}")
    for item in accounting.parked:
        lines.append(f"  parked: {item}")
    for item in accounting.unaccounted:
        lines.append(f"  NOT ACCOUNTED FOR: {item}")
    return "\n".join(lines)


def write_export(stack: Stack, directory: Path) -> None:
    """Write ``stripe.json`` and ``netsuite.json`` (every object / record, by type)."""
    directory.mkdir(parents=True, exist_ok=True)
    stripe_objects = books.stripe_objects(stack.stripe.base_url, stack.api_key)
    netsuite_records = books.netsuite_records(stack.netsuite.base_url)
    (directory / "stripe.json").write_text(json.dumps(stripe_objects, indent=2), encoding="utf-8")
    (directory / "netsuite.json").write_text(
        json.dumps(netsuite_records, indent=2), encoding="utf-8"
    )


#: The demo month starts here (the Stripe sandbox's clock, so every run is the same).
MONTH_START = 1_790_845_200  # 2026-10-01 09:00 UTC
#: The demo's Stripe account holds and pays out USD, EUR and JPY.
CURRENCIES = ("usd", "eur", "jpy")
DAY = 86_400


def sandbox_post(stack: Stack, path: str, **data: Any) -> dict[str, Any]:
    """POST to one of the Stripe sandbox's own endpoints."""
    response = httpx.post(
        stack.stripe.base_url + path,
        data={k: str(v) for k, v in data.items()},
        headers={"Authorization": f"Bearer {stack.api_key}"},
        timeout=120,
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def wait_for_engine(port: int, *, timeout: float = 60.0) -> None:
    """Wait until an engine started in another process answers ``/healthz`` on *port*."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the engine on port {port} did not start within {timeout:.0f} s")


def advance(stack: Stack, seconds: int) -> None:
    """Move the Stripe sandbox's clock: balances become available, payouts are made."""
    sandbox_post(stack, "/__sandbox/advance", seconds=seconds)


def pay_out_everything(stack: Stack) -> None:
    """Let every pending balance become available, then pay all of it out."""
    advance(stack, 3 * DAY)
    sandbox_post(stack, "/__sandbox/payout_all")


def reconciliation(stack: Stack) -> list[Any]:
    """Each payout beside its NetSuite deposit, as ``stripe-netsuite reconcile`` reports it."""
    from stripe_netsuite.engine import reconcile

    config = load_config(stack.settings.config)

    async def main() -> list[Any]:
        async with Runtime(settings=stack.settings, config=config, database=stack.database) as rt:
            return await reconcile.reconcile(rt.contexts[ACCOUNT])

    return asyncio.run(main())


def poll_netsuite(stack: Stack) -> None:
    """One SuiteQL poll of NetSuite's changes, as the engine's scheduler makes it."""
    config = load_config(stack.settings.config)

    async def main() -> None:
        async with Runtime(settings=stack.settings, config=config, database=stack.database) as rt:
            await rt.poll_netsuite()

    asyncio.run(main())


def sync_both(stack: Stack) -> None:
    """Deliver Stripe's webhooks, poll NetSuite once, and wait until the queue is idle."""
    wait_until_synced(stack)
    poll_netsuite(stack)
    wait_until_synced(stack)


def tie_out(stack: Stack) -> tieout_module.TieOut:
    """Stripe's balances beside NetSuite's GL, as ``stripe-netsuite tieout`` reports them."""
    from stripe_netsuite.engine import tieout

    config = load_config(stack.settings.config)

    async def main() -> tieout_module.TieOut:
        async with Runtime(settings=stack.settings, config=config, database=stack.database) as rt:
            return await tieout.tie_out(rt.contexts[ACCOUNT])

    return asyncio.run(main())


def run(
    *,
    once: bool,
    scenarios: list[Path],
    export: Path | None,
    seed: int,
    database_url: str | None,
    workdir: Path | None = None,
) -> int:
    """Run the demo; the exit status is 0 only if every Stripe object is accounted for and
    every payout ties out to its NetSuite deposit and the general ledger ties out to Stripe."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="stripe-netsuite-demo-"))
    stack = start(
        workdir=workdir,
        database_url=database_url,
        seed=seed,
        stripe_options={"start_time": MONTH_START, "settlement_currencies": CURRENCIES},
        account_tables=FROM_NETSUITE,
    )
    try:
        print(f"Stripe sandbox   {stack.stripe.base_url}")
        print(f"NetSuite sandbox {stack.netsuite.base_url}")
        print(f"engine           http://127.0.0.1:{stack.engine_port}")
        print(f"engine config    {workdir / 'stripe-netsuite.toml'}")
        password = console_user(stack)
        print(f"console: http://127.0.0.1:{stack.engine_port}/  user: demo  password: {password}")
        client = stack.stripe_client()
        if scenarios:
            from stripe_netsuite_sandbox.stripe.triggers import replay

            for path in scenarios:
                print(f"replaying {path}")
                replay(path, api_base=stack.stripe.base_url, api_key=stack.api_key)
        else:
            print("creating a month of business in the Stripe sandbox ...")
            created = business_module.build(
                client, seed=seed, advance=lambda seconds: advance(stack, seconds)
            )
            print("created " + ", ".join(f"{len(v)} {k}s" for k, v in created.created.items()))
        raised: list[tuple[str, str]] = []
        if not scenarios:
            print("raising invoices in NetSuite ...")
            raised = netsuite_month.raise_invoices(stack.netsuite.base_url)
            settle = functools.partial(sync_both, stack)
            netsuite_month.settle(stack.netsuite.base_url, stack.stripe.base_url, raised, settle)
        pay_out_everything(stack)
        wait_until_synced(stack)
        accounting = account_for(stack)
        print()
        print(render(accounting))
        mirrored = netsuite_month.summary(stack.netsuite.base_url, client, raised)
        if mirrored:
            print()
            print(netsuite_month.render(mirrored))
        reports = reconciliation(stack)
        print("\nPayouts and their NetSuite deposits")
        print(reconciliation_module.render(reports))
        print("\nTie-out: Stripe beside NetSuite's general ledger")
        ledger = tie_out(stack)
        show_tie_out(stack, ledger)
        print(tieout_module.render(ledger), end="")
        if export is not None:
            write_export(stack, export)
            print(f"\nexported to {export}/stripe.json and {export}/netsuite.json")
        tied = not reconciliation_module.any_difference(reports)
        ok = (
            not accounting.unaccounted
            and tied
            and not ledger.differing
            and not netsuite_month.problems(mirrored)
        )
        print(
            "every Stripe object is accounted for"
            if not accounting.unaccounted
            else "some objects are NOT accounted for"
        )
        print("every payout ties out" if tied else "some payouts do NOT tie out")
        if once:
            return 0 if ok else 1
        print("serving until Ctrl-C")
        while True:
            time.sleep(3600)
    finally:
        stack.stop()
