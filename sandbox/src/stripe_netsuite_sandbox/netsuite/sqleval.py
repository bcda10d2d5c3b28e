"""How SuiteQL values behave: comparison, arithmetic, functions and aggregates.

Expressions are compiled once into closures. A closure reads either one joined row (a dict of
table alias to row, ``None`` for the missing side of a LEFT JOIN) or, once grouped, a list of
them, where an aggregate folds its argument over the group and a plain column reads the group's
first row (the query checked it is a grouped expression). Nulls follow SQL: comparisons with a
null are unknown, aggregates skip nulls, ``SUM`` of nothing is null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors, sqlparse
from stripe_netsuite_sandbox.netsuite.filters import parse_date
from stripe_netsuite_sandbox.netsuite.sqlnodes import (
    Between,
    BinOp,
    BoolOp,
    Case,
    Cmp,
    Col,
    Func,
    InList,
    IsNull,
    Like,
    Lit,
    Neg,
    Not,
)
from stripe_netsuite_sandbox.netsuite.sqlparse import error
from stripe_netsuite_sandbox.netsuite.tables import DATE_COLUMNS

Row = dict[str, Any]
JoinedRow = dict[str, Row | None]
Fn = Callable[[Any], Any]
_CHECKS: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<>": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


# -- values ------------------------------------------------------------------------------------


def number(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, datetime):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if value is None:
        return None
    try:
        return parse_date(str(value))
    except errors.NetSuiteError:
        return None


def oracle_format(fmt: str) -> str:
    out = fmt.upper()
    for token, repl in (
        ("YYYY", "%Y"),
        ("HH24", "%H"),
        ("HH12", "%I"),
        ("HH", "%I"),
        ("MI", "%M"),
        ("SS", "%S"),
        ("MM", "%m"),
        ("DD", "%d"),
        ("AM", "%p"),
        ("PM", "%p"),
    ):
        out = out.replace(token, repl)
    return out


def to_char(value: Any, fmt: str | None) -> str | None:
    when = to_datetime(value) if fmt is not None and number(value) is None else None
    if when is None or fmt is None:
        return None if value is None else text(value)
    fraction = re.search(r"FF(\d?)", fmt.upper())
    out = when.strftime(oracle_format(re.sub(r"(?i)FF\d?", "@@", fmt)))
    if fraction:
        digits = int(fraction.group(1) or 6)
        out = out.replace("@@", f"{when.microsecond:06d}"[:digits])
    return out


def text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return f"{value.month}/{value.day}/{value.year}"
    return str(value)


def to_date(raw: Any, fmt: Any = None) -> datetime:
    try:
        if fmt:
            return datetime.strptime(str(raw), oracle_format(str(fmt))).replace(tzinfo=UTC)
        return parse_date(str(raw))
    except (ValueError, errors.NetSuiteError) as exc:
        raise error(f"Cannot parse date '{raw}'.") from exc


def _date_only(value: Any) -> bool:
    return not isinstance(value, datetime) and len(str(value)) == 10


def compare(a: Any, b: Any, dates: bool = False) -> int | None:
    """-1, 0 or 1; None when either side is null or they cannot be compared."""
    if a is None or b is None:
        return None
    if dates or isinstance(a, datetime) or isinstance(b, datetime):
        da, db = to_datetime(a), to_datetime(b)
        if da is None or db is None:
            return None
        # A date compared with a timestamp is compared with the timestamp's day.
        if _date_only(a) and isinstance(b, datetime):
            db = db.replace(hour=0, minute=0, second=0, microsecond=0)
        if _date_only(b) and isinstance(a, datetime):
            da = da.replace(hour=0, minute=0, second=0, microsecond=0)
        return (da > db) - (da < db)
    na, nb = number(a), number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before text, nulls last (first when the order is reversed), as Oracle sorts."""
    if value is None:
        return (3, "")
    if isinstance(value, datetime):
        return (1, value.isoformat())
    found = number(value)
    if found is not None:
        return (0, found)
    return (2, str(value))


def group_key(value: Any) -> Any:
    found = number(value) if isinstance(value, Decimal | int) else None
    return found.normalize() if found is not None else value


