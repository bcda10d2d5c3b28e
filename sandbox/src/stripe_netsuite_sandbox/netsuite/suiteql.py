"""SuiteQL over the sandbox's tables: joins, WHERE, GROUP BY with aggregates, ORDER BY.

Tables are those of ``tables`` (customer, transaction, transactionline, transactionaccountingline,
item, account, subsidiary, currency). Values come back as strings with lower-case keys and nulls
left out; booleans are 'T'/'F'; dates render as ``M/D/YYYY`` like an account with US preferences,
so use ``TO_CHAR(col, 'YYYY-MM-DD HH24:MI:SS')`` for full timestamps. An unaliased expression
that is not a plain column comes back as ``expr1``, ``expr2``, ... . Anything outside the subset
(see ``sqlparse``) is refused with NetSuite's error shape, and so are names that do not resolve:
an unknown column, an ambiguous one, a selected column that is neither grouped nor aggregated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stripe_netsuite_sandbox.netsuite import sqleval, sqlparse, tables
from stripe_netsuite_sandbox.netsuite.sqleval import Compiler, JoinedRow
from stripe_netsuite_sandbox.netsuite.sqlnodes import (
    BoolOp,
    Cmp,
    Col,
    Func,
    Item,
    Join,
    Lit,
    Query,
    Star,
)
from stripe_netsuite_sandbox.netsuite.sqlparse import AGGREGATES, error

if TYPE_CHECKING:
    from stripe_netsuite_sandbox.netsuite.account import Account

Row = tables.Row


class _Plan:
    """One parsed query with its names resolved against the account's tables."""

    def __init__(self, account: Account, query: Query) -> None:
        self.account = account
        self.sources = [query.source, *(j.source for j in query.joins)]
        self.columns: dict[str, set[str]] = {}
        for source in self.sources:
            if source.table not in tables.TABLES:
                raise error(
                    f"Record '{source.table}' was not found or is not supported "
                    f"(tables: {', '.join(tables.TABLES)})."
                )
            if source.alias in self.columns:
                raise error(f"The table alias '{source.alias}' is used twice.")
            self.columns[source.alias] = tables.columns(account, source.table)
        self.query = replace(
            query,
            items=tuple(
                i if isinstance(i, Star) else Item(self.resolve(i.expr), i.alias)
                for i in query.items
            ),
            joins=tuple(
                Join(j.kind, j.source, None if j.on is None else self.resolve(j.on))
                for j in query.joins
            ),
            where=None if query.where is None else self.resolve(query.where),
            group=tuple(self.resolve(g) for g in query.group),
            having=None if query.having is None else self.resolve(query.having),
        )
        for star in self.query.items:
            if isinstance(star, Star) and star.qualifier is not None:
                self.alias_of(star.qualifier)

    def alias_of(self, qualifier: str) -> str:
        for source in self.sources:
            if qualifier == source.alias:
                return source.alias
        for source in self.sources:
            if qualifier == source.table:
                return source.alias
        raise error(f"Unknown table alias '{qualifier}'.")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, Col):
            return self._column(node)
        if isinstance(node, Func) and node.name in ("TO_DATE", "TO_TIMESTAMP"):
            if node.args and all(isinstance(a, Lit) for a in node.args):
                return Lit(sqleval.to_date(*(a.value for a in node.args)))
        if isinstance(node, tuple):
            return tuple(self.resolve(part) for part in node)
        if is_dataclass(node) and not isinstance(node, type | Lit):
            changed = {f.name: self.resolve(getattr(node, f.name)) for f in fields(node)}
            return replace(node, **changed)
        return node

    def _column(self, node: Col) -> Col:
        if node.qualifier is not None:
            alias = self.alias_of(node.qualifier)
            if node.name not in self.columns[alias]:
                table = next(s.table for s in self.sources if s.alias == alias)
                raise error(f"Field '{node.name}' for record '{table}' was not found.")
            return Col(alias, node.name)
        having = [s.alias for s in self.sources if node.name in self.columns[s.alias]]
        if not having:
            raise error(f"Field '{node.name}' for record '{self.sources[0].table}' was not found.")
        if len(having) > 1:
            raise error(f"Column '{node.name}' is ambiguously defined.")
        return Col(having[0], node.name)

    def display(self, column: str, value: Any) -> str | None:
        return tables.display(self.account, column, value)

    # -- execution ---------------------------------------------------------------------------

    def joined_rows(self) -> list[JoinedRow]:
        base = self.sources[0]
        out: list[JoinedRow] = [{base.alias: row} for row in tables.rows(self.account, base.table)]
        seen = {base.alias}
        row_compiler = Compiler(self.display, grouped=False)
        for join in self.query.joins:
            right = list(tables.rows(self.account, join.source.table))
            on = None if join.on is None else row_compiler.test(join.on)
            out = _join(out, join, right, on, _equi_key(join, seen))
            seen.add(join.source.alias)
        if self.query.where is not None:
            where = row_compiler.test(self.query.where)
            out = [r for r in out if where(r) is True]
        return out


