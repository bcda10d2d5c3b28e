"""A small, strict SuiteQL: one table, a column list, WHERE with AND/OR, ORDER BY.

Tables: customer, transaction, transactionline, item, account, subsidiary, currency. Values come
back as strings with lower-case keys and nulls left out; booleans are 'T'/'F'; dates render as
``M/D/YYYY`` like an account with US preferences, so use ``TO_CHAR(col, 'YYYY-MM-DD HH24:MI:SS')``
for full timestamps. Anything outside the subset is refused with NetSuite's error shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from stripe_netsuite_sandbox.netsuite import errors, tables
from stripe_netsuite_sandbox.netsuite.filters import parse_date

if TYPE_CHECKING:
    from stripe_netsuite_sandbox.netsuite.account import Account

Row = tables.Row

_TOKEN = re.compile(
    r"\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(<=|>=|<>|!=|=|<|>|\(|\)|,|\*|\?)"
    r"|([A-Za-z_][A-Za-z0-9_.]*))"
)


def _error(detail: str) -> errors.NetSuiteError:
    return errors.NetSuiteError(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. {detail}",
    )


@dataclass
class _Tok:
    kind: str  # str, num, op, word
    text: str


def _tokenize(q: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    q = q.strip().rstrip(";")
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        m = _TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise _error(f"Search error occurred: Unexpected character at position {pos}.")
        s, n, op, word = m.groups()
        if s is not None:
            out.append(_Tok("str", s[1:-1].replace("''", "'")))
        elif n is not None:
            out.append(_Tok("num", n))
        elif op is not None:
            out.append(_Tok("op", op))
        else:
            out.append(_Tok("word", word))
        pos = m.end()
    return out


# -- expressions ------------------------------------------------------------------------------


def _oracle_format(fmt: str) -> str:
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


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if value is None:
        return None
    try:
        return parse_date(str(value))
    except errors.NetSuiteError:
        return None


def _to_char(value: Any, fmt: str) -> str | None:
    when = _to_datetime(value)
    if when is None:
        return None if value is None else str(value)
    fraction = re.search(r"FF(\d?)", fmt.upper())
    text = when.strftime(_oracle_format(re.sub(r"(?i)FF\d?", "@@", fmt)))
    if fraction:
        digits = int(fraction.group(1) or 6)
        text = text.replace("@@", f"{when.microsecond:06d}"[:digits])
    return text


def _render(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if column in tables.DATE_COLUMNS:
        when = _to_datetime(value)
        if when is not None:
            return f"{when.month}/{when.day}/{when.year}"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    return str(value)


@dataclass
class _SelectItem:
    column: str | None  # None for '*'
    func: str | None
    arg: str | None
    alias: str


class _Parser:
    def __init__(self, q: str, params: list[str], account: Account) -> None:
        self.toks = _tokenize(q)
        self.pos = 0
        self.params = list(params)
        self.account = account
        self.table = ""
        self.alias = ""
        self.known: set[str] = set()

    # token helpers
    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise _error("Search error occurred: The query ends too early.")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text.upper() == word:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise _error(
                f"Search error occurred: Expected {word} near '{tok.text if tok else ''}'."
            )

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise _error(f"Search error occurred: Expected '{op}' near '{tok.text}'.")

    def column(self, text: str) -> str:
        name = text.lower()
        if "." in name:
            prefix, name = name.split(".", 1)
            if prefix not in (self.alias, self.table):
                raise _error(f"Search error occurred: Unknown table alias '{prefix}'.")
        if name not in self.known:
            raise _error(
                f"Search error occurred: Field '{name}' for record '{self.table}' was not found."
            )
        return name

    # grammar
    def parse(self) -> tuple[list[_SelectItem], Callable[[Row], bool], list[tuple[str, bool]]]:
        self.expect("SELECT")
        start = self.pos
        depth = 0
        while True:  # find FROM to learn the table before reading the column list
            tok = self.take()
            if tok.kind == "op":
                depth += {"(": 1, ")": -1}.get(tok.text, 0)
            if depth == 0 and tok.kind == "word" and tok.text.upper() == "FROM":
                break
        table_tok = self.take()
        self.table = table_tok.text.lower()
        if table_tok.kind != "word" or self.table not in tables.TABLES:
            raise _error(
                f"Search error occurred: Record '{table_tok.text}' was not found or is not "
                f"supported (tables: {', '.join(tables.TABLES)})."
            )
        self.known = tables.columns(self.account, self.table)
        alias = self.peek()
        if (
            alias is not None
            and alias.kind == "word"
            and alias.text.upper()
            not in (
                "WHERE",
                "ORDER",
            )
        ):
            self.alias = self.take().text.lower()
        after_from = self.pos
        self.pos = start
        items = self.select_list()
        self.pos = after_from
        where: Callable[[Row], bool] = _always
        if self.keyword("WHERE"):
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.keyword("ORDER"):
            self.expect("BY")
            aliases = {i.alias: i.column for i in items if i.column}
            while True:
                name = self.take().text
                col = aliases.get(name.lower()) or self.column(name)
                desc = self.keyword("DESC")
                if not desc:
                    self.keyword("ASC")
                order.append((col, desc))
                sep = self.peek()
                if sep is not None and sep.kind == "op" and sep.text == ",":
                    self.pos += 1
                    continue
                break
        if self.peek() is not None:
            raise _error(f"Search error occurred: Unsupported SQL near '{self.peek().text}'.")  # type: ignore[union-attr]
        return items, where, order

    def select_list(self) -> list[_SelectItem]:
        items: list[_SelectItem] = []
        while True:
            tok = self.take()
            star_after_alias = tok.kind == "word" and tok.text.lower() in (
                f"{self.alias}.",
                f"{self.table}.",
            )
            if star_after_alias:
                self.expect_op("*")
            if (tok.kind == "op" and tok.text == "*") or star_after_alias:
                items.append(_SelectItem(None, None, None, "*"))
            elif tok.kind == "word" and tok.text.upper() in ("TO_CHAR", "BUILTIN.DF"):
                self.expect_op("(")
                col = self.column(self.take().text)
                fmt = None
                if tok.text.upper() == "TO_CHAR":
                    self.expect_op(",")
                    fmt_tok = self.take()
                    if fmt_tok.kind != "str":
                        raise _error("Search error occurred: TO_CHAR needs a format string.")
                    fmt = fmt_tok.text
                self.expect_op(")")
                items.append(_SelectItem(col, tok.text.upper(), fmt, col))
            elif tok.kind == "word" and tok.text.upper() != "FROM":
                if self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
                    raise _error(f"Search error occurred: Function {tok.text} is not supported.")
                col = self.column(tok.text)
                items.append(_SelectItem(col, None, None, col))
            else:
                raise _error(f"Search error occurred: Unexpected '{tok.text}' in the column list.")
            nxt = self.peek()
            if nxt is not None and nxt.kind == "word" and nxt.text.upper() == "AS":
                self.pos += 1
                items[-1].alias = self.take().text.lower()
            elif nxt is not None and nxt.kind == "word" and nxt.text.upper() != "FROM":
                items[-1].alias = self.take().text.lower()
            nxt = self.take()
            if nxt.kind == "op" and nxt.text == ",":
                continue
            if nxt.kind == "word" and nxt.text.upper() == "FROM":
                return items
            raise _error(f"Search error occurred: Unexpected '{nxt.text}' in the column list.")

    def or_expr(self) -> Callable[[Row], bool]:
        parts = [self.and_expr()]
        while self.keyword("OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def and_expr(self) -> Callable[[Row], bool]:
        parts = [self.condition()]
        while self.keyword("AND"):
            parts.append(self.condition())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def value(self) -> Any:
        tok = self.take()
        if tok.kind == "str":
            return tok.text
        if tok.kind == "num":
            return Decimal(tok.text)
        if tok.kind == "op" and tok.text == "?":
            if not self.params:
                raise _error("Search error occurred: Not enough values in params for '?'.")
            return self.params.pop(0)
        if tok.kind == "word" and tok.text.upper() in ("TO_DATE", "TO_TIMESTAMP"):
            self.expect_op("(")
            raw = self.value()
            fmt = None
            if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.pos += 1
                fmt = self.value()
            self.expect_op(")")
            try:
                if fmt:
                    return datetime.strptime(str(raw), _oracle_format(str(fmt))).replace(tzinfo=UTC)
                return parse_date(str(raw))
            except ValueError as exc:
                raise _error(f"Search error occurred: Cannot parse date '{raw}'.") from exc
        raise _error(f"Search error occurred: Unexpected '{tok.text}' where a value belongs.")

    def condition(self) -> Callable[[Row], bool]:
        tok = self.take()
        if tok.kind == "op" and tok.text == "(":
            inner = self.or_expr()
            self.expect_op(")")
            return inner
        if tok.kind != "word":
            raise _error(f"Search error occurred: Unexpected '{tok.text}' in WHERE.")
        col = self.column(tok.text)
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            self.expect("NULL")
            return lambda row: (row.get(col) is None) != negate
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            self.expect_op("(")
            values = [self.value()]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.pos += 1
                values.append(self.value())
            self.expect_op(")")
            return lambda row: any(_compare(col, row.get(col), v) == 0 for v in values) != negate
        if self.keyword("LIKE"):
            pattern = str(self.value())
            regex = re.compile(
                "^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$", re.S
            )
            return lambda row: (
                (row.get(col) is not None and bool(regex.match(str(row.get(col))))) != negate
            )
        if negate:
            raise _error("Search error occurred: NOT must be followed by IN or LIKE.")
        op_tok = self.take()
        if op_tok.kind != "op" or op_tok.text not in ("=", "!=", "<>", "<", "<=", ">", ">="):
            raise _error(f"Search error occurred: Unsupported operator '{op_tok.text}'.")
        value = self.value()
        op = op_tok.text
        checks: dict[str, Callable[[int], bool]] = {
            "=": lambda c: c == 0,
            "!=": lambda c: c != 0,
            "<>": lambda c: c != 0,
            "<": lambda c: c < 0,
            "<=": lambda c: c <= 0,
            ">": lambda c: c > 0,
            ">=": lambda c: c >= 0,
        }
        check = checks[op]

        def test(row: Row) -> bool:
            cmp = _compare(col, row.get(col), value)
            return cmp is not None and check(cmp)

        return test


def _always(row: Row) -> bool:
    return True


def _compare(column: str, actual: Any, wanted: Any) -> int | None:
    if actual is None or wanted is None:
        return None
    if column in tables.DATE_COLUMNS or isinstance(wanted, datetime):
        a, b = _to_datetime(actual), _to_datetime(wanted)
        if a is None or b is None:
            return None
        if len(str(actual)) == 10 and isinstance(wanted, datetime):
            b = b.replace(hour=0, minute=0, second=0, microsecond=0)
        return (a > b) - (a < b)
    na, nb = _number(actual), _number(wanted)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = str(actual), str(wanted)
    return (sa > sb) - (sa < sb)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    number = _number(value)
    if number is not None:
        return (0, number)
    return (1, str(value))


def run(account: Account, q: str, params: list[str]) -> list[Row]:
    """Every row of the query, rendered (paging is the caller's)."""
    items, where, order = _Parser(q, params, account).parse()
    rows = [row for row in tables.rows(account, _table_of(q)) if where(row)]
    for col, desc in reversed(order):
        rows.sort(key=lambda row, c=col: _sort_key(row.get(c)), reverse=desc)  # type: ignore[misc]
    out: list[Row] = []
    for row in rows:
        rendered: Row = {}
        for item in items:
            if item.column is None:
                for key, value in row.items():
                    text = _render(key, value)
                    if text is not None:
                        rendered[key] = text
                continue
            value = row.get(item.column)
            if item.func == "TO_CHAR":
                text = _to_char(value, item.arg or "")
            elif item.func == "BUILTIN.DF":
                text = tables.display(account, item.column, value)
            else:
                text = _render(item.column, value)
            if text is not None:
                rendered[item.alias] = text
        out.append(rendered)
    return out


def _table_of(q: str) -> str:
    match = re.search(r"(?i)\bFROM\s+([A-Za-z_]+)", q)
    return match.group(1).lower() if match else ""
