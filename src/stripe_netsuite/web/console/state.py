"""What the console's pages read: the settings, the config, the store and the running engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.engine import health
from stripe_netsuite.engine.monitor import Monitor
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.settings import Config, Settings


@dataclass
class ConsoleState:
    """The console's view of one engine process.

    *contexts* and *heartbeats* are read through callables because the worker's lifespan
    fills them in after the app is built; without a worker beside the app, the pages that
    need Stripe or NetSuite (preview, payouts, tie-out) say so.
    """

    settings: Settings
    config: Config
    database: sa.Engine
    contexts: Callable[[], Mapping[str, FlowContext]] = dict
    heartbeats: Callable[[], Mapping[str, health.Heartbeat]] = dict
    wake: Callable[[], None] = lambda: None
    monitor: Monitor | None = None
    #: Extra per-account facts for links (the Stripe key's mode), filled in by `install`.
    extra: dict[str, Any] = field(default_factory=dict)

    def governors(self) -> dict[str, Any]:
        """Each account's NetSuite governor, when the engine runs beside the app."""
        return {name: ctx.netsuite.governor for name, ctx in self.contexts().items()}
