"""Accounting periods: the calendar the sandbox posts into, and the refusals a closed one causes.

Like a NetSuite account with Accounting Periods on, the chart holds a fiscal calendar of years,
quarters and months (``accountingPeriod`` records). A transaction posts to the month its
``postingPeriod`` names, or, when it names none, to the month holding its ``tranDate``; the
sandbox fills ``postingPeriod`` in on save, as NetSuite does. Months carry NetSuite's flags:
``closed``, ``arLocked`` (A/R transactions refused), ``apLocked`` and ``allLocked`` (every
transaction refused). Creating a posting transaction in a refused period, or changing one that
already sits in one (NetSuite's default, without *Allow Non-G/L Changes*), or deleting one
that sits in one, is answered with a 400 ``USER_ERROR`` whose ``o:errorPath`` is
``postingPeriod``. Payments applied elsewhere still
update the invoice's amount due: that is derived state, not an edit.

Tests and operators close, lock and reopen months with `set_flags` (or ``POST
/__sandbox/periods``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors
from stripe_netsuite_sandbox.netsuite.ledger import ref_id
from stripe_netsuite_sandbox.netsuite.store import Body, Store

RECORD_TYPE = "accountingPeriod"
#: The fiscal years the starting chart holds (calendar years, January to December).
FIRST_YEAR = 2020
LAST_YEAR = 2035
#: The flags a month carries, as NetSuite names them on the record.
FLAGS = ("closed", "arLocked", "apLocked", "allLocked")
#: Transactions an A/R lock refuses (Setup > Accounting > Manage Accounting Periods: Lock A/R).
AR_TYPES = frozenset(
    {
        "invoice",
        "creditMemo",
        "customerPayment",
        "customerRefund",
        "customerDeposit",
        "cashSale",
        "cashRefund",
    }
)
#: Transactions with no GL impact: periods do not guard them.
NON_POSTING = frozenset({"salesOrder"})
#: SuiteQL columns of ``accountingPeriod`` (lower case, as SuiteQL answers).
COLUMNS = frozenset(
    {
        "id",
        "periodname",
        "startdate",
        "enddate",
        "closed",
        "arlocked",
        "aplocked",
        "alllocked",
        "isquarter",
        "isyear",
        "isadjust",
        "isposting",
        "isinactive",
        "parent",
        "closedondate",
        "allownonglchanges",
    }
)


def records(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[tuple[str, Body]]:
    """The calendar as starting records: years, their quarters and their months, ids in that
    order from 1, all open."""
    out: list[Body] = []

    def add(name: str, start: date, end: date, parent: str | None, **kind: bool) -> str:
        rid = str(len(out) + 1)
        body: Body = {
            "id": rid,
            "periodName": name,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "isYear": kind.get("year", False),
            "isQuarter": kind.get("quarter", False),
            "isAdjust": False,
            "isPosting": not (kind.get("year") or kind.get("quarter")),
            "isInactive": False,
            "allowNonGLChanges": False,
            **dict.fromkeys(FLAGS, False),
        }
        if parent:
            body["parent"] = {"id": parent}
        out.append(body)
        return rid

    for year in range(first_year, last_year + 1):
        year_id = add(f"FY {year}", date(year, 1, 1), date(year, 12, 31), None, year=True)
        for quarter in range(4):
            first = 3 * quarter + 1
            q_id = add(
                f"Q{quarter + 1} {year}",
                date(year, first, 1),
                _month_end(year, first + 2),
                year_id,
                quarter=True,
            )
            for month in range(first, first + 3):
                name = f"{calendar.month_abbr[month]} {year}"
                add(name, date(year, month, 1), _month_end(year, month), q_id)
    return [(RECORD_TYPE, body) for body in out]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months(store: Store) -> Iterator[Body]:
    """The posting periods (months), oldest first."""
    for body in store.all(RECORD_TYPE):
        if body.get("isPosting", True) and not body.get("isYear") and not body.get("isQuarter"):
            yield body


def month_of(store: Store, day: str) -> Body | None:
    """The posting period whose dates hold *day* (``YYYY-MM-DD``)."""
    day = day[:10]
    for body in months(store):
        if str(body["startDate"]) <= day <= str(body["endDate"]):
            return body
    return None


def find(store: Store, key: str) -> Body | None:
    """A period by internal id or by name (``Oct 2026``)."""
    found = store.get(RECORD_TYPE, key)
    if found is not None:
        return found
    return next((b for b in store.all(RECORD_TYPE) if b.get("periodName") == key), None)


def assign(store: Store, rtype: str, body: Body) -> Body | None:
    """Fill in ``postingPeriod`` from ``tranDate`` when the body names none; the period."""
    if rtype in NON_POSTING:
        return None
    named = ref_id(body, "postingPeriod")
    if named is not None:
        period = store.get(RECORD_TYPE, named)
        if period is None or period.get("isYear") or period.get("isQuarter"):
            raise errors.invalid_value(named, "postingPeriod", "postingPeriod")
        return period
    tran_date = body.get("tranDate")
    period = month_of(store, str(tran_date)) if tran_date else None
    if period is not None:
        body["postingPeriod"] = {"id": str(period["id"])}
    return period


def refusal(rtype: str, period: Body | None) -> str | None:
    """Why NetSuite would refuse a posting of *rtype* in *period*, or None."""
    if period is None or rtype in NON_POSTING:
        return None
    name = period.get("periodName")
    if period.get("closed"):
        return f"The accounting period {name} is closed. You cannot post to a closed period."
    if period.get("allLocked"):
        return f"The accounting period {name} is locked. You cannot post to a locked period."
    if period.get("arLocked") and rtype in AR_TYPES:
        return (
            f"The accounting period {name} is locked for A/R. "
            "You cannot post A/R transactions to a locked period."
        )
    return None


def check(store: Store, rtype: str, body: Body, old: Body | None) -> None:
    """Refuse the save of a posting transaction into, or out of, a closed or locked period."""
    if rtype in NON_POSTING:
        return
    if old is not None:
        before = store.get(RECORD_TYPE, ref_id(old, "postingPeriod") or "")
        why = refusal(rtype, before)
        if why is not None:
            raise closed_error(why)
        if body.get("tranDate") != old.get("tranDate") and ref_id(body, "postingPeriod") == ref_id(
            old, "postingPeriod"
        ):
            # A new date with the period carried over from the old body: NetSuite re-defaults it.
            body.pop("postingPeriod", None)
    why = refusal(rtype, assign(store, rtype, body))
    if why is not None:
        raise closed_error(why)


def check_delete(store: Store, rtype: str, body: Body) -> None:
    """Refuse deleting a posting transaction that sits in a closed or locked period (its
    GL lines are part of a closed month, as NetSuite says when one tries)."""
    if rtype in NON_POSTING:
        return
    why = refusal(rtype, store.get(RECORD_TYPE, ref_id(body, "postingPeriod") or ""))
    if why is not None:
        raise closed_error(why)


def closed_error(why: str) -> errors.NetSuiteError:
    """NetSuite's answer to a posting in a closed or locked period."""
    return errors.user_error(why, "postingPeriod")


