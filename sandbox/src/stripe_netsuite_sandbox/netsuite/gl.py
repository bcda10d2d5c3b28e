"""The general ledger: every transaction's GL impact, kept in step with the records.

Like the applications index in ``ledger``, it is rebuilt from the stored records on start and
updated on every create, update and delete, so it always says what the records say; an update
replaces the transaction's lines. A transaction whose impact does not balance is kept (the record
was accepted) and listed by ``unbalanced``: it points at a posting NetSuite would book differently
or refuse, which is worth knowing rather than hiding.

``balances``, ``lines_of`` and ``unbalanced`` read it from anything that holds a ``store`` and a
``gl`` (the sandbox's ``Account``), for tests and the demo; SuiteQL reads the same lines as
``TransactionAccountingLine``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Protocol

from stripe_netsuite_sandbox.netsuite import dictionary, postings
from stripe_netsuite_sandbox.netsuite.ledger import ZERO, Ledger
from stripe_netsuite_sandbox.netsuite.postings import Impact, Line
from stripe_netsuite_sandbox.netsuite.store import Body, Store

__all__ = ["Books", "GeneralLedger", "Impact", "Line", "balances", "lines_of", "unbalanced"]

_log = logging.getLogger(__name__)


class GeneralLedger:
    """The GL impact of every transaction, by internal id."""

    def __init__(self) -> None:
        self._impacts: dict[str, Impact] = {}

    def rebuild(self, store: Store, ledger: Ledger) -> None:
        self._impacts.clear()
        for rtype in dictionary.TRANSACTION_TYPES:
            for body in store.all(rtype):
                self._post(store, ledger, rtype, body)

    def post(self, store: Store, ledger: Ledger, rtype: str, body: Body) -> None:
        """(Re)post a saved transaction, and the ones whose impact depends on it: appliers and
        deposits take a document's exchange rate for the part they settle."""
        rid = str(body["id"])
        self._post(store, ledger, rtype, body)
        for other in {*ledger.appliers_of(rid), ledger.deposited_in.get(rid)} - {None, rid}:
            assert other is not None
            other_type = ledger.tx_types.get(other)
            other_body = store.get(other_type, other) if other_type else None
            if other_type and other_body is not None:
                self._post(store, ledger, other_type, other_body)

    def _post(self, store: Store, ledger: Ledger, rtype: str, body: Body) -> None:
        found = postings.impact(store, ledger, rtype, body)
        if not found.balanced:
            _log.warning(
                "unbalanced GL impact transaction=%s type=%s debits=%s credits=%s problems=%s",
                found.transaction,
                rtype,
                found.debits,
                found.credits,
                "; ".join(found.problems),
            )
        self._impacts[found.transaction] = found

    def forget(self, rid: str) -> None:
        self._impacts.pop(rid, None)

    def impact_of(self, rid: str) -> Impact | None:
        return self._impacts.get(rid)

    def impacts(self) -> Iterator[Impact]:
        """Every transaction's impact in ascending id order."""
        for rid in sorted(self._impacts, key=_numeric):
            yield self._impacts[rid]


class Books(Protocol):
    """What the helpers read: the sandbox ``Account`` satisfies it."""

    @property
    def store(self) -> Store: ...

    @property
    def gl(self) -> GeneralLedger: ...


def lines_of(books: Books, transaction_id: str) -> list[Line]:
    """The GL lines of one transaction (empty for a non-posting or unknown one)."""
    found = books.gl.impact_of(str(transaction_id))
    return list(found.lines) if found else []


def balances(
    books: Books,
    *,
    currency: str | None = None,
    as_of: str | date | None = None,
    subsidiary: str | None = None,
) -> dict[str, Decimal]:
    """Net base-currency amount (debit positive) by account id over posted transactions,
    optionally only those in *currency*, dated on or before *as_of*, or of *subsidiary*."""
    cutoff = as_of.isoformat() if isinstance(as_of, date) else as_of
    out: dict[str, Decimal] = {}
    for found in books.gl.impacts():
        if not found.posting:
            continue
        if currency is not None and found.currency != str(currency):
            continue
        if subsidiary is not None and found.subsidiary != str(subsidiary):
            continue
        if cutoff is not None and (found.tran_date is None or found.tran_date[:10] > cutoff):
            continue
        for line in found.lines:
            out[line.account] = out.get(line.account, ZERO) + line.amount
    return out


def unbalanced(books: Books) -> list[Impact]:
    """Transactions whose GL impact does not balance, or that could not post a line."""
    return [found for found in books.gl.impacts() if not found.balanced]


def _numeric(rid: str) -> tuple[int, str]:
    try:
        return (int(rid), rid)
    except ValueError:
        return (1 << 62, rid)
