"""Pure mapping: a Stripe object (a dict as the API returns it) → NetSuite records.

No I/O, no clock, no database. One module per Stripe object; each has a ``map_*``
function and a ``dependencies`` function naming what a flow must sync first.
"""

from __future__ import annotations

from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.customer import customer_update_body, map_customer
from stripe_netsuite.mapping.metadata import gate, linked_id, linked_item, mapped_fields
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for

__all__ = [
    "Dependency",
    "MappingContext",
    "NetSuiteRecord",
    "customer_update_body",
    "external_id_for",
    "gate",
    "linked_id",
    "linked_item",
    "map_customer",
    "mapped_fields",
]
