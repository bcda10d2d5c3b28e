"""State survives a restart with a database file; the command prints how to connect."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import stripe

from stripe_helpers import KEY, serve
from stripe_netsuite_sandbox.stripe import command


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "stripe.db")
    first = serve(db_path=db)
    served = next(first)
    cus = served.client.v1.customers.create(params={"email": "keep@x.io"})
    pi = served.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    served.advance(86400)
    clock = served.sandbox.wall()
    first.close()
    second = serve(db_path=db)
    again = next(second)
    try:
        assert again.client.v1.customers.retrieve(cus.id).email == "keep@x.io"
        assert again.client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
        assert again.sandbox.wall() == clock
        other = again.client.v1.customers.create(params={"email": "new@x.io"})
        assert other.id != cus.id
    finally:
        second.close()


def test_help_lists_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        command.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--port",
        "--host",
        "--api-key",
        "--webhook",
        "--db",
        "--duplicate-rate",
        "--shuffle",
        "--drop-rate",
        "--seed",
    ):
        assert flag in out


def test_bad_rate_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        command.main(["--drop-rate", "2"])
    assert info.value.code == 2
    assert "must be between 0 and 1" in capsys.readouterr().err


def test_command_serves_and_prints_connection_details() -> None:
    code = (
        "from stripe_netsuite_sandbox.stripe import command; "
        "command.main(['--port', '0', '--webhook', 'http://127.0.0.1:9/h', '--seed', '5'])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("Stripe sandbox: http://127.0.0.1:")
        assert lines[1].strip() == f"API key: {KEY}"
        assert "http://127.0.0.1:9/h secret: whsec_" in lines[2]
        base = lines[0].split(": ", 1)[1].strip()
        client = stripe.StripeClient(KEY, base_addresses={"api": base}, max_network_retries=2)
        assert client.v1.balance.retrieve().object == "balance"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode is not None
