"""The value every mapping returns: one NetSuite record, ready to upsert by externalId."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions


@dataclass(frozen=True)
class NetSuiteRecord:
    """A NetSuite record a Stripe object becomes.

    ``body`` is JSON-ready: amounts are `Decimal`, references ``{"id": "123"}``,
    sublists ``{"items": [...]}``. ``role`` says what the record is for the Stripe
    object (``"invoice"``, ``"balance_credit"``, ``"dispute_fee"``, …); one Stripe object
    may give several records, each with its own role. ``replace`` names the sublists an
    update must replace rather than merge into (NetSuite's ``replace`` parameter).
    """

    record_type: str
    external_id: str
    body: Mapping[str, Any]
    stripe_id: str
    role: str
    replace: tuple[str, ...] = ()


def external_id_for(stripe_account_id: str, stripe_id: str, role_prefix: str | None = None) -> str:
    """``acct_1Abc:in_123``, or ``acct_1Abc:cm:re_123`` for a secondary record.

    The Stripe account id leads, so two Stripe accounts feeding one NetSuite account
    never collide.
    """
    if not stripe_account_id or not stripe_id:
        raise exceptions.MappingError(
            "an externalId needs a Stripe account id and a Stripe object id",
            stripe_account_id=stripe_account_id or "<missing>",
            stripe_id=stripe_id or "<missing>",
        )
    if role_prefix:
        return f"{stripe_account_id}:{role_prefix}:{stripe_id}"
    return f"{stripe_account_id}:{stripe_id}"


def ref(internal_id: str) -> dict[str, str]:
    """A reference to another NetSuite record by internal id."""
    return {"id": str(internal_id)}


def sublist(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A NetSuite sublist collection."""
    return {"items": items}


def tran_date(timestamp: int) -> str:
    """A Stripe Unix timestamp as a NetSuite date (``YYYY-MM-DD``), in UTC."""
    return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()


def period_dates(start: int, end: int) -> tuple[str, str]:
    """A Stripe line ``period`` as inclusive NetSuite start and end dates, in UTC.

    Stripe's ``end`` is the first instant of the next period (a month from 1 May ends at
    1 June), so the last day of service is the day before ``end``'s date; a period that
    starts and ends on one day (a one-off item) keeps that day.
    """
    first = datetime.fromtimestamp(start, tz=UTC).date()
    last = datetime.fromtimestamp(end, tz=UTC).date() - timedelta(days=1)
    return first.isoformat(), max(first, last).isoformat()


def plain(value: Any) -> Any:
    """A deep copy of a body with every `Decimal` as its exact string (for golden files)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def as_dict(record: NetSuiteRecord) -> dict[str, Any]:
    """The whole record as plain data (amounts as strings)."""
    return {
        "record_type": record.record_type,
        "external_id": record.external_id,
        "stripe_id": record.stripe_id,
        "role": record.role,
        "replace": list(record.replace),
        "body": plain(record.body),
    }
