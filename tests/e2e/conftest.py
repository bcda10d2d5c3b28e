"""Whole stacks on loopback: the Stripe sandbox, the NetSuite sandbox and the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stripe_netsuite_sandbox import demo

StackFactory = Callable[..., demo.Stack]


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[StackFactory]:
    """Start stacks with the given options; every one is stopped after the test."""
    stacks: list[demo.Stack] = []

    def factory(**options: Any) -> demo.Stack:
        workdir = tmp_path / f"stack{len(stacks)}"
        workdir.mkdir()
        options.setdefault("events_poll_seconds", 0)
        stack = demo.start(workdir=workdir, **options)
        stacks.append(stack)
        return stack

    yield factory
    for stack in stacks:
        stack.stop()
