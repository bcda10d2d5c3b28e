"""``stripe-netsuite user add``: the password from standard input, hashed; bad input refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from stripe_netsuite.store import audit, db, users
from stripe_netsuite.store.tables import console_users


def run(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SNS_DATABASE_URL": f"sqlite:///{tmp_path / 'sns.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "stripe_netsuite", "user", "add", *args],
        input=stdin, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_user_is_added_with_the_password_from_stdin(tmp_path: Path) -> None:
    done = run(tmp_path, "alice", "--role", "operator", stdin="a long enough password\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "user alice can log in as operator\n"
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    try:
        found = users.authenticate(database, "alice", "a long enough password")
        assert found.user == users.User("alice", users.Role.OPERATOR)
        with database.connect() as conn:
            stored = conn.execute(sa.select(console_users.c.password_hash)).scalar_one()
        assert "a long enough password" not in stored
        (entry,) = audit.entries(database)
        assert (entry.login, entry.action, entry.target, entry.detail) == (
            "cli", "user add", "alice", "operator",
        )  # fmt: skip
    finally:
        database.dispose()


def test_a_bad_role_or_a_short_password_is_refused(tmp_path: Path) -> None:
    bad_role = run(tmp_path, "bob", "--role", "root", stdin="a long enough password")
    assert bad_role.returncode == 2
    assert "role 'root': choose viewer, operator or admin" in bad_role.stderr
    short = run(tmp_path, "bob", "--role", "viewer", stdin="short")
    assert short.returncode == 2 and "shorter than 12 characters" in short.stderr
    empty = run(tmp_path, "bob", stdin="")
    assert empty.returncode == 2 and "no value on standard input" in empty.stderr
