"""Object storage: every Stripe object as a JSON dict, optionally written through to SQLite."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

Obj = dict[str, Any]


class Store:
    """Objects by id, in creation order, plus a small key/value table for sandbox state."""

    def __init__(self, db_path: str | None = None) -> None:
        self.objects: dict[str, Obj] = {}
        self.seq: dict[str, int] = {}
        self.kv: dict[str, Any] = {}
        #: ids per `object` type, in insertion (= creation) order
        self.by_type: dict[str, dict[str, None]] = {}
        self._next_seq = 0
        self._dirty: set[str] = set()
        self._dirty_kv: set[str] = set()
        self._db: sqlite3.Connection | None = None
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False)
            self._db.execute(
                "create table if not exists objects"
                " (id text primary key, seq integer not null, body text not null)"
            )
            self._db.execute("create table if not exists kv (k text primary key, v text not null)")
            self._db.commit()
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        for oid, seq, body in self._db.execute("select id, seq, body from objects order by seq"):
            obj = json.loads(body)
            self.objects[oid] = obj
            self.seq[oid] = seq
            self.by_type.setdefault(str(obj.get("object")), {})[oid] = None
            self._next_seq = max(self._next_seq, seq + 1)
        for key, value in self._db.execute("select k, v from kv"):
            self.kv[key] = json.loads(value)

    def put(self, obj: Obj) -> Obj:
        """Insert or mark *obj* changed (it is stored by reference)."""
        oid = obj["id"]
        if oid not in self.seq:
            self.seq[oid] = self._next_seq
            self._next_seq += 1
            self.by_type.setdefault(str(obj.get("object")), {})[oid] = None
        self.objects[oid] = obj
        self._dirty.add(oid)
        return obj

    def touch(self, obj: Obj) -> None:
        """Mark *obj* changed."""
        self._dirty.add(obj["id"])

    def get(self, oid: str) -> Obj | None:
        """The object with id *oid*, or None."""
        return self.objects.get(oid)

    def all_of(self, object_type: str) -> list[Obj]:
        """Every object whose `object` is *object_type*, oldest first."""
        return [self.objects[oid] for oid in self.by_type.get(object_type, {})]

    def set(self, key: str, value: Any) -> None:
        """Store a sandbox setting."""
        self.kv[key] = value
        self._dirty_kv.add(key)

    def commit(self) -> None:
        """Write changed objects to SQLite (no-op without a database)."""
        if self._db is None:
            self._dirty.clear()
            self._dirty_kv.clear()
            return
        rows = [
            (oid, self.seq[oid], json.dumps(self.objects[oid]))
            for oid in self._dirty
            if oid in self.objects
        ]
        self._db.executemany("insert or replace into objects values (?, ?, ?)", rows)
        self._db.executemany(
            "insert or replace into kv values (?, ?)",
            [(k, json.dumps(self.kv[k])) for k in self._dirty_kv],
        )
        self._db.commit()
        self._dirty.clear()
        self._dirty_kv.clear()

    def close(self) -> None:
        """Flush and close the database."""
        self.commit()
        if self._db is not None:
            self._db.close()
            self._db = None
