"""The shipped SuiteScript, run under Node with stand-ins for N/ modules: the engine accepts
what it signs, and it stays quiet about the engine's own writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from stripe_netsuite.netsuite import push
from stripe_netsuite.netsuite.changes import Change

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "suitescript" / "sns_user_event.js"
HARNESS = Path(__file__).with_name("suitescript_harness.js")
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def run(record_type: str, context: str = "USERINTERFACE", role: str = "3") -> list[Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(HARNESS), str(SCRIPT), record_type, "1042", context, role, "1099"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    found: list[Any] = json.loads(done.stdout)
    return found


def test_a_users_save_is_pushed_signed_and_the_engine_accepts_it() -> None:
    posted = run("creditmemo")
    assert len(posted) == 1
    request = posted[0]
    assert request["url"] == "http://engine.test/webhooks/netsuite/main"
    body = request["body"].encode()
    header = request["headers"]["X-SNS-Signature"]
    found = push.verify(body, header, "push-secret", now=time.time())
    delivery = json.loads(body)["id"]
    assert found == [Change("creditMemo", "1042", f"push:{delivery}")]
    with pytest.raises(push.PushRejected):
        push.verify(body, header, "another-secret", now=time.time())


def test_the_engines_own_rest_writes_and_other_records_are_not_pushed() -> None:
    assert run("invoice", context="RESTWEBSERVICES", role="1099") == []
    # The same REST context under another role (another integration) is a user's change.
    assert len(run("invoice", context="RESTWEBSERVICES", role="3")) == 1
    assert run("salesorder") == []
