"""Over a real loopback port: TBA through the wire, dropped connections, restarts, the command."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from netsuite_helpers import BASE, RECORDS, TBA, error_code, get, make_customer, send
from stripe_netsuite_sandbox.netsuite import SandboxConfig, chart, command, create_app
from stripe_netsuite_sandbox.netsuite.governance import FAULT_KINDS
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = serve_in_thread(create_app(SandboxConfig()))
    yield running
    running.stop()


def test_tba_over_a_real_port(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, auth=TBA()) as client:
        created = client.put(
            RECORDS + "/customer/eid:wire_1",
            json={"companyName": "Wire Ltd", "subsidiary": {"id": "2"}},
        )
        assert created.status_code == 204, created.text
        assert created.headers["location"].startswith(f"{server.base_url}{RECORDS}/customer/")
        listed = client.get(RECORDS + "/customer", params={"q": 'externalId IS "wire_1"'})
        assert listed.json()["totalResults"] == 1
        record = client.get(RECORDS + "/customer/eid:wire_1").json()
        assert record["links"][0]["href"] == created.headers["location"]
    unsigned = httpx.get(server.base_url + RECORDS + "/customer")
    assert unsigned.status_code == 401
    assert error_code(unsigned) == "INVALID_LOGIN"


def _seed_whose_first_fault_is(kind: str) -> int:
    for seed in range(1000):
        rng = random.Random(seed)
        rng.random()
        if rng.choice(FAULT_KINDS) == kind:
            return seed
    raise AssertionError(kind)


def test_dropped_connection_reaches_the_client_as_a_transport_error() -> None:
    config = SandboxConfig(
        auth_required=False, fault_rate=1.0, seed=_seed_whose_first_fault_is("drop")
    )
    running = serve_in_thread(create_app(config))
    try:
        with pytest.raises(httpx.TransportError):
            httpx.get(running.base_url + RECORDS + "/currency/1", timeout=5)
        stats = httpx.get(running.base_url + "/__sandbox/stats").json()
        assert stats["faults_by_kind"] == {"drop": 1}
    finally:
        running.stop()


def test_a_hang_ends_when_the_client_gives_up() -> None:
    config = SandboxConfig(
        auth_required=False,
        fault_rate=1.0,
        seed=_seed_whose_first_fault_is("hang"),
        hang_seconds=60,
    )
    running = serve_in_thread(create_app(config))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(running.base_url + RECORDS + "/currency/1", timeout=0.3)
    assert httpx.get(running.base_url + "/__sandbox/stats").json()["faults_by_kind"] == {"hang": 1}
    # The server can stop at once: nothing is left hanging for the full minute.
    running.stop()
    assert not running.thread.is_alive()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "netsuite.db")

    def client_for() -> tuple[object, httpx.AsyncClient]:
        app = create_app(SandboxConfig(auth_required=False, db_path=db))
        return app, httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE)

    first_app, client = client_for()
    async with client:
        customer = await make_customer(client, "cus_keep")
        invoice = {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": "20"}, "quantity": 1, "rate": Decimal("19.99")}]},
        }
        await send(client, "PUT", RECORDS + "/invoice/eid:in_keep", invoice)
        invoice_id = (await get(client, "/invoice/eid:in_keep"))["id"]
        payment = {
            "customer": {"id": customer},
            "payment": Decimal("10.01"),
            "apply": {"items": [{"doc": {"id": invoice_id}, "amount": Decimal("10.01")}]},
        }
        assert (await send(client, "POST", RECORDS + "/customerPayment", payment)).status_code == (
            204
        )
    first_app.sandbox.account.store.close()  # type: ignore[attr-defined]
    with sqlite3.connect(db) as conn:  # as if the file came from an older chart
        conn.execute("DELETE FROM record WHERE type = 'account' AND id = ?", (chart.SUSPENSE,))
    conn.close()

    _, client = client_for()
    async with client:
        kept = await get(client, "/invoice/eid:in_keep")
        assert kept["total"] == 19.99
        assert kept["amountRemaining"] == 9.98
        assert (await get(client, "/customer/eid:cus_keep"))["companyName"] == "Acme"
        # The ledger is rebuilt: over-applying the rest is still refused.
        payment["payment"] = Decimal("10.01")
        again = await send(client, "POST", RECORDS + "/customerPayment", payment)
        assert again.status_code == 400
        # Ids keep counting where they stopped.
        newer = await make_customer(client, "cus_new")
        assert int(newer) > int(invoice_id)
        # The chart is not seeded twice.
        currencies = (await client.get(RECORDS + "/currency")).json()
        assert currencies["totalResults"] == 10
        assert (await get(client, f"/account/{chart.SUSPENSE}"))["acctName"] == "Stripe Suspense"


def test_command_help_and_banner(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--port",
        "--certificate",
        "--concurrency",
        "--latency-ms",
        "--fault-rate",
        "--db",
    ):
        assert flag in out
    banner = command.banner(SandboxConfig(), "http://127.0.0.1:9")
    assert "sandbox-consumer-key" in banner
    assert "1234567_SB1" in banner
    with pytest.raises(SystemExit, match="--certificate"):
        command.main(["--certificate", "/nonexistent.pem"])
    with pytest.raises(SystemExit, match="--fault-rate"):
        command.main(["--fault-rate", "2"])


def _wait_for(url: str) -> httpx.Response:
    for _ in range(400):
        try:
            return httpx.get(url)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answered at {url}")


def test_command_serves_and_prints_its_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stripe_netsuite_sandbox.netsuite.command", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("NetSuite sandbox listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[-1].strip()
        assert _wait_for(url + "/__sandbox/stats").json()["requests"] == 0
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
