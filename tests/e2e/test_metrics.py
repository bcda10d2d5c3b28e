"""``/metrics`` over a real stack: NetSuite and Stripe requests by method, webhook outcomes, jobs
by kind and state, governor slots, and each web answer's request id."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from stripe_netsuite_sandbox import demo

StackFactory = Callable[..., demo.Stack]


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match.group(1) == name:
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
    raise AssertionError(f"no sample {name}{{{wanted}}}")


def test_metrics_count_the_sync_of_a_customer(make_stack: StackFactory) -> None:
    stack = make_stack()
    base = f"http://127.0.0.1:{stack.engine_port}"
    before = httpx.get(base + "/metrics").text
    puts_before = _maybe(before, "sns_netsuite_requests_total", method="PUT", status="204")
    gets_before = _maybe(before, "sns_stripe_requests_total", method="GET", status="200")
    posts_before = _maybe(before, "sns_stripe_requests_total", method="POST", status="200")
    client = stack.stripe_client()
    client.v1.customers.create(params={"name": "Metered Co"})
    demo.wait_until_synced(stack)
    answer = httpx.get(base + "/metrics", headers={"X-Request-ID": "scrape-1"})
    text = answer.text
    assert answer.headers["x-request-id"] == "scrape-1"
    assert sample(text, "sns_jobs", kind="customer", state="done") == 1
    assert sample(text, "sns_webhooks_total", outcome="queued") >= 1
    puts = sample(text, "sns_netsuite_requests_total", method="PUT", status="204")
    assert puts >= puts_before + 1
    assert sample(text, "sns_netsuite_request_seconds_count", method="PUT") >= puts
    # The customer's fetch, and the write-back of its NetSuite id into its metadata.
    assert sample(text, "sns_stripe_requests_total", method="GET", status="200") >= gets_before + 1
    posts = sample(text, "sns_stripe_requests_total", method="POST", status="200")
    assert posts == posts_before + 1
    assert sample(text, "sns_netsuite_slots_in_use", account="main") == 0
    assert sample(text, "sns_loop_up", loop="worker") == 1
    assert sample(text, "sns_queue_lag_seconds") == 0


def _maybe(text: str, name: str, **labels: str) -> float:
    try:
        return sample(text, name, **labels)
    except AssertionError:
        return 0.0
