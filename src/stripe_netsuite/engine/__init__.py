"""The engine: intake of events into jobs, the worker that runs them, the scheduler."""

from __future__ import annotations
