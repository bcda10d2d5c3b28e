"""What changed in NetSuite: SuiteQL on ``lastmodifieddate`` per record type, from a cursor.

Each poll reads the records whose ``lastmodifieddate`` is at or after the stored cursor
minus an overlap window, since a record can be written in the very second the last poll
read (NetSuite keeps whole seconds) and a clock can step back. The cursor is a value read
from NetSuite itself, never this machine's clock, so a skew between the two does not
lose a change. Re-reading the overlap is harmless: a change is recorded once, by its
record and stamp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stripe_netsuite import exceptions
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.settings import FromNetSuite

#: NetSuite's timestamps as the queries format them (and the cursors keep them).
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_ORACLE_FORMAT = "YYYY-MM-DD HH24:MI:SS"
#: Where a poll starts when no cursor was stored yet and no sync start is set.
BEGINNING = "1970-01-01 00:00:00"
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Change:
    """One record written in NetSuite, named by its type, internal id and stamp."""

    #: The REST record type (``invoice``, ``customer``, ``creditMemo``).
    record_type: str
    internal_id: str
    #: Its ``lastmodifieddate`` (`STAMP_FORMAT`) when a poll read it; a push carries its
    #: own delivery id instead (``push:<id>``).
    stamp: str
    #: A keyed hash of what the engine syncs of the record as the poll read it (a
    #: transaction's status and amounts, a customer's name, email and phone; empty for
    #: pushes): two writes in one second still differ by it.
    signature: str = ""
    #: The raw state the signature is made from; in memory only, never stored.
    state: str = field(default="", compare=False, repr=False)

    @property
    def mark(self) -> str:
        """What tells this change from another of the same record: stamp and signature."""
        return f"{self.stamp}|{self.signature}" if self.signature else self.stamp

    @property
    def pushed(self) -> bool:
        """Whether the SuiteScript's push named it (no stamp read from NetSuite)."""
        return self.stamp.startswith("push:")

    @property
    def event_id(self) -> str:
        """The inbox's id for this change: one row per record and stamp."""
        return f"ns:{self.record_type}:{self.internal_id}:{self.mark}"


#: The record types polled, by the job kind that syncs them.
RECORD_TYPES = {
    "netsuite_invoice": "invoice",
    "netsuite_customer": "customer",
    "netsuite_credit_memo": "creditMemo",
}
KIND_OF_RECORD = {record_type: kind for kind, record_type in RECORD_TYPES.items()}


def field_name(name: str, *, key: str) -> str:
    """A custom field id safe to put in a query; `ConfigError` naming *key* otherwise."""
    if not _FIELD.fullmatch(name):
        raise exceptions.ConfigError(f"{name!r} is not a NetSuite field id", key=key)
    return name


def start(cursor: str | None, *, overlap_seconds: int, sync_start: str | None) -> str:
    """Where the next poll reads from: the cursor minus the overlap window."""
    if cursor is None:
        if sync_start:
            return datetime.fromisoformat(sync_start).strftime(STAMP_FORMAT)
        return BEGINNING
    when = datetime.strptime(cursor, STAMP_FORMAT) - timedelta(seconds=overlap_seconds)
    return max(when.strftime(STAMP_FORMAT), BEGINNING)


def query(record_type: str, since: str, rules: FromNetSuite) -> str:
    """The SuiteQL reading *record_type* records changed at or after *since*.

    Invoices are those the rule chooses (the checkbox, plus ``invoice_rule_where``);
    credit memos those marked for a refund in Stripe; customers every one.
    """
    datetime.strptime(since, STAMP_FORMAT)  # a malformed cursor fails here, not in NetSuite
    stamp = f"TO_CHAR(lastmodifieddate, '{_ORACLE_FORMAT}') AS lm, {state_columns(record_type)}"
    changed = f"lastmodifieddate >= TO_TIMESTAMP('{since}', '{_ORACLE_FORMAT}')"
    if record_type == "customer":
        return f"SELECT id, {stamp} FROM customer WHERE {changed} ORDER BY id"
    if record_type == "invoice":
        field = field_name(rules.invoice_rule_field, key="from_netsuite.invoice_rule_field")
        where = f"type = 'CustInvc' AND {field} = 'T'"
        if rules.invoice_rule_where:
            where += f" AND ({rules.invoice_rule_where})"
    elif record_type == "creditMemo":
        field = field_name(rules.refund_rule_field, key="from_netsuite.refund_rule_field")
        where = f"type = 'CustCred' AND {field} = 'T'"
    else:
        raise ValueError(f"{record_type} records are not polled")
    return f"SELECT id, {stamp} FROM transaction WHERE {where} AND {changed} ORDER BY id"


async def changed(
    client: NetSuiteClient, record_type: str, since: str, rules: FromNetSuite
) -> list[Change]:
    """The records of *record_type* changed at or after *since*, in id order."""
    rows = [row async for row in client.suiteql(query(record_type, since, rules))]
    return [
        Change(record_type, str(row["id"]), str(row["lm"]), state=state_of(row, record_type))
        for row in rows
        if row.get("lm")
    ]


#: The transaction columns a change's signature is made from.
STATE_COLUMNS = "status, foreigntotal, foreignamountremaining"
#: The customer columns it is made from: what goes to the Stripe customer. A person's edit
#: in the same second as the engine's own write-back differs from it by these.
CUSTOMER_STATE_COLUMNS = "companyname, firstname, lastname, entityid, email, phone"


def state_columns(record_type: str) -> str:
    """The columns a change of *record_type* is signed by."""
    return CUSTOMER_STATE_COLUMNS if record_type == "customer" else STATE_COLUMNS


def state_of(row: dict[str, object], record_type: str = "transaction") -> str:
    """The raw state of a row (a transaction's status and amounts, a customer's name and
    contacts), to be hashed, never kept."""
    names = [name.strip() for name in state_columns(record_type).split(",")]
    if not any(name in row for name in names):
        return ""
    return "|".join(str(row.get(name, "")) for name in names)


def cursor_after(cursor: str | None, changes: Sequence[Change]) -> str | None:
    """The cursor once *changes* are recorded: the latest stamp seen, never moving back."""
    stamps = [c.stamp for c in changes if not c.pushed] + ([cursor] if cursor else [])
    return max(stamps) if stamps else None


def cursor_name(account: str, record_type: str) -> str:
    """The name of the stored cursor of one account's polls of one record type."""
    return f"netsuite:{account}:{record_type}"
