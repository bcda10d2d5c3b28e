"""The error tree carries what the worker and the operator need."""

from __future__ import annotations

import re

from stripe_netsuite import exceptions


def test_netsuite_retriable_keeps_its_retry_hint_and_facts() -> None:
    exc = exceptions.NetSuiteRetriable(
        "busy", retry_after=7.5, record_type="invoice", status_code=429
    )
    assert isinstance(exc, exceptions.RetriableError)
    assert exc.retry_after == 7.5
    assert exc.record_type == "invoice"
    assert "status=429" in str(exc)


def test_rejected_is_parked_not_retried() -> None:
    exc = exceptions.NetSuiteRejected("bad field", error_path="item.items[0].rate")
    assert isinstance(exc, exceptions.NeedsAttention)
    assert not isinstance(exc, exceptions.RetriableError)
    assert "path=item.items[0].rate" in str(exc)


def test_skip_names_its_rule() -> None:
    exc = exceptions.Skip("netsuite_block_integration", object_id="cus_1")
    assert exc.rule == "netsuite_block_integration"
    assert "cus_1" in str(exc)


def drawn_tree(doc: str) -> dict[str, set[str]]:
    """Each class the docstring's tree draws → the parents it is drawn under.

    The root is a name alone on its line; every other node is ``├── Name`` or
    ``└── Name`` indented four columns per level. Text after the name (and lines
    that only continue a description) is commentary.
    """
    parents: dict[str, set[str]] = {}
    path: list[str] = []
    for line in doc.splitlines():
        root = re.fullmatch(r"([A-Z]\w*)", line.strip()) if line == line.lstrip() else None
        node = re.match(r"((?:│   |    )*)(?:├── |└── )([A-Z]\w*)", line)
        if root:
            path = [root.group(1)]
            parents.setdefault(root.group(1), set())
        elif node and path:
            depth = len(node.group(1)) // 4 + 1
            del path[depth:]
            parents.setdefault(node.group(2), set()).add(path[depth - 1])
            path.append(node.group(2))
    return parents


def module_tree() -> dict[str, set[str]]:
    """Each exception class of the module → its direct bases within the module."""
    classes = {
        name: value
        for name, value in vars(exceptions).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == exceptions.__name__
    }
    return {
        name: {base.__name__ for base in cls.__bases__ if base.__name__ in classes}
        for name, cls in classes.items()
    }


def test_the_docstring_draws_every_error_class_under_its_parents() -> None:
    assert exceptions.__doc__ is not None
    assert drawn_tree(exceptions.__doc__) == module_tree()


def test_the_tree_reader_sees_depth_and_second_parents() -> None:
    doc = "Title.\n\nA\n├── B   text\n│   └── C\n│       more text\n└── D\n    └── C\n"
    assert drawn_tree(doc) == {"A": set(), "B": {"A"}, "C": {"B", "D"}, "D": {"A"}}


def test_a_class_without_a_line_is_noticed() -> None:
    assert exceptions.__doc__ is not None
    drawn = drawn_tree(exceptions.__doc__.replace("StripeRejected ", "Something "))
    assert drawn != module_tree()


def test_netsuite_retriable_takes_its_hint_through_the_constructor_chain() -> None:
    exc = exceptions.NetSuiteRetriable(retry_after=3.0, status_code=503, detail="down")
    assert exc.retry_after == 3.0
    assert exc.status_code == 503
    assert str(exc) == "down (status=503)"
    assert "retry_after" not in exc.facts
    assert exceptions.NetSuiteRetriable("busy").retry_after is None
