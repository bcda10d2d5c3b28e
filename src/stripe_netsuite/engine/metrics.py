"""Prometheus metrics: what ``/metrics`` serves.

Counters of what happens in this process (webhook outcomes, NetSuite requests, their
latency and 429s, Stripe requests) live in `REGISTRY`; what the database and the running engine know
(jobs by kind and state, the queue's lag, governor slots in use, loop liveness, the last
tie-out's differences) is read when scraped, by `EngineCollector`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stripe_netsuite.netsuite import client
from stripe_netsuite.store import lineage, queue
from stripe_netsuite.stripe_api import client as stripe_client

REGISTRY = CollectorRegistry(auto_describe=True)
WEBHOOKS = Counter(
    "sns_webhooks", "Stripe webhook deliveries by outcome.", ["outcome"], registry=REGISTRY
)
NETSUITE_REQUESTS = Counter(
    "sns_netsuite_requests",
    "Requests sent to NetSuite by HTTP method and status (0: no answer).",
    ["method", "status"],
    registry=REGISTRY,
)
NETSUITE_THROTTLED = Counter(
    "sns_netsuite_throttled", "NetSuite 429 answers by HTTP method.", ["method"], registry=REGISTRY
)
NETSUITE_SECONDS = Histogram(
    "sns_netsuite_request_seconds",
    "Seconds a NetSuite request was on the wire, by HTTP method.",
    ["method"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


STRIPE_REQUESTS = Counter(
    "sns_stripe_requests",
    "Requests the engine sent to Stripe by HTTP method and status (0: no answer).",
    ["method", "status"],
    registry=REGISTRY,
)


def observe_stripe(method: str, status: int) -> None:
    """`stripe_api.client.OBSERVERS` hook: count one Stripe exchange."""
    STRIPE_REQUESTS.labels(method.upper(), str(status)).inc()


def observe_netsuite(method: str, status: int, seconds: float) -> None:
    """`client.OBSERVERS` hook: count one NetSuite exchange."""
    NETSUITE_REQUESTS.labels(method, str(status)).inc()
    NETSUITE_SECONDS.labels(method).observe(seconds)
    if status == 429:
        NETSUITE_THROTTLED.labels(method).inc()


def install() -> None:
    """Start counting NetSuite and Stripe exchanges (once per process)."""
    if observe_netsuite not in client.OBSERVERS:
        client.OBSERVERS.append(observe_netsuite)
    if observe_stripe not in stripe_client.OBSERVERS:
        stripe_client.OBSERVERS.append(observe_stripe)


def throttled_total() -> int:
    """NetSuite 429s counted by this process so far."""
    return int(
        sum(
            s.value
            for m in NETSUITE_THROTTLED.collect()
            for s in m.samples
            if s.name.endswith("_total")
        )
    )


class EngineCollector(Collector):
    """Gauges read at scrape time from the store and the running engine.

    *governors* gives each account's governor (``in_flight``, ``limit``), *heartbeats*
    the loops, *differences* the last tie-out's differences by (account, currency, line).
    """

    def __init__(
        self,
        database: sa.Engine,
        *,
        governors: Callable[[], Mapping[str, Any]],
        heartbeats: Callable[[], Mapping[str, Any]],
        differences: Callable[[], Mapping[tuple[str, str, str], Any]],
        unmatched_payouts: Callable[[], Mapping[str, int]],
    ) -> None:
        self.database = database
        self.governors = governors
        self.heartbeats = heartbeats
        self.differences = differences
        self.unmatched_payouts = unmatched_payouts

    def collect(self) -> Iterator[Metric]:
        found = GaugeMetricFamily("sns_jobs", "Jobs by kind and state.", labels=["kind", "state"])
        for (kind, state), count in sorted(queue.counts(self.database).items()):
            found.add_metric([kind, state], count)
        yield found
        yield GaugeMetricFamily(
            "sns_queue_lag_seconds",
            "Seconds the oldest pending job has waited.",
            value=lineage.lag_seconds(self.database),
        )
        slots = GaugeMetricFamily(
            "sns_netsuite_slots_in_use", "Governor slots held by this process.", labels=["account"]
        )
        limit = GaugeMetricFamily(
            "sns_netsuite_slots_limit", "Governor slots allowed right now.", labels=["account"]
        )
        for account, governor in sorted(self.governors().items()):
            slots.add_metric([account], governor.in_flight)
            limit.add_metric([account], float(getattr(governor, "allowed", 0)))
        yield slots
        yield limit
        up = GaugeMetricFamily("sns_loop_up", "1 while the loop is healthy.", labels=["loop"])
        for name, beat in sorted(self.heartbeats().items()):
            up.add_metric([name], 0 if beat.problem() else 1)
        yield up
        diff = GaugeMetricFamily(
            "sns_tieout_difference",
            "Stripe minus NetSuite per tie-out line, at the last tie-out.",
            labels=["account", "currency", "line"],
        )
        for (account, currency, line), amount in sorted(self.differences().items()):
            diff.add_metric([account, currency, line], float(amount))
        yield diff
        untied = GaugeMetricFamily(
            "sns_payouts_not_tied_out",
            "Payouts whose deposit differs or is missing, at the last check.",
            labels=["account"],
        )
        for account, count in sorted(self.unmatched_payouts().items()):
            untied.add_metric([account], count)
        yield untied


def render(collector: EngineCollector) -> bytes:
    """The text exposition of this process's counters and the collector's gauges."""
    own = CollectorRegistry(auto_describe=False)
    own.register(collector)
    return generate_latest(REGISTRY) + generate_latest(own)
