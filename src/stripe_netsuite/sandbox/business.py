"""The demo's built-in business: what a small company does in Stripe, made with the SDK.

Deterministic for a seed, so two runs with the same seed create the same objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import stripe

COMPANIES = [
    "Acme Analytics", "Birch & Pine Studio", "Cobalt Logistics", "Dune Robotics",
    "Ember Foods", "Fjord Outfitters", "Granite Legal", "Harbor Health",
    "Iris Optics", "Juniper Labs", "Kestrel Aviation", "Lumen Energy",
]  # fmt: skip
PEOPLE = [
    ("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"), ("Frances", "Allen"),
]  # fmt: skip
CURRENCIES = ["usd", "usd", "usd", "eur", "jpy"]


@dataclass
class Business:
    """What was created, by Stripe object type, for the summary."""

    created: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, object_id: str) -> None:
        self.created.setdefault(kind, []).append(object_id)


def build(client: stripe.StripeClient, *, seed: int) -> Business:
    """Create the business's customers (companies and individuals) and their updates."""
    rng = random.Random(seed)
    business = Business()
    companies = rng.sample(COMPANIES, 6)
    people = rng.sample(PEOPLE, 4)
    for i, name in enumerate(companies):
        slug = name.lower().split()[0].strip("&")
        params: dict[str, Any] = {
            "name": name,
            "email": f"billing@{slug}.example",
            "metadata": {"segment": rng.choice(["smb", "mid-market", "enterprise"])},
            "address": {"line1": f"{10 + i} Market Street", "city": "San Francisco",
                        "postal_code": "94105", "country": "US"},
        }  # fmt: skip
        if i == len(companies) - 1:
            # Kept out of NetSuite by its metadata: accounted for as skipped, by name.
            params["metadata"]["netsuite_block_integration"] = "true"
        customer = client.v1.customers.create(params=params)  # type: ignore[arg-type]
        business.add("customer", customer.id)
    for first, last in people:
        customer = client.v1.customers.create(
            params={
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}@mail.example",
                "metadata": {"netsuite_first_name": first, "netsuite_last_name": last},
            }
        )
        business.add("customer", customer.id)
    # A customer who changes their email after sign-up: the update reaches NetSuite.
    first_id = business.created["customer"][0]
    client.v1.customers.update(first_id, params={"email": "accounts@acme-analytics.example"})
    return business
