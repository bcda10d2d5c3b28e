"""Custom fields declared in the sandbox account, as an administrator would under Customization.

NetSuite ignores (or, with strict name validation, refuses) a ``custbody_*`` or ``custentity_*``
field nobody created; these are the ones the NetSuite → Stripe direction reads and writes. The
names are the engine's defaults (docs/configuration.md, ``[accounts.x.from_netsuite]``).
``voided`` is no custom field: it is the system flag a user's void sets, read-only through REST.
"""

from __future__ import annotations

#: (record type, field id, type, read only): types are the dictionary's (string, boolean).
FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("invoice", "custbody_sns_send_to_stripe", "boolean", False),
    ("invoice", "custbody_sns_stripe_invoice_id", "string", False),
    ("invoice", "custbody_sns_stripe_hosted_url", "string", False),
    ("invoice", "custbody_sns_stripe_payment_link", "string", False),
    ("invoice", "voided", "boolean", True),
    ("customer", "custentity_sns_stripe_customer_id", "string", False),
    ("customer", "custentity_sns_stripe_portal_url", "string", False),
    ("creditMemo", "custbody_sns_refund_in_stripe", "boolean", False),
    ("creditMemo", "custbody_sns_stripe_refund_id", "string", False),
    ("customerRefund", "custbody_sns_stripe_refund_id", "string", False),
)
