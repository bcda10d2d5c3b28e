"""What the worker stores of an error keeps codes, paths and ids, never values.

Errors are made the way the engine makes them: NetSuite's answers go through
``netsuite.errors.classify``, Stripe's through ``stripe_api.client.call``. Then every
text column of the ``jobs`` and ``attempts`` tables is read back and searched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.engine.job_store import SqlJobStore
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.netsuite import errors
from stripe_netsuite.retry import RetryPolicy
from stripe_netsuite.store import db, queue, tables
from stripe_netsuite.store.queue import JobState
from stripe_netsuite.stripe_api.client import call

#: What must never be at rest: an amount, a name, an email.
VALUES = ("1234.56", "1,234.56", "Jane", "Doe", "jane.doe@example.com", "jane@example.com")


def netsuite_refusal(status: int) -> exceptions.NetSuiteError:
    body = {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": "Bad Request",
        "status": status,
        "o:errorDetails": [
            {
                "detail": "Invalid field value 1234.56 for amount on the invoice of "
                "Jane Doe <jane.doe@example.com>; the total is 1,234.56.",
                "o:errorCode": "USER_ERROR",
                "o:errorPath": "item.items[0].amount",
            }
        ],
    }
    return errors.classify(
        httpx.Response(status, json=body), record_type="invoice", external_id="acct_1:in_1"
    )


async def stripe_refusal() -> None:
    async def refuse() -> None:
        raise stripe.InvalidRequestError(
            "No such customer: 'cus_x' (jane@example.com)",
            param="customer",
            code="resource_missing",
            http_status=404,
        )

    await call(refuse)


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_database(database_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


def stored_texts(database: sa.Engine) -> list[str]:
    """Every text value in the jobs and attempts tables."""
    texts: list[str] = []
    with database.connect() as conn:
        for table in (tables.jobs, tables.attempts):
            for row in conn.execute(sa.select(table)):
                texts += [value for value in row if isinstance(value, str)]
    return texts


async def settle(database: sa.Engine, flow: Callable[[str, str, str], object]) -> None:
    async def handler(account: str, kind: str, object_id: str) -> None:
        result = flow(account, kind, object_id)
        if asyncio.iscoroutine(result):
            await result

    worker = Worker(
        store=SqlJobStore(database),
        handler=handler,
        retry=RetryPolicy(max_attempts=5),
        poll_seconds=0.005,
    )
    runner = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(30):
            while any(j.state is JobState.RUNNING or j.attempts == 0 for j in _jobs(database)):
                await asyncio.sleep(0.005)
    finally:
        worker.stop()
        await runner


def _jobs(database: sa.Engine) -> list[queue.Job]:
    return queue.list_jobs(database, limit=100)


async def test_a_netsuite_refusal_is_stored_with_code_and_path_but_no_values(
    database: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue.enqueue(database, account="main", kind="invoice", object_id="in_parked")
    queue.enqueue(database, account="main", kind="invoice", object_id="in_retried")
    queue.enqueue(database, account="main", kind="customer", object_id="cus_x")

    def flow(account: str, kind: str, object_id: str) -> object:
        if object_id == "in_parked":
            raise netsuite_refusal(400)  # NetSuiteRejected: parked at once
        if object_id == "in_retried":
            raise netsuite_refusal(503)  # NetSuiteRetriable: back to pending
        return stripe_refusal()  # StripeRejected: parked at once

    await settle(database, flow)
    jobs = {j.object_id: j for j in _jobs(database)}
    assert jobs["in_parked"].state is JobState.PARKED
    assert jobs["in_retried"].state is JobState.PENDING
    assert jobs["cus_x"].state is JobState.PARKED

    texts = stored_texts(database)
    leaked = [(value, text) for text in texts for value in VALUES if value in text]
    assert leaked == []
    # The worker's log lines carry the same text.
    logged = [r.getMessage() for r in caplog.records]
    assert [(v, line) for line in logged for v in VALUES if v in line] == []
    assert jobs["in_parked"].last_error == (
        "NetSuiteRejected: [redacted] (record_type=invoice external_id=acct_1:in_1 "
        "status=400 code=USER_ERROR path=item.items[0].amount)"
    )
    assert jobs["in_retried"].last_error is not None
    assert jobs["in_retried"].last_error.startswith("NetSuiteRetriable: [redacted] (")
    assert "code=USER_ERROR path=item.items[0].amount" in jobs["in_retried"].last_error
    stripe_text = jobs["cus_x"].last_error
    assert stripe_text is not None
    assert stripe_text.startswith("StripeRejected: Stripe refused the request (404)")
    assert "code=resource_missing" in stripe_text
    assert "param=customer" in stripe_text
    # The attempts rows keep the same text, without the class (it has its own column).
    assert (
        "[redacted] (record_type=invoice external_id=acct_1:in_1 status=400 "
        "code=USER_ERROR path=item.items[0].amount)"
    ) in texts
