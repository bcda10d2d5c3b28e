"""A real Chromium driven by Playwright, and engines for it to open.

The browser is the system's Chromium (Debian's ``chromium`` package; ``.ci/run`` installs
it), or the one ``SNS_CHROMIUM`` names. When Playwright or the browser is missing these
tests fail in CI (``CI=true``) and are skipped with the reason on a laptop, like the
PostgreSQL tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import Engine

from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db
from stripe_netsuite.web.app import create_app
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.serving import serve_in_thread

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str | None:
    named = os.environ.get("SNS_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason + "; install Debian's chromium package (apt-get install chromium)")


@pytest.fixture
def browser() -> Iterator[Any]:
    """A Chromium for one test. Not kept for the session: Playwright's sync API holds an
    event loop while it is open, which the suite's async tests could not run beside."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[dev]')")
    executable = _chromium()
    if executable is None:
        _missing("Chromium is not installed")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
        found = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield found
        found.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and a page in it."""
    context = browser.new_context()
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """The web app alone (no worker): enough for login, roles and CSRF."""
    url = f"sqlite:///{tmp_path / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    config = parse_config({"accounts": {"main": {
        "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_1",
        "netsuite": {"account_id": "1234567_SB1"},
    }}})  # fmt: skip
    server = serve_in_thread(
        create_app(config=config, database=database, settings=Settings(database_url=url))
    )
    try:
        yield Engine(server, database)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., demo.Stack]]:
    """Whole stacks (both sandboxes and the engine with its worker), stopped after the test."""
    stacks: list[demo.Stack] = []

    def factory(**options: Any) -> demo.Stack:
        workdir = tmp_path / f"stack{len(stacks)}"
        workdir.mkdir()
        options.setdefault("events_poll_seconds", 0)
        stacks.append(demo.start(workdir=workdir, **options))
        return stacks[-1]

    yield factory
    for stack in stacks:
        with contextlib.suppress(Exception):
            stack.stop()
