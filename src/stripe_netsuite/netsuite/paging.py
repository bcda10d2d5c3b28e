"""Paging rules of NetSuite collections and SuiteQL, and the keyset continuation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: NetSuite serves at most this many rows of one query through offsets.
OFFSET_CAP = 100_000
MAX_PAGE = 1000

# "... ORDER BY id", "ORDER BY t.id ASC": the shape that can be continued by keyset.
_ORDER_BY_ID = re.compile(r"\s+order\s+by\s+((?:\w+\.)?id)(?:\s+asc)?\s*;?\s*$", re.IGNORECASE)
_CLAUSE = re.compile(r"'(?:[^']|'')*'|[()]|\b(where|group\s+by|having|union)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One page of a record collection."""

    items: list[dict[str, Any]]
    offset: int
    count: int
    has_more: bool
    total_results: int | None = None
    links: list[dict[str, Any]] = field(default_factory=list)


def keyset_query(query: str, after_id: str) -> str:
    """*query* restricted to rows whose id is above *after_id*, still ordered by id.

    Only a plain query that ends in ``ORDER BY id`` (or ``alias.id``, ascending) and
    has no top-level GROUP BY, HAVING or UNION can be continued this way: its WHERE
    becomes ``WHERE (<conditions>) AND id > <after_id>``.
    """
    order = _ORDER_BY_ID.search(query)
    if not order:
        raise ValueError(
            "SuiteQL query returns more than 100,000 rows; to page past that it must "
            "select an id column and end with ORDER BY id"
        )
    if not after_id.isdigit():
        raise ValueError(f"SuiteQL keyset paging needs numeric ids, got id {after_id!r}")
    column, head = order.group(1), query[: order.start()]
    where: re.Match[str] | None = None
    depth = 0
    for token in _CLAUSE.finditer(head):
        text = token.group(0)
        if text == "(" or text == ")":
            depth += 1 if text == "(" else -1
        elif depth == 0 and token.group(1):
            if token.group(1).lower() != "where":
                raise ValueError(
                    f"SuiteQL keyset paging cannot continue a query with {token.group(1).upper()}"
                )
            where = token
    condition = f"{column} > {int(after_id)}"
    if where is None:
        return f"{head} WHERE {condition} ORDER BY {column}"
    existing = head[where.end() :].strip()
    return f"{head[: where.start()]}WHERE ({existing}) AND {condition} ORDER BY {column}"


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if offset % limit:
        raise ValueError(f"offset {offset} must be a multiple of limit {limit}")


def page_from(body: dict[str, Any], offset: int) -> Page:
    items = body.get("items") or []
    return Page(
        items=[item for item in items if isinstance(item, dict)],
        offset=int(body.get("offset", offset)),
        count=int(body.get("count", len(items))),
        has_more=bool(body.get("hasMore", False)),
        total_results=body.get("totalResults"),
        links=body.get("links") or [],
    )
