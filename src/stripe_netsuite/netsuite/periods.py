"""NetSuite's accounting periods, read through SuiteQL: which month a date posts to, and whether
that month takes postings.

Only posting periods count: NetSuite's ``accountingPeriod`` table also holds years, quarters and
adjustment periods, which no transaction is dated into by default. A month refuses a transaction
when it is closed, locked for everything (``alllocked``) or, for A/R transactions, locked for
A/R (``arlocked``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

#: SuiteQL for the posting periods; dates as ISO text, whatever the account's date format.
QUERY = (
    "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
    "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, arlocked, alllocked "
    "FROM accountingPeriod WHERE isyear = 'F' AND isquarter = 'F' AND isadjust = 'F' "
    "ORDER BY startdate"
)
#: Record types an A/R lock refuses.
AR_RECORDS = frozenset(
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
#: Record types with a GL impact, the ones periods guard.
POSTING_RECORDS = AR_RECORDS | {"deposit", "journalEntry"}


@dataclass(frozen=True)
class Period:
    """One posting period (a month, usually)."""

    id: str
    name: str
    start: date
    end: date
    closed: bool
    ar_locked: bool
    all_locked: bool

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def refuses(self, record_type: str) -> bool:
        """Whether NetSuite refuses a *record_type* posted in this period."""
        if self.closed or self.all_locked:
            return True
        return self.ar_locked and record_type in AR_RECORDS

    def state(self, record_type: str) -> str:
        """``closed``, ``locked`` or ``locked for A/R``, as it applies to *record_type*."""
        if self.closed:
            return "closed"
        if self.all_locked:
            return "locked"
        return "locked for A/R" if self.ar_locked and record_type in AR_RECORDS else "open"


@dataclass(frozen=True)
class Calendar:
    """The account's posting periods, oldest first."""

    periods: tuple[Period, ...]

    def of(self, day: date) -> Period | None:
        """The period *day* posts to, or None when the calendar does not cover it."""
        return next((p for p in self.periods if p.holds(day)), None)

    def by_id(self, period_id: str) -> Period | None:
        return next((p for p in self.periods if p.id == period_id), None)

    def first_open(self, after: Period, record_type: str) -> Period | None:
        """The first period after *after* that takes a *record_type*, or None."""
        return next(
            (p for p in self.periods if p.start > after.end and not p.refuses(record_type)),
            None,
        )


class RowSource(Protocol):
    """What reads the periods: the NetSuite client's ``suiteql``."""

    def suiteql(self, query: str) -> Any: ...


def calendar_from(rows: Iterable[Mapping[str, Any]]) -> Calendar:
    """The calendar from SuiteQL rows (``T``/``F`` flags, ISO dates); rows without dates are
    skipped."""
    found: list[Period] = []
    for row in rows:
        start, end = row.get("startdate"), row.get("enddate")
        if not start or not end:
            continue
        found.append(
            Period(
                id=str(row["id"]),
                name=str(row.get("periodname") or row["id"]),
                start=date.fromisoformat(str(start)[:10]),
                end=date.fromisoformat(str(end)[:10]),
                closed=_flag(row.get("closed")),
                ar_locked=_flag(row.get("arlocked")),
                all_locked=_flag(row.get("alllocked")),
            )
        )
    return Calendar(tuple(sorted(found, key=lambda p: p.start)))


async def read(client: RowSource) -> Calendar:
    """Every posting period of the account, through one SuiteQL query."""
    return calendar_from([row async for row in client.suiteql(QUERY)])


def _flag(value: Any) -> bool:
    return value is True or str(value).upper() in ("T", "TRUE")
