"""The console's routes: login and logout, static files, and the pages of `pages`."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from stripe_netsuite.store import audit, users
from stripe_netsuite.web.console import auth, pages, payouts, render
from stripe_netsuite.web.console.state import ConsoleState

#: Seconds the login form's CSRF cookie lives.
LOGIN_CSRF_SECONDS = 3600
_STATIC = {"console.css": "text/css"}


def install(app: FastAPI, state: ConsoleState) -> None:
    """Add the console's routes to *app*."""
    app.state.console = state

    @app.exception_handler(auth.Refused)
    async def refused(_request: Request, exc: auth.Refused) -> Response:
        exc.response.headers.update(render.HEADERS)
        return exc.response

    @app.get("/login")
    async def login_form(request: Request, next: str = "/") -> Response:
        token = auth.login_csrf(request)
        response = render.page(
            "login.html", csrf_token=token, next=auth.local_path(next), error=None
        )
        auth.set_cookie(
            response, request, state.settings, auth.CSRF_COOKIE, token, LOGIN_CSRF_SECONDS
        )
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await auth.read_form(request)
        token = request.cookies.get(auth.CSRF_COOKIE)
        if not auth.same(auth.first(form, "csrf_token"), token):
            return Response(
                "forbidden: missing or wrong CSRF token", status_code=403, headers=render.HEADERS
            )
        login_name = auth.first(form, "username")
        target = auth.local_path(auth.first(form, "next", "/"))
        result = await asyncio.to_thread(
            users.authenticate, state.database, login_name, auth.first(form, "password")
        )
        if result.user is None:
            locked = result.locked_until is not None
            await asyncio.to_thread(
                audit.record, state.database, login=login_name[:64] or "-",
                action="login refused", detail="locked out" if locked else "wrong password",
            )  # fmt: skip
            error = (
                f"Too many failed logins: try again after {render.when(result.locked_until)}."
                if locked
                else "Wrong username or password."
            )
            return render.page(
                "login.html", status_code=429 if locked else 401,
                csrf_token=token, next=target, error=error,
            )  # fmt: skip
        cookie, _session = await asyncio.to_thread(users.open_session, state.database, result.user)
        await asyncio.to_thread(
            audit.record, state.database, login=result.user.login, action="login"
        )
        response = RedirectResponse(target, status_code=303)
        auth.set_cookie(
            response, request, state.settings, auth.SESSION_COOKIE, cookie,
            users.SESSION_HOURS * 3600,
        )  # fmt: skip
        response.delete_cookie(auth.CSRF_COOKIE, path="/")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        found, _form = await auth.require_post(request, state, users.Role.VIEWER)
        await asyncio.to_thread(
            users.close_session, state.database, request.cookies.get(auth.SESSION_COOKIE)
        )
        await asyncio.to_thread(
            audit.record, state.database, login=found.user.login, action="logout"
        )
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        kind = _STATIC.get(name)
        if kind is None:
            return Response("not found", status_code=404)
        return FileResponse(
            render.STATIC / name, media_type=kind, headers={"Cache-Control": "max-age=3600"}
        )

    pages.install(app, state)
    payouts.install(app, state)
