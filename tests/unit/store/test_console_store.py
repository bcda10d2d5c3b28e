"""Console users (scrypt hashes, lockout, sessions), the audit log and job triage."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import audit, queue, users
from stripe_netsuite.store.tables import console_users

PASSWORD = "correct horse battery"


def test_a_password_is_kept_as_a_salted_scrypt_hash() -> None:
    first, second = users.hash_password(PASSWORD), users.hash_password(PASSWORD)
    assert first.startswith("scrypt$32768$8$1$") and PASSWORD not in first
    assert first != second  # a fresh salt each time
    assert users.check_password(PASSWORD, first)
    assert not users.check_password(PASSWORD + "!", first)
    assert not users.check_password(PASSWORD, "md5$abc")


def test_a_user_logs_in_with_the_right_password_only(database: sa.Engine) -> None:
    users.add_user(database, "alice", "operator", PASSWORD)
    assert users.authenticate(database, "alice", PASSWORD).user == users.User(
        "alice", users.Role.OPERATOR
    )
    assert users.authenticate(database, "alice", "wrong password!").user is None
    assert users.authenticate(database, "nobody", PASSWORD).user is None
    with database.connect() as conn:
        stored = conn.execute(sa.select(console_users.c.password_hash)).scalar_one()
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("login", "role", "password", "problem"),
    [
        ("", "viewer", PASSWORD, "login"),
        ("a b", "viewer", PASSWORD, "login"),
        ("alice", "root", PASSWORD, "role"),
        ("alice", "viewer", "short", "shorter than 12"),
    ],
)
def test_a_bad_user_is_refused_with_the_reason(
    database: sa.Engine, login: str, role: str, password: str, problem: str
) -> None:
    with pytest.raises(users.UserError, match=problem):
        users.add_user(database, login, role, password)


def test_repeated_failures_lock_the_user_out_even_for_the_right_password(
    database: sa.Engine,
) -> None:
    users.add_user(database, "bob", "viewer", PASSWORD)
    for _ in range(users.FREE_FAILURES - 1):
        assert users.authenticate(database, "bob", "guess guess guess").locked_until is None
    locked = users.authenticate(database, "bob", "guess guess guess")
    assert locked.user is None and locked.locked_until is not None
    refused = users.authenticate(database, "bob", PASSWORD)
    assert refused.user is None and refused.locked_until == locked.locked_until
    # Once the lock has run out the right password works and the count starts again.
    with database.begin() as conn:
        conn.execute(
            sa.update(console_users).values(locked_until=locked.locked_until - timedelta(hours=1))
        )
    assert users.authenticate(database, "bob", PASSWORD).user is not None


def test_the_lockout_doubles_and_is_capped() -> None:
    assert users.lockout_seconds(users.FREE_FAILURES - 1) == 0
    assert users.lockout_seconds(users.FREE_FAILURES) == users.LOCKOUT_BASE_SECONDS
    assert users.lockout_seconds(users.FREE_FAILURES + 2) == 4 * users.LOCKOUT_BASE_SECONDS
    assert users.lockout_seconds(100) == users.LOCKOUT_CAP_SECONDS


def test_sessions_carry_the_current_role_and_end_on_logout_or_new_password(
    database: sa.Engine,
) -> None:
    user = users.add_user(database, "carol", "admin", PASSWORD)
    token, session = users.open_session(database, user)
    found = users.find_session(database, token)
    assert found is not None and found.csrf_token == session.csrf_token
    assert found.user.role is users.Role.ADMIN
    users.add_user(database, "carol", "viewer", PASSWORD + "2")  # new password: sessions end
    assert users.find_session(database, token) is None
    token, _ = users.open_session(database, users.User("carol", users.Role.VIEWER))
    users.close_session(database, token)
    assert users.find_session(database, token) is None
    assert users.find_session(database, "made-up") is None


def test_roles_include_the_ones_below() -> None:
    assert users.Role.ADMIN.allows(users.Role.OPERATOR)
    assert users.Role.OPERATOR.allows(users.Role.VIEWER)
    assert not users.Role.VIEWER.allows(users.Role.OPERATOR)


def test_triage_is_kept_and_every_change_is_audited(database: sa.Engine) -> None:
    queue.enqueue(database, account="main", kind="invoice", object_id="in_1")
    (job,) = queue.list_jobs(database)
    audit.set_triage(database, job.id, by="alice", assignee="bob")
    done = audit.set_triage(
        database, job.id, by="bob", status=audit.Status.RESOLVED, note="item restored"
    )
    assert (done.status, done.assignee, done.note) == (
        audit.Status.RESOLVED,
        "bob",
        "item restored",
    )
    assert audit.triage_of(database, [job.id])[job.id] == done
    rows = audit.entries(database)
    assert [(r.login, r.action, r.target) for r in rows] == [
        ("bob", "triage", f"job {job.id}"),
        ("alice", "triage", f"job {job.id}"),
    ]
    assert rows[0].detail == "status=resolved assignee=bob"
