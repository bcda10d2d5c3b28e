"""Alerts to a local SMTP server (aiosmtpd) and a local Slack-compatible HTTP receiver: parked
jobs grouped and rate-limited, a loop down, a payout that does not tie out, the tie-out failing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from stripe_netsuite import exceptions
from stripe_netsuite.engine import alerts, health
from stripe_netsuite.engine.monitor import Monitor
from stripe_netsuite.mapping.reconciliation import PayoutReport
from stripe_netsuite.settings import Alerts, Settings, parse_config
from stripe_netsuite.store import db, queue
from stripe_netsuite_sandbox.serving import RunningServer, free_port, serve_in_thread


@dataclass
class Mailbox:
    """An SMTP server's handler keeping every message it is given."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@dataclass
class Receiver:
    server: RunningServer
    posts: list[dict[str, Any]]
    status: list[int]

    @property
    def url(self) -> str:
        return self.server.base_url + "/services/T0/B0/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    posts: list[dict[str, Any]] = []
    status = [200]

    async def hook(request: Request) -> JSONResponse:
        posts.append(json.loads(await request.body()))
        return JSONResponse({"ok": status[0] == 200}, status_code=status[0])

    server = serve_in_thread(
        Starlette(routes=[Route("/services/T0/B0/hook", hook, methods=["POST"])])
    )
    try:
        yield Receiver(server, posts, status)
    finally:
        server.stop()


def config(smtp_port: int, hook: str, every: float = 900) -> Any:
    return parse_config({"accounts": {"main": {
        "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_1",
        "netsuite": {"account_id": "1234567_SB1"},
        "alerts": {"email_to": ["controller@example.com", "oncall@example.com"],
                   "email_from": "engine@example.com", "smtp_host": "127.0.0.1",
                   "smtp_port": smtp_port, "smtp_security": "none", "webhook_url": hook,
                   "parked_every_seconds": every},
    }}})  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    found = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(found)
    yield found
    found.dispose()


def park(database: sa.Engine, object_id: str, message: str) -> None:
    queue.enqueue(database, account="main", kind="invoice", object_id=object_id)
    (job,) = queue.claim(database, worker_id="w", lease_seconds=60)
    queue.park(database, job, "w", error=exceptions.NeedsAttention(message))


async def test_an_alert_goes_by_email_and_to_the_webhook(
    smtp: tuple[Mailbox, int], receiver: Receiver
) -> None:
    box, port = smtp
    cfg = config(port, receiver.url).accounts["main"].alerts
    failed = await alerts.send(cfg, alerts.Alert("main", "2 jobs parked", "#1 invoice in_1"))
    assert failed == []
    (mail,) = box.messages
    assert mail["Subject"] == "[stripe-netsuite main] 2 jobs parked"
    assert mail["To"] == "controller@example.com, oncall@example.com"
    assert mail.get_payload().strip() == "#1 invoice in_1"
    assert receiver.posts == [{"text": "*[stripe-netsuite main] 2 jobs parked*\n#1 invoice in_1"}]


async def test_a_channel_that_fails_is_reported_without_its_secret(receiver: Receiver) -> None:
    receiver.status[0] = 500
    cfg = Alerts(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                 email_to=["a@example.com"], webhook_url=receiver.url)  # fmt: skip
    failed = await alerts.send(cfg, alerts.Alert("main", "subject", "text"))
    assert failed[0].startswith("email via 127.0.0.1:") and "ConnectionRefusedError" in failed[0]
    assert failed[1] == "webhook: HTTPStatusError 500"
    assert "/services/T0" not in " ".join(failed)


