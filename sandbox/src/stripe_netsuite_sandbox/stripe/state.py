"""The in-process sandbox: objects, clock, ids, events and the webhook outbox."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stripe_netsuite_sandbox.stripe import errors, params, shapes
from stripe_netsuite_sandbox.stripe.store import Obj, Store

API_VERSION = "2026-10-28.endive"
EVENT_RETENTION = 30 * 86400
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class Delivery:
    """One pending POST of an event to one endpoint."""

    url: str
    secret: str
    event_id: str
    payload: str
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class Sandbox:
    """State shared by every request of one sandbox app (`app.state.sandbox`)."""

    api_key: str
    account_id: str
    default_currency: str
    seed: int
    store: Store
    frozen: bool
    duplicate_rate: float = 0.0
    shuffle: bool = False
    drop_rate: float = 0.0
    deliver_webhooks: bool = True
    #: Seconds of sandbox time the events list reaches back (Stripe keeps 30 days).
    event_retention: int = EVENT_RETENTION
    outbox: list[Delivery] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    request_id: str | None = None
    idempotency_key: str | None = None
    on_outbox: Callable[[], None] | None = None
    includables: dict[tuple[str, str], Callable[[Obj], Any]] = field(default_factory=dict)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    #: Currencies the account holds a balance in (and pays out in); any other currency
    #: is converted into ``default_currency`` when it settles.
    settlement_currencies: frozenset[str] = frozenset()
    #: (rate-limit share, server-error share) of /v1 requests, and their own random stream
    faults: tuple[float, float] = (0.0, 0.0)
    fault_rng: random.Random = field(default_factory=lambda: random.Random(0))
    next_check: int = 0
    _base: int = 0
    _t0: float = 0.0
    _at: int | None = None
    _detached: bool = False

    def settlement_currency(self, currency_code: str) -> str:
        """The currency money in *currency_code* settles in."""
        code = currency_code.lower()
        return code if code in self.settlement_currencies else self.default_currency

    # -- clock ------------------------------------------------------------------------
    def start_clock(self, start: int) -> None:
        """Set the clock to *start* (unix seconds)."""
        self._base = int(self.store.kv.get("clock", start))
        self._t0 = time.monotonic()

    def wall(self) -> int:
        """The sandbox clock, ignoring any test clock."""
        if self.frozen:
            return self._base
        return self._base + int(time.monotonic() - self._t0)

    def now(self) -> int:
        """Current sandbox time (inside a processing step: that step's time)."""
        return self._at if self._at is not None else self.wall()

    @property
    def pinned(self) -> bool:
        """True inside `at()`, where the clock reads a chosen moment rather than the wall."""
        return self._at is not None

    def shift(self, seconds: int) -> None:
        """Move the wall clock forward."""
        self._base += seconds

    @contextlib.contextmanager
    def at(self, moment: int, *, detached: bool = False) -> Iterator[None]:
        """Run a block as if the clock read *moment* (test clocks, catch-up steps).

        *detached* marks test-clock time: objects take that time, but events keep the
        sandbox clock's, as Stripe's events carry real time.
        """
        saved = self._at, self._detached
        self._at = moment
        self._detached = detached or self._detached
        try:
            yield
        finally:
            self._at, self._detached = saved

    def commit(self) -> None:
        """Persist objects and the clock."""
        self.store.set("clock", self.wall())
        self.store.commit()

    # -- webhook endpoints -------------------------------------------------------------
    def add_webhook(
        self, url: str, enabled_events: list[str] | None = None, secret: str | None = None
    ) -> str:
        """Register *url* for events (all by default); returns its signing secret."""
        for ep in self.store.all_of("webhook_endpoint"):
            if ep["url"] == url and not ep.get("_deleted"):
                self.webhook_secrets[url] = ep["_secret"]
                return str(ep["_secret"])
        secret = secret or "whsec_" + hashlib.sha256(f"{self.seed}:{url}".encode()).hexdigest()
        self.create(
            "webhook_endpoint",
            "we",
            api_version=API_VERSION,
            enabled_events=enabled_events or ["*"],
            status="enabled",
            url=url,
            _secret=secret,
        )
        self.webhook_secrets[url] = secret
        self.commit()
        return secret

    # -- ids --------------------------------------------------------------------------
    def _counter(self) -> int:
        n = int(self.store.kv.get("counter", 0)) + 1
        self.store.set("counter", n)
        return n

    def token(self, length: int = 24, alphabet: str = _ALPHABET) -> str:
        """A deterministic pseudo-random token (seed + a persisted counter)."""
        digest = hashlib.sha256(f"{self.seed}:{self._counter()}".encode()).digest()
        number = int.from_bytes(digest, "big")
        out = []
        for _ in range(length):
            number, rem = divmod(number, len(alphabet))
            out.append(alphabet[rem])
        return "".join(out)

    def new_id(self, prefix: str) -> str:
        """A Stripe-style id such as `cus_…`."""
        return f"{prefix}_{self.token()}"

    # -- objects ----------------------------------------------------------------------
    def create(self, resource: str, prefix: str | None, **values: Any) -> Obj:
        """A new object of *resource* with its fixture keys, stored."""
        obj = shapes.skeleton(resource, **values)
        if prefix is not None and not obj.get("id"):
            obj["id"] = self.new_id(prefix)
        if "created" in obj and obj.get("created") is None:
            obj["created"] = self.now()
        return self.store.put(obj)

    def get(self, oid: str | None, object_type: str | tuple[str, ...]) -> Obj | None:
        """The object *oid* if it exists and is of *object_type*."""
        if not oid or not isinstance(oid, str):
            return None
        obj = self.store.get(oid)
        types = (object_type,) if isinstance(object_type, str) else object_type
        if obj is None or obj.get("object") not in types:
            return None
        return obj

    def need(
        self, oid: str | None, object_type: str, *, param: str | None = None, kind: str = ""
    ) -> Obj:
        """The object *oid* of *object_type*, or Stripe's 404."""
        obj = self.get(oid, object_type)
        if obj is None or obj.get("_deleted"):
            raise errors.no_such(kind or object_type.replace("_", " "), str(oid), param)
        return obj

    def touch(self, obj: Obj) -> None:
        """Mark *obj* changed."""
        self.store.touch(obj)

    # -- rendering --------------------------------------------------------------------
    def render(self, obj: Any, expand: Iterable[str] = ()) -> Any:
        """A deep copy without private keys, with *expand* paths resolved."""
        if not expand and isinstance(obj, dict) and obj.get("object") == "event":
            # Events are written once, already public, and serialized straight away.
            return obj
        out = _public(obj)
        paths = [p.split(".") for p in expand if p]
        if isinstance(out, dict):
            for (otype, key), fn in self.includables.items():
                wanted = key in out or any(p[0] == key for p in paths)
                if out.get("object") == otype and wanted:
                    out[key] = fn(obj)
        for path in paths:
            out = self._expand(out, path)
        return out

    def _expand(self, value: Any, path: list[str]) -> Any:
        if not path:
            return value
        if isinstance(value, list):
            return [self._expand(v, path) for v in value]
        if not isinstance(value, dict):
            return value
        head, rest = path[0], path[1:]
        if head not in value:
            return value
        child = value[head]
        if isinstance(child, str):
            target = self.store.get(child)
            if target is not None:
                child = self.render(target)
        elif isinstance(child, list) and child and all(isinstance(c, str) for c in child):
            child = [self.render(self.store.get(c)) if self.store.get(c) else c for c in child]
        value[head] = self._expand(child, rest)
        return value

    def page(
        self,
        items: list[Obj],
        query: params.Params,
        url: str,
        expand: Iterable[str] = (),
    ) -> Obj:
        """A Stripe list object over *items* (given oldest first; listed newest first)."""
        ordered = sorted(items, key=lambda o: self.store.seq.get(o["id"], 0), reverse=True)
        limit = params.integer(query, "limit") or 10
        if not 1 <= limit <= 100:
            raise errors.invalid(
                "This value must be less than or equal to 100 and greater than or equal to 1.",
                param="limit",
            )
        after = params.string(query, "starting_after")
        before = params.string(query, "ending_before")
        if after:
            window = self._window(ordered, after, older=True, param="starting_after")
            chosen, more = window[:limit], len(window) > limit
        elif before:
            window = self._window(ordered, before, older=False, param="ending_before")
            chosen, more = window[-limit:], len(window) > limit
        else:
            chosen, more = ordered[:limit], len(ordered) > limit
        sub = [p[len("data.") :] for p in expand if p.startswith("data.")]
        return {
            "object": "list",
            "data": [self.render(o, sub) for o in chosen],
            "has_more": more,
            "url": url,
        }

    def _window(self, ordered: list[Obj], cursor: str, *, older: bool, param: str) -> list[Obj]:
        ids = [o["id"] for o in ordered]
        if cursor in ids:
            at = ids.index(cursor)
            return ordered[at + 1 :] if older else ordered[:at]
        seq = self.store.seq
        if cursor not in seq:
            raise errors.invalid(f"No such object for {param}: '{cursor}'", param=param)
        mark = seq[cursor]
        if older:
            return [o for o in ordered if seq.get(o["id"], 0) < mark]
        return [o for o in ordered if seq.get(o["id"], 0) > mark]

    def sublist(self, items: list[Obj], url: str) -> Obj:
        """An embedded list object (such as `invoice.lines`), all items, oldest first."""
        return {
            "object": "list",
            "data": [_public(o) for o in items],
            "has_more": False,
            "total_count": len(items),
            "url": url,
        }

    # -- events -----------------------------------------------------------------------
    def emit(self, event_type: str, obj: Obj, previous: dict[str, Any] | None = None) -> Obj:
        """Record an event for *obj* and queue it for every matching webhook endpoint."""
        data: dict[str, Any] = {"object": self.render(obj)}
        if previous is not None:
            data["previous_attributes"] = _public(previous)
        endpoints = [
            ep
            for ep in self.store.all_of("webhook_endpoint")
            if not ep.get("_deleted")
            and ep.get("status") == "enabled"
            and _wants(ep.get("enabled_events") or ["*"], event_type)
        ]
        event = self.create(
            "event",
            "evt",
            created=self.wall() if self._detached else self.now(),
            api_version=API_VERSION,
            data=data,
            type=event_type,
            pending_webhooks=len(endpoints),
            request={"id": self.request_id, "idempotency_key": self.idempotency_key},
        )
        if endpoints:
            payload = json.dumps(self.render(event), indent=2)
            for ep in endpoints:
                self.outbox.append(Delivery(ep["url"], ep["_secret"], event["id"], payload))
            if self.on_outbox is not None:
                self.on_outbox()
        return event

    def snapshot(self, obj: Obj, keys: Iterable[str]) -> dict[str, Any]:
        """The current values of *keys* (for `previous_attributes`)."""
        return {k: copy.deepcopy(obj.get(k)) for k in keys}

    def update_event(self, event_type: str, obj: Obj, before: dict[str, Any]) -> None:
        """Emit *event_type* with the keys of *before* that changed."""
        changed = {k: v for k, v in before.items() if obj.get(k) != v}
        meta, now = changed.get("metadata"), obj.get("metadata")
        if isinstance(meta, dict) and isinstance(now, dict):
            # Stripe lists only the metadata keys that changed, with their old values.
            keys = {k for k in meta.keys() | now.keys() if meta.get(k) != now.get(k)}
            changed["metadata"] = {k: meta.get(k) for k in sorted(keys)}
        self.emit(event_type, obj, changed)


def _wants(enabled: list[str], event_type: str) -> bool:
    return "*" in enabled or event_type in enabled


def _public(value: Any) -> Any:
    """A deep copy without private (`_`-prefixed) keys.

    Private keys live only at the top level of an object and on embedded list items
    (such as invoice lines), so a JSON round trip (fast, in C) plus stripping those two
    levels is enough.
    """
    if not isinstance(value, dict | list):
        return value
    out = json.loads(json.dumps(value))
    for obj in out if isinstance(out, list) else [out]:
        if isinstance(obj, dict):
            _strip(obj)
    return out


def _strip(obj: dict[str, Any]) -> None:
    for key in [k for k in obj if k.startswith("_")]:
        del obj[key]
    for value in obj.values():
        if isinstance(value, dict) and value.get("object") == "list":
            for item in value.get("data") or []:
                if isinstance(item, dict):
                    for key in [k for k in item if k.startswith("_")]:
                        del item[key]