@dataclass(frozen=True)
class Change:
    """New flag values for one period (None leaves a flag as it is)."""

    closed: bool | None = None
    #: NetSuite's field names, camelCase.
    arLocked: bool | None = None
    apLocked: bool | None = None
    allLocked: bool | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        values: dict[str, bool] = {}
        for flag in FLAGS:
            value = data.get(flag)
            if value is not None and not isinstance(value, bool):
                raise errors.invalid_value(value, flag, flag)
            if value is not None:
                values[flag] = value
        return cls(**values)


def set_flags(store: Store, key: str, change: Change) -> Body:
    """Close, lock or reopen a month (by id or name); the saved period.

    Closing a month also sets its locks, as closing does in NetSuite; reopening leaves the
    locks as they are (they are lifted one by one).
    """
    period = find(store, key)
    if period is None:
        raise errors.not_found()
    if period.get("isYear") or period.get("isQuarter"):
        raise errors.user_error(f"{period.get('periodName')} is not a posting period.")
    updated = dict(period)
    for flag in FLAGS:
        value = getattr(change, flag)
        if value is not None:
            updated[flag] = value
    if change.closed:
        updated.update(arLocked=True, apLocked=True, allLocked=True)
    store.save(RECORD_TYPE, updated)
    return updated


def rows(store: Store) -> Iterator[dict[str, Any]]:
    """SuiteQL rows of ``accountingPeriod``: booleans as ``T``/``F``, lower-case keys."""
    for body in store.all(RECORD_TYPE):
        row: dict[str, Any] = {}
        for key, value in body.items():
            if isinstance(value, bool):
                row[key.lower()] = "T" if value else "F"
            elif isinstance(value, dict):
                row[key.lower()] = value.get("id")
            elif value is not None:
                row[key.lower()] = value
        yield row
