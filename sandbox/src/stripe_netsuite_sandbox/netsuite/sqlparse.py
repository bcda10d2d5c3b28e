"""SuiteQL text to a syntax tree: the SELECT subset the sandbox answers.

``SELECT [DISTINCT] items FROM table [alias] {[INNER|LEFT [OUTER]] JOIN table [alias] ON cond
| , table [alias]} [WHERE cond] [GROUP BY exprs] [HAVING cond] [ORDER BY expr [ASC|DESC], ...]``
with expressions over columns, literals, ``?`` parameters, ``+ - * / ||``, ``CASE WHEN``, and a
fixed list of functions, into the nodes of ``sqlnodes``. Names are resolved later, against the
tables. Anything else is refused with NetSuite's "Invalid search query" error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors
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
    Item,
    Join,
    Like,
    Lit,
    Neg,
    Not,
    Query,
    Source,
    Star,
)

_TOKEN = re.compile(
    r"\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(<=|>=|<>|!=|\|\||=|<|>|\(|\)|,|\*|\?|\+|-|/)"
    r"|([A-Za-z_][A-Za-z0-9_.]*))"
)
AGGREGATES = frozenset({"SUM", "COUNT", "MIN", "MAX", "AVG"})
FUNCTIONS = AGGREGATES | {
    "NVL",
    "COALESCE",
    "ABS",
    "ROUND",
    "UPPER",
    "LOWER",
    "TO_CHAR",
    "TO_DATE",
    "TO_TIMESTAMP",
    "BUILTIN.DF",
}
_KEYWORDS = frozenset(
    {
        "SELECT", "DISTINCT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC",
        "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "ON", "AND", "OR", "NOT",
        "AS", "IN", "IS", "NULL", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END",
        "UNION", "MINUS", "INTERSECT", "EXISTS",
    }
)  # fmt: skip
_COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")


def error(detail: str) -> errors.NetSuiteError:
    """NetSuite's answer to a query it cannot run."""
    return errors.NetSuiteError(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. "
        f"Search error occurred: {detail}",
    )


# -- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # str, num, op, word
    text: str


def _tokenize(q: str) -> list[_Tok]:
    out: list[_Tok] = []
    q = q.strip().rstrip(";")
    pos = 0
    while pos < len(q):
        if not q[pos:].strip():
            break
        m = _TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise error(f"Unexpected character at position {pos}.")
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


