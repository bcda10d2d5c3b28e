"""The search endpoints' query language, for the common clauses.

Supported: `field:'value'`, `field~'part'`, `metadata['key']:'value'`, `field>N` (and `<`,
`>=`, `<=`) joined by `AND` or `OR` (not both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stripe_netsuite_sandbox.stripe import errors, filters, params
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

_CLAUSE = re.compile(
    r"""^\s*(?:(?P<meta>metadata\[['"](?P<key>[^'"]+)['"]\])|(?P<field>[a-z_\.]+))\s*"""
    r"""(?P<op>:|~|>=|<=|>|<)\s*(?:['"](?P<text>[^'"]*)['"]|(?P<num>-?\d+))\s*$"""
)


def _predicate(clause: str) -> Callable[[Obj], bool]:
    found = _CLAUSE.match(clause)
    if not found:
        raise errors.invalid(f"Invalid search query clause: {clause.strip()!r}", param="query")
    op = found["op"]
    wanted: Any = found["text"] if found["text"] is not None else int(found["num"])

    def value(obj: Obj) -> Any:
        if found["meta"]:
            return (obj.get("metadata") or {}).get(found["key"])
        node: Any = obj
        for part in str(found["field"]).split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def test(obj: Obj) -> bool:
        got = value(obj)
        if op == ":":
            return got is not None and str(got).lower() == str(wanted).lower()
        if op == "~":
            return got is not None and str(wanted).lower() in str(got).lower()
        if not isinstance(got, int):
            return False
        checks = {">": got > wanted, "<": got < wanted, ">=": got >= wanted, "<=": got <= wanted}
        return bool(checks[op])

    return test


def run(sb: Sandbox, object_type: str, q: params.Params, url: str) -> Obj:
    """A `search_result` page for *query*."""
    query = params.string(q, "query", required=True) or ""
    if re.search(r"\sAND\s", query) and re.search(r"\sOR\s", query):
        raise errors.invalid("Search queries cannot mix AND and OR.", param="query")
    joiner = "OR" if re.search(r"\sOR\s", query) else "AND"
    preds = [_predicate(c) for c in re.split(rf"\s{joiner}\s", query)]
    items = filters.apply(sb.store.all_of(object_type))
    if joiner == "AND":
        hits = [o for o in items if all(p(o) for p in preds)]
    else:
        hits = [o for o in items if any(p(o) for p in preds)]
    page = params.string(q, "page")
    limit = params.integer(q, "limit") or 10
    hits.sort(key=lambda o: sb.store.seq[o["id"]], reverse=True)
    start = int(page) if page and page.isdigit() else 0
    chosen = hits[start : start + limit]
    more = len(hits) > start + limit
    expand = [p[len("data.") :] for p in params.array(q, "expand") if str(p).startswith("data.")]
    return {
        "object": "search_result",
        "data": [sb.render(o, expand) for o in chosen],
        "has_more": more,
        "next_page": str(start + limit) if more else None,
        "url": url,
        "total_count": len(hits),
    }
