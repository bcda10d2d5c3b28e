"""The SuiteQL syntax tree: expressions, conditions and the query, as ``sqlparse`` builds them.

Nodes are frozen dataclasses so that equal expressions compare equal: GROUP BY matches a
selected expression against a grouped one that way. Columns start unqualified or qualified by
what the query wrote; ``suiteql`` resolves them to a table alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Col:
    """A column, qualified by a table alias once resolved."""

    qualifier: str | None
    name: str


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Any, ...]
    star: bool = False
    distinct: bool = False


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Neg:
    operand: Any


@dataclass(frozen=True)
class Case:
    whens: tuple[tuple[Any, Any], ...]
    default: Any


@dataclass(frozen=True)
class Cmp:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class InList:
    expr: Any
    values: tuple[Any, ...]
    negate: bool


@dataclass(frozen=True)
class Like:
    expr: Any
    pattern: Any
    negate: bool


@dataclass(frozen=True)
class IsNull:
    expr: Any
    negate: bool


@dataclass(frozen=True)
class Between:
    expr: Any
    low: Any
    high: Any
    negate: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND, OR
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class Star:
    """``*`` or ``alias.*``."""

    qualifier: str | None


@dataclass(frozen=True)
class Item:
    expr: Any
    alias: str | None


@dataclass(frozen=True)
class Source:
    table: str
    alias: str


@dataclass(frozen=True)
class Join:
    kind: str  # INNER, LEFT
    source: Source
    on: Any


@dataclass(frozen=True)
class Query:
    distinct: bool
    items: tuple[Star | Item, ...]
    source: Source
    joins: tuple[Join, ...]
    where: Any
    group: tuple[Any, ...]
    having: Any
    order: tuple[tuple[Any, bool], ...]
