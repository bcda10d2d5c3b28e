"""A backfill over HTTP against the Stripe sandbox, as `stripe-netsuite status` and the
console's overview show it: running, stopped (with the command that resumes it), finished,
and where its objects' jobs stand."""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import stripe
from typer.testing import CliRunner

from stripe_netsuite import cli, exceptions, flows
from stripe_netsuite.engine import backfill
from stripe_netsuite.engine.backfill_progress import RunState, read_runs
from stripe_netsuite.settings import Settings, load_config
from stripe_netsuite.store import db, inbox, queue, users
from stripe_netsuite.stripe_api import listing
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe

START = 1_767_229_200  # 2026-01-01 01:00:00 UTC: the sandbox's clock
DAY = 86_400
STRIPE = StripeSandboxConfig(start_time=START, deliver_webhooks=False, read_rate_limit=0)
PASSWORD = "a long enough password"
WORKER = "w1"


@dataclass
class Deployment:
    stripe: RunningServer
    console: RunningServer
    database: sa.Engine
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(cli.app, list(args), env=self.env)
        assert result.exit_code == 0, result.output
        return result.stdout

    def overview(self) -> str:
        with httpx.Client(base_url=self.console.base_url, timeout=30) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            answer = client.post(
                "/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token}
            )
            assert answer.status_code == 303, answer.text
            shown = client.get("/")
        assert shown.status_code == 200
        return shown.text


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    stripe_server = serve_in_thread(create_stripe(STRIPE))
    config = tmp_path / "sns.toml"
    config.write_text(
        f"""[accounts.main]
stripe_account_id = "{STRIPE.account_id}"
stripe_api_key = "{STRIPE.api_key}"
stripe_api_base = "{stripe_server.base_url}"
subsidiary = "1"
[accounts.main.netsuite]
account_id = "1234567"
auth = "tba"
consumer_key = "ck"
consumer_secret = "cs"
token_id = "ti"
token_secret = "ts"
""",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    users.add_user(database, "vera", "viewer", PASSWORD)
    app = create_app(config=load_config(config), database=database,
                     settings=Settings(database_url=url))  # fmt: skip
    console = serve_in_thread(app)
    env = {"SNS_DATABASE_URL": url, "SNS_CONFIG": str(config), "SNS_LOG_LEVEL": "WARNING",
           "SNS_BACKFILL_READS_PER_SECOND": "0"}  # fmt: skip
    try:
        yield Deployment(stripe_server, console, database, env)
    finally:
        console.stop()
        stripe_server.stop()
        database.dispose()


def block(status: str) -> dict[str, str]:
    """The backfill block of `status`, label → text."""
    lines = status.splitlines()
    start = lines.index("backfill main:")
    found = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        label, _, text = line.strip().partition(": ")
        found[label] = text
    return found


def row(page: str, label: str) -> str:
    """The text of one row of the console's backfill panel."""
    return page.split(f"<tr><th>{label}</th><td>")[1].split("</td>")[0]


async def interrupted_backfill(deployment: Deployment, since: int, until: int) -> None:
    """The command's run, cancelled (Ctrl-C) once its first page has committed."""
    client = stripe.StripeClient(
        STRIPE.api_key, base_addresses={"api": deployment.stripe.base_url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
    )  # fmt: skip
    account = load_config(Path(deployment.env["SNS_CONFIG"])).account("main")
    lister = listing.Lister(client=client, limiter=listing.ReadLimiter(0))
    seen: list[RunState] = []

    def cancel_after_first_page(tick: backfill.Tick) -> None:
        # What another process reads while the run is committing pages.
        (shown,) = read_runs(deployment.database)
        seen.append(shown.state)
        task.cancel()

    task = asyncio.ensure_future(
        backfill.run(
            lister, deployment.database, account="main", enabled=flows.enabled_kinds(account),
            since=since, until=until, types=["customer", "product"],
            progress=cancel_after_first_page,
        )
    )  # fmt: skip
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [RunState.RUNNING]


def test_status_and_the_console_follow_a_backfill_from_stopped_to_finished(
    deployment: Deployment,
) -> None:
    assert "<h2>Backfill</h2>" not in deployment.overview()  # no run: no panel
    assert "backfill main:" not in deployment.cli("status")
    client = stripe.StripeClient(STRIPE.api_key, base_addresses={"api": deployment.stripe.base_url})
    customers = [client.v1.customers.create(params={"name": f"C{n}"}).id for n in range(150)]
    products = [client.v1.products.create(params={"name": f"P{n}"}).id for n in range(2)]

    asyncio.run(interrupted_backfill(deployment, since=START - DAY, until=START + DAY))

    stopped = block(deployment.cli("status"))
    assert stopped["state"] == "stopped (interrupted)"
    assert stopped["listing"].startswith("customer (1/2), ")
    assert stopped["queued"] == "100 (customer 100)"  # one page of Stripe's list
    assert stopped["jobs"] == "0 done, 100 pending, 0 parked"
    resume = stopped["resume"]
    assert resume == (
        "stripe-netsuite backfill --since 2025-12-31T01:00:00 --until 2026-01-02T01:00:00 "
        "--types customer,product --account main"
    )
    page = deployment.overview()
    assert "<h2>Backfill</h2>" in page
    assert row(page, "state") == "stopped (interrupted)"
    assert row(page, "jobs") == "0 done, 100 pending, 0 parked"
    assert row(page, "resume") == f"<code>{resume}</code>"

    # The command it names picks the run up where it stopped.
    words = shlex.split(resume)
    summary = json.loads(deployment.cli(*words[1:]).splitlines()[-1])
    assert summary["resumed"] is True and summary["listed"] == 52
    assert summary["queued_in_run"] == 152 and summary["by_type"] == {"customer": 50, "product": 2}

    # The worker's part, played here: most synced, two parked, ten still running.
    claimed = queue.claim(deployment.database, worker_id=WORKER, lease_seconds=300, limit=200)
    assert {job.object_id for job in claimed} == set(customers + products)
    for job in claimed[:140]:
        assert queue.complete(deployment.database, job, WORKER)
        inbox.mark_object_handled(deployment.database, account="main", object_id=job.object_id,
                                  received_before=job.claimed_at)  # fmt: skip
    for job in claimed[140:142]:
        error = exceptions.NeedsAttention("no NetSuite item for this product")
        assert queue.park(deployment.database, job, WORKER, error=error)

    finished = block(deployment.cli("status"))
    assert finished["state"].startswith("finished 20")
    assert finished["run"].endswith(", attempt 2")
    assert finished["queued"] == "152 (customer 150, product 2)"
    assert finished["jobs"] == "140 done, 10 pending, 2 parked"
    assert "resume" not in finished and "ETA" not in finished
    page = deployment.overview()
    assert row(page, "state") == finished["state"]
    assert row(page, "queued") == "152 (customer 150, product 2)"
    assert row(page, "jobs") == "140 done, 10 pending, 2 parked"
    assert "<code>stripe-netsuite backfill" not in page