def is_date(node: Any) -> bool:
    if isinstance(node, Col):
        return node.name in DATE_COLUMNS
    if isinstance(node, Lit):
        return isinstance(node.value, datetime)
    if isinstance(node, Func):
        if node.name in ("TO_DATE", "TO_TIMESTAMP"):
            return True
        if node.name in ("MIN", "MAX", "NVL", "COALESCE") and node.args:
            return is_date(node.args[0])
    return False


# -- compiling ---------------------------------------------------------------------------------


class Compiler:
    """Turns resolved nodes into closures over a joined row, or over a group when *grouped*."""

    def __init__(self, display: Callable[[str, Any], str | None], *, grouped: bool) -> None:
        self.display = display
        self.grouped = grouped

    def value(self, node: Any) -> Fn:
        if isinstance(node, Lit):
            constant = node.value
            return lambda _r: constant
        if isinstance(node, Col):
            return self._column(node)
        if isinstance(node, Func):
            if node.name in sqlparse.AGGREGATES:
                return self._aggregate(node)
            return self._function(node)
        if isinstance(node, BinOp):
            return self._arithmetic(node)
        if isinstance(node, Neg):
            inner = self.value(node.operand)
            return lambda r: None if (v := _num(inner(r))) is None else -v
        if isinstance(node, Case):
            return self._case(node)
        raise error("A value is expected here.")

    def _case(self, node: Case) -> Fn:
        whens = [(self.test(c), self.value(v)) for c, v in node.whens]
        default = self.value(node.default)

        def pick(r: Any) -> Any:
            for cond, value in whens:
                if cond(r):
                    return value(r)
            return default(r)

        return pick

    def test(self, node: Any) -> Callable[[Any], bool | None]:
        if isinstance(node, BoolOp):
            parts = [self.test(p) for p in node.parts]
            return _all(parts) if node.op == "AND" else _any(parts)
        if isinstance(node, Not):
            inner = self.test(node.operand)
            return lambda r: None if (v := inner(r)) is None else not v
        if isinstance(node, Cmp):
            return self._comparison(node)
        if isinstance(node, IsNull):
            inner = self.value(node.expr)
            negate = node.negate
            return lambda r: (inner(r) is None) != negate
        if isinstance(node, InList):
            return self._in(node)
        if isinstance(node, Like):
            return self._like(node)
        if isinstance(node, Between):
            low = Cmp(">=", node.expr, node.low)
            high = Cmp("<=", node.expr, node.high)
            both = _all([self._comparison(low), self._comparison(high)])
            if not node.negate:
                return both
            return lambda r: None if (v := both(r)) is None else not v
        raise error("A condition is expected here.")

    def _column(self, node: Col) -> Fn:
        alias, name = node.qualifier or "", node.name

        def read(row: JoinedRow) -> Any:
            source = row.get(alias)
            return None if source is None else source.get(name)

        if self.grouped:
            return lambda group: read(group[0]) if group else None
        return read

    def _aggregate(self, node: Func) -> Fn:
        if not self.grouped:
            raise error(f"Aggregate {node.name} is not allowed here.")
        inner = Compiler(self.display, grouped=False)
        if node.star:
            return len
        arg = inner.value(node.args[0])
        dates = is_date(node.args[0])
        name, distinct = node.name, node.distinct

        def fold(group: list[JoinedRow]) -> Any:
            values = [v for v in (arg(r) for r in group) if v is not None]
            if distinct:
                values = list({group_key(v): v for v in values}.values())
            if name == "COUNT":
                return len(values)
            if not values:
                return None
            if name in ("MIN", "MAX"):
                best = values[0]
                for v in values[1:]:
                    c = compare(v, best, dates)
                    if c is not None and (c < 0 if name == "MIN" else c > 0):
                        best = v
                return best
            numbers = [_num(v) for v in values]
            total = sum((n for n in numbers if n is not None), Decimal(0))
            return total if name == "SUM" else total / len(numbers)

        return fold

    def _function(self, node: Func) -> Fn:
        args = [self.value(a) for a in node.args]
        name = node.name
        if name in ("NVL", "COALESCE"):
            if name == "NVL" and len(args) != 2:
                raise error("NVL takes two arguments.")
            return lambda r: next((v for v in (a(r) for a in args) if v is not None), None)
        if name == "BUILTIN.DF":
            column = node.args[0].name if isinstance(node.args[0], Col) else ""
            return lambda r: self.display(column, args[0](r))
        if name == "TO_CHAR":
            fmt_fn = args[1] if len(args) > 1 else None
            return lambda r: to_char(args[0](r), None if fmt_fn is None else str(fmt_fn(r)))
        if name in ("TO_DATE", "TO_TIMESTAMP"):
            fmt_arg = args[1] if len(args) > 1 else None
            return lambda r: (
                None
                if (v := args[0](r)) is None
                else to_date(v, None if fmt_arg is None else fmt_arg(r))
            )
        if name in ("UPPER", "LOWER"):
            upper = name == "UPPER"
            return lambda r: (
                None if (v := args[0](r)) is None else (str(v).upper() if upper else str(v).lower())
            )
        if name == "ABS":
            return lambda r: None if (v := _num(args[0](r))) is None else abs(v)
        # ROUND
        places = args[1] if len(args) > 1 else (lambda _r: Decimal(0))

        def rounded(r: Any) -> Any:
            value, digits = _num(args[0](r)), _num(places(r))
            if value is None or digits is None:
                return None
            return value.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)

        return rounded

    def _arithmetic(self, node: BinOp) -> Fn:
        left, right, op = self.value(node.left), self.value(node.right), node.op
        if op == "||":
            return lambda r: "".join(text(v) for v in (left(r), right(r)) if v is not None)

        def calc(r: Any) -> Any:
            a, b = _num(left(r)), _num(right(r))
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if b == 0:
                raise error("Divisor is equal to zero.")
            return a / b

        return calc

    def _comparison(self, node: Cmp) -> Callable[[Any], bool | None]:
        left, right = self.value(node.left), self.value(node.right)
        dates = is_date(node.left) or is_date(node.right)
        check = _CHECKS[node.op]

        def test(r: Any) -> bool | None:
            c = compare(left(r), right(r), dates)
            return None if c is None else check(c)

        return test

    def _in(self, node: InList) -> Callable[[Any], bool | None]:
        left = self.value(node.expr)
        values = [self.value(v) for v in node.values]
        dates = is_date(node.expr)
        negate = node.negate

        def test(r: Any) -> bool | None:
            actual = left(r)
            results = [compare(actual, v(r), dates) for v in values]
            if any(c == 0 for c in results):
                return not negate
            if any(c is None for c in results):
                return None
            return negate

        return test

    def _like(self, node: Like) -> Callable[[Any], bool | None]:
        left, pattern = self.value(node.expr), self.value(node.pattern)
        negate = node.negate

        def test(r: Any) -> bool | None:
            actual, wanted = left(r), pattern(r)
            if actual is None or wanted is None:
                return None
            regex = "^" + re.escape(str(wanted)).replace("%", ".*").replace("_", ".") + "$"
            return bool(re.match(regex, text(actual), re.S)) != negate

        return test


def _num(value: Any) -> Decimal | None:
    if value is None:
        return None
    found = number(value)
    if found is None:
        raise error(f"Invalid number '{value}'.")
    return found


def _all(parts: list[Callable[[Any], bool | None]]) -> Callable[[Any], bool | None]:
    return _three_valued(parts, decisive=False)


def _any(parts: list[Callable[[Any], bool | None]]) -> Callable[[Any], bool | None]:
    return _three_valued(parts, decisive=True)


def _three_valued(
    parts: list[Callable[[Any], bool | None]], *, decisive: bool
) -> Callable[[Any], bool | None]:
    """AND (``decisive=False``) or OR (``True``) in SQL's logic: one *decisive* part
    decides, else any unknown (NULL) part leaves the whole unknown."""

    def test(r: Any) -> bool | None:
        unknown = False
        for part in parts:
            v = part(r)
            if v is decisive:
                return decisive
            unknown = unknown or v is None
        return None if unknown else not decisive

    return test
