"""The customer sync against localstripe, an independent Stripe emulator.

Shows that the engine relies on Stripe's API, not on quirks of our own Stripe sandbox.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe

from stripe_netsuite.engine.runtime import Runtime, running
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db, queue
from stripe_netsuite_sandbox import books
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
from stripe_netsuite_sandbox.serving import free_port, serve_in_thread


@pytest.fixture
def localstripe(tmp_path: Path) -> Iterator[str]:
    command = shutil.which("localstripe", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.fail("localstripe is not installed (pip install -e '.[dev]')")
    port = free_port()
    # localstripe keeps its state in the working directory unless told to start afresh.
    proc = subprocess.Popen(
        [command, "--port", str(port), "--from-scratch"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/v1/customers", auth=("sk_test_local", ""), timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "localstripe did not start"
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_customer_sync_against_localstripe(localstripe: str, tmp_path: Path) -> None:
    netsuite_config = SandboxConfig()
    netsuite = serve_in_thread(create_app(netsuite_config))
    try:
        config = parse_config(
            {"accounts": {"main": {
                "stripe_account_id": "acct_local",
                "stripe_api_key": "sk_test_local",
                "stripe_api_base": localstripe,
                "subsidiary": chart.SUBSIDIARY_US,
                "currencies": {"usd": chart.CURRENCIES["usd"]},
                "netsuite": {"account_id": netsuite_config.account_id, "auth": "tba",
                             "base_url": netsuite.base_url,
                             "consumer_key": netsuite_config.consumer_key,
                             "consumer_secret": netsuite_config.consumer_secret,
                             "token_id": netsuite_config.token_id,
                             "token_secret": netsuite_config.token_secret},
            }}}
        )  # fmt: skip
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe})
        customer = client.v1.customers.create(
            params={"name": "Localstripe Ltd", "email": "ap@localstripe.example"}
        )
        url = f"sqlite:///{tmp_path / 'sns.db'}"
        database = db.make_database(url)
        db.migrate(database)
        # What a webhook for customer.created would have queued.
        with database.begin() as conn:
            queue.enqueue(conn, account="main", kind="customer", object_id=customer.id)
        settings = Settings(database_url=url, events_poll_seconds=0)

        async def run() -> None:
            runtime = Runtime(settings=settings, config=config, database=database)
            async with running(runtime, with_scheduler=False):
                deadline = time.monotonic() + 60
                while not await asyncio.to_thread(queue.is_idle, database):
                    assert time.monotonic() < deadline, "the queue did not drain in time"
                    await asyncio.sleep(0.05)

        asyncio.run(run())
        assert queue.counts(database) == {("customer", "done"): 1}
        records = books.synced(books.netsuite_records(netsuite.base_url), "customer")
        assert [(r["externalId"], r["companyName"], r["email"]) for r in records] == [
            (f"acct_local:{customer.id}", "Localstripe Ltd", "ap@localstripe.example")
        ]
        fetched = client.v1.customers.retrieve(customer.id)
        assert fetched.metadata["netsuite_customer_id"] == str(records[0]["id"])
    finally:
        netsuite.stop()
