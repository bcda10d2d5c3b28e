"""The ``q=`` filter language of record collections: ``field OPERATOR value [AND|OR ...]``.

AND binds tighter than OR. Date literals use the account's date format (``M/D/YYYY``, optionally
with ``H:MM``); ISO dates are accepted too. Times are taken as UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors
from stripe_netsuite_sandbox.netsuite.dictionary import Schema
from stripe_netsuite_sandbox.netsuite.store import Body

Predicate = Callable[[Body], bool]

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\[[^\]]*\])|(\(|\))|([^\s()"\[\]]+))')
_UNARY = {"EMPTY", "EMPTY_NOT"}
_OPERATORS = {
    "IS",
    "IS_NOT",
    "CONTAIN",
    "CONTAIN_NOT",
    "START_WITH",
    "START_WITH_NOT",
    "END_WITH",
    "END_WITH_NOT",
    "EQUAL",
    "EQUAL_NOT",
    "GREATER",
    "GREATER_NOT",
    "GREATER_OR_EQUAL",
    "GREATER_OR_EQUAL_NOT",
    "LESS",
    "LESS_NOT",
    "LESS_OR_EQUAL",
    "LESS_OR_EQUAL_NOT",
    "ANY_OF",
    "ANY_OF_NOT",
    "BETWEEN",
    "BETWEEN_NOT",
    "ON",
    "ON_NOT",
    "AFTER",
    "AFTER_NOT",
    "BEFORE",
    "BEFORE_NOT",
    "ON_OR_AFTER",
    "ON_OR_AFTER_NOT",
    "ON_OR_BEFORE",
    "ON_OR_BEFORE_NOT",
    *_UNARY,
}
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%Y-%m-%d",
)


def _bad(detail: str) -> errors.NetSuiteError:
    return errors.NetSuiteError(400, "INVALID_PARAMETER", f"Invalid search query. {detail}")


def parse_date(text: str) -> datetime:
    """A date or datetime literal, in the account format or ISO 8601 (UTC)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _bad(
        f'Search error occurred: Parse of date/time "{text}" failed with date format "M/d/yyyy" '
        "in time zone UTC"
    )


def _tokens(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        match = _TOKEN.match(q, pos)
        if not match or match.end() == pos:
            raise _bad(f"Unexpected text at position {pos}: {q[pos : pos + 20]!r}.")
        quoted, listed, paren, word = match.groups()
        if quoted is not None:
            out.append(("str", quoted.replace('\\"', '"')))
        elif listed is not None:
            out.append(("list", listed))
        elif paren is not None:
            out.append((paren, paren))
        else:
            out.append(("word", word))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, q: str, schema: Schema) -> None:
        self.tokens = _tokens(q)
        self.pos = 0
        self.schema = schema

    def parse(self) -> Predicate:
        pred = self._or()
        if self.pos != len(self.tokens):
            raise _bad(f"Unexpected {self.tokens[self.pos][1]!r}.")
        return pred

    def _peek_word(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "word":
            return self.tokens[self.pos][1].upper()
        return None

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word() == "OR":
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda b: any(p(b) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._term()]
        while self._peek_word() == "AND":
            self.pos += 1
            parts.append(self._term())
        return parts[0] if len(parts) == 1 else (lambda b: all(p(b) for p in parts))

    def _next(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _bad("The query ends too early.")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _term(self) -> Predicate:
        kind, text = self._next()
        if kind == "(":
            pred = self._or()
            if self._next()[0] != ")":
                raise _bad("Missing closing parenthesis.")
            return pred
        if kind != "word":
            raise _bad(f"Expected a field name, found {text!r}.")
        name = "id" if text.lower() == "id" else None
        spec = self.schema.lookup(text)
        if name is None and spec is None:
            raise errors.NetSuiteError(
                400, "INVALID_PARAMETER", f"Unknown field name '{text}' in the search query."
            )
        field_name = name or (spec.name if spec else text)
        op_kind, op = self._next()
        op = op.upper()
        if op_kind != "word" or op not in _OPERATORS:
            raise _bad(f"Unknown operator {op!r} for field {text}.")
        value: Any = None
        if op not in _UNARY:
            vkind, raw = self._next()
            if vkind == "list":
                value = [v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip()]
            elif vkind in ("str", "word"):
                value = raw
            else:
                raise _bad(f"Expected a value after {op}.")
        base = op.removesuffix("_NOT")
        if base in ("ANY_OF", "BETWEEN") and not isinstance(value, list):
            raise _bad(f"{op} needs a list of values such as [1, 2].")
        if base == "BETWEEN" and len(value) != 2:
            raise _bad(f"{op} needs exactly two values.")
        fmt = spec.format if spec else None
        return _predicate(field_name, op, value, fmt)


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("id")
    return value


def _predicate(field_name: str, op: str, value: Any, fmt: str | None) -> Predicate:
    negate = op.endswith("_NOT") and op != "EMPTY_NOT"
    base = op[:-4] if negate else op
    is_date = fmt in ("date", "date-time") or base in {
        "ON",
        "AFTER",
        "BEFORE",
        "ON_OR_AFTER",
        "ON_OR_BEFORE",
    }
    target: Any = value
    if is_date and isinstance(value, str):
        target = parse_date(value)

    def test(body: Body) -> bool:
        actual = _scalar(body.get(field_name))
        if base == "EMPTY":
            return actual in (None, "")
        if base == "EMPTY_NOT":
            return actual not in (None, "")
        if actual is None:
            return False
        if is_date:
            try:
                when = parse_date(str(actual))
            except errors.NetSuiteError:
                return False
            if base == "ON":
                return bool(when.date() == target.date())
            return bool(
                {
                    "AFTER": when > target,
                    "BEFORE": when < target,
                    "ON_OR_AFTER": when >= target,
                    "ON_OR_BEFORE": when <= target,
                }.get(base, False)
            )
        if isinstance(actual, bool):
            return str(actual).lower() == str(value).lower() if base in ("IS", "EQUAL") else False
        if base in ("IS", "EQUAL") and not isinstance(actual, Decimal | int):
            return str(actual).lower() == str(value).lower()
        text, needle = str(actual).lower(), str(value).lower()
        if base == "CONTAIN":
            return needle in text
        if base == "START_WITH":
            return text.startswith(needle)
        if base == "END_WITH":
            return text.endswith(needle)
        if base == "ANY_OF":
            return str(actual) in [str(v) for v in (value or [])]
        number = _number(actual)
        if base == "BETWEEN":
            low, high = (_number(v) for v in (value or [None, None])[:2])
            return (
                number is not None
                and low is not None
                and high is not None
                and (low <= number <= high)
            )
        other = _number(value)
        if number is None or other is None:
            return False
        return {
            "IS": number == other,
            "EQUAL": number == other,
            "GREATER": number > other,
            "GREATER_OR_EQUAL": number >= other,
            "LESS": number < other,
            "LESS_OR_EQUAL": number <= other,
        }.get(base, False)

    return (lambda body: not test(body)) if negate else test


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def compile_filter(q: str, schema: Schema) -> Predicate:
    """A predicate over stored bodies for the ``q`` expression."""
    return _Parser(q, schema).parse()
