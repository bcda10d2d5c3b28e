"""An emulator of NetSuite's REST web services (record API, SuiteQL, TBA and OAuth 2.0)."""

from __future__ import annotations

from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app

__all__ = ["SandboxConfig", "create_app"]
