"""Record storage: dictionaries in memory, written through to a SQLite file when one is given.

Bodies are kept in their stored form (canonical field names, references as ``{"id": ...}``,
amounts as ``Decimal``). On disk they are JSON with amounts as strings; ``revive`` turns them
back into ``Decimal`` on load.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

Body = dict[str, Any]


def _encode(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


class Store:
    """Every record of the account, by type and internal id."""

    def __init__(
        self, *, db_path: str | None, first_id: int, revive: Callable[[str, Body], Body]
    ) -> None:
        self._records: dict[str, dict[str, Body]] = {}
        self._external: dict[str, dict[str, str]] = {}
        self.next_id = first_id
        self._db: sqlite3.Connection | None = None
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS record ("
                " type TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
                " PRIMARY KEY (type, id))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self._load(revive)

    def _load(self, revive: Callable[[str, Body], Body]) -> None:
        assert self._db is not None
        rows = self._db.execute("SELECT type, id, body FROM record").fetchall()
        for rtype, rid, text in rows:
            self._put(rtype, rid, revive(rtype, json.loads(text)))
        meta = self._db.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()
        if meta:
            self.next_id = max(self.next_id, int(meta[0]))

    def _put(self, rtype: str, rid: str, body: Body) -> None:
        self._records.setdefault(rtype, {})[rid] = body
        ext = body.get("externalId")
        if ext is not None:
            self._external.setdefault(rtype, {})[str(ext)] = rid

    def _write(self, rtype: str, rid: str, body: Body | None) -> None:
        if self._db is None:
            return
        if body is None:
            self._db.execute("DELETE FROM record WHERE type = ? AND id = ?", (rtype, rid))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO record (type, id, body) VALUES (?, ?, ?)",
                (rtype, rid, json.dumps(body, default=_encode)),
            )
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_id', ?)", (str(self.next_id),)
        )

    def allocate_id(self) -> str:
        rid = str(self.next_id)
        self.next_id += 1
        return rid

    def get(self, rtype: str, rid: str) -> Body | None:
        return self._records.get(rtype, {}).get(rid)

    def id_for_external(self, rtype: str, external_id: str) -> str | None:
        return self._external.get(rtype, {}).get(external_id)

    def save(self, rtype: str, body: Body) -> None:
        """Insert or replace *body* (which carries its ``id``)."""
        rid = str(body["id"])
        old = self.get(rtype, rid)
        if old is not None and old.get("externalId") is not None:
            self._external.get(rtype, {}).pop(str(old["externalId"]), None)
        self._put(rtype, rid, body)
        self._write(rtype, rid, body)

    def delete(self, rtype: str, rid: str) -> None:
        old = self._records.get(rtype, {}).pop(rid, None)
        if old is not None and old.get("externalId") is not None:
            self._external.get(rtype, {}).pop(str(old["externalId"]), None)
        self._write(rtype, rid, None)

    def ids(self, rtype: str) -> list[str]:
        """Internal ids of one type in ascending numeric order."""
        return sorted(self._records.get(rtype, {}), key=_numeric)

    def all(self, rtype: str) -> Iterator[Body]:
        for rid in self.ids(rtype):
            yield self._records[rtype][rid]

    def types(self) -> list[str]:
        return sorted(t for t, recs in self._records.items() if recs)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _numeric(rid: str) -> tuple[int, str]:
    try:
        return (int(rid), rid)
    except ValueError:
        return (1 << 62, rid)
