"""The store's tables: ids, states, cursors, error texts and hashes, never business data.

No column holds an amount, a name, an email or a payload (PRODUCT.md principle 3);
``tests/unit/store/test_tables.py`` keeps it that way. The vault's tables hold
credentials only as ciphertext (`stripe_netsuite.vault`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A UTC instant: stored naive in UTC on both backends, read back timezone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; pass an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite returns raw text from some expressions
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


#: Row ids: 64-bit on PostgreSQL, SQLite's rowid alias on SQLite.
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Longest error text kept in ``jobs.last_error`` and ``attempts.error_message``.
ERROR_TEXT_LIMIT = 2000

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(255), nullable=False),
    sa.Column("event_id", sa.String(255), nullable=False),
    sa.Column("event_type", sa.String(255), nullable=False),
    sa.Column("object_type", sa.String(255), nullable=False),
    sa.Column("object_id", sa.String(255), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("handled_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.UniqueConstraint("account", "event_id"),
    sa.Index(None, "account", "object_id"),
    sa.Index(None, "status"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("object_id", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("run_after", UTCDateTime(), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("leased_by", sa.String(255), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("skip_rule", sa.String(255), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "state", "run_after"),
    sa.Index(None, "account", "kind", "object_id"),
)

#: Coalescing: at most one pending job per object, on both backends (a partial index).
jobs_one_pending = sa.Index(
    "uq_jobs_pending_object",
    jobs.c.account,
    jobs.c.kind,
    jobs.c.object_id,
    unique=True,
    postgresql_where=jobs.c.state == "pending",
    sqlite_where=jobs.c.state == "pending",
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column(
        "job_id", RowId, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error_class", sa.String(255), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("account", sa.String(255), primary_key=True),
    sa.Column("stripe_id", sa.String(255), primary_key=True),
    sa.Column("role", sa.String(64), primary_key=True),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("internal_id", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=True),
    sa.Column("body_hash", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "record_type", "internal_id"),
)

#: NetSuite → Stripe: the Stripe object mirroring each NetSuite record, the system that
#: made the pair (``netsuite``), the ``lastModifiedDate`` the engine's own last write to
#: the NetSuite record left (its echo is not queued), and a keyed hash of the state last
#: carried to Stripe. Ids, stamps and hashes only.
origins = sa.Table(
    "origins",
    metadata,
    sa.Column("account", sa.String(255), primary_key=True),
    sa.Column("record_type", sa.String(64), primary_key=True),
    sa.Column("internal_id", sa.String(64), primary_key=True),
    sa.Column("stripe_id", sa.String(255), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("own_stamp", sa.String(32), nullable=True),
    sa.Column("state_hash", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "account", "stripe_id"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

#: Secrets of this install, one row per purpose (``body_hash``: the key of the links'
#: keyed body hashes). Random bytes made by the engine, never business data.
install = sa.Table(
    "install",
    metadata,
    sa.Column("purpose", sa.String(64), primary_key=True),
    sa.Column("secret", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

#: The vault: one data key per account, stored only wrapped by a master key (a local key
#: file version or an AWS KMS key). Nothing here is readable without that master key.
vault_keys = sa.Table(
    "vault_keys",
    metadata,
    sa.Column("account", sa.String(255), primary_key=True),
    #: Goes up by one each time the account's data key is replaced.
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
    #: ``local`` or ``kms``.
    sa.Column("provider", sa.String(16), nullable=False),
    #: The key file's id, or the KMS key ARN.
    sa.Column("master_key_id", sa.String(2048), nullable=False),
    #: The key file's key version (None with KMS, which versions its key material itself).
    sa.Column("master_key_version", sa.Integer(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

#: The vault's entries, AES-256-GCM under their account's data key.
vault_secrets = sa.Table(
    "vault_secrets",
    metadata,
    sa.Column(
        "account",
        sa.String(255),
        sa.ForeignKey("vault_keys.account", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    #: The data key version the entry is sealed with.
    sa.Column("key_version", sa.Integer(), nullable=False),
    sa.Column("nonce", sa.LargeBinary(), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

#: Console users: a login, a role and a scrypt hash of the password (`store.users`).
console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("login", sa.String(64), primary_key=True),
    #: ``viewer``, ``operator`` or ``admin``.
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    #: Failed logins in a row; reset by a successful one.
    sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

#: Console sessions, by the SHA-256 of the cookie's token (the token itself is not kept).
console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "login",
        sa.String(64),
        sa.ForeignKey("console_users.login", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

#: Every operator action in the console: who, what, on which target, when.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("login", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=True),
    #: Our own words and ids (a note's text is in `job_triage`), never business data.
    sa.Column("detail", sa.Text(), nullable=True),
)

#: A person's handling of a parked or retrying job: resolved / ignored, assignee, note.
job_triage = sa.Table(
    "job_triage",
    metadata,
    sa.Column("job_id", RowId, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    #: ``open``, ``resolved`` or ``ignored``.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("assignee", sa.String(64), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

#: The last beat of each loop of each running engine process (`store.heartbeats`).
loop_heartbeats = sa.Table(
    "loop_heartbeats",
    metadata,
    #: ``host:pid``.
    sa.Column("process", sa.String(255), primary_key=True),
    #: ``worker`` or ``scheduler``.
    sa.Column("loop", sa.String(32), primary_key=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("beat_at", UTCDateTime(), nullable=False),
)
