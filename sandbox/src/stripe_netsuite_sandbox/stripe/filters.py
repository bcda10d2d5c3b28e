"""List filters shared by the list endpoints (`created[gte]=…` and friends)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stripe_netsuite_sandbox.stripe import errors, params
from stripe_netsuite_sandbox.stripe.store import Obj

_OPS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def range_filter(query: params.Params, key: str, field: str | None = None) -> Callable[[Obj], bool]:
    """A predicate for `key=N` or `key[gte]=N` style filters (on *field*, default *key*)."""
    raw: Any = query.get(key)
    name = field or key
    if raw is None or raw == "":
        return lambda obj: True
    if not isinstance(raw, dict):
        exact = params.integer(query, key)
        return lambda obj: obj.get(name) == exact
    tests: list[tuple[Callable[[int, int], bool], int]] = []
    for op, _value in raw.items():
        if op not in _OPS:
            raise errors.invalid(f"Invalid {key} filter: {op}", param=f"{key}[{op}]")
        bound = params.integer(raw, op)
        if bound is None:
            raise errors.invalid(f"Invalid integer: {key}[{op}] is empty", param=f"{key}[{op}]")
        tests.append((_OPS[op], bound))
    return lambda obj: obj.get(name) is not None and all(f(obj[name], b) for f, b in tests)


def equal(query: params.Params, *keys: str) -> Callable[[Obj], bool]:
    """A predicate for exact-match filters such as `customer=cus_…`."""
    wanted = {k: params.string(query, k) for k in keys}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    return lambda obj: all(obj.get(k) == v for k, v in wanted.items())


def apply(items: list[Obj], *predicates: Callable[[Obj], bool]) -> list[Obj]:
    """Items that pass every predicate."""
    return [o for o in items if not o.get("_deleted") and all(p(o) for p in predicates)]