def _equi_key(join: Join, seen: set[str]) -> tuple[Col, Col] | None:
    """An equality in ON between a column of the joined table and one already there, to join
    on through a hash index rather than by comparing every pair."""
    if join.on is None:
        return None
    parts = join.on.parts if isinstance(join.on, BoolOp) and join.on.op == "AND" else (join.on,)
    alias = join.source.alias
    for part in parts:
        if isinstance(part, Cmp) and part.op == "=":
            left, right = part.left, part.right
            if isinstance(left, Col) and isinstance(right, Col):
                if left.qualifier == alias and right.qualifier in seen:
                    return right, left
                if right.qualifier == alias and left.qualifier in seen:
                    return left, right
    return None


def _key(value: Any) -> Any:
    found = sqleval.number(value)
    return found.normalize() if found is not None else str(value)


def _join(
    left: list[JoinedRow],
    join: Join,
    right: list[Row],
    on: Callable[[Any], bool | None] | None,
    equi: tuple[Col, Col] | None,
) -> list[JoinedRow]:
    alias = join.source.alias
    index: dict[Any, list[Row]] | None = None
    if equi is not None:
        index = {}
        for row in right:
            value = row.get(equi[1].name)
            if value is not None:
                index.setdefault(_key(value), []).append(row)
    out: list[JoinedRow] = []
    for row in left:
        if index is not None and equi is not None:
            near = row.get(equi[0].qualifier or "")
            value = None if near is None else near.get(equi[0].name)
            candidates: Iterable[Row] = [] if value is None else index.get(_key(value), [])
        else:
            candidates = right
        matched = False
        for other in candidates:
            merged = {**row, alias: other}
            if on is None or on(merged) is True:
                out.append(merged)
                matched = True
        if not matched and join.kind == "LEFT":
            out.append({**row, alias: None})
    return out


def _has_aggregate(node: Any) -> bool:
    if isinstance(node, Func) and node.name in AGGREGATES:
        return True
    if isinstance(node, tuple):
        return any(_has_aggregate(part) for part in node)
    if is_dataclass(node) and not isinstance(node, type | Lit):
        return any(_has_aggregate(getattr(node, f.name)) for f in fields(node))
    return False


def _covered(node: Any, group: tuple[Any, ...]) -> bool:
    """Whether *node* only reads grouped expressions (or aggregates) once grouped."""
    if node in group or isinstance(node, Lit):
        return True
    if isinstance(node, Func) and node.name in AGGREGATES:
        return True
    if isinstance(node, Col):
        return False
    if isinstance(node, tuple):
        return all(_covered(part, group) for part in node)
    if is_dataclass(node) and not isinstance(node, type):
        return all(_covered(getattr(node, f.name), group) for f in fields(node))
    return True


def _natural_names(items: tuple[Star | Item, ...]) -> list[str]:
    names: list[str] = []
    unnamed = 0
    for item in items:
        if isinstance(item, Star):
            names.append("*")
            continue
        expr = item.expr
        if item.alias:
            names.append(item.alias)
        elif isinstance(expr, Col):
            names.append(expr.name)
        elif (
            isinstance(expr, Func)
            and expr.name in ("TO_CHAR", "BUILTIN.DF")
            and isinstance(expr.args[0], Col)
        ):
            names.append(expr.args[0].name)
        else:
            unnamed += 1
            names.append(f"expr{unnamed}")
    return names


