"""The store's heartbeat rows and the monitor's reading of them: down once, back once, its own
process left to the in-process heartbeats, a process silent for a day forgotten."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from stripe_netsuite.engine import alerts
from stripe_netsuite.engine.monitor import Monitor
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db, heartbeats, users
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox.serving import serve_in_thread

CONFIG = {"accounts": {"main": {
    "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_1",
    "netsuite": {"account_id": "1234567_SB1"},
    "alerts": {"webhook_url": "http://127.0.0.1:9/hook"},
}}}  # fmt: skip


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    found = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(found)
    yield found
    found.dispose()


def monitor(database: sa.Engine, sent: list[alerts.Alert]) -> Monitor:
    config = parse_config(CONFIG)

    async def send(cfg: object, alert: alerts.Alert) -> list[str]:
        sent.append(alert)
        return []

    return Monitor(settings=Settings(ready_stall_seconds=60), config=config, database=database,
                   send=send)  # fmt: skip


def test_rows_are_written_updated_and_removed(database: sa.Engine) -> None:
    start = db.utcnow()
    heartbeats.record(database, "h:1", {"worker": start, "scheduler": start}, started_at=start)
    later = start + timedelta(seconds=5)
    heartbeats.record(database, "h:1", {"worker": later}, started_at=later)
    rows = {b.loop: b for b in heartbeats.list_beats(database)}
    assert rows["worker"].beat_at == later and rows["worker"].started_at == start
    assert rows["scheduler"].beat_at == start
    heartbeats.forget(database, "h:1")
    assert heartbeats.list_beats(database) == []


async def test_a_stale_process_is_alerted_once_and_its_return_once(database: sa.Engine) -> None:
    sent: list[alerts.Alert] = []
    watcher = monitor(database, sent)
    now = db.utcnow()
    old = now - timedelta(seconds=90)
    heartbeats.record(database, "far:7", {"worker": old, "scheduler": now}, started_at=old)
    # This process's own rows are watched through its in-process heartbeats, not here.
    heartbeats.record(database, watcher.process, {"worker": old}, started_at=old)
    await watcher.check()
    await watcher.check()
    assert [a.subject for a in sent] == ["worker far:7 down"]
    assert sent[0].text.startswith("worker: no pass for 9") and "scheduler" not in sent[0].text
    heartbeats.record(database, "far:7", {"worker": db.utcnow()}, started_at=old)
    await watcher.check()
    assert [a.subject for a in sent][1:] == ["worker far:7 running again"]


async def test_a_process_silent_for_a_day_is_forgotten_after_its_alert(
    database: sa.Engine,
) -> None:
    sent: list[alerts.Alert] = []
    watcher = monitor(database, sent)
    old = db.utcnow() - timedelta(days=2)
    heartbeats.record(database, "gone:3", {"worker": old}, started_at=old)
    await watcher.check()
    assert [a.subject for a in sent] == ["worker gone:3 down"]
    assert heartbeats.list_beats(database) == []
    await watcher.check()
    assert len(sent) == 1  # gone from the store: no "running again"


def test_the_overview_lists_every_process_and_its_stale_loops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    database = db.make_database(url)
    db.migrate(database)
    users.add_user(database, "vera", "viewer", "a long enough password")
    now = db.utcnow()
    old = now - timedelta(seconds=300)
    heartbeats.record(database, "far:7", {"worker": old, "scheduler": now}, started_at=old)
    heartbeats.record(database, "near:8", {"worker": now}, started_at=now)
    settings = Settings(database_url=url, ready_stall_seconds=60)
    app = create_app(config=parse_config(CONFIG), database=database, settings=settings)
    server = serve_in_thread(app)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token
            form = {"username": "vera", "password": "a long enough password",
                    "csrf_token": token.group(1)}  # fmt: skip
            assert client.post("/login", data=form).status_code == 303
            page = client.get("/").text
    finally:
        server.stop()
        database.dispose()
    table = page.split('<table id="workers">', 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>", "|", row).strip("|").split("||") for row in table.split("<tr>")[2:]]
    assert [row[:4] for row in rows] == [
        ["far:7", "scheduler", "running", "0 s ago"],
        ["far:7", "worker", "stale", "5 min ago"],
        ["near:8", "worker", "running", "0 s ago"],
    ]
