"""Emulators of Stripe and NetSuite that speak the real wire protocols on loopback.

The engine never imports this package; tests, the demo and the benchmarks do.
"""

from __future__ import annotations
