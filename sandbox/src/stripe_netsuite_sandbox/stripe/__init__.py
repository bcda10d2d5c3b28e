"""A stateful emulator of Stripe's test mode (`create_app`), for tests, the demo and benchmarks."""

from __future__ import annotations

from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app

__all__ = ["StripeSandboxConfig", "create_app"]
