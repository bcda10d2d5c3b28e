"""What the webhook route refuses over real HTTP, and that a refusal stores and tells nothing.

The engine's app runs under uvicorn on loopback. Some deliveries are written on a raw
socket, so a test can send the headers and hold the body back: a route that tried to
read it would wait, and the test would time out instead of getting its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite.settings import DEFAULT_WEBHOOK_MAX_BYTES, Settings, parse_config
from stripe_netsuite.store import db, inbox, queue
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread

SECRET = "whsec_refusals"
MIB = 1024 * 1024
CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_1",
            "stripe_webhook_secret": SECRET,
            "netsuite": {"account_id": "1234567_SB1"},
        },
        "quiet": {
            "stripe_account_id": "acct_2",
            "stripe_api_key": "sk_test_2",
            "netsuite": {"account_id": "1234567_SB1"},
        },
    }
}


def event(
    event_id: str = "evt_1",
    *,
    kind: str = "customer.created",
    obj: str = "cus_1",
    object_type: str = "customer",
    padding: int = 0,
) -> bytes:
    body: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {"id": obj, "object": object_type}},
    }
    if padding:
        body["data"]["object"]["description"] = "x" * padding
    return json.dumps(body).encode()


def signature(payload: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """Signed over the raw bytes, so a body that is not UTF-8 can be signed too."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def signed(payload: bytes, **options: Any) -> dict[str, str]:
    return {"Stripe-Signature": signature(payload, **options), "Content-Type": "application/json"}


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    database = db.make_database(database_url)
    db.migrate(database)
    yield database
    database.dispose()


def serve(database: sa.Engine, **options: Any) -> RunningServer:
    return serve_in_thread(create_app(config=parse_config(CONFIG), database=database, **options))


@pytest.fixture
def engine(database: sa.Engine) -> Iterator[RunningServer]:
    server = serve(database)
    yield server
    server.stop()


@pytest.fixture
def http(engine: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=engine.base_url, timeout=10) as client:
        yield client


def stored(database: sa.Engine) -> tuple[int, int]:
    return sum(inbox.counts(database).values()), sum(queue.counts(database).values())