# -- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, q: str, params: list[str]) -> None:
        self.toks = _tokenize(q)
        self.pos = 0
        self.params = params
        self.used = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        at = self.pos + ahead
        return self.toks[at] if at < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise error("The query ends too early.")
        self.pos += 1
        return tok

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.upper() in words

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in ops

    def keyword(self, word: str) -> bool:
        if self.at_word(word):
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise error(f"Expected {word} near '{tok.text if tok else ''}'.")

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise error(f"Expected '{op}' near '{tok.text}'.")

    # statement

    def query(self) -> Query:
        self.expect("SELECT")
        distinct = self.keyword("DISTINCT")
        items = [self.item()]
        while self.at_op(","):
            self.pos += 1
            items.append(self.item())
        self.expect("FROM")
        source = self.source()
        joins: list[Join] = []
        while True:
            if self.at_op(","):
                self.pos += 1
                joins.append(Join("INNER", self.source(), None))
                continue
            if self.at_word("RIGHT", "FULL", "CROSS"):
                raise error(f"{self.take().text.upper()} joins are not supported.")
            if self.keyword("LEFT"):
                self.keyword("OUTER")
                self.expect("JOIN")
                kind = "LEFT"
            elif self.keyword("INNER"):
                self.expect("JOIN")
                kind = "INNER"
            elif self.keyword("JOIN"):
                kind = "INNER"
            else:
                break
            joined = self.source()
            self.expect("ON")
            joins.append(Join(kind, joined, self.condition()))
        where = self.condition() if self.keyword("WHERE") else None
        group: list[Any] = []
        if self.keyword("GROUP"):
            self.expect("BY")
            group = [self.expr()]
            while self.at_op(","):
                self.pos += 1
                group.append(self.expr())
        having = self.condition() if self.keyword("HAVING") else None
        order: list[tuple[Any, bool]] = []
        if self.keyword("ORDER"):
            self.expect("BY")
            while True:
                expr = self.expr()
                desc = self.keyword("DESC")
                if not desc:
                    self.keyword("ASC")
                order.append((expr, desc))
                if not self.at_op(","):
                    break
                self.pos += 1
        tok = self.peek()
        if tok is not None:
            raise error(f"Unsupported SQL near '{tok.text}'.")
        return Query(
            distinct,
            tuple(items),
            source,
            tuple(joins),
            where,
            tuple(group),
            having,
            tuple(order),
        )

    def source(self) -> Source:
        tok = self.take()
        if tok.kind != "word" or tok.text.upper() in _KEYWORDS:
            raise error(f"Expected a table name near '{tok.text}' (subqueries are not supported).")
        table = tok.text.lower()
        self.keyword("AS")
        alias = table
        nxt = self.peek()
        if nxt is not None and nxt.kind == "word" and nxt.text.upper() not in _KEYWORDS:
            alias = self.take().text.lower()
        return Source(table, alias)

    def item(self) -> Star | Item:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "*":
            self.pos += 1
            return Star(None)
        nxt = self.peek(1)
        if (
            tok is not None
            and tok.kind == "word"
            and tok.text.endswith(".")
            and nxt is not None
            and nxt.text == "*"
        ):
            self.pos += 2
            return Star(tok.text[:-1].lower())
        expr = self.expr()
        alias = None
        if self.keyword("AS"):
            alias = self.take().text.lower()
        else:
            after = self.peek()
            if after is not None and after.kind == "word" and after.text.upper() not in _KEYWORDS:
                alias = self.take().text.lower()
        return Item(expr, alias)

    # conditions

    def condition(self) -> Any:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.negation()]
        while self.keyword("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def negation(self) -> Any:
        if self.keyword("NOT"):
            return Not(self.negation())
        if self.at_word("EXISTS"):
            raise error("Subqueries are not supported.")
        if self.at_op("("):
            # A parenthesised condition, unless it turns out to be an arithmetic operand.
            saved = (self.pos, self.used)
            self.pos += 1
            try:
                inner = self.condition()
                self.expect_op(")")
            except errors.NetSuiteError:
                inner = None
            if inner is not None and not self.at_op(*_COMPARISONS, "+", "-", "*", "/", "||"):
                if not self.at_word("IS", "IN", "LIKE", "BETWEEN", "NOT"):
                    return inner
            self.pos, self.used = saved
        return self.predicate()

    def predicate(self) -> Any:
        left = self.expr()
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            self.expect("NULL")
            return IsNull(left, negate)
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            self.expect_op("(")
            if self.at_word("SELECT"):
                raise error("Subqueries are not supported.")
            values = [self.expr()]
            while self.at_op(","):
                self.pos += 1
                values.append(self.expr())
            self.expect_op(")")
            return InList(left, tuple(values), negate)
        if self.keyword("LIKE"):
            return Like(left, self.expr(), negate)
        if self.keyword("BETWEEN"):
            low = self.expr()
            self.expect("AND")
            return Between(left, low, self.expr(), negate)
        if negate:
            raise error("NOT must be followed by IN, LIKE or BETWEEN.")
        tok = self.take()
        if tok.kind != "op" or tok.text not in _COMPARISONS:
            raise error(f"Unsupported operator '{tok.text}'.")
        return Cmp(tok.text, left, self.expr())

    # expressions

    def expr(self) -> Any:
        left = self.term()
        while self.at_op("+", "-", "||"):
            op = self.take().text
            left = BinOp(op, left, self.term())
        return left

    def term(self) -> Any:
        left = self.factor()
        while self.at_op("*", "/"):
            op = self.take().text
            left = BinOp(op, left, self.factor())
        return left

    def factor(self) -> Any:
        if self.at_op("-"):
            self.pos += 1
            operand = self.factor()
            if isinstance(operand, Lit) and isinstance(operand.value, Decimal):
                return Lit(-operand.value)
            return Neg(operand)
        return self.primary()

    def primary(self) -> Any:
        tok = self.take()
        if tok.kind == "str":
            return Lit(tok.text)
        if tok.kind == "num":
            return Lit(Decimal(tok.text))
        if tok.kind == "op" and tok.text == "?":
            if self.used >= len(self.params):
                raise error("Not enough values in params for '?'.")
            self.used += 1
            return Lit(self.params[self.used - 1])
        if tok.kind == "op" and tok.text == "(":
            if self.at_word("SELECT"):
                raise error("Subqueries are not supported.")
            inner = self.expr()
            self.expect_op(")")
            return inner
        if tok.kind != "word":
            raise error(f"Unexpected '{tok.text}' where a value belongs.")
        word = tok.text.upper()
        if word == "NULL":
            return Lit(None)
        if word == "CASE":
            return self.case()
        if self.at_op("("):
            return self.call(word)
        if word in _KEYWORDS:
            raise error(f"Unexpected '{tok.text}' where a value belongs.")
        name = tok.text.lower()
        if "." in name:
            qualifier, column = name.rsplit(".", 1)
            return Col(qualifier, column)
        return Col(None, name)

    def call(self, name: str) -> Any:
        if name not in FUNCTIONS:
            raise error(f"Function {name} is not supported.")
        self.expect_op("(")
        if name == "COUNT" and self.at_op("*"):
            self.pos += 1
            self.expect_op(")")
            return Func(name, (), star=True)
        distinct = name in AGGREGATES and self.keyword("DISTINCT")
        args = [self.expr()]
        while self.at_op(","):
            self.pos += 1
            args.append(self.expr())
        self.expect_op(")")
        return Func(name, tuple(args), distinct=distinct)

    def case(self) -> Any:
        whens: list[tuple[Any, Any]] = []
        while self.keyword("WHEN"):
            cond = self.condition()
            self.expect("THEN")
            whens.append((cond, self.expr()))
        if not whens:
            raise error("CASE needs WHEN.")
        default = self.expr() if self.keyword("ELSE") else Lit(None)
        self.expect("END")
        return Case(tuple(whens), default)


def parse(q: str, params: list[str]) -> Query:
    """The syntax tree of *q*, with ``?`` bound to *params* in order."""
    return _Parser(q, params).query()
