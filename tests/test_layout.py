"""The shape of the house: layers run one way, no circles, small modules, a lean engine wheel."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "src" / "stripe_netsuite"
SANDBOX = ROOT / "sandbox" / "src" / "stripe_netsuite_sandbox"

#: The engine's layers, lowest first. A module may import its own layer and those below.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"kinds", "retry", "exceptions", "money", "redaction"}),
    frozenset({"settings", "credentials", "logs"}),
    frozenset({"store"}),
    frozenset({"vault"}),
    frozenset({"stripe_api", "netsuite"}),
    frozenset({"mapping"}),
    frozenset({"flows"}),
    frozenset({"engine", "testing"}),
    frozenset({"web"}),
    frozenset({"cli", "__main__"}),
)
#: Imports allowed to run back up a layer: (importing part, imported part). At most one.
UPWARD_ALLOWED: frozenset[tuple[str, str]] = frozenset()
MAX_MODULE_LINES = 600
#: Text that names a place outside the repository: the machine's work folder, the shared
#: folder beside the checkout, a path climbing out of it. Built from parts so that this
#: file does not match itself.
OUTSIDE_MARKERS = (
    "/".join(("", "work", "")),
    "/".join(("..", "shared")),
    " ".join(("/", '".."', "/")),
)


def modules(package_dir: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    found = {}
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package modules *path* imports, anywhere in the file (function-local ones too).

    ``from pkg import mod`` depends on ``pkg.mod`` when that is a module, as in grimp.
    """
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.append(full if full in known else node.module)
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                yield target


def graph(package_dir: Path) -> dict[str, set[str]]:
    known = modules(package_dir)
    return {name: {t for t in imports(path, known) if t != name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def part(module: str) -> str:
    """The top-level part of the engine a module belongs to (``store``, ``flows``, …)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def layer(name: str) -> int:
    for level, names in enumerate(LAYERS):
        if name in names:
            return level
    raise AssertionError(f"{name!r} is in no layer: add it to LAYERS")


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package_dir", [ENGINE, SANDBOX], ids=["engine", "sandbox"])
def test_import_graph_has_no_circles(package_dir: Path) -> None:
    assert cycles(graph(package_dir)) == []


def test_engine_layers_run_one_way() -> None:
    edges = graph(ENGINE)
    upward = {
        (part(src), part(dst))
        for src, targets in edges.items()
        for dst in targets
        if part(src) != "stripe_netsuite"
        and part(dst) != "stripe_netsuite"
        and layer(part(dst)) > layer(part(src))
    }
    assert len(UPWARD_ALLOWED) <= 1
    assert upward <= UPWARD_ALLOWED, f"imports running back up: {sorted(upward)}"


def test_engine_never_imports_the_sandbox() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in ENGINE.rglob("*.py")
        if "stripe_netsuite_sandbox" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_no_module_over_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for folder in ("src", "sandbox", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        if "/build/" not in str(path)
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_nothing_names_a_path_outside_the_repository() -> None:
    suffixes = {".py", ".toml", ".md", ".ini", ".cfg", ".json"}
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in files:
        path = ROOT / name
        if path.suffix not in suffixes and name != ".ci/run":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(marker in text for marker in OUTSIDE_MARKERS):
            offenders.append(name)
    assert offenders == []


@pytest.mark.slow
def test_engine_wheel_is_lean(tmp_path: Path) -> None:
    # Built from a copy: a stale build/ folder in the work tree would leak into the wheel.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("stripe_netsuite-*.whl")
    assert wheel.stat().st_size < 600 * 1024
    with zipfile.ZipFile(wheel) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert "stripe_netsuite/settings.py" in names
    assert [n for n in names if "sandbox" in n] == []
    assert [i.filename for i in infos if i.file_size > 200 * 1024] == []