def raw_post(
    server: RunningServer, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, Any]]:
    """POST on a bare socket and read the answer; a server that waits for more times out."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, "the server closed the connection without answering"
            answer += chunk
        header_block, _, rest = answer.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = dict(line.split(": ", 1) for line in lines[1:])
        length = int(fields.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk, "the answer was cut short"
            rest += chunk
    return status, json.loads(rest[:length])


def test_a_delivery_without_signature_is_refused_before_its_body_is_read(
    engine: RunningServer, database: sa.Engine
) -> None:
    # Headers announce a body that never comes: only an answer given without reading it
    # arrives before the socket times out.
    headers = {"Content-Type": "application/json", "Content-Length": "100000"}
    status, body = raw_post(engine, "/webhooks/stripe/main", headers)
    assert status == 400
    assert body == {"error": "missing Stripe-Signature header"}
    assert stored(database) == (0, 0)


def test_a_declared_length_over_the_cap_is_413_before_the_body_is_read(
    engine: RunningServer, database: sa.Engine
) -> None:
    headers = {
        "Stripe-Signature": signature(b"{}"),
        "Content-Type": "application/json",
        "Content-Length": str(DEFAULT_WEBHOOK_MAX_BYTES + 1),
    }
    status, body = raw_post(engine, "/webhooks/stripe/main", headers)
    assert status == 413
    assert "1048576 bytes" in body["error"]
    assert stored(database) == (0, 0)


def test_a_chunked_body_is_counted_and_cut_at_the_cap(
    engine: RunningServer, database: sa.Engine
) -> None:
    # No Content-Length: the body streams in chunks, and the terminating chunk is never
    # sent. The answer can only come from a route that counts while it reads.
    payload = event(padding=DEFAULT_WEBHOOK_MAX_BYTES)
    headers = {"Stripe-Signature": signature(payload), "Transfer-Encoding": "chunked"}
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part)
        for part in (payload[i : i + 65536] for i in range(0, DEFAULT_WEBHOOK_MAX_BYTES + 1, 65536))
    )
    status, body = raw_post(engine, "/webhooks/stripe/main", headers, chunks)
    assert status == 413
    assert "1048576 bytes" in body["error"]
    assert stored(database) == (0, 0)


def test_a_body_of_exactly_the_cap_is_accepted(http: httpx.Client, database: sa.Engine) -> None:
    bare = len(event(padding=1)) - 1
    payload = event(padding=DEFAULT_WEBHOOK_MAX_BYTES - bare)
    assert len(payload) == DEFAULT_WEBHOOK_MAX_BYTES
    response = http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 200, response.text
    assert stored(database) == (1, 1)


def test_the_cap_comes_from_sns_webhook_max_bytes(database: sa.Engine) -> None:
    settings = Settings.from_environ({"SNS_WEBHOOK_MAX_BYTES": "2048"})
    assert settings.webhook_max_bytes == 2048
    assert Settings.from_environ({}).webhook_max_bytes == MIB
    server = serve(database, webhook_max_bytes=settings.webhook_max_bytes)
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            small, large = event(), event("evt_2", padding=2048)
            answers = [
                http.post("/webhooks/stripe/main", content=p, headers=signed(p))
                for p in (small, large)
            ]
    finally:
        server.stop()
    assert [a.status_code for a in answers] == [200, 413]
    assert stored(database) == (1, 1)


def test_a_body_that_is_not_utf8_is_400(http: httpx.Client, database: sa.Engine) -> None:
    payload = event().replace(b"cus_1", b"cus_\xff\xfe")
    response = http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 400
    assert response.json() == {"error": "body is not UTF-8"}
    assert stored(database) == (0, 0)


def test_a_timestamp_from_the_future_beyond_the_tolerance_is_400(
    http: httpx.Client, database: sa.Engine
) -> None:
    payload = event()
    ahead = signed(payload, timestamp=int(time.time()) + 600)
    response = http.post("/webhooks/stripe/main", content=payload, headers=ahead)
    assert response.status_code == 400
    assert response.json() == {"error": "timestamp outside the tolerance zone"}
    assert stored(database) == (0, 0)
    # Clock skew within the tolerance is not a reason to refuse.
    skewed = signed(payload, timestamp=int(time.time()) + 60)
    assert http.post("/webhooks/stripe/main", content=payload, headers=skewed).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "what"),
    [
        ({"event_id": "evt_" + "x" * 252}, "event id"),
        ({"obj": "cus_" + "x" * 252}, "object id"),
        ({"kind": "customer." + "x" * 247}, "event type"),
        ({"object_type": "y" * 256}, "object type"),
    ],
)
def test_ids_longer_than_the_inbox_columns_are_400(
    http: httpx.Client, database: sa.Engine, overrides: dict[str, str], what: str
) -> None:
    payload = event(**overrides)
    response = http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 400
    assert response.json() == {"error": f"{what} is longer than 255 characters"}
    assert stored(database) == (0, 0)


def test_the_longest_ids_the_inbox_keeps_are_accepted(
    http: httpx.Client, database: sa.Engine
) -> None:
    payload = event("evt_" + "x" * 251, obj="cus_" + "x" * 251)
    response = http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 200, response.text
    assert stored(database) == (1, 1)


@pytest.mark.parametrize(
    "header",
    ["t=1,v1=deadbeef", "garbage", signature(event(), secret="whsec_someone_else")],
    ids=["bad-signature", "malformed", "wrong-secret"],
)
def test_unknown_accounts_answer_like_a_known_one_with_a_bad_signature(
    http: httpx.Client, database: sa.Engine, header: str
) -> None:
    payload = event()
    headers = {"Stripe-Signature": header, "Content-Type": "application/json"}
    known = http.post("/webhooks/stripe/main", content=payload, headers=headers)
    assert known.status_code == 400
    for account in ("nobody", "quiet"):
        answer = http.post(f"/webhooks/stripe/{account}", content=payload, headers=headers)
        assert (answer.status_code, answer.json()) == (known.status_code, known.json())
    assert stored(database) == (0, 0)


def test_a_delivery_signed_for_one_account_is_refused_elsewhere_like_a_bad_signature(
    http: httpx.Client, database: sa.Engine
) -> None:
    payload = event()
    wrong = http.post(
        "/webhooks/stripe/main", content=payload, headers=signed(payload, secret="whsec_x")
    )
    for account in ("nobody", "quiet"):
        answer = http.post(f"/webhooks/stripe/{account}", content=payload, headers=signed(payload))
        assert (answer.status_code, answer.json()) == (400, wrong.json())
    assert wrong.json()["error"].startswith("signature does not match")
    assert stored(database) == (0, 0)


def test_the_sdk_signature_helper_agrees_with_the_tests_own() -> None:
    payload = event()
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), SECRET, 1_700)
    assert header == signature(payload, timestamp=1_700)
