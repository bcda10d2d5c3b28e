"""A change to a journal entry or bank deposit posted in a closed period, as one adjusting
journal entry dated in an open one.

A record posted in a closed or locked period is never edited. What a change would move in the
general ledger is computed from the record itself: a journal's lines as written; a deposit's
lines as NetSuite books them (the bank debited for the total, each selected payment credited to
the account that payment was debited to, each other deposit credited to its account, each cash
back debited). The difference between what the posted record moves and what the new body would
move, per account, entity, department, class, location and side, becomes the lines of one
journal entry: balanced by construction, since both sides of the difference are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.reconciliation import deposit_total
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

DEBIT, CREDIT = "debit", "credit"
#: Record types whose change posts as an adjusting journal entry.
JOURNALED = frozenset({"journalEntry", "deposit"})
#: The header fields the adjusting journal keeps from the record it adjusts.
HEADER_FIELDS = ("subsidiary", "currency")
MEMO_LIMIT = 999
LINE_MEMO = "Adjustment for a closed period"
_ZERO = Decimal(0)


@dataclass(frozen=True, order=True)
class Leg:
    """Where a GL line lands: account, side, entity and segments ("" for none).

    A deposit's payment line names its payment; its ``account`` stays "" until the account
    that payment was debited to is known (`resolve`).
    """

    account: str
    side: str
    entity: str = ""
    department: str = ""
    klass: str = ""
    location: str = ""
    payment: str = ""


#: What a record moves in the GL: a positive amount per leg.
Effect = dict[Leg, Decimal]


def journal_effect(body: Mapping[str, Any] | None) -> Effect:
    """A journal entry's ``line`` sublist, summed per leg."""
    effect: Effect = {}
    for line in _items(body, "line"):
        account = ref_id(line.get("account"))
        if account is None:
            continue
        segments = {
            "entity": ref_id(line.get("entity")) or "",
            "department": ref_id(line.get("department")) or "",
            "klass": ref_id(line.get("class")) or "",
            "location": ref_id(line.get("location")) or "",
        }
        for side in (DEBIT, CREDIT):
            amount = decimal_of(line.get(side))
            if amount:
                _add(effect, Leg(account, side, **segments), amount)
    return effect


def deposit_effect(body: Mapping[str, Any] | None) -> Effect:
    """A bank deposit as NetSuite books it: Dr the bank for the total; Cr each selected payment
    (account unknown here: its leg names the payment), Cr each other deposit, Dr each cash back."""
    effect: Effect = {}
    if not body:
        return effect
    bank = ref_id(body.get("account"))
    total = deposit_total(body)
    if bank is not None and total:
        _add(effect, Leg(bank, DEBIT), total)
    for line in _items(body, "payment"):
        if line.get("deposit", True) is False or line.get("id") is None:
            continue
        _add(
            effect, Leg("", CREDIT, payment=str(line["id"])), decimal_of(line.get("paymentAmount"))
        )
    for name, side in (("other", CREDIT), ("cashback", DEBIT)):
        for line in _items(body, name):
            account = ref_id(line.get("account"))
            if account is not None:
                _add(effect, Leg(account, side), decimal_of(line.get("amount")))
    return {leg: amount for leg, amount in effect.items() if amount}


def effect_of(record_type: str, body: Mapping[str, Any] | None) -> Effect:
    """`journal_effect` or `deposit_effect`, by *record_type*."""
    if record_type == "deposit":
        return deposit_effect(body)
    if record_type == "journalEntry":
        return journal_effect(body)
    raise ValueError(f"no adjusting journal is computed for a {record_type}")


def difference(posted: Effect, wanted: Effect) -> Effect:
    """The legs that move the GL from *posted* to *wanted*: a leg that grew moves more on its
    own side, one that shrank (or went) moves the difference on the other side."""
    moves: Effect = {}
    for leg in sorted({*posted, *wanted}):
        change = wanted.get(leg, _ZERO) - posted.get(leg, _ZERO)
        if change > 0:
            _add(moves, leg, change)
        elif change < 0:
            _add(moves, replace(leg, side=_other(leg.side)), -change)
    return {leg: amount for leg, amount in moves.items() if amount}


def unresolved_payments(moves: Effect) -> list[str]:
    """The payments whose leg has no account yet, in id order."""
    return sorted({leg.payment for leg in moves if leg.payment and not leg.account})


