"""stripe-netsuite: a self-hostable sync engine between Stripe and Oracle NetSuite."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
