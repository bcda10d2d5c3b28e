"""``stripe-netsuite-sandbox demo`` prints one console line, and serves the console while it
runs: the printed user and password log in, in a real Chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from browser_support import log_in

import stripe_netsuite_sandbox

TRIGGERS = Path(stripe_netsuite_sandbox.__file__).parent / "stripe" / "data" / "cli-triggers"
LINE = re.compile(r"console: http://127\.0\.0\.1:(\d+)/  user: (\S+)  password: (\S+)")


def test_the_demo_prints_one_console_line_whose_user_logs_in(page: Any, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "stripe-netsuite-sandbox"
    command = [str(script), "demo", "--scenario", str(TRIGGERS / "invoice.paid.json")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    seen: list[str] = []
    serving = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line.rstrip("\n"))
            if line.startswith("serving until Ctrl-C"):
                serving.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert serving.wait(timeout=300), "\n".join(seen)
        found = [m for line in seen if (m := LINE.fullmatch(line))]
        assert len(found) == 1, "\n".join(seen)
        assert sum("console:" in line for line in seen) == 1
        port, login, password = found[0].groups()
        base = f"http://127.0.0.1:{port}"
        log_in(page, base, login, password)
        assert page.url == base + "/"
        flows = page.locator("#flows").inner_text()
        # synced, pending, retrying, running, parked: everything of the invoice synced
        assert re.search(r"^invoice\tStripe → NetSuite\t[1-9]\d*\t0\t0\t0\t0\t", flows, re.M), flows
        page.goto(base + "/audit")  # the demo's user is an admin
        assert "login" in page.locator("#audit").inner_text()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
