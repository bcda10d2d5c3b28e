"""Everything that talks to Stripe: the client factory, webhook verification, catch-up."""

from __future__ import annotations
