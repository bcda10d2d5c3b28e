"""``SNS_LOG_FORMAT=json``: one JSON object a line, with the request or job id it belongs to."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from stripe_netsuite import logs
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.testing import InMemoryJobStore


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(
        "stripe_netsuite.test", logging.WARNING, __file__, 1, message, args, None
    )


def test_a_line_carries_the_request_and_job_ids_in_force() -> None:
    formatter = logs.JsonFormatter()
    request = logs.request_id.set("req-123")
    job = logs.job_id.set(42)
    try:
        line = json.loads(formatter.format(record("job parked job_id=%s", 42)))
    finally:
        logs.job_id.reset(job)
        logs.request_id.reset(request)
    assert line["message"] == "job parked job_id=42"
    assert (line["request_id"], line["job_id"]) == ("req-123", 42)
    assert (line["level"], line["logger"]) == ("WARNING", "stripe_netsuite.test")
    assert line["time"].endswith("Z") and line["time"][10] == "T"


def test_a_line_outside_a_request_or_job_has_null_ids() -> None:
    line = json.loads(logs.JsonFormatter().format(record("loop started")))
    assert line["request_id"] is None and line["job_id"] is None


def test_an_exception_is_kept_in_its_own_field() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(logs.JsonFormatter().format(failed))
    assert "ValueError: boom" in line["exception"] and line["message"] == "failed"


async def test_each_line_a_job_logs_names_that_job() -> None:
    lines: list[dict[str, object]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(logs.JsonFormatter().format(record)))

    log = logging.getLogger("stripe_netsuite.test.flow")
    log.addHandler(keep := Keep())
    log.setLevel(logging.INFO)
    store = InMemoryJobStore()
    first = store.enqueue(account="main", kind="invoice", object_id="in_1")
    second = store.enqueue(account="main", kind="invoice", object_id="in_2")

    async def handler(account: str, kind: str, object_id: str) -> None:
        log.info("syncing %s", object_id)

    worker = Worker(store=store, handler=handler, poll_seconds=0.01)
    try:
        run = asyncio.create_task(worker.run())
        for _ in range(1000):  # the two jobs run within a few polls
            if len(lines) >= 2:
                break
            await asyncio.sleep(0.01)
        worker.stop()
        await run
    finally:
        log.removeHandler(keep)
    by_object = {str(line["message"]).split()[-1]: line["job_id"] for line in lines}
    assert by_object == {"in_1": first.id, "in_2": second.id}
    assert logs.job_id.get() is None  # the ids stay in the jobs' own tasks
