"""What a flow needs to run for one account, passed in, never looked up globally."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import stripe

from stripe_netsuite.settings import AccountConfig
from stripe_netsuite.store import install, links

if TYPE_CHECKING:
    from stripe_netsuite.mapping.records import NetSuiteRecord
    from stripe_netsuite.netsuite.client import NetSuiteClient


@dataclass(frozen=True)
class FlowContext:
    """One account's clients and configuration, plus the store."""

    #: The account's name in the config file (and in the webhook URL).
    name: str
    account: AccountConfig
    stripe: stripe.StripeClient
    netsuite: NetSuiteClient
    database: sa.Engine
    #: Lookups that stay valid for the process's life (NetSuite currency ids, ...).
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Preview mode when not None: records are collected here instead of posted, and
    #: nothing is written anywhere (NetSuite, Stripe metadata, the store).
    preview: list[NetSuiteRecord] | None = field(default=None, compare=False)
    #: Objects supplied by the caller instead of fetched from Stripe (``preview --file``).
    given: Mapping[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def previewing(self, given: Mapping[str, dict[str, Any]] | None = None) -> FlowContext:
        """A copy of this context in preview mode."""
        return replace(self, preview=[], given=dict(given or {}))

    async def body_hash(self, body: Mapping[str, Any]) -> str:
        """The hash a link keeps of *body*, keyed with this install's secret.

        The key is read from the store on first use and kept in `cache`, so every flow of
        every process on one database hashes alike without anyone passing the key around.
        """
        key = self.cache.get(_HASH_KEY)
        if not isinstance(key, bytes):
            key = self.cache[_HASH_KEY] = await asyncio.to_thread(install.hash_key, self.database)
        return links.body_hash(body, key=key)


_HASH_KEY = "install.body_hash_key"
