"""The console over loopback HTTP: login, CSRF, roles, lockout, the job actions and the audit
log, the settings page's redaction, security headers and ``/metrics``."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import audit, db, queue, users
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread

PASSWORD = "a long enough password"
CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_very_secret_key",
            "stripe_webhook_secret": "whsec_console",
            "netsuite": {"account_id": "1234567_SB1", "token_secret": "ns-token-secret"},
            "alerts": {"webhook_url": "https://hooks.example/T000/B000/secret-path"},
        }
    }
}


class Engine:
    def __init__(self, server: RunningServer, database: sa.Engine) -> None:
        self.server = server
        self.database = database

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=30)

    @contextlib.contextmanager
    def login(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        with self.client() as client:
            answer = log_in(client, name, password)
            assert answer.status_code == 303, answer.text
            yield client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    settings = Settings(database_url=url, metrics_token="metrics-bearer-token")
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin")):
        users.add_user(database, name, role, PASSWORD)
    app = create_app(config=parse_config(CONFIG), database=database, settings=settings)
    server = serve_in_thread(app)
    try:
        yield Engine(server, database)
    finally:
        server.stop()
        database.dispose()


def parked_job(database: sa.Engine, object_id: str, message: str) -> queue.Job:
    queue.enqueue(database, account="main", kind="invoice", object_id=object_id)
    (job,) = queue.claim(database, worker_id="w", lease_seconds=60)
    assert queue.park(database, job, "w", error=exceptions.NeedsAttention(message))
    found = [j for j in queue.list_jobs(database) if j.id == job.id]
    return found[0]


def test_every_page_but_login_needs_a_session(engine: Engine) -> None:
    with engine.client() as client:
        for path in ("/", "/errors", "/payouts", "/payouts.csv", "/objects/in_1", "/audit"):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next=")
        assert client.post("/errors/retry", data={"all": "1"}).status_code == 401
        assert client.get("/healthz").json() == {"status": "ok"}


def test_the_session_cookie_is_httponly_and_samesite(engine: Engine) -> None:
    with engine.client() as client:
        answer = log_in(client, "vera", PASSWORD)
    cookie = answer.headers["set-cookie"].lower()
    assert "sns_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; over HTTPS it is Secure


def test_login_without_or_with_a_wrong_csrf_token_is_refused(engine: Engine) -> None:
    with engine.client() as client:
        client.get("/login")
        bare = client.post("/login", data={"username": "ada", "password": PASSWORD})
        wrong = client.post(
            "/login", data={"username": "ada", "password": PASSWORD, "csrf_token": "forged"}
        )
    assert bare.status_code == wrong.status_code == 403
    assert "sns_session" not in bare.headers.get("set-cookie", "")
    assert "CSRF" in wrong.text


def test_an_action_without_or_with_a_wrong_csrf_token_does_nothing(engine: Engine) -> None:
    job = parked_job(engine.database, "in_csrf", "item 20 is missing")
    with engine.login("otto") as client:
        for data in ({"job_id": str(job.id)}, {"job_id": str(job.id), "csrf_token": "x" * 43}):
            answer = client.post("/errors/retry", data=data)
            assert answer.status_code == 403 and "CSRF" in answer.text
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PARKED


def test_a_viewer_sees_errors_but_cannot_retry_them(engine: Engine) -> None:
    job = parked_job(engine.database, "in_view", "item 20 is missing")
    with engine.login("vera") as client:
        page = client.get("/errors")
        assert "in_view" in page.text and 'class="retry"' not in page.text
        answer = client.post(
            "/errors/retry", data={"job_id": str(job.id), "csrf_token": csrf_of(page.text)}
        )
        assert answer.status_code == 403 and "operator" in answer.text
        assert client.get("/audit").status_code == 403
        assert client.get("/settings").status_code == 403
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PARKED


def test_an_operator_retries_one_job_a_group_or_all_and_each_is_audited(engine: Engine) -> None:
    one = parked_job(engine.database, "in_a", "item 20 is missing")
    parked_job(engine.database, "in_b", "item 21 is missing")
    other = parked_job(engine.database, "in_c", "subsidiary is closed")
    with engine.login("otto") as client:
        page = client.get("/errors")
        token = csrf_of(page.text)
        groups = re.findall(r'name="group" value="([^"]+)"', page.text)
        assert groups == [
            "NeedsAttention: item … is missing",
            "NeedsAttention: subsidiary is closed",
        ]
        client.post("/errors/retry", data={"job_id": str(one.id), "csrf_token": token})
        states = {j.object_id: j.state for j in queue.list_jobs(engine.database)}
        assert states == {"in_a": "pending", "in_b": "parked", "in_c": "parked"}
        client.post("/errors/retry", data={"group": groups[0], "csrf_token": token})
        # in_a is pending and has failed before: the group retry makes it due now, in_b requeues.
        states = {j.object_id: j.state for j in queue.list_jobs(engine.database)}
        assert states == {"in_a": "pending", "in_b": "pending", "in_c": "parked"}
        client.post("/errors/retry", data={"all": "1", "csrf_token": token})
    assert all(j.state == "pending" for j in queue.list_jobs(engine.database))
    entries = audit.entries(engine.database)
    retries = [e for e in entries if e.action == "retry"]
    assert [e.login for e in retries] == ["otto"] * 3
    assert retries[-1].target == f"job {one.id}" and retries[-1].detail == "1 job re-queued"
    # All: the one still parked (in_c) re-queued, the two retrying ones made due now.
    assert (retries[0].target, retries[0].detail) == ("all", "3 jobs re-queued")
    assert other.state is queue.JobState.PARKED
    assert [e.action for e in entries][-1] == "login"


def test_resolve_with_a_note_hides_the_job_until_it_fails_again(engine: Engine) -> None:
    job = parked_job(engine.database, "in_note", "item 20 is missing")
    with engine.login("otto") as client:
        token = csrf_of(client.get("/errors").text)
        ids = {"job_id": str(job.id), "csrf_token": token}
        client.post("/errors/triage", data={**ids, "assignee": "ada", "action": "assign"})
        client.post("/errors/triage", data={**ids, "action": "resolve", "note": "posted by hand"})
        assert "in_note" not in client.get("/errors").text
        everything = client.get("/errors?show=all").text
        assert "in_note" in everything and "posted by hand" in everything and "ada" in everything
        # It fails again: it is back on the list.
        queue.requeue(engine.database, job_id=job.id)
        (again,) = queue.claim(engine.database, worker_id="w", lease_seconds=60)
        queue.park(engine.database, again, "w", error=exceptions.NeedsAttention("still missing"))
        assert "in_note" in client.get("/errors").text
    triage = audit.triage_of(engine.database, [job.id])[job.id]
    assert (triage.status, triage.assignee, triage.note) == ("resolved", "ada", "posted by hand")


def test_repeated_wrong_passwords_lock_the_login_out(engine: Engine) -> None:
    with engine.client() as client:
        codes = [log_in(client, "otto", "wrong password " * 2).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 401, 429]
        locked = log_in(client, "otto", PASSWORD)
        assert locked.status_code == 429 and "Too many failed logins" in locked.text
    refused = [e for e in audit.entries(engine.database) if e.action == "login refused"]
    assert [e.detail for e in refused][:2] == ["locked out", "locked out"]


def test_the_settings_page_redacts_every_secret(engine: Engine) -> None:
    with engine.login("ada") as client:
        page = client.get("/settings").text
    for secret in ("sk_test_very_secret_key", "whsec_console", "ns-token-secret",
                   "secret-path", "metrics-bearer-token"):  # fmt: skip
        assert secret not in page
    assert "**********" in page and "1234567_SB1" in page


def test_pages_refuse_framing_and_outside_scripts(engine: Engine) -> None:
    with engine.login("vera") as client:
        answer = client.get("/")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-request-id"]


def test_login_does_not_redirect_off_site(engine: Engine) -> None:
    with engine.client() as client:
        token = csrf_of(client.get("/login?next=//evil.example/").text)
        form = {"username": "vera", "password": PASSWORD, "csrf_token": token}
        answer = client.post("/login", data={**form, "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_metrics_ask_for_the_bearer_token_and_count_jobs(engine: Engine) -> None:
    parked_job(engine.database, "in_m", "item 20 is missing")
    with engine.client() as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        text = client.get("/metrics", headers={"Authorization": "Bearer metrics-bearer-token"}).text
    assert 'sns_jobs{kind="invoice",state="parked"} 1.0' in text
    assert "sns_queue_lag_seconds 0.0" in text
    assert "# TYPE sns_netsuite_requests_total counter" in text


async def test_cookies_are_secure_over_https(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    users.add_user(database, "ada", "admin", PASSWORD)
    app = create_app(config=parse_config(CONFIG), database=database, settings=Settings())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://engine") as client:
            form = await client.get("/login")
            assert "secure" in form.headers["set-cookie"].lower()
            fields = {"username": "ada", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
            answer = await client.post("/login", data=fields)
    finally:
        database.dispose()
    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 303 and "sns_session=" in cookie and "; secure" in cookie


def test_a_skipped_job_is_retried_from_its_object_page(engine: Engine) -> None:
    queue.enqueue(engine.database, account="main", kind="invoice", object_id="in_skip")
    (job,) = queue.claim(engine.database, worker_id="w", lease_seconds=60)
    queue.skip(engine.database, job, "w", rule="zero_amount")
    with engine.login("otto") as client:
        page = client.get("/objects/in_skip").text
        assert 'class="retry"' in page and "skipped" in page
        client.post("/errors/retry", data={"job_id": str(job.id), "csrf_token": csrf_of(page)})
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PENDING
