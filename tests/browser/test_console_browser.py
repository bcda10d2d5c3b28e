"""The console in a real Chromium: a parked job the scenario provoked is found, its cause fixed
in NetSuite, retried from the console and watched until it syncs; roles, CSRF and lockout."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from browser_support import PASSWORD, Engine, log_in

from stripe_netsuite import exceptions
from stripe_netsuite.store import audit, links, queue, users
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.netsuite import chart, gl

StackFactory = Callable[..., demo.Stack]


def invoice(stack: demo.Stack, amount: int) -> str:
    client = stack.stripe_client()
    cus = client.v1.customers.create(params={"name": "Fix Co"}).id
    client.v1.invoice_items.create(params={"customer": cus, "amount": amount, "currency": "usd"})
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include"}
    )
    return client.v1.invoices.finalize_invoice(draft.id).id


def gl_lines(stack: demo.Stack, stripe_id: str) -> list[tuple[str, str, Decimal]]:
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=stripe_id, role="invoice")
    assert link is not None and link.record_type == "invoice"
    books = stack.netsuite.app.app.state.sandbox.account
    found = [(ln.account, ln.foreign_amount) for ln in gl.lines_of(books, link.internal_id)]
    return sorted((a, "debit" if amt > 0 else "credit", abs(amt)) for a, amt in found if amt)


def test_a_parked_invoice_is_found_fixed_retried_and_synced(
    make_stack: StackFactory, page: Any
) -> None:
    stack = make_stack(stripe_options={"start_time": demo.MONTH_START})
    store = stack.netsuite.app.app.state.sandbox.account.store
    # The NetSuite item the config names is missing: the invoice is refused and parked.
    item = store.get("serviceSaleItem", chart.SERVICE_ITEM)
    store.delete("serviceSaleItem", chart.SERVICE_ITEM)
    invoice_id = invoice(stack, 5000)
    demo.wait_until_synced(stack)
    parked = queue.list_jobs(stack.database, state="parked")
    # An event that comes after the first job was parked makes a second job: one or two.
    assert {j.object_id for j in parked} == {invoice_id}
    users.add_user(stack.database, "otto", "operator", PASSWORD)
    base = f"http://127.0.0.1:{stack.engine_port}"

    page.goto(base + "/")
    assert "/login" in page.url
    log_in(page, base, "otto")
    row = page.locator("#flows tr", has_text="invoice")
    assert row.locator("td").nth(6).inner_text() == str(len(parked))  # the parked column

    page.click("text=Errors")
    group = page.locator("section.group", has_text=invoice_id)
    assert "path=item.items[…].item" in group.locator("h2").inner_text()
    assert group.locator("tr.job").count() == len(parked)
    group.locator(f"a:has-text('{invoice_id}')").first.click()
    states = [page.locator(f"#state-{j.id}").inner_text() for j in parked]
    assert states == ["parked"] * len(parked)
    assert "No NetSuite record is linked yet." in page.locator("#records").inner_text()

    store.save("serviceSaleItem", item)  # the controller puts the item back in NetSuite
    page.go_back()
    page.locator("section.group", has_text=invoice_id).locator("text=Retry this group").click()
    assert "Nothing waits for a person." in page.content()
    page.goto(f"{base}/objects/{invoice_id}")
    # Watch it sync. Two parked jobs of one object merge when re-queued, unless the first
    # is already running: then the second finds the invoice synced and is skipped by rule.
    for _ in range(120):
        states = page.locator("span.state").all_inner_texts()
        if "done" in states and set(states) <= {"done", "skipped"}:
            break
        page.wait_for_timeout(250)
        page.reload()
    states = page.locator("span.state").all_inner_texts()
    assert "done" in states and set(states) <= {"done", "skipped"}, states
    assert "invoice" in page.locator("#records").inner_text()
    page.click("text=Preview the records this object would post now")
    shown = page.locator("#preview").inner_text()
    assert "invoice" in shown and "50.00" in shown, shown

    assert gl_lines(stack, invoice_id) == sorted([
        (chart.ACCOUNTS_RECEIVABLE, "debit", Decimal("50.00")),
        (item["incomeAccount"]["id"], "credit", Decimal("50.00")),
    ])  # fmt: skip
    retried = [e for e in audit.entries(stack.database) if e.action == "retry"]
    assert [e.login for e in retried] == ["otto"]
    assert retried[0].target == ", ".join(f"job {j.id}" for j in parked)


def parked_job(engine: Engine, object_id: str) -> queue.Job:
    queue.enqueue(engine.database, account="main", kind="invoice", object_id=object_id)
    (job,) = queue.claim(engine.database, worker_id="w", lease_seconds=60)
    queue.park(engine.database, job, "w", error=exceptions.NeedsAttention("item 20 is missing"))
    return job


def test_a_viewer_sees_the_job_but_cannot_retry_it(engine: Engine, page: Any) -> None:
    job = parked_job(engine, "in_viewer")
    log_in(page, engine.url, engine.user("vera", "viewer"))
    page.goto(engine.url + "/errors")
    assert "in_viewer" in page.locator("tr.job").inner_text()
    assert page.locator("button.retry").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(
        engine.url + "/errors/retry", form={"job_id": str(job.id), "csrf_token": token}
    )
    assert answer.status == 403 and "operator" in answer.text()
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PARKED


def test_a_form_post_without_or_with_a_wrong_csrf_token_is_refused(
    engine: Engine, page: Any
) -> None:
    job = parked_job(engine, "in_csrf")
    log_in(page, engine.url, engine.user("otto", "operator"))
    page.goto(engine.url + "/errors")
    for forged in ("", "wrong-token"):
        with page.expect_navigation():
            page.evaluate(
                """([jobId, token]) => {
                    const form = document.querySelector('tr.job form[action="/errors/retry"]');
                    form.querySelector('input[name=job_id]').value = jobId;
                    form.querySelector('input[name=csrf_token]').value = token;
                    form.submit();
                }""",
                [str(job.id), forged],
            )
        assert "forbidden: missing or wrong CSRF token" in page.content()
        page.goto(engine.url + "/errors")
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PARKED
    # The page's own form, with the session's token, goes through.
    page.click("button.retry")
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PENDING


def test_another_site_cannot_post_with_the_session(engine: Engine, page: Any) -> None:
    job = parked_job(engine, "in_cross")
    log_in(page, engine.url, engine.user("otto", "operator"))
    # A page on another site posts a form to the console, in the logged-in browser.
    form = (f'<form method="post" action="{engine.url}/errors/retry">'
            f'<input name="job_id" value="{job.id}"><button>go</button></form>')  # fmt: skip
    page.route(
        "http://other.example/", lambda route: route.fulfill(body=form, content_type="text/html")
    )
    page.goto("http://other.example/")
    with page.expect_navigation():
        page.click("button")
    # SameSite=Lax keeps the session cookie off another site's POST.
    assert "not logged in" in page.content()
    assert queue.list_jobs(engine.database)[0].state is queue.JobState.PARKED


def test_repeated_wrong_passwords_lock_the_user_out(engine: Engine, page: Any) -> None:
    login = engine.user("ada", "admin")
    for _ in range(users.FREE_FAILURES - 1):
        log_in(page, engine.url, login, "not the password")
        assert page.locator("[role=alert]").inner_text() == "Wrong username or password."
    log_in(page, engine.url, login, "not the password")
    assert "Too many failed logins" in page.locator("[role=alert]").inner_text()
    log_in(page, engine.url, login)  # the right password, while locked
    assert "Too many failed logins" in page.locator("[role=alert]").inner_text()
    assert "/login" in page.url
