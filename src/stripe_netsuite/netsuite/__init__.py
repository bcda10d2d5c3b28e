"""The sync engine's only way into NetSuite: REST client, auth, concurrency governor."""

from __future__ import annotations

from stripe_netsuite.netsuite.auth import (
    Auth,
    OAuth2ClientCredentials,
    TokenAuth,
    auth_from_config,
)
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.errors import classify
from stripe_netsuite.netsuite.governor import (
    Governor,
    LocalGovernor,
    PostgresGovernor,
    governor_for,
)
from stripe_netsuite.netsuite.paging import Page

__all__ = [
    "Auth",
    "Governor",
    "LocalGovernor",
    "NetSuiteClient",
    "OAuth2ClientCredentials",
    "Page",
    "PostgresGovernor",
    "TokenAuth",
    "auth_from_config",
    "classify",
    "governor_for",
]
