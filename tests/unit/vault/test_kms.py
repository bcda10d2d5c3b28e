"""AWS KMS as the master key (moto's in-process KMS): per-account keys, rotation, migration."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from moto import mock_aws

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.store.tables import vault_keys
from stripe_netsuite.vault import KmsKeys, LocalKeyFile, Vault, envelope

SECRET = "sk_live_CANARY_kms_4be1"
REGION = "eu-west-1"


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A KMS client inside moto's mock (fake credentials, no network)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def new_key(kms: Any) -> str:
    return str(kms.create_key(Description="sns test")["KeyMetadata"]["Arn"])


def master_keys(database: sa.Engine) -> dict[str, tuple[str, str]]:
    with database.connect() as conn:
        rows = conn.execute(
            sa.select(vault_keys.c.account, vault_keys.c.provider, vault_keys.c.master_key_id)
        ).all()
    return {r.account: (r.provider, r.master_key_id) for r in rows}


def test_set_and_read_under_the_default_key(kms: Any, database: sa.Engine) -> None:
    key = new_key(kms)
    vault = Vault(database=database, keys=KmsKeys(default_key_id=key, region=REGION))
    vault.set("main", "stripe_api_key", SECRET)
    assert vault.read("main", "stripe_api_key") == SECRET
    assert master_keys(database) == {"main": ("kms", key)}
    # A fresh process (its own boto3 client) reads it too.
    again = Vault(database=database, keys=KmsKeys(default_key_id=key, region=REGION))
    assert again.read("main", "stripe_api_key") == SECRET


def test_each_account_can_have_its_own_kms_key(kms: Any, database: sa.Engine) -> None:
    default, eu = new_key(kms), new_key(kms)
    keys = KmsKeys(default_key_id=default, account_key_ids={"eu": eu}, region=REGION)
    vault = Vault(database=database, keys=keys)
    vault.set("main", "k", SECRET + "-main")
    vault.set("eu", "k", SECRET + "-eu")
    assert master_keys(database) == {"main": ("kms", default), "eu": ("kms", eu)}
    assert (vault.read("main", "k"), vault.read("eu", "k")) == (SECRET + "-main", SECRET + "-eu")


def test_a_wrapped_key_is_bound_to_its_account(kms: Any) -> None:
    keys = KmsKeys(default_key_id=new_key(kms), region=REGION)
    wrapped = keys.wrap(envelope.new_key(), account="main")
    with pytest.raises(ConfigError, match="AWS KMS Decrypt for account 'other' failed"):
        keys.unwrap(wrapped, account="other")


def test_rotation_moves_data_keys_to_the_current_key(kms: Any, database: sa.Engine) -> None:
    old, new = new_key(kms), new_key(kms)
    Vault(database=database, keys=KmsKeys(default_key_id=old, region=REGION)).set(
        "main", "k", SECRET
    )
    # The operator points the account at a new key; readers still read under the old one.
    vault = Vault(database=database, keys=KmsKeys(default_key_id=new, region=REGION))
    assert vault.read("main", "k") == SECRET
    assert master_keys(database)["main"] == ("kms", old)
    assert vault.rotate() == ["main"]
    assert master_keys(database)["main"] == ("kms", new)
    assert vault.read("main", "k") == SECRET


def test_rotating_data_keys_under_kms(kms: Any, database: sa.Engine) -> None:
    vault = Vault(database=database, keys=KmsKeys(default_key_id=new_key(kms), region=REGION))
    vault.set("main", "k", SECRET)
    vault.rotate(data_keys=True)
    assert [e.key_version for e in vault.show()] == [2]
    assert vault.read("main", "k") == SECRET


def test_moving_from_the_key_file_to_kms(kms: Any, database: sa.Engine, key_file: Path) -> None:
    Vault(database=database, keys=LocalKeyFile(key_file)).set("main", "k", SECRET)
    key = new_key(kms)
    vault = Vault.configure(database, master_key_file=key_file, kms_key_id=key, kms_region=REGION)
    assert isinstance(vault.keys, KmsKeys)
    assert vault.read("main", "k") == SECRET, "the key file still unwraps"
    vault.rotate()
    assert master_keys(database) == {"main": ("kms", key)}
    kms_only = Vault(database=database, keys=KmsKeys(default_key_id=key, region=REGION))
    assert kms_only.read("main", "k") == SECRET


def test_an_account_without_a_kms_key_is_named(kms: Any, database: sa.Engine) -> None:
    vault = Vault(database=database, keys=KmsKeys(default_key_id=None, region=REGION))
    with pytest.raises(ConfigError, match="SNS_KMS_KEY_ID is not set") as info:
        vault.set("main", "k", SECRET)
    assert info.value.key == "accounts.main.kms_key_id"


def test_without_boto3_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    keys = KmsKeys(default_key_id="alias/sns")
    with pytest.raises(ConfigError, match=r"pip install 'stripe-netsuite\[kms\]'"):
        keys.wrap(envelope.new_key(), account="main")


def test_configure_picks_the_key_file_without_kms(database: sa.Engine, key_file: Path) -> None:
    vault = Vault.configure(database, master_key_file=key_file)
    assert isinstance(vault.keys, LocalKeyFile) and vault.readers == ()
    per_account = Vault.configure(
        database, master_key_file=key_file, account_kms_key_ids={"main": "alias/x"}
    )
    assert isinstance(per_account.keys, KmsKeys)
    assert per_account.keys.key_for("main") == "alias/x"
