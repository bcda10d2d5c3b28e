"""Console users and their sessions: scrypt password hashes, lockout, session tokens.

A password is kept only as an scrypt hash (salted, N=2^15, r=8, p=1). Failed logins in
a row lock the user out for a time that doubles with each further failure
(`lockout_seconds`), so guessing costs hours, not seconds; a login that does not exist
costs the same hash, so the time of an answer tells no names. A session's cookie token
is kept only as its SHA-256, beside the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.tables import console_sessions, console_users


class Role(StrEnum):
    """What a console user may do; each role may do what the ones before it may."""

    #: Sees every page; changes nothing.
    VIEWER = "viewer"
    #: Also retries, resolves, ignores, assigns and annotates jobs.
    OPERATOR = "operator"
    #: Also sees the settings page and the audit log.
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what *needed* may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


#: scrypt's cost: 2^15 * 128 * 8 bytes = 32 MiB of memory per hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
#: Failed logins in a row allowed before the user is locked out ...
FREE_FAILURES = 5
#: ... first for this many seconds, doubling after each further failure, up to a day.
LOCKOUT_BASE_SECONDS = 30.0
LOCKOUT_CAP_SECONDS = 86_400.0
#: A session lasts this long from login.
SESSION_HOURS = 12
#: A login is 1-64 letters, digits, dots, dashes, underscores or @.
LOGIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
MIN_PASSWORD = 12


class UserError(ValueError):
    """A user cannot be added as asked (bad login, short password, unknown role)."""


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex) of *password* under a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether *password* matches the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


_DUMMY_HASH = hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A console user (never with its hash)."""

    login: str
    role: Role


def add_user(database: sa.Engine, login: str, role: str, password: str) -> User:
    """Create a user, or replace the role and password of the one with this login."""
    if not login or len(login) > 64 or not set(login) <= LOGIN_CHARS:
        raise UserError(f"login {login!r}: use 1-64 letters, digits, '.', '-', '_' or '@'")
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise UserError(f"role {role!r}: choose viewer, operator or admin") from exc
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is shorter than {MIN_PASSWORD} characters")
    values = {"role": chosen.value, "password_hash": hash_password(password),
              "failed_logins": 0, "locked_until": None}  # fmt: skip
    with db.write_transaction(database) as conn:
        now = db.utcnow()
        found = conn.execute(
            sa.update(console_users)
            .where(console_users.c.login == login)
            .values(updated_at=now, **values)
        )
        if found.rowcount == 0:
            conn.execute(
                sa.insert(console_users).values(
                    login=login, created_at=now, updated_at=now, **values
                )
            )
        else:  # a new password ends the sessions opened with the old one
            conn.execute(sa.delete(console_sessions).where(console_sessions.c.login == login))
    return User(login, chosen)


def list_users(database: sa.Engine) -> list[User]:
    """Every user, by login."""
    with database.connect() as conn:
        rows = conn.execute(
            sa.select(console_users.c.login, console_users.c.role).order_by(console_users.c.login)
        )
        return [User(login, Role(role)) for login, role in rows]


def lockout_seconds(failures: int) -> float:
    """How long the user is locked out after *failures* failed logins in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    wait: float = LOCKOUT_BASE_SECONDS * 2.0 ** (failures - FREE_FAILURES)
    return min(wait, LOCKOUT_CAP_SECONDS)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login: the user, or why not (and until when it is locked)."""

    user: User | None
    locked_until: datetime | None = None


def authenticate(database: sa.Engine, login: str, password: str) -> LoginResult:
    """Check a login; counts failures and locks the user out after `FREE_FAILURES`.

    While locked, even the right password is refused (and no hash is compared against
    it, so the lock cannot be used to test passwords).
    """
    with db.write_transaction(database) as conn:
        now = db.utcnow()
        row = conn.execute(sa.select(console_users).where(console_users.c.login == login)).first()
        if row is None:
            check_password(password, _DUMMY_HASH)
            return LoginResult(None)
        if row.locked_until is not None and row.locked_until > now:
            return LoginResult(None, locked_until=row.locked_until)
        if check_password(password, row.password_hash):
            conn.execute(
                sa.update(console_users)
                .where(console_users.c.login == login)
                .values(failed_logins=0, locked_until=None)
            )
            return LoginResult(User(row.login, Role(row.role)))
        failures = row.failed_logins + 1
        wait = lockout_seconds(failures)
        until = now + timedelta(seconds=wait) if wait else None
        conn.execute(
            sa.update(console_users)
            .where(console_users.c.login == login)
            .values(failed_logins=failures, locked_until=until)
        )
        return LoginResult(None, locked_until=until)


@dataclass(frozen=True)
class Session:
    """A logged-in browser: its user and the CSRF token its forms must carry."""

    user: User
    csrf_token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(database: sa.Engine, user: User) -> tuple[str, Session]:
    """A new session for *user*: the cookie's token and the session."""
    token = secrets.token_urlsafe(32)
    now = db.utcnow()
    session = Session(user, secrets.token_urlsafe(32), now + timedelta(hours=SESSION_HOURS))
    with db.write_transaction(database) as conn:
        conn.execute(sa.delete(console_sessions).where(console_sessions.c.expires_at <= now))
        conn.execute(
            sa.insert(console_sessions).values(
                token_hash=_token_hash(token),
                login=user.login,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
    return token, session


def find_session(database: sa.Engine, token: str | None) -> Session | None:
    """The live session of a cookie's token, with its user's current role; None if none."""
    if not token:
        return None
    stmt = (
        sa.select(console_sessions, console_users.c.role)
        .join(console_users, console_users.c.login == console_sessions.c.login)
        .where(console_sessions.c.token_hash == _token_hash(token))
    )
    with database.connect() as conn:
        row: Any = conn.execute(stmt).first()
    if row is None or row.expires_at <= db.utcnow():
        return None
    return Session(User(row.login, Role(row.role)), row.csrf_token, row.expires_at)


def close_session(database: sa.Engine, token: str | None) -> None:
    """End the session of a cookie's token (log out)."""
    if token:
        with db.write_transaction(database) as conn:
            conn.execute(
                sa.delete(console_sessions).where(
                    console_sessions.c.token_hash == _token_hash(token)
                )
            )
