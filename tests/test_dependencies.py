"""Dependencies: floors past every known advisory, locks that pin everything with hashes, an
installed environment the offline audit finds clean, and no dependency nothing imports."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"dev": ROOT / "requirements" / "dev.lock", "run": ROOT / "requirements" / "run.lock"}
OURS = {"stripe-netsuite", "stripe-netsuite-sandbox"}
#: Declared without being imported, each for a reason written beside it in pyproject.toml.
#: httptools is named to uvicorn (`http="httptools"`), which imports it.
NOT_IMPORTED = {"sniffio", "starlette", "h11", "httptools"}
#: Distribution → the module it is imported as, where the two differ.
MODULE = {"pyjwt": "jwt", "pydantic-settings": "pydantic_settings"}


def _load_audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


audit = _load_audit()
ADVISORIES = audit.load()


def _project(path: Path) -> dict[str, object]:
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    assert isinstance(project, dict)
    return project


def _requirements(path: Path, *, extras: bool) -> list[Requirement]:
    project = _project(path)
    declared = list(project["dependencies"])  # type: ignore[call-overload]
    if extras:
        for group in project.get("optional-dependencies", {}).values():  # type: ignore[attr-defined]
            declared += group
    return [Requirement(text) for text in declared]


ENGINE = ROOT / "pyproject.toml"
SANDBOX = ROOT / "sandbox" / "pyproject.toml"
DECLARED = {
    "dev": _requirements(ENGINE, extras=True) + _requirements(SANDBOX, extras=True),
    "run": _requirements(ENGINE, extras=False) + _requirements(SANDBOX, extras=False),
}


# -- the audit --------------------------------------------------------------------------------


def test_no_installed_distribution_is_affected_by_a_known_advisory() -> None:
    found = audit.findings(audit.installed(), ADVISORIES)
    assert [str(f) for f in found] == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_no_pin_of_a_lock_is_affected_by_a_known_advisory(lock: str) -> None:
    found = audit.findings(audit.pinned(LOCKS[lock]), ADVISORIES)
    assert [str(f) for f in found] == []


def test_a_vulnerable_pin_fails_the_audit() -> None:
    versions = {
        "cryptography": "44.0.0",
        "PyJWT": "2.10.0",
        "Jinja2": "3.1.6",
        "h11": "0.14.0",
        "starlette": "0.49.1",
        "python_multipart": "not-a-version",
    }
    found = {(f.package, f.advisory.id) for f in audit.findings(versions, ADVISORIES)}
    assert ("cryptography", "GHSA-79v4-65xg-pq4g") in found
    assert ("pyjwt", "GHSA-75c5-xw7c-p5pm") in found
    assert ("h11", "GHSA-vqfr-h8mv-ghfj") in found
    assert ("python-multipart", "GHSA-59g5-xgcq-4qw3") in found
    assert {package for package, _ in found} == {"cryptography", "pyjwt", "h11", "python-multipart"}


def test_an_advisory_with_a_start_spares_the_versions_before_it() -> None:
    (partial,) = [a for a in ADVISORIES if a.id == "GHSA-75c5-xw7c-p5pm"]
    assert partial.affects(Version("2.10.0"))
    assert not partial.affects(Version("2.9.0"))
    assert not partial.affects(Version("2.10.1"))


def test_the_audit_command_passes_on_this_environment_and_the_locks() -> None:
    command = [sys.executable, str(ROOT / "scripts" / "audit.py"), *map(str, LOCKS.values())]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known advisory affects installed" in result.stdout


def test_the_advisory_table_is_well_formed() -> None:
    assert len(ADVISORIES) >= 20
    for advisory in ADVISORIES:
        assert re.fullmatch(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}", advisory.id), advisory.id
        assert all(re.fullmatch(r"CVE-\d{4}-\d{4,}", alias) for alias in advisory.aliases)
        assert advisory.introduced is None or advisory.introduced < advisory.fixed
        assert advisory.summary and "\n" not in advisory.summary
    ids = [a.id for a in ADVISORIES]
    assert len(ids) == len(set(ids))


# -- floors -----------------------------------------------------------------------------------


def _floor(requirement: Requirement) -> Version | None:
    """The lowest version *requirement* allows, when it names one."""
    bounds = [
        Version(spec.version)
        for spec in requirement.specifier
        if spec.operator in {">=", ">", "==", "~=", "==="}
    ]
    return max(bounds, default=None)


@pytest.mark.parametrize("path", [ENGINE, SANDBOX], ids=["engine", "sandbox"])
def test_every_floor_is_at_or_past_each_advisorys_fix(path: Path) -> None:
    short = []
    for requirement in _requirements(path, extras=True):
        name = canonicalize_name(requirement.name)
        for advisory in (a for a in ADVISORIES if a.package == name):
            floor = _floor(requirement)
            if floor is None or floor < advisory.fixed:
                short.append(f"{requirement} allows {advisory.id} (fixed in {advisory.fixed})")
    assert short == []


# -- the locks --------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_pins_every_declared_dependency_within_its_range(lock: str) -> None:
    pins = audit.pinned(LOCKS[lock])
    problems = []
    for requirement in DECLARED[lock]:
        name = canonicalize_name(requirement.name)
        if name in OURS:
            continue
        if name not in pins:
            problems.append(f"{requirement} is not pinned")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{requirement} is pinned at {pins[name]}")
    assert problems == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_has_hashes_and_nothing_else_is_installed_from_the_lock(lock: str) -> None:
    text = LOCKS[lock].read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n# WARNING")[0])
    pins = [entry for entry in entries if "==" in entry.split("\n", 1)[0]]
    assert pins
    for entry in pins:
        assert "--hash=sha256:" in entry, entry.split("\n", 1)[0]
    assert not re.search(r"^\s*(-e|--editable|-r|--index-url|--find-links)\b", text, re.M)
    assert text.split("\n", 8)[4].startswith("#    pip-compile --generate-hashes ")
    assert not OURS & set(audit.pinned(LOCKS[lock]))


def test_the_run_lock_agrees_with_the_dev_lock() -> None:
    dev, run = audit.pinned(LOCKS["dev"]), audit.pinned(LOCKS["run"])
    assert {name: version for name, version in run.items() if dev.get(name) != version} == {}


# -- nothing declared that nothing uses -------------------------------------------------------


def _imported(folder: Path) -> set[str]:
    modules = set()
    for path in folder.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        modules |= set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M))
    return modules


@pytest.mark.parametrize(
    ("path", "source"),
    [(ENGINE, ROOT / "src"), (SANDBOX, ROOT / "sandbox" / "src")],
    ids=["engine", "sandbox"],
)
def test_every_runtime_dependency_is_imported(path: Path, source: Path) -> None:
    imported = _imported(source)
    unused = [
        str(requirement)
        for requirement in _requirements(path, extras=False)
        if (name := canonicalize_name(requirement.name)) not in OURS | NOT_IMPORTED
        and MODULE.get(name, name.replace("-", "_")) not in imported
    ]
    assert unused == []


# -- the set-up commands ----------------------------------------------------------------------


def test_the_readme_has_two_one_line_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2 and all(block.count("\n") == 1 for block in blocks)
    demo, tests = (block.strip() for block in blocks)
    assert "--require-hashes -r requirements/run.lock" in demo
    assert "--require-hashes -r requirements/dev.lock" in tests
    assert "--no-deps -e . -e ./sandbox" in demo and "--no-deps -e . -e ./sandbox" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