async def test_parked_jobs_are_grouped_and_rate_limited(
    smtp: tuple[Mailbox, int], receiver: Receiver, database: sa.Engine
) -> None:
    box, port = smtp
    clock = Clock()
    park(database, "in_old", "parked before the engine started")
    monitor = Monitor(settings=Settings(), config=config(port, receiver.url, every=600),
                      database=database, clock=clock)  # fmt: skip
    await monitor.check()
    assert box.messages == []  # what was parked before this process started is not news
    park(database, "in_a", "item 20 is missing")
    park(database, "in_b", "item 21 is missing")
    await monitor.check()
    (first,) = box.messages
    assert first["Subject"] == "[stripe-netsuite main] 2 jobs parked"
    body = first.get_payload()
    assert "invoice in_a: NeedsAttention: item 20 is missing" in body and "in_b" in body
    park(database, "in_c", "item 22 is missing")
    clock.now += 300
    await monitor.check()
    assert len(box.messages) == 1  # within parked_every_seconds: held back, not lost
    clock.now += 301
    await monitor.check()
    assert [m["Subject"] for m in box.messages][1] == "[stripe-netsuite main] 1 job parked"
    assert "in_c" in box.messages[1].get_payload()
    assert len(receiver.posts) == 2


async def test_a_loop_down_is_told_once_and_its_recovery_too(
    smtp: tuple[Mailbox, int], receiver: Receiver, database: sa.Engine
) -> None:
    box, port = smtp
    beat = health.Heartbeat("worker", interval=1.0)
    monitor = Monitor(settings=Settings(), config=config(port, receiver.url), database=database,
                      heartbeats=lambda: {"worker": beat})  # fmt: skip
    await monitor.check()
    beat.stop()
    await monitor.check()
    await monitor.check()
    beat.stopped = False
    await monitor.check()
    assert [m["Subject"] for m in box.messages] == [
        "[stripe-netsuite main] worker is down",
        "[stripe-netsuite main] worker is running again",
    ]
    assert box.messages[0].get_payload().strip() == "worker is not running"


async def test_a_payout_that_does_not_tie_out_and_a_failing_tieout_alert(
    smtp: tuple[Mailbox, int], receiver: Receiver, database: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from stripe_netsuite.engine import monitor as monitor_module
    from stripe_netsuite.mapping import tieout

    box, port = smtp
    reports = [
        PayoutReport("po_ok", "usd", Decimal("100.00"), Decimal("100.00"), Decimal("0.00")),
        PayoutReport("po_short", "usd", Decimal("250.00"), Decimal("245.00"), Decimal("5.00"),
                     [("Suspense: unmapped fee", Decimal("-5.00"))]),
    ]  # fmt: skip

    async def reconcile(ctx: Any, **_: Any) -> list[PayoutReport]:
        return reports

    line = tieout.TieLine("usd", tieout.Line.RECEIVABLES, Decimal("30.00"), Decimal("20.00"))

    async def tie_out(ctx: Any, **_: Any) -> tieout.TieOut:
        return tieout.TieOut((line,))

    monkeypatch.setattr(monitor_module.reconcile, "reconcile", reconcile)
    monkeypatch.setattr(monitor_module.tieout, "tie_out", tie_out)
    monitor = Monitor(settings=Settings(), config=config(port, receiver.url), database=database)
    await monitor.check_payouts("main", ctx=None)  # type: ignore[arg-type]
    await monitor.check_payouts("main", ctx=None)  # type: ignore[arg-type]
    await monitor.check_tieout("main", ctx=None)  # type: ignore[arg-type]
    await monitor.check_tieout("main", ctx=None)  # type: ignore[arg-type]
    subjects = [m["Subject"] for m in box.messages]
    assert subjects == [
        "[stripe-netsuite main] payout po_short does not tie out",
        "[stripe-netsuite main] the ledger does not tie out",
    ]
    assert box.messages[0].get_payload().strip() == (
        "payout po_short: Stripe 250.00 USD, NetSuite 245.00, difference 5.00"
    )
    assert monitor.untied_payouts() == {"main": 1}
    assert monitor.differences() == {("main", "usd", "accounts receivable"): Decimal("10.00")}
