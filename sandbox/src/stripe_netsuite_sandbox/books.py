"""Reading the books back out of the sandboxes: what the demo reports and the tests check."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx


def _get(url: str, api_key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = httpx.get(url, headers=headers, timeout=60)
    response.raise_for_status()
    return response.json()


def netsuite_records(netsuite_base: str) -> dict[str, list[dict[str, Any]]]:
    """Every record in the NetSuite sandbox, by type, as an expanded GET returns it."""
    records: dict[str, list[dict[str, Any]]] = _get(netsuite_base + "/__sandbox/records")
    return records


def netsuite_stats(netsuite_base: str) -> dict[str, Any]:
    """The NetSuite sandbox's request counters (writes, 429s, faults, peak in flight)."""
    stats: dict[str, Any] = _get(netsuite_base + "/__sandbox/stats")
    return stats


def stripe_objects(stripe_base: str, api_key: str) -> dict[str, list[dict[str, Any]]]:
    """Every object in the Stripe sandbox, by type."""
    answer = _get(stripe_base + "/__sandbox/objects", api_key)
    objects: dict[str, list[dict[str, Any]]] = answer["objects"]
    return objects


def synced(records: dict[str, list[dict[str, Any]]], record_type: str) -> list[dict[str, Any]]:
    """Records of one type that the engine made (the chart's own records carry no
    ``acct_…`` externalId)."""
    return [
        record
        for record in records.get(record_type, [])
        if str(record.get("externalId", "")).startswith("acct_")
    ]


def duplicate_external_ids(records: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """externalIds held by more than one record (the answer must always be empty)."""
    ids = Counter(
        str(record["externalId"])
        for items in records.values()
        for record in items
        if record.get("externalId")
    )
    return {eid: n for eid, n in ids.items() if n > 1}
