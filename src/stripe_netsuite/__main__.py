"""``python -m stripe_netsuite`` runs the command line."""

from __future__ import annotations

from stripe_netsuite.cli import main

main()
