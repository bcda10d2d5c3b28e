"""What the browser tests share besides their fixtures: the test password, an engine on
loopback, and logging in through the form."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import users
from stripe_netsuite_sandbox.serving import RunningServer

PASSWORD = "browser test password"


class Engine:
    """An engine's web app (console included) on loopback, and its database."""

    def __init__(self, server: RunningServer, database: sa.Engine) -> None:
        self.server = server
        self.database = database

    @property
    def url(self) -> str:
        return self.server.base_url

    def user(self, login: str, role: str) -> str:
        users.add_user(self.database, login, role, PASSWORD)
        return login


def log_in(page: Any, base_url: str, login: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would."""
    page.goto(base_url + "/login")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
