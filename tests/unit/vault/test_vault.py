"""The vault over a SQLite file: entries, no plaintext at rest, rotation while reading."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.store.tables import vault_keys, vault_secrets
from stripe_netsuite.vault import LocalKeyFile, RotationStep, Vault, repository

SECRET = "sk_live_CANARY_9d2b41c07e"


def stored_values(database: sa.Engine) -> list[Any]:
    """Every value of every column of every row of every table."""
    values: list[Any] = []
    with database.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'select * from "{name}"')):
                values.extend(row)
    return values


def contains(value: Any, needle: str) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        return needle.encode() in bytes(value)
    return needle in str(value)


def test_round_trip_replace_and_delete(vault: Vault) -> None:
    assert vault.read("main", "stripe_api_key") is None
    vault.set("main", "stripe_api_key", SECRET)
    assert vault.read("main", "stripe_api_key") == SECRET
    vault.set("main", "stripe_api_key", SECRET + "-2")
    assert vault.read("main", "stripe_api_key") == SECRET + "-2"
    assert vault.read("other", "stripe_api_key") is None
    assert vault.delete("main", "stripe_api_key") is True
    assert vault.delete("main", "stripe_api_key") is False
    assert vault.read("main", "stripe_api_key") is None


def test_a_multi_line_value_is_kept_whole(vault: Vault) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    vault.set("main", "netsuite_key", pem)
    assert vault.read("main", "netsuite_key") == pem


def test_the_database_holds_no_plaintext(
    vault: Vault, database: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for account in ("main", "eu"):
            for name in ("stripe_api_key", "token_secret"):
                vault.set(account, name, f"{SECRET}-{account}-{name}")
        vault.rotate(data_keys=True)
        assert vault.read("eu", "token_secret") == f"{SECRET}-eu-token_secret"
    values = stored_values(database)
    assert len(values) > 20
    assert [v for v in values if contains(v, SECRET)] == []
    database.dispose()
    for path in tmp_path.glob("sns.db*"):
        assert SECRET.encode() not in path.read_bytes(), path.name
    assert SECRET not in caplog.text


def test_show_lists_names_and_versions_never_values(vault: Vault) -> None:
    vault.set("main", "stripe_api_key", SECRET)
    vault.set("eu", "token_secret", SECRET)
    listed = vault.show()
    assert [(e.account, e.name, e.key_version, e.provider) for e in listed] == [
        ("eu", "token_secret", 1, "local"),
        ("main", "stripe_api_key", 1, "local"),
    ]
    assert [e.name for e in vault.show("eu")] == ["token_secret"]
    assert SECRET not in repr(listed)


def test_a_tampered_ciphertext_is_refused(vault: Vault, database: sa.Engine) -> None:
    vault.set("main", "stripe_api_key", SECRET)
    with database.begin() as conn:
        row = conn.execute(sa.select(vault_secrets.c.ciphertext)).one()
        altered = bytearray(row.ciphertext)
        altered[3] ^= 0x40
        conn.execute(sa.update(vault_secrets).values(ciphertext=bytes(altered)))
    with pytest.raises(ConfigError, match="does not authenticate") as info:
        vault.read("main", "stripe_api_key")
    assert SECRET not in str(info.value)


def test_an_entry_moved_to_another_name_is_refused(vault: Vault, database: sa.Engine) -> None:
    vault.set("main", "stripe_api_key", SECRET)
    vault.set("main", "stripe_webhook_secret", "whsec_x")
    with database.begin() as conn:
        sealed = conn.execute(
            sa.select(vault_secrets.c.nonce, vault_secrets.c.ciphertext).where(
                vault_secrets.c.name == "stripe_api_key"
            )
        ).one()
        conn.execute(
            sa.update(vault_secrets)
            .where(vault_secrets.c.name == "stripe_webhook_secret")
            .values(nonce=sealed.nonce, ciphertext=sealed.ciphertext)
        )
    with pytest.raises(ConfigError, match="does not authenticate"):
        vault.read("main", "stripe_webhook_secret")


def test_names_are_checked(vault: Vault) -> None:
    with pytest.raises(ConfigError, match="entry name"):
        vault.set("main", "has space", SECRET)
    with pytest.raises(ConfigError, match="account name"):
        vault.set("../main", "k", SECRET)


def wrappings(database: sa.Engine) -> dict[str, tuple[int, int | None, bytes]]:
    with database.connect() as conn:
        rows = conn.execute(
            sa.select(
                vault_keys.c.account,
                vault_keys.c.version,
                vault_keys.c.master_key_version,
                vault_keys.c.wrapped_key,
            )
        ).all()
    return {r.account: (r.version, r.master_key_version, bytes(r.wrapped_key)) for r in rows}


def test_rotation_rewraps_every_data_key_and_retires_the_old_version(
    vault: Vault, database: sa.Engine, key_file: Path
) -> None:
    accounts = ["a", "b", "c"]
    for account in accounts:
        vault.set(account, "k", f"{SECRET}-{account}")
    before = wrappings(database)
    steps: list[RotationStep] = []
    assert vault.rotate(progress=steps.append) == accounts
    after = wrappings(database)
    for account in accounts:
        assert before[account][:2] == (1, 1)
        assert after[account][:2] == (1, 2), "same data key, new master key version"
        assert after[account][2] != before[account][2]
        assert vault.read(account, "k") == f"{SECRET}-{account}"
    assert LocalKeyFile(key_file).versions() == [2]
    assert [s.action for s in steps] == [
        "master key version added",
        "data key re-wrapped",
        "data key re-wrapped",
        "data key re-wrapped",
        "old master key versions removed",
    ]


def test_readers_holding_the_old_state_keep_reading_during_rotation(
    vault: Vault, database: sa.Engine, key_file: Path
) -> None:
    accounts = ["a", "b", "c"]
    for account in accounts:
        vault.set(account, "k", f"{SECRET}-{account}")
    # Another process: it loaded the key file (version 1 only) before the rotation.
    reader = Vault(database=database, keys=LocalKeyFile(key_file))
    assert reader.read("a", "k") == f"{SECRET}-a"
    seen: list[tuple[str, dict[str, int | None]]] = []

    def read_everything(step: RotationStep) -> None:
        versions = {account: wrappings(database)[account][1] for account in accounts}
        for account in accounts:
            assert reader.read(account, "k") == f"{SECRET}-{account}", step
        seen.append((step.action, versions))

    vault.rotate(progress=read_everything)
    # Reads happened with a new version added and nothing re-wrapped, half-way, and after.
    assert seen[0] == ("master key version added", {"a": 1, "b": 1, "c": 1})
    assert seen[1] == ("data key re-wrapped", {"a": 2, "b": 1, "c": 1})
    assert seen[-1] == ("old master key versions removed", {"a": 2, "b": 2, "c": 2})
    assert [reader.read(account, "k") for account in accounts] == [
        f"{SECRET}-{account}" for account in accounts
    ]


def test_a_read_that_raced_a_whole_rotation_retries_with_the_new_row(
    vault: Vault, database: sa.Engine, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.set("main", "k", SECRET)
    reader = Vault(database=database, keys=LocalKeyFile(key_file))
    real_entry = repository.entry
    raced: list[int] = []

    def entry_then_rotate(conn: Any, account: str, name: str) -> Any:
        found = real_entry(conn, account, name)
        if not raced:
            # The row was read wrapped by version 1; the rotation now retires version 1
            # before this reader opens the key file.
            raced.append(1)
            vault.rotate()
        return found

    monkeypatch.setattr(repository, "entry", entry_then_rotate)
    assert reader.read("main", "k") == SECRET
    assert raced == [1]
    assert LocalKeyFile(key_file).versions() == [2]


def test_rotating_data_keys_reseals_every_entry(vault: Vault, database: sa.Engine) -> None:
    vault.set("main", "a", SECRET + "a")
    vault.set("main", "b", SECRET + "b")
    with database.connect() as conn:
        rows = conn.execute(sa.select(vault_secrets.c.name, vault_secrets.c.ciphertext)).all()
    before = {r.name: r.ciphertext for r in rows}
    steps: list[RotationStep] = []
    vault.rotate(data_keys=True, progress=steps.append)
    with database.connect() as conn:
        after = conn.execute(
            sa.select(vault_secrets.c.name, vault_secrets.c.key_version, vault_secrets.c.ciphertext)
        ).all()
    assert {r.name: r.key_version for r in after} == {"a": 2, "b": 2}
    assert all(before[r.name] != r.ciphertext for r in after)
    assert wrappings(database)["main"][:2] == (2, 2)
    assert (vault.read("main", "a"), vault.read("main", "b")) == (SECRET + "a", SECRET + "b")
    assert RotationStep("data key replaced", "main") in steps


def test_an_entry_sealed_with_another_data_key_version_is_named(
    vault: Vault, database: sa.Engine
) -> None:
    vault.set("main", "k", SECRET)
    with database.begin() as conn:
        conn.execute(sa.update(vault_secrets).values(key_version=7))
    with pytest.raises(ConfigError, match="sealed with data key v7"):
        vault.read("main", "k")


def test_a_data_key_wrapped_by_an_unconfigured_provider_is_named(
    vault: Vault, database: sa.Engine
) -> None:
    vault.set("main", "k", SECRET)
    with database.begin() as conn:
        conn.execute(sa.update(vault_keys).values(provider="kms"))
    with pytest.raises(ConfigError, match=r"wrapped by the kms master key.*SNS_KMS_KEY_ID"):
        vault.read("main", "k")


def test_the_vault_never_prints_a_secret(vault: Vault) -> None:
    vault.set("main", "k", SECRET)
    found = repository.entry(vault.database, "main", "k")
    assert found is not None
    assert SECRET not in repr(vault) + repr(found)


def test_rotating_an_empty_vault_touches_nothing(vault: Vault, key_file: Path) -> None:
    steps: list[RotationStep] = []
    assert vault.rotate(progress=steps.append) == []
    assert steps == []
    assert not key_file.exists()
