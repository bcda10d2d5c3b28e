"""Offline dependency audit: installed distributions (and lock pins) against a vendored table.

No vulnerability database is reachable from CI, so the advisories the project knows of are
kept in ``requirements/advisories.toml`` and compared here with what is installed
(``importlib.metadata``) and with what the locks pin. The suite runs it
(``tests/test_dependencies.py``); by hand::

    .venv/bin/python scripts/audit.py                         # the running environment
    .venv/bin/python scripts/audit.py requirements/dev.lock   # ... and the pins of a lock

It exits 1 and prints one line per finding when anything is in an affected range.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
ADVISORIES = ROOT / "requirements" / "advisories.toml"
#: ``name==version`` at the start of a line of a compiled lock (extras stripped or not).
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


@dataclass(frozen=True)
class Advisory:
    """One published flaw: versions from ``introduced`` (or all) up to ``fixed`` are affected."""

    package: str
    id: str
    fixed: Version
    summary: str
    introduced: Version | None = None
    aliases: tuple[str, ...] = ()

    def affects(self, version: Version) -> bool:
        """Whether *version* is in the affected range."""
        if self.introduced is not None and version < self.introduced:
            return False
        return version < self.fixed


@dataclass(frozen=True)
class Finding:
    """An installed or pinned version that an advisory affects."""

    package: str
    version: str
    advisory: Advisory

    def __str__(self) -> str:
        a = self.advisory
        names = ", ".join((a.id, *a.aliases))
        return f"{self.package} {self.version}: {names} (fixed in {a.fixed}): {a.summary}"


def load(path: Path = ADVISORIES) -> list[Advisory]:
    """The advisories of the table at *path*."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    advisories = []
    for entry in data.get("advisory", []):
        introduced = entry.get("introduced")
        advisories.append(
            Advisory(
                package=canonicalize_name(entry["package"]),
                id=entry["id"],
                fixed=Version(entry["fixed"]),
                summary=entry["summary"],
                introduced=Version(introduced) if introduced else None,
                aliases=tuple(entry.get("aliases", ())),
            )
        )
    return advisories


def findings(versions: Mapping[str, str], advisories: Iterable[Advisory]) -> list[Finding]:
    """Every (package, version) in *versions* that an advisory affects; a pure function.

    Names are compared canonicalised (``PyJWT`` is ``pyjwt``). A version that is not a
    valid PEP 440 version cannot be placed in a range and is reported as a finding of
    every advisory of its package, to be looked at by a person.
    """
    by_name = {canonicalize_name(name): version for name, version in versions.items()}
    found = []
    for advisory in advisories:
        version = by_name.get(advisory.package)
        if version is None:
            continue
        try:
            affected = advisory.affects(Version(version))
        except InvalidVersion:
            affected = True
        if affected:
            found.append(Finding(advisory.package, version, advisory))
    return sorted(found, key=lambda f: (f.package, f.advisory.id))


def installed() -> dict[str, str]:
    """Every distribution of the running environment, by canonical name."""
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }


def pinned(lock: Path) -> dict[str, str]:
    """Every ``name==version`` pin of a compiled lock, by canonical name."""
    text = lock.read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


def main(argv: Sequence[str] = ()) -> int:
    """Audit the running environment and each lock named in *argv*; 1 when anything is found."""
    advisories = load()
    sources = {"installed": installed(), **{str(lock): pinned(Path(lock)) for lock in argv}}
    bad = 0
    for source, versions in sources.items():
        for finding in findings(versions, advisories):
            print(f"{source}: {finding}")
            bad += 1
    if not bad:
        checked = ", ".join(sources)
        print(f"no known advisory affects {checked} ({len(advisories)} advisories checked)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
