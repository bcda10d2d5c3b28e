"""The operations console: server-rendered pages behind a login, at the web app's root.

`install` adds its routes to the engine's app. Everything but ``/login`` and
``/static`` needs a session (`auth`); every change is a form POST carrying the
session's CSRF token, is allowed by the user's role, and is written to the audit log.
"""

from __future__ import annotations

from stripe_netsuite.web.console.routes import install
from stripe_netsuite.web.console.state import ConsoleState

__all__ = ["ConsoleState", "install"]
