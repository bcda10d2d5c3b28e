"""Auto-match: a Stripe payment naming a NetSuite invoice number pays that open invoice.

``from_netsuite.auto_match`` says where the number is read: ``metadata`` (the key
``from_netsuite.auto_match_key``) or ``description`` (the first ``INV…``-like token the
description holds that NetSuite knows). Only an open invoice of the payment's own NetSuite
customer matches; anything else leaves the payment unapplied, as without auto-match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stripe_netsuite.flows.context import FlowContext

#: What may be a NetSuite document number: letters, digits and ``-``/``_``/``/``.
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/-]{0,44}")


def numbers_named(charge: Mapping[str, Any], *, where: str, key: str) -> list[str]:
    """The invoice numbers a charge names, in the order they are tried."""
    if where == "metadata":
        value = (charge.get("metadata") or {}).get(key)
        text = str(value).strip() if value else ""
        return [text] if _NUMBER.fullmatch(text) else []
    if where == "description":
        text = str(charge.get("description") or "")
        return [token for token in _NUMBER.findall(text) if any(c.isdigit() for c in token)]
    return []


async def matched_invoice(
    ctx: FlowContext, charge: Mapping[str, Any], customer_id: str | None
) -> str | None:
    """The open NetSuite invoice of *customer_id* the charge names, or None."""
    rules = ctx.account.from_netsuite
    if rules.auto_match == "off" or not customer_id or not customer_id.isdigit():
        return None
    for number in numbers_named(charge, where=rules.auto_match, key=rules.auto_match_key):
        query = (
            "SELECT id FROM transaction WHERE type = 'CustInvc' AND status = 'A'"
            f" AND entity = {customer_id} AND tranid = '{number}' ORDER BY id"
        )
        rows = [row async for row in ctx.netsuite.suiteql(query)]
        if len(rows) == 1:
            return str(rows[0]["id"])
    return None