def run(account: Account, q: str, params: list[str]) -> list[Row]:
    """Every row of the query, rendered (paging is the caller's)."""
    plan = _Plan(account, sqlparse.parse(q, params))
    query = plan.query
    names = _natural_names(query.items)
    order_by_item: list[int | None] = []
    for expr, _desc in query.order:
        position: int | None = None
        if isinstance(expr, Col) and expr.qualifier is None and expr.name in names:
            position = names.index(expr.name)
        elif isinstance(expr, Lit) and isinstance(expr.value, Decimal):
            position = int(expr.value) - 1
            if not 0 <= position < len(names):
                raise error(f"ORDER BY position {expr.value} is out of range.")
        order_by_item.append(position)
    order_exprs = [
        None if at is not None else plan.resolve(expr)
        for (expr, _), at in zip(query.order, order_by_item, strict=True)
    ]
    exprs = [i.expr for i in query.items if isinstance(i, Item)]
    grouped = bool(query.group) or any(
        _has_aggregate(e) for e in [*exprs, query.having, *order_exprs] if e is not None
    )
    rows = plan.joined_rows()
    units: list[Any]
    if grouped:
        if any(isinstance(i, Star) for i in query.items):
            raise error("* cannot be selected with GROUP BY or aggregates.")
        for expr in [*exprs, query.having, *order_exprs]:
            if expr is not None and not _covered(expr, query.group):
                raise error("A selected expression is not a GROUP BY expression.")
        units = _groups(plan, rows)
    else:
        units = list(rows)
    compiler = Compiler(plan.display, grouped=grouped)
    if query.having is not None:
        having = compiler.test(query.having)
        units = [u for u in units if having(u) is True]
    item_fns = [None if isinstance(i, Star) else compiler.value(i.expr) for i in query.items]
    computed = [[fn(u) if fn else None for fn in item_fns] for u in units]
    keyed = list(zip(units, computed, strict=True))
    for (_expr, desc), at, resolved in reversed(
        list(zip(query.order, order_by_item, order_exprs, strict=True))
    ):
        if at is not None:
            keyed.sort(key=lambda pair, i=at: sqleval.sort_key(pair[1][i]), reverse=desc)  # type: ignore[misc]
        else:
            fn = compiler.value(resolved)
            keyed.sort(key=lambda pair, f=fn: sqleval.sort_key(f(pair[0])), reverse=desc)  # type: ignore[misc]
    out: list[Row] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for unit, values in keyed:
        rendered = _render_row(plan, query.items, names, unit, values)
        if query.distinct:
            marker = tuple(rendered.items())
            if marker in seen:
                continue
            seen.add(marker)
        out.append(rendered)
    return out


def _groups(plan: _Plan, rows: list[JoinedRow]) -> list[list[JoinedRow]]:
    query = plan.query
    if not query.group:
        return [rows]
    compiler = Compiler(plan.display, grouped=False)
    keys = [compiler.value(g) for g in query.group]
    groups: dict[tuple[Any, ...], list[JoinedRow]] = {}
    for row in rows:
        groups.setdefault(tuple(sqleval.group_key(k(row)) for k in keys), []).append(row)
    return list(groups.values())


def _render_row(
    plan: _Plan,
    items: tuple[Star | Item, ...],
    names: list[str],
    unit: Any,
    values: list[Any],
) -> Row:
    rendered: Row = {}
    for item, name, value in zip(items, names, values, strict=True):
        if isinstance(item, Star):
            for source in plan.sources:
                if item.qualifier is not None and plan.alias_of(item.qualifier) != source.alias:
                    continue
                for key, raw in (unit.get(source.alias) or {}).items():
                    text = _render(raw, key in tables.DATE_COLUMNS)
                    if text is not None:
                        rendered[key] = text
            continue
        text = _render(value, sqleval.is_date(item.expr))
        if text is not None:
            rendered[name] = text
    return rendered


def _render(value: Any, is_date: bool) -> str | None:
    if value is None:
        return None
    if is_date:
        when = sqleval.to_datetime(value)
        if when is not None:
            return f"{when.month}/{when.day}/{when.year}"
    return sqleval.text(value)
