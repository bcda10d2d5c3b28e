"""Sessions, CSRF and roles for the console's routes.

The session cookie (``sns_session``) is HttpOnly and SameSite=Lax, and Secure when the
request came over HTTPS or ``SNS_CONSOLE_SECURE_COOKIES`` says so. Every POST carries a
``csrf_token`` field: the session's own token once logged in, and on the login form the
value of a separate ``sns_csrf`` cookie (a double-submit token, since there is no session
yet). A form without it, or with another value, is refused with 403 before anything is
read from it or done.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stripe_netsuite.settings import Settings
from stripe_netsuite.store import users
from stripe_netsuite.web.console.state import ConsoleState

SESSION_COOKIE = "sns_session"
CSRF_COOKIE = "sns_csrf"
#: Largest form body read (a note is at most 2000 characters).
FORM_MAX_BYTES = 64 * 1024


class Refused(Exception):
    """A request the console answers with *response* instead of doing it."""

    def __init__(self, response: Response) -> None:
        self.response = response


Form = dict[str, list[str]]


async def read_form(request: Request) -> Form:
    """The fields of a URL-encoded form body (each may repeat)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise Refused(Response("form too large", status_code=413))
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=5000)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(Response("not a form", status_code=400)) from exc


def first(form: Form, key: str, default: str = "") -> str:
    """The first value of a field."""
    values = form.get(key)
    return values[0] if values else default


def same(given: str, expected: str | None) -> bool:
    """Whether a submitted token equals the expected one (constant time)."""
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


def secure(request: Request, settings: Settings) -> bool:
    """Whether cookies set on this request get the Secure flag."""
    return settings.console_secure_cookies or request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, settings: Settings, name: str, value: str, max_age: int
) -> None:
    """An HttpOnly, SameSite=Lax cookie on the whole site, Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(request, settings),
    )


def login_csrf(request: Request) -> str:
    """The login form's token: the ``sns_csrf`` cookie's value, or a new one."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


async def session(request: Request, state: ConsoleState) -> users.Session | None:
    """The request's live session, if its cookie names one."""
    token = request.cookies.get(SESSION_COOKIE)
    return await asyncio.to_thread(users.find_session, state.database, token)


async def require(
    request: Request, state: ConsoleState, role: users.Role = users.Role.VIEWER
) -> users.Session:
    """The session, or a redirect to the login page; 403 when the role is too low."""
    found = await session(request, state)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Refused(RedirectResponse(f"/login?next={quote(target)}", status_code=303))
    if not found.user.role.allows(role):
        raise Refused(Response(f"forbidden: this needs the {role.value} role", status_code=403))
    return found


async def require_post(
    request: Request, state: ConsoleState, role: users.Role
) -> tuple[users.Session, Form]:
    """The session and the form of a POST whose CSRF token is the session's."""
    found = await session(request, state)
    if found is None:
        raise Refused(Response("not logged in", status_code=401))
    form = await read_form(request)
    if not same(first(form, "csrf_token"), found.csrf_token):
        raise Refused(Response("forbidden: missing or wrong CSRF token", status_code=403))
    if not found.user.role.allows(role):
        raise Refused(Response(f"forbidden: this needs the {role.value} role", status_code=403))
    return found, form


def local_path(target: str) -> str:
    """*target* when it is a path on this site, else ``/`` (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
