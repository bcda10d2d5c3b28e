"""Backoff with jitter, shared by the job queue and the NetSuite client, and the retry policy."""

from __future__ import annotations

import random

import pytest

from stripe_netsuite.retry import RetryPolicy, backoff, equal_jitter


def exact(delay: float) -> float:
    return delay


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "expected"),
    [
        (0, 2.0, 600.0, 2.0),
        (1, 2.0, 600.0, 2.0),
        (2, 2.0, 600.0, 4.0),
        (3, 2.0, 600.0, 8.0),
        (9, 2.0, 600.0, 512.0),
        (10, 2.0, 600.0, 600.0),
        (10_000, 2.0, 600.0, 600.0),
        (1, 0.5, 30.0, 0.5),
        (3, 0.5, 30.0, 2.0),
        (7, 0.5, 30.0, 30.0),
    ],
)
def test_delays_double_then_stop_at_the_cap(
    attempt: int, base: float, cap: float, expected: float
) -> None:
    assert backoff(attempt, base=base, cap=cap, jitter=exact) == expected


def test_jitter_sees_the_capped_delay() -> None:
    seen: list[float] = []

    def jitter(delay: float) -> float:
        seen.append(delay)
        return delay / 4

    assert backoff(4, base=1.0, cap=5.0, jitter=jitter) == 1.25
    assert seen == [5.0]


@pytest.mark.parametrize("delay", [0.0, 0.5, 2.0, 600.0])
def test_equal_jitter_stays_between_half_and_all(delay: float) -> None:
    random.seed(7)
    spread = [equal_jitter(delay) for _ in range(500)]
    assert all(delay / 2 <= d <= delay for d in spread)


def test_the_default_jitter_spreads_the_delay() -> None:
    random.seed(7)
    delays = {backoff(5, base=2.0, cap=600.0) for _ in range(50)}
    assert all(16.0 <= d <= 32.0 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (1, 7.0, 7.0),  # the server asks for longer than the backoff: it wins
        (1, 0.0, 2.0),  # a hint shorter than the backoff does not hurry the retry
        (3, 8.0, 8.0),
        (12, 3600.0, 3600.0),  # a hint is not capped: the server knows when it is ready
        (2, None, 4.0),
    ],
)
def test_a_server_hint_wins_when_it_asks_for_longer(
    attempt: int, retry_after: float | None, expected: float
) -> None:
    delay = backoff(attempt, base=2.0, cap=600.0, retry_after=retry_after, jitter=exact)
    assert delay == expected


def test_negative_attempts_are_refused() -> None:
    with pytest.raises(ValueError, match="attempt must be >= 0"):
        backoff(-1, base=1.0, cap=2.0)


def test_the_policy_defaults_and_delays() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_seconds, policy.cap_seconds) == (8, 2.0, 600.0)
    assert policy.unexpected_attempts == 3
    assert [policy.delay(n, jitter=exact) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert policy.delay(1, retry_after=30.0, jitter=exact) == 30.0


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"max_attempts": 0}, "max_attempts must be positive"),
        ({"unexpected_attempts": -1}, "unexpected_attempts must be positive"),
        ({"base_seconds": 0.0}, "base_seconds must be positive"),
        ({"base_seconds": 10.0, "cap_seconds": 5.0}, r"cap_seconds \(5.0\) must be at least"),
    ],
)
def test_a_policy_that_cannot_work_is_refused(changes: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RetryPolicy(**changes)  # type: ignore[arg-type]


def test_the_policy_is_a_frozen_value() -> None:
    policy = RetryPolicy(max_attempts=2)
    assert policy == RetryPolicy(max_attempts=2)
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]
