"""stripe_api."""

from __future__ import annotations