def resolve(moves: Effect, accounts: Mapping[str, str]) -> Effect:
    """*moves* with each payment's leg on the account the payment was debited to.

    Raises `KeyError` for a payment *accounts* does not name (see `unresolved_payments`).
    """
    out: Effect = {}
    for leg, amount in moves.items():
        if leg.payment and not leg.account:
            leg = replace(leg, account=accounts[leg.payment])
        _add(out, leg, amount)
    return out


def zeroed(posted: Effect) -> Effect:
    """Two legs of zero on the first account *posted* names: what an earlier adjustment is
    rewritten to when the record is back to what was posted (a journal needs two lines)."""
    account = next((leg.account for leg in sorted(posted) if leg.account), None)
    if account is None:
        return {}
    return {Leg(account, DEBIT): _ZERO, Leg(account, CREDIT): _ZERO}


def balanced(moves: Effect) -> bool:
    """Whether the debits of *moves* equal its credits."""
    debits = sum((a for leg, a in moves.items() if leg.side == DEBIT), _ZERO)
    credits = sum((a for leg, a in moves.items() if leg.side == CREDIT), _ZERO)
    return debits == credits


def adjusting_journal(
    record: NetSuiteRecord,
    moves: Effect,
    *,
    posted: Mapping[str, Any],
    posted_in: str,
    into_id: str,
    into_start: str,
    reference: str,
) -> NetSuiteRecord:
    """The journal entry ``<externalId>:adjust`` (role ``<role>:adjust``) that posts *moves*,
    dated *into_start* in period *into_id*.

    It keeps the record's subsidiary and currency, and the posted record's exchange rate, so
    that it moves the base currency as the record would have.
    """
    if not balanced(moves):
        # Unreachable by construction; kept so that a regression never posts an unbalanced entry.
        raise exceptions.MappingError(
            f"the adjustment to {record.record_type} {record.external_id} does not balance",
            stripe_id=record.stripe_id,
        )
    external_id = f"{record.external_id}:adjust"
    memo = (
        f"Adjustment to {record.record_type} {reference} ({record.external_id}), posted in "
        f"{posted_in}, closed or locked: Stripe changed it"
    )
    body: dict[str, Any] = {k: record.body[k] for k in HEADER_FIELDS if k in record.body}
    rate = posted.get("exchangeRate", record.body.get("exchangeRate"))
    if rate is not None:
        body["exchangeRate"] = rate
    body.update(
        externalId=external_id,
        tranDate=into_start,
        postingPeriod={"id": into_id},
        memo=memo[:MEMO_LIMIT],
        line=sublist(journal_lines(moves)),
    )
    return NetSuiteRecord(
        "journalEntry",
        external_id,
        body,
        stripe_id=record.stripe_id,
        role=f"{record.role}:adjust",
        replace=("line",),
    )


def journal_lines(moves: Effect) -> list[dict[str, Any]]:
    """One journal line per leg, debits first, in a stable order."""
    out: list[dict[str, Any]] = []
    for leg in sorted(moves, key=lambda leg: (leg.side != DEBIT, leg)):
        line: dict[str, Any] = {"account": {"id": leg.account}, leg.side: moves[leg]}
        for field, value in (
            ("entity", leg.entity),
            ("department", leg.department),
            ("class", leg.klass),
            ("location", leg.location),
        ):
            if value:
                line[field] = {"id": value}
        line["memo"] = f"{LINE_MEMO}: transaction {leg.payment}" if leg.payment else LINE_MEMO
        out.append(line)
    return out


def _add(effect: Effect, leg: Leg, amount: Decimal) -> None:
    effect[leg] = effect.get(leg, _ZERO) + amount


def _other(side: str) -> str:
    return CREDIT if side == DEBIT else DEBIT


def _items(body: Mapping[str, Any] | None, name: str) -> Iterable[Mapping[str, Any]]:
    value = (body or {}).get(name)
    items = value.get("items") if isinstance(value, Mapping) else None
    return [line for line in items or [] if isinstance(line, Mapping)]


def ref_id(value: Any) -> str | None:
    """The id of a NetSuite reference (``{"id": "7"}``), or None."""
    if isinstance(value, Mapping) and value.get("id") is not None:
        return str(value["id"])
    return None


def decimal_of(value: Any) -> Decimal:
    """An amount as NetSuite sent it (number or text), as a Decimal; nothing is zero."""
    if value is None or isinstance(value, bool):
        return _ZERO
    return Decimal(str(value))
