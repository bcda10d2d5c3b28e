"""The sandbox's module structure, read from the source with `ast`.

The emulators are independent oracles for the engine, so they must not import it; and
their modules form a layered graph (no import cycles, no reaching into another module's
private names), so that each can be read and changed on its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import stripe_netsuite_sandbox

PACKAGE = "stripe_netsuite_sandbox"
ROOT = Path(stripe_netsuite_sandbox.__file__).parent
#: The emulators; only the demo modules (demo, books, business, cli) may run the engine.
EMULATORS = ("stripe", "netsuite", "serving")
MAX_LINES = 600


@dataclass
class Module:
    """One parsed module of the package."""

    name: str
    path: Path
    tree: ast.Module
    #: Sandbox modules this one imports, wherever the import statement stands.
    imports: set[str] = field(default_factory=set)
    #: Local names bound to sandbox modules by an import (``from pkg import mod``).
    aliases: dict[str, str] = field(default_factory=dict)


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The module an ``ImportFrom`` reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _link(mod: Module, known: set[str]) -> None:
    """Fill in which of the *known* modules *mod* imports, and the names it binds to them."""
    is_package = mod.path.name == "__init__.py"
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    mod.imports.add(alias.name)
                    if alias.asname:
                        mod.aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, mod.name, is_package)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:
                    mod.imports.add(sub)
                    mod.aliases[alias.asname or alias.name] = sub
                elif source in known:
                    mod.imports.add(source)


def _load() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name, path, tree)
    for mod in modules.values():
        _link(mod, set(modules))
    return modules


MODULES = _load()


def _in(prefix: str) -> list[Module]:
    full = f"{PACKAGE}.{prefix}"
    return [m for n, m in MODULES.items() if n == full or n.startswith(full + ".")]


def _imported_names(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module name an import statement names, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _is_engine(name: str) -> bool:
    return name == "stripe_netsuite" or name.startswith("stripe_netsuite.")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of *graph* (as a path that returns to its start), or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_stack:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        on_stack.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def test_the_scan_sees_the_package() -> None:
    assert f"{PACKAGE}.stripe.invoices" in MODULES
    assert f"{PACKAGE}.stripe.currency" in MODULES[f"{PACKAGE}.stripe.charges"].imports
    assert MODULES[f"{PACKAGE}.demo"].imports  # the demo wires both emulators


@pytest.mark.parametrize("area", EMULATORS)
def test_emulators_do_not_import_the_engine(area: str) -> None:
    modules = _in(area)
    assert modules
    found = [
        f"{m.path.relative_to(ROOT)}:{line}: {name}"
        for m in modules
        for line, name in _imported_names(m.tree)
        if _is_engine(name)
    ]
    assert found == []


def test_engine_check_tells_the_engine_from_the_sandbox() -> None:
    assert _is_engine("stripe_netsuite")
    assert _is_engine("stripe_netsuite.money")
    assert not _is_engine("stripe_netsuite_sandbox")
    assert not _is_engine("stripe_netsuite_sandbox.stripe.currency")


def test_the_import_graph_has_no_cycle() -> None:
    graph = {name: mod.imports for name, mod in MODULES.items()}
    assert _find_cycle(graph) is None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def _private_uses(mod: Module) -> list[str]:
    """Where *mod* reaches for a private name of another sandbox module."""
    found = []
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node, mod.name, mod.path.name == "__init__.py")
            if source.split(".")[0] == PACKAGE:
                found += [
                    f"{mod.name}:{node.lineno}: from {source} import {a.name}"
                    for a in node.names
                    if _private(a.name)
                ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in mod.aliases
            and _private(node.attr)
        ):
            found.append(f"{mod.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _nested_imports(mod: Module) -> list[int]:
    """Lines of import statements that are not at the top level of *mod*."""
    top = {id(node) for node in mod.tree.body}
    return [
        node.lineno
        for node in ast.walk(mod.tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
    ]


def _synthetic(source: str) -> Module:
    mod = Module(f"{PACKAGE}.stripe.example", ROOT / "stripe" / "example.py", ast.parse(source))
    _link(mod, set(MODULES))
    return mod


def test_no_module_uses_another_modules_private_names() -> None:
    assert [use for mod in MODULES.values() for use in _private_uses(mod)] == []


def test_private_use_check_sees_both_forms() -> None:
    mod = _synthetic(
        "from stripe_netsuite_sandbox.stripe import catalog, pricing as p\n"
        "from stripe_netsuite_sandbox.stripe.currency import _round\n"
        "from .pricing import _hidden\n"
        "catalog._deleted(1)\n"
        "p._x\n"
        "catalog.__name__\n"
        "def f(sb):\n"
        "    return sb._at\n"
    )
    assert len(_private_uses(mod)) == 4


def test_stripe_emulator_imports_only_at_module_top() -> None:
    found = [
        f"{mod.path.relative_to(ROOT)}:{line}"
        for mod in _in("stripe")
        for line in _nested_imports(mod)
    ]
    assert found == []


def test_nested_import_check_sees_imports_in_functions() -> None:
    mod = _synthetic(
        "import json\n"
        "def f():\n"
        "    from stripe_netsuite_sandbox.stripe import intents\n"
        "    if True:\n"
        "        import re\n"
    )
    assert _nested_imports(mod) == [3, 5]


def test_no_module_is_longer_than_the_limit() -> None:
    sandbox = Path(__file__).resolve().parents[1]
    long = {
        str(path.relative_to(sandbox)): lines
        for path in [*(sandbox / "src").rglob("*.py"), *(sandbox / "tests").rglob("*.py")]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
