"""Links: which NetSuite record a Stripe object became, and a hash of what we last sent.

A flow compares :func:`body_hash` of the body it is about to send with the link's
``body_hash``; when they match the object is unchanged and NetSuite is not called. The
hash is keyed with the install's own secret (`store.install`), so a stored hash cannot
be matched against the hash of a guessed body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db, driver
from stripe_netsuite.store.tables import links


@dataclass(frozen=True)
class Link:
    """One Stripe object (in one role) ↔ one NetSuite record."""

    account: str
    stripe_id: str
    role: str
    record_type: str
    internal_id: str
    external_id: str | None
    body_hash: str | None
    created_at: datetime
    updated_at: datetime


def _link(row: sa.Row[Any]) -> Link:
    return Link(**row._mapping)


def get(
    conn_or_engine: sa.Connection | sa.Engine, *, account: str, stripe_id: str, role: str
) -> Link | None:
    """The link for a Stripe object in a role, or None (read through `driver`: every
    posting reads one or two)."""
    row = driver.fetch_one(conn_or_engine, _GET, (account, stripe_id, role))
    if row is None:
        return None
    _, results = _processors(conn_or_engine.dialect)
    values = [
        value if process is None else process(value)
        for process, value in zip(results, row, strict=True)
    ]
    return Link(account, stripe_id, role, *values)


async def read(database: sa.Engine, *, account: str, stripe_id: str, role: str) -> Link | None:
    """`get` from async code: on SQLite on the event loop, elsewhere in a thread.

    A SQLite read by primary key costs 20 µs and never waits for a writer (WAL readers
    read the last commit), a fifth of handing it to a thread; PostgreSQL's round trip
    could wait on the network, so it goes to a thread.
    """
    if db.sqlite_writers(database) is not None:
        return get(database, account=account, stripe_id=stripe_id, role=role)
    return await asyncio.to_thread(get, database, account=account, stripe_id=stripe_id, role=role)


_GET = (
    "SELECT record_type, internal_id, external_id, body_hash, created_at, updated_at "
    "FROM links WHERE account = ? AND stripe_id = ? AND role = ?"
)
#: The columns `_GET` reads and `_PUT` binds after the key, in order.
_VALUE_COLUMNS = (
    links.c.record_type,
    links.c.internal_id,
    links.c.external_id,
    links.c.body_hash,
    links.c.created_at,
    links.c.updated_at,
)
_PROCESSORS: dict[str, tuple[list[driver.Processor | None], list[driver.Processor | None]]] = {}


def _processors(
    dialect: sa.Dialect,
) -> tuple[list[driver.Processor | None], list[driver.Processor | None]]:
    found = _PROCESSORS.get(dialect.name)
    if found is None:
        found = _PROCESSORS[dialect.name] = driver.processors(dialect, _VALUE_COLUMNS)
    return found


def to_record(
    conn_or_engine: sa.Connection | sa.Engine, *, account: str, record_type: str, internal_id: str
) -> list[Link]:
    """Every link of *account* to one NetSuite record, whatever Stripe object or role holds it.

    How a link from metadata learns that the record it names already belongs to another
    Stripe object.
    """
    stmt = db.prebuilt(
        conn_or_engine,
        "links.to_record",
        lambda: (
            sa.select(links)
            .where(
                links.c.account == sa.bindparam("b_account"),
                links.c.record_type == sa.bindparam("b_record_type"),
                links.c.internal_id == sa.bindparam("b_internal_id"),
            )
            .order_by(links.c.stripe_id, links.c.role)
        ),
    )
    values = {"b_account": account, "b_record_type": record_type, "b_internal_id": internal_id}
    with db.connection(conn_or_engine) as conn:
        return [_link(row) for row in conn.execute(stmt, values)]


def of_object(
    conn_or_engine: sa.Connection | sa.Engine, *, account: str, stripe_id: str
) -> list[Link]:
    """Every link of one Stripe object, whatever its role (a split payout has several
    deposits), ordered by role."""
    stmt = (
        sa.select(links)
        .where(links.c.account == account, links.c.stripe_id == stripe_id)
        .order_by(links.c.role)
    )
    with db.connection(conn_or_engine) as conn:
        return [_link(row) for row in conn.execute(stmt)]


def of_objects(
    conn_or_engine: sa.Connection | sa.Engine, *, account: str, stripe_ids: Sequence[str]
) -> list[Link]:
    """Every link of many Stripe objects at once (a payout's thousands of payments), read
    in batches of `IN_BATCH` ids."""
    found: list[Link] = []
    with db.connection(conn_or_engine) as conn:
        for start in range(0, len(stripe_ids), IN_BATCH):
            batch = list(stripe_ids[start : start + IN_BATCH])
            stmt = sa.select(links).where(links.c.account == account, links.c.stripe_id.in_(batch))
            found.extend(_link(row) for row in conn.execute(stmt))
    return found


#: Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's parameter limits.
IN_BATCH = 500


def put(
    database: sa.Engine | sa.Connection,
    *,
    account: str,
    stripe_id: str,
    role: str,
    record_type: str,
    internal_id: str,
    external_id: str | None,
    body_hash: str | None,
) -> None:
    """Insert or update the link (keeps ``created_at`` of an existing one)."""
    for field, value in (
        ("account", account),
        ("stripe_id", stripe_id),
        ("role", role),
        ("record_type", record_type),
        ("internal_id", internal_id),
    ):
        if not value:
            raise ValueError(
                f"links.put: {field} is empty (stripe_id={stripe_id!r}, role={role!r})"
            )
    now = db.utcnow()
    binds, _ = _processors(database.dialect)
    values = [record_type, internal_id, external_id, body_hash, now, now]
    bound = [
        value if process is None else process(value)
        for process, value in zip(binds, values, strict=True)
    ]
    driver.execute(database, _PUT, (account, stripe_id, role, *bound))


#: Insert, or update all but ``created_at``: SQLite and PostgreSQL both say it this way.
_PUT = (
    "INSERT INTO links (account, stripe_id, role, record_type, internal_id, external_id, "
    "body_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (account, stripe_id, role) DO UPDATE SET record_type = excluded.record_type, "
    "internal_id = excluded.internal_id, external_id = excluded.external_id, "
    "body_hash = excluded.body_hash, updated_at = excluded.updated_at"
)


def all_links(database: sa.Engine | sa.Connection, account: str | None = None) -> list[Link]:
    """Every link (of one account, when given), in a stable order."""
    stmt = sa.select(links).order_by(links.c.account, links.c.stripe_id, links.c.role)
    if account is not None:
        stmt = stmt.where(links.c.account == account)
    with db.connection(database) as conn:
        return [_link(row) for row in conn.execute(stmt)]


def delete(database: sa.Engine | sa.Connection, *, account: str, stripe_id: str, role: str) -> bool:
    """Forget a link (e.g. the NetSuite record was deleted); True when one existed."""
    stmt = sa.delete(links).where(
        links.c.account == account, links.c.stripe_id == stripe_id, links.c.role == role
    )
    with db.connection(database) as conn:
        return conn.execute(stmt).rowcount == 1


#: Shortest body-hash key accepted (`store.install` makes 32-byte keys).
MIN_KEY_BYTES = 16


def body_hash(body: Mapping[str, Any], *, key: bytes) -> str:
    """HMAC-SHA256 hex, under *key*, of ``body`` as canonical JSON: sorted keys, no spaces,
    exact numbers.

    The key is the install's (`store.install.hash_key`): the same body hashes alike on
    one install and differently on another, and never as its plain SHA-256.

    Numbers are normalised so that an unchanged object hashes the same however its
    amounts were spelled: ``Decimal("1.10")``, ``Decimal("1.1")`` and ``1.1`` are one
    value, as are ``1``, ``1.0`` and ``Decimal("1.00")``. Decimals are never passed
    through float. Dates and datetimes hash as ISO 8601, enums as their value.
    """
    if not isinstance(body, Mapping):
        raise TypeError(f"body_hash: body must be a mapping, not {type(body).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"body_hash: the key has {len(key)} bytes, at least {MIN_KEY_BYTES} needed"
        )
    text = _canonical(body, "body")
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical(value: Any, path: str) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Enum):
        return _canonical(value.value, path)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"body_hash: {path} is {value!r}, not a finite number")
        return _number(Decimal(repr(value)), path)
    if isinstance(value, Decimal):
        return _number(value, path)
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        items = []
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"body_hash: {path} has a non-string key {key!r}")
        for key in sorted(value):
            items.append(
                json.dumps(key, ensure_ascii=False) + ":" + _canonical(value[key], f"{path}.{key}")
            )
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ",".join(_canonical(v, f"{path}[{i}]") for i, v in enumerate(value)) + "]"
    raise TypeError(f"body_hash: {path} is a {type(value).__name__}, which has no JSON form")


def _number(value: Decimal, path: str) -> str:
    if not value.is_finite():
        raise ValueError(f"body_hash: {path} is {value}, not a finite number")
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")
